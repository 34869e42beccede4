// Selectors, key classes and cleaned values (src/describe.js), on hand-built element trees:
// selectorFor only reads id, localName, attributes, parentElement, children and getAttribute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, keyClass, plainProps, selectorFor } from '../src/describe.js';

// A minimal element: `tag` with attributes, under `parent`.
function element(tag, attributes = {}, parent = null) {
  const node = {
    localName: tag,
    id: attributes.id || '',
    attributes: Object.entries(attributes).map(([name, value]) => ({ name, value })),
    parentElement: parent,
    children: [],
    getAttribute: (name) => (name in attributes ? attributes[name] : null),
  };
  parent?.children.push(node);
  return node;
}

function page() {
  const html = element('html');
  const body = element('body', {}, html);
  return { html, body };
}

test('a selector stops at the nearest ancestor with a usable id', () => {
  const { body } = page();
  const main = element('div', { id: 'main' }, body);
  const list = element('ul', {}, main);
  const items = [1, 2, 3].map(() => element('li', {}, list));
  const link = element('a', {}, items[1]);
  assert.equal(selectorFor(link), '#main>ul>li:nth-of-type(2)>a');
  assert.equal(selectorFor(main), '#main');
});

test('ids that are not plain names do not anchor the selector', () => {
  const { body } = page();
  const box = element('div', { id: '1-starts-with-a-digit' }, body);
  const button = element('button', {}, box);
  assert.equal(selectorFor(button), 'body>div>button');
});

test('a short data attribute narrows a step, and nth-of-type is added only if still ambiguous', () => {
  const { body } = page();
  const a = element('button', { 'data-action': 'buy' }, body);
  element('button', { 'data-action': 'save' }, body);
  assert.equal(selectorFor(a), 'body>button[data-action="buy"]');
  const c = element('button', { 'data-action': 'buy' }, body);
  assert.equal(selectorFor(c), 'body>button[data-action="buy"]:nth-of-type(3)');
  // Values with spaces or quotes are not used: they would need escaping.
  const d = element('span', { 'data-note': 'two words' }, body);
  assert.equal(selectorFor(d), 'body>span');
});

test('the root element and detached nodes are "html"', () => {
  const { html } = page();
  assert.equal(selectorFor(html), 'html');
  assert.equal(selectorFor(null), 'html');
});

test('long selectors lose their outermost steps to stay within 512 characters', () => {
  let node = page().body;
  for (let i = 0; i < 200; i++) node = element('section', { 'data-depth': 'level-' + i }, node);
  const selector = selectorFor(node);
  assert.ok(selector.length <= 512, `${selector.length} characters`);
  assert.ok(selector.endsWith('section[data-depth="level-199"]'));
  assert.ok(!selector.startsWith('body'));
});

test('keys are reported as classes, never as the key', () => {
  const cases = {
    a: 'letter', Z: 'letter', é: 'letter', ж: 'letter', 7: 'digit', '٣': 'digit', ' ': 'whitespace',
    '.': 'punctuation', '😀': 'punctuation', Enter: 'enter', Backspace: 'backspace',
    Delete: 'backspace', Tab: 'whitespace', ArrowLeft: 'navigation', PageDown: 'navigation',
    Home: 'navigation', End: 'navigation', Shift: 'modifier', AltGraph: 'modifier',
    Meta: 'modifier', F5: 'other', Escape: 'other', Homepage: 'other',
  };
  for (const [key, expected] of Object.entries(cases)) assert.equal(keyClass(key), expected, key);
});

test('clean drops control characters and cuts to length; plainProps keeps only small plain objects', () => {
  assert.equal(clean('a\u0000b\nc\u0085d'), 'abcd');
  assert.equal(clean('x'.repeat(300)).length, 128);
  assert.equal(clean('x'.repeat(300), 256).length, 256);
  assert.equal(clean(undefined), undefined);
  assert.equal(clean(42), '42');
  assert.deepEqual(plainProps({ plan: 'pro', n: 1 }), { plan: 'pro', n: 1 });
  assert.equal(plainProps([1, 2]), undefined);
  assert.equal(plainProps('text'), undefined);
  assert.equal(plainProps({ big: 'x'.repeat(5000) }), undefined);
  const cyclic = {};
  cyclic.self = cyclic;
  assert.equal(plainProps(cyclic), undefined);
});

test('a click inside an element box is in thousandths of it, clamped; nothing for a flat box', async () => {
  const { boxPosition } = await import('../src/describe.js');
  const box = { x: 100, y: 50, width: 200, height: 40 };
  assert.deepEqual(boxPosition({ clientX: 150, clientY: 60 }, box), { ex: 250, ey: 250 });
  assert.deepEqual(boxPosition({ clientX: 100, clientY: 50 }, box), { ex: 0, ey: 0 });
  assert.deepEqual(boxPosition({ clientX: 300, clientY: 90 }, box), { ex: 1000, ey: 1000 });
  assert.deepEqual(boxPosition({ clientX: 90, clientY: 100 }, box), { ex: 0, ey: 1000 }, 'outside the box: clamped');
  assert.deepEqual(boxPosition({ clientX: 100.3, clientY: 50 }, { ...box, width: 3 }), { ex: 100, ey: 0 }, 'rounded');
  assert.deepEqual(boxPosition({ clientX: 100, clientY: 50 }, { ...box, height: 0 }), {});
  assert.deepEqual(boxPosition({ clientX: 100, clientY: 50 }, { ...box, width: 0 }), {});
});

test('an element is in the fixed layer when it or a positioned ancestor is fixed or sticky', async () => {
  const { inFixedLayer } = await import('../src/describe.js');
  const positions = new Map();
  globalThis.getComputedStyle = (node) => ({ position: positions.get(node) || 'static' });
  const html = { offsetParent: null, parentElement: null };
  const body = { offsetParent: null, parentElement: html };
  const header = { offsetParent: null, parentElement: body };
  const link = { offsetParent: header, parentElement: header };
  const icon = { parentElement: link }; // an SVG element: no offsetParent at all
  const main = { offsetParent: body, parentElement: body };
  const button = { offsetParent: body, parentElement: main };
  globalThis.document = { body };
  positions.set(header, 'fixed');
  assert.equal(inFixedLayer(link), 1);
  assert.equal(inFixedLayer(icon), 1);
  assert.equal(inFixedLayer(button), undefined);
  positions.set(main, 'sticky');
  main.offsetParent = body;
  button.offsetParent = main; // a sticky element is positioned: an offsetParent
  assert.equal(inFixedLayer(button), 1);
  positions.set(main, '-webkit-sticky');
  assert.equal(inFixedLayer(button), 1);
  positions.set(main, 'static');
  positions.set(body, 'fixed');
  assert.equal(inFixedLayer(button), undefined, 'a body fixed to lock scrolling is not looked at');
  delete globalThis.getComputedStyle;
  delete globalThis.document;
});
