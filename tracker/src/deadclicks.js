// The rules for dead clicks (docs/tracker.md, "Dead clicks"): a click the page did not answer.
// Pure: clickwatch.js feeds it the DOM's answers and the clock, Node's test runner checks it.

// A DOM or URL change answers the clicks of the last 2.5 s; a scroll, a selection change or a
// focus change only those of the last 100 ms (later, they are the visitor's next move, not
// the page's answer). A click unanswered for 2.5 s is dead.
export const DEAD_AFTER_MS = 2500;
export const QUICK_ANSWER_MS = 100;

// Fields answer a click themselves (typing, ticking, picking a file or a date), without the DOM
// changing, and so does the browser to a click with a modifier key (a new tab, a selection):
// such clicks are never dead. Button-like inputs answer nothing by themselves.
export const isNeverDead = (event, element) =>
  event.ctrlKey ||
  event.metaKey ||
  event.shiftKey ||
  event.altKey ||
  element.isContentEditable ||
  (element.matches('input,select,textarea') && !/^(button|submit|reset|image)$/.test(element.type));

// Whether a pending click (with its `ts`) still waits when the page answers, `age` ms after
// it: only if it is younger than DEAD_AFTER_MS and older than `withinMs` (how far back the
// answer reaches). A click at least DEAD_AFTER_MS old is marked dead (`dead: 1`: its time to be
// answered ran out, even if a late timer only looks now); one at most `withinMs` old is
// answered. Either way it waits no more. A timer passes -1: it only ends the dead.
export const stillWaiting = (click, age, withinMs) =>
  age < DEAD_AFTER_MS ? age > withinMs : !(click.dead = 1);
