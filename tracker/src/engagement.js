// Engaged time: the time the page was visible, counting at most 30 seconds after the last
// input (pointer, scroll, key, touch). A tab left open in the background or a reader who walked
// away adds nothing. The total is sent as `engagement` events when the page is left, hidden or
// flushed.
import { enabled } from './config.js';
import { emit } from './queue.js';

export const IDLE_AFTER_MS = 30e3;

let visible = !document.hidden;
let engagedMs = 0;
// When the visitor last did something, and up to when engagedMs has been counted.
let lastInput;
let countedTo;

export const isVisible = () => visible;

export const startEngagement = (now) => {
  lastInput = countedTo = now;
};

export const countEngaged = (now = Date.now()) => {
  if (visible) engagedMs += Math.max(0, Math.min(now, lastInput + IDLE_AFTER_MS) - countedTo);
  countedTo = now;
};

// An input after an idle gap first closes the counted stretch, so the gap is not counted.
export const noteInput = (now = Date.now()) => {
  now - lastInput > IDLE_AFTER_MS && countEngaged();
  lastInput = now;
};

// Coming back to a hidden tab counts as input: time starts again from now.
export const setVisible = (nowVisible) => {
  visible = nowVisible;
  if (nowVisible) lastInput = countedTo;
};

// The engaged time since the last report, as an `engagement` event.
export const reportEngagement = () => {
  countEngaged();
  const ms = Math.round(engagedMs);
  engagedMs = 0;
  ms > 0 && enabled('timeCount') && emit('engagement', { engaged_ms: ms });
};
