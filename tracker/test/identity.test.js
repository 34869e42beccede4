// Sessions and ids (src/identity.js): the 30-minute rule, sharing the stored session with other
// tabs, and cookieless mode. localStorage is a plain object here, as the tracker only indexes it.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

globalThis.document = { querySelector: () => null };
globalThis.navigator = {};
globalThis.localStorage = {};
Object.defineProperty(localStorage, 'removeItem', { value: (key) => delete localStorage[key] });

const { config } = await import('../src/config.js');
const identity = await import('../src/identity.js');
const { sessionAt, touchSession, forgetIds, SESSION_TIMEOUT_MS } = identity;
// The shape of id the server accepts.
const ID_PATTERN = /^[\d-]{20,64}$/;

const T0 = 1_700_000_000_000;
const MINUTE = 60e3;

beforeEach(() => {
  for (const key of Object.keys(localStorage)) delete localStorage[key];
  delete config.cookieless;
  forgetIds();
});

test('a session continues while its last event is less than 30 minutes old', () => {
  const id = '1-2-3-4-5-6-7-8-9-10-11';
  assert.deepEqual(sessionAt([id, T0], T0 + 29 * MINUTE), [id, T0 + 29 * MINUTE]);
  const after = sessionAt([id, T0], T0 + SESSION_TIMEOUT_MS);
  assert.notEqual(after[0], id, 'exactly 30 minutes later is a new session');
  assert.match(after[0], ID_PATTERN);
  assert.notEqual(sessionAt(['not an id', T0], T0 + 1)[0], 'not an id');
  assert.notEqual(sessionAt([], T0)[0], undefined);
});

test('events extend the session; 30 quiet minutes start a new one, closing the batch first', () => {
  let closed = 0;
  touchSession(T0, () => closed++);
  const first = identity.session[0];
  assert.match(first, ID_PATTERN);
  assert.match(identity.visitorId, ID_PATTERN);
  assert.equal(closed, 1, 'the first event opens a session');
  // Every 20 minutes for an hour: one session, as each gap is under 30 minutes.
  for (let t = T0 + 20 * MINUTE; t <= T0 + 60 * MINUTE; t += 20 * MINUTE) touchSession(t, () => closed++);
  assert.equal(identity.session[0], first);
  assert.equal(closed, 1);
  const visitor = identity.visitorId;
  touchSession(T0 + 91 * MINUTE, () => {
    closed++;
    // The old ids still apply while the batch is closed.
    assert.equal(identity.session[0], first);
  });
  assert.notEqual(identity.session[0], first);
  assert.equal(closed, 2);
  assert.equal(identity.visitorId, visitor, 'the visitor stays');
  assert.deepEqual(JSON.parse(localStorage.ff_s), identity.session);
});

test('a session another tab extended is adopted', () => {
  touchSession(T0, () => {});
  const other = '9-9-9-9-9-9-9-9-9-9-9';
  localStorage.ff_s = JSON.stringify([other, T0 + 40 * MINUTE]);
  touchSession(T0 + 45 * MINUTE, () => assert.fail('no new session'));
  assert.equal(identity.session[0], other);
});

test('cookieless mode keeps no ids and stores nothing', () => {
  config.cookieless = true;
  touchSession(T0, () => assert.fail('no batch to close'));
  assert.equal(identity.visitorId, 0);
  assert.deepEqual(identity.session, []);
  assert.deepEqual(Object.keys(localStorage), []);
});
