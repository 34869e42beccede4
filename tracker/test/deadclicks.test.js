// Dead clicks (src/deadclicks.js): which clicks can never be dead, and how pending clicks are
// settled by the page's answers and by their timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEAD_AFTER_MS, QUICK_ANSWER_MS, isNeverDead, stillWaiting } from '../src/deadclicks.js';

// An element answering matches() for the given tag (and nothing else); `type` as the DOM has it.
const element = (tag, type, isContentEditable = false) => ({
  type,
  isContentEditable,
  matches: (selector) => selector.split(',').includes(tag),
});
const plainClick = {};

test('fields and editable content are never dead, buttons and links may be', () => {
  for (const type of ['text', 'email', 'search', 'password', 'number', 'tel', 'url', 'checkbox', 'radio', 'file', 'date', 'range'])
    assert.ok(isNeverDead(plainClick, element('input', type)), type);
  assert.ok(isNeverDead(plainClick, element('textarea', 'textarea')));
  assert.ok(isNeverDead(plainClick, element('select', 'select-one')));
  assert.ok(isNeverDead(plainClick, element('p', undefined, true)), 'inside contenteditable');
  for (const type of ['button', 'submit', 'reset', 'image'])
    assert.ok(!isNeverDead(plainClick, element('input', type)), type);
  assert.ok(!isNeverDead(plainClick, element('button', 'submit')));
  assert.ok(!isNeverDead(plainClick, element('a', '')));
  assert.ok(!isNeverDead(plainClick, element('div')));
});

test('a click with a modifier key held is never dead', () => {
  for (const key of ['ctrlKey', 'metaKey', 'shiftKey', 'altKey'])
    assert.ok(isNeverDead({ [key]: true }, element('div')), key);
});

const T0 = 1_700_000_000_000;
// What clickwatch.js does with stillWaiting: the clicks that no longer wait are settled, in order.
const settle = (pending, now, withinMs) => {
  const settled = [];
  const left = pending.filter((click) => stillWaiting(click, now - click.ts, withinMs) || settled.push(click) < 0);
  return { settled, left };
};

test('a DOM or URL change answers every pending click of the last 2.5 s', () => {
  const pending = [{ ts: T0 }, { ts: T0 + 100 }, { ts: T0 + 200 }];
  const { settled, left } = settle(pending, T0 + 900, DEAD_AFTER_MS);
  assert.deepEqual(settled.map((c) => c.ts), [T0, T0 + 100, T0 + 200]);
  assert.ok(settled.every((c) => !c.dead));
  assert.deepEqual(left, []);
});

test('scroll, selection and focus answer only the clicks of the last 100 ms', () => {
  const pending = [{ ts: T0 }, { ts: T0 + 450 }, { ts: T0 + 500 }];
  const { settled, left } = settle(pending, T0 + 500 + QUICK_ANSWER_MS - 50, QUICK_ANSWER_MS);
  assert.deepEqual(settled.map((c) => c.ts), [T0 + 450, T0 + 500]);
  assert.deepEqual(left, [{ ts: T0 }]);
  assert.equal(settle([{ ts: T0 }], T0 + QUICK_ANSWER_MS + 1, QUICK_ANSWER_MS).settled.length, 0);
});

test('a timer ends only the clicks whose 2.5 s are up, as dead, and keeps the order', () => {
  const pending = [{ ts: T0 }, { ts: T0 + 10 }, { ts: T0 + 2000 }];
  const { settled, left } = settle(pending, T0 + DEAD_AFTER_MS + 10, -1);
  assert.deepEqual(settled, [{ ts: T0, dead: 1 }, { ts: T0 + 10, dead: 1 }]);
  assert.deepEqual(left, [{ ts: T0 + 2000 }]);
  assert.deepEqual(settle(left, T0 + 2000 + DEAD_AFTER_MS - 1, -1).settled, [], 'not yet');
});

test('an answer that comes after a late timer does not save a click whose time was up', () => {
  const { settled } = settle([{ ts: T0 }, { ts: T0 + 2600 }], T0 + 2700, DEAD_AFTER_MS);
  assert.deepEqual(settled, [{ ts: T0, dead: 1 }, { ts: T0 + 2600 }]);
});

test('leaving answers every click still in its time', () => {
  const { settled, left } = settle([{ ts: T0 }, { ts: T0 + 1 }], T0 + 300, Infinity);
  assert.deepEqual(settled, [{ ts: T0 }, { ts: T0 + 1 }]);
  assert.deepEqual(left, []);
});
