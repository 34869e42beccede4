// Who is sending: the visitor id (kept across visits), the session (ends after 30 minutes
// without events, the rule every analytics tool shares) and the signed-in user id. In cookieless
// mode none of them exist in the browser: the server derives a daily-salted visitor hash.
import { storageOff, load, save } from './storage.js';

// Ids are four random 32-bit numbers joined by dashes; the server accepts this shape only.
export const ID_PATTERN = /^[\d-]{20,64}$/;
export const randomId = () => crypto.getRandomValues(new Uint32Array(4)).join('-');

export const SESSION_TIMEOUT_MS = 30 * 60e3;
// The session is written back to storage at most this often, not on every event.
const TOUCH_EVERY_MS = 5e3;

export let visitorId;
// [id, time of the last event in it]
export let session = [];
export let userId;

// The session an event at `now` belongs to: the stored one while it is younger than 30
// minutes since its last event, else a new one.
export const sessionAt = (stored, now) =>
  now - stored[1] < SESSION_TIMEOUT_MS && ID_PATTERN.test(stored[0])
    ? [stored[0], now]
    : [randomId(), now];

// Called for every event. Other tabs share the stored session, so it is read back before being
// extended. `beforeNewSession` runs while the old ids still apply, so the events queued so far
// leave under them.
export const touchSession = (now, beforeNewSession) => {
  if (now - session[1] < TOUCH_EVERY_MS) return;
  if (storageOff()) {
    visitorId = 0;
    session = [];
    return;
  }
  const stored = load('s') || session;
  const next = sessionAt(stored, now);
  if (next[0] != stored[0]) beforeNewSession();
  save('s', (session = next));
  const storedVisitor = load('v');
  ID_PATTERN.test(storedVisitor)
    ? (visitorId = storedVisitor)
    : save('v', (visitorId = ID_PATTERN.test(visitorId) ? visitorId : randomId()));
};

// footfall.config() may switch storage on or off: the next event reads the session again.
export const recheckSession = () => (session[1] = 0);

export const restoreUser = (stored) => (userId = stored);
export const setUser = (id) => save('u', (userId = id));

// Sign-out and opt-out: the next event starts a new visitor and session.
export const forgetIds = () => {
  userId = visitorId = 0;
  session = [];
};
