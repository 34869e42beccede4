// What the tracker says about an element, a key or a value it was handed, without ever
// recording what a visitor typed: CSS selectors, key classes, cleaned strings and plain props.

// Control characters removed, at most `max` characters (128 by default); null stays null.
export const clean = (value, max) =>
  value == null ? value : (value + '').replace(/[\0-\x1f\x7f-\x9f]/g, '').slice(0, max || 128);

// The first `max` characters of `text`, counted in code points, as the server counts them: a
// cut never splits a surrogate pair (a lone half would make the whole batch invalid JSON for
// the server). The match stops after `max`, however long the text.
export const codePoints = (text, max) => text.match(RegExp(`[^]{0,${max}}`, 'u'))[0];

// Props and traits: a copy of a plain object of at most 4096 bytes as JSON, else nothing.
export const PROPS_MAX_BYTES = 4096;
export const plainProps = (props) => {
  try {
    const json = JSON.stringify(props);
    if (props?.constructor == Object && new Blob([json]).size <= PROPS_MAX_BYTES)
      return JSON.parse(json);
  } catch {
    // Cycles and BigInts cannot be sent: the props are dropped, the event is kept.
  }
};

const SELECTOR_MAX = 512;

// A selector that finds the element again on the same page: up to the nearest ancestor with a
// usable id, each step narrowed by its first short data-* attribute and, where siblings of the
// same tag remain, :nth-of-type. Long selectors lose their outermost steps.
export const selectorFor = (element) => {
  const steps = [];
  for (let node = element, parent; (parent = node?.parentElement); node = parent) {
    const id = node.id;
    if (/^[a-z][\w-]{0,63}$/i.test(id)) {
      steps.unshift('#' + id);
      break;
    }
    const tag = node.localName;
    const data = [...node.attributes].find(
      (a) => /^data-/.test(a.name) && /^[\w-]{1,40}$/.test(a.value),
    );
    const sameTag = [...parent.children].filter((c) => c.localName == tag);
    steps.unshift(
      tag +
        (data ? `[${data.name}="${data.value}"]` : '') +
        (sameTag.filter((c) => !data || c.getAttribute(data.name) == data.value)[1]
          ? `:nth-of-type(${sameTag.indexOf(node) + 1})`
          : ''),
    );
  }
  let selector;
  while ((selector = steps.join('>')).length > SELECTOR_MAX) steps.shift();
  return selector || 'html';
};

// The class of a KeyboardEvent.key: what kind of key, never which one.
export const keyClass = (key) => {
  if (/^(\s|Tab)$/.test(key)) return 'whitespace';
  if (/^(Backspace|Delete)$/.test(key)) return 'backspace';
  if (key == 'Enter') return 'enter';
  if (/^(Arrow|Page|Home$|End$)/.test(key)) return 'navigation';
  if (/^(Shift|Control|Alt(Graph)?|Meta|CapsLock|Fn|OS)$/.test(key)) return 'modifier';
  // One character (possibly two UTF-16 units) is a letter, a digit or punctuation; any other
  // named key ("Escape", "F5") is other.
  if (/^\p{L}$/u.test(key)) return 'letter';
  if (/^\p{N}$/u.test(key)) return 'digit';
  return [...key][1] ? 'other' : 'punctuation';
};

// Where a mouse event (its clientX/Y) lies inside an element's box, as `ex`, `ey` in thousandths of its
// width and height (0..1000), so a heatmap can place clicks on the element wherever the layout
// puts it. Nothing for a box without area.
const thousandths = (offset, size) => Math.min(1e3, Math.max(0, Math.round((offset / size) * 1e3)));
export const boxPosition = (event, box) =>
  box.width && box.height
    ? {
        ex: thousandths(event.clientX - box.x, box.width),
        ey: thousandths(event.clientY - box.y, box.height),
      }
    : {};

// 1 when the element or an ancestor is fixed or sticky: its click stays put in the viewport
// while the page scrolls. Only the element and its offsetParent chain need a look (both
// positions make an element an offsetParent), a getComputedStyle call or two rather than one
// per ancestor; the chain of an element in the normal flow ends at body, which is not looked
// at (a body fixed to lock scrolling under a dialog is not a fixed layer). SVG elements have
// no offsetParent: their parents are walked up to an HTML element.
export const inFixedLayer = (element) => {
  for (let node = element; node && node != document.body; node = node.offsetParent ?? node.parentElement)
    if (/fixed|sticky/.test(getComputedStyle(node).position)) return 1;
};
