// Who is sending: the visitor id (kept across visits), the session (ends after 30 minutes
// without events, the rule every analytics tool shares) and the signed-in user id. In cookieless
// mode none of them exist in the browser: the server derives a daily-salted visitor hash.
import { storageOff, load, save } from './storage.js';
import { clean } from './describe.js';

// Ids are four random 32-bit numbers joined by dashes; the server accepts the shape
// /^[\d-]{20,64}$/ only, which stored ids are checked against (the pattern is written out
// where it is used: a shared constant costs the gzipped tracker more than the repetition).
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
export const sessionAt = (stored, now) => [
  now - stored[1] < SESSION_TIMEOUT_MS && /^[\d-]{20,64}$/.test(stored[0])
    ? stored[0]
    : randomId(),
  now,
];

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
  // The stored visitor, else the one in memory (storage was cleared), else a new one.
  const storedVisitor = load('v');
  save(
    'v',
    (visitorId = [storedVisitor, visitorId].find((id) => /^[\d-]{20,64}$/.test(id)) || randomId()),
  );
};

// footfall.config() may switch storage on or off: the next event reads the session again.
export const recheckSession = () => (session[1] = 0);

// At load: the user id an earlier page load stored.
export const restoreUser = () => (userId = clean(load('u'), 256));
export const setUser = (id) => save('u', (userId = id));

// Sign-out and opt-out: the ids are dropped, from storage too (`always` for opt-out, which
// clears them even in cookieless mode); the next event starts a new visitor and session.
export const forgetIds = (always) => {
  userId = visitorId = 0;
  session = [];
  for (const key of 'uvs') save(key, 0, always);
};
