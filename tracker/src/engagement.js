// Engaged time: the time the page was visible, counting at most 30 seconds after the last
// input (pointer, scroll, key, touch). A tab left open in the background or a reader who walked
// away adds nothing. The total is sent as `engagement` events when the page is left, hidden or
// flushed.
import { clock, doc, enabled } from './config.js';
import { emit } from './queue.js';

export const IDLE_AFTER_MS = 30e3;

let visible = !doc.hidden;
// Whole milliseconds, as every time here comes from Date.now().
let engagedMs = 0;
// When the visitor last did something, and up to when engagedMs has been counted: the
// tracker's start at first.
let lastInput = clock();
let countedTo = lastInput;

const countEngaged = (now = clock()) => {
  if (visible) engagedMs += Math.max(0, Math.min(now, lastInput + IDLE_AFTER_MS) - countedTo);
  countedTo = now;
};

// An input after an idle gap first closes the counted stretch, so the gap is not counted.
export const noteInput = (now = clock()) => {
  now - lastInput > IDLE_AFTER_MS && countEngaged();
  lastInput = now;
};

// The page was shown or hidden (or is being left): a `visibility` event when that changed.
// Coming back to a hidden tab counts as input: time starts again from now. Returns
// `nowVisible`.
export const noteVisibility = (nowVisible) => {
  countEngaged();
  if (nowVisible != visible) {
    if ((visible = nowVisible)) lastInput = countedTo;
    enabled('visibilitychange') && emit('visibility', { state: visible ? 'visible' : 'hidden' });
  }
  return visible;
};

// The engaged time since the last report, as an `engagement` event.
export const reportEngagement = () => {
  countEngaged();
  engagedMs > 0 && enabled('timeCount') && emit('engagement', { engaged_ms: engagedMs });
  engagedMs = 0;
};
