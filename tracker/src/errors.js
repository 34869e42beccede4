// What a page's JavaScript error may say as an `error` event: its message with e-mail
// addresses and long numbers (ids, card and phone numbers) masked, its script without query or
// fragment (tokens live there), and no more than five of the same per page view, so a failing
// loop does not flood the queue. Pure: page.js listens, Node's test runner checks this.
import { codePoints } from './describe.js';

export const MESSAGE_MAX = 256;
export const MAX_SAME_ERRORS = 5;

// Masking comes first, so a cut never leaves half an address behind. The cut counts code
// points, as the server does, and so never splits a surrogate pair.
export const maskMessage = (message) =>
  codePoints(
    (message + '').replace(/\S+@\S+/g, '[email]').replace(/\d{7,}/g, '[number]'),
    MESSAGE_MAX,
  );

// The fields of an `error` event for an ErrorEvent or a PromiseRejectionEvent (whose reason
// is an Error or anything else: its message when it has one, else itself as a string).
// ErrorEvent gives "" and 0 where the source, line or column is unknown: those are left out,
// as they are for a rejection.
export const errorFields = (event) => ({
  message: maskMessage(event.message ?? event.reason?.message ?? event.reason),
  source: event.filename?.replace(/[?#].*/, '').slice(0, 2048) || undefined,
  line: event.lineno || undefined,
  column: event.colno || undefined,
});

// Counts `error` in `counts` (one object per page view) and says whether it may still be sent.
export const underErrorLimit = (counts, error) => {
  const key = JSON.stringify(error);
  // -~ counts up from nothing: -~undefined is 1.
  return (counts[key] = -~counts[key]) <= MAX_SAME_ERRORS;
};
