// What the tracker says about an element, a key or a value it was handed, without ever
// recording what a visitor typed: CSS selectors, key classes, cleaned strings and plain props.

// Control characters removed, at most `max` characters (128 by default); null stays null.
export const clean = (value, max) =>
  value == null ? value : (value + '').replace(/[\0-\x1f\x7f-\x9f]/g, '').slice(0, max || 128);

// Props and traits: a copy of a plain object of at most 4096 bytes as JSON, else nothing.
export const PROPS_MAX_BYTES = 4096;
export const plainProps = (props) => {
  try {
    const json = JSON.stringify(props);
    if (props && props.constructor == Object && new Blob([json]).size <= PROPS_MAX_BYTES)
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
  for (let node = element; node && node.parentElement; node = node.parentElement) {
    if (/^[a-z][\w-]{0,63}$/i.test(node.id)) {
      steps.unshift('#' + node.id);
      break;
    }
    let step = node.localName;
    const data = [...node.attributes].find(
      (a) => /^data-/.test(a.name) && /^[\w-]{1,40}$/.test(a.value),
    );
    if (data) step += `[${data.name}="${data.value}"]`;
    const sameTag = [...node.parentElement.children].filter((c) => c.localName == node.localName);
    if (sameTag.filter((c) => !data || c.getAttribute(data.name) == data.value)[1])
      step += `:nth-of-type(${sameTag.indexOf(node) + 1})`;
    steps.unshift(step);
  }
  let selector;
  while ((selector = steps.join('>')).length > SELECTOR_MAX) steps.shift();
  return selector || 'html';
};

// The class of a KeyboardEvent.key: what kind of key, never which one.
export const keyClass = (key) => {
  if ([...key][1]) {
    // Named keys ("Enter", "ArrowLeft"); a single character can be several UTF-16 units.
    if (/^(Enter|Backspace)$/.test(key)) return key.toLowerCase();
    if (key == 'Delete') return 'backspace';
    if (key == 'Tab') return 'whitespace';
    if (/^(Arrow|Page|Home$|End$)/.test(key)) return 'navigation';
    if (/^(Shift|Control|Alt(Graph)?|Meta|CapsLock|Fn|OS)$/.test(key)) return 'modifier';
    return 'other';
  }
  if (/\p{L}/u.test(key)) return 'letter';
  if (/\p{N}/u.test(key)) return 'digit';
  return /\s/.test(key) ? 'whitespace' : 'punctuation';
};
