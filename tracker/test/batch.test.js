// Batch bodies and their splitting (src/batch.js): what leaves must fit one request to
// /api/v1/collect and one sendBeacon, and no event may be lost or reordered by a split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBatch, MAX_BODY_BYTES, trimForStorage } from '../src/batch.js';

const PAGE = 'https://shop.example/a';

function batch(count, extra = {}) {
  return {
    site: 'shop',
    session_id: '1-2-3-4',
    page: { url: PAGE, title: 'A', referrer: '' },
    events: Array.from({ length: count }, (_, i) => ({
      id: 'p-' + i,
      type: i == 0 ? 'pageview' : 'click',
      ts: 1700000000000 + i,
      url: PAGE,
      ...extra,
    })),
  };
}

// Encodes everything at index 0 the way the sender does, returning the decoded bodies.
function drain(outbox) {
  const bodies = [];
  for (let body; (body = encodeBatch(outbox, 0)); outbox.shift()) bodies.push(body);
  return bodies;
}

test('a small batch goes as one body; events on the batch page leave out their url', () => {
  const outbox = [batch(3)];
  const body = JSON.parse(encodeBatch(outbox, 0));
  assert.equal(outbox.length, 1);
  assert.equal(body.site, 'shop');
  assert.equal(typeof body.sent_at, 'number');
  assert.equal(body.events.length, 3);
  assert.equal(body.events[0].url, PAGE, 'pageviews keep their url');
  assert.equal(body.events[1].url, undefined);
  // The batch in the outbox is not changed by encoding it.
  assert.equal(outbox[0].events[1].url, PAGE);
});

test('events on another page keep their url', () => {
  const outbox = [batch(2)];
  outbox[0].events[1].url = 'https://shop.example/b';
  const body = JSON.parse(encodeBatch(outbox, 0));
  assert.equal(body.events[1].url, 'https://shop.example/b');
});

test('1,000 events are split in halves; every event leaves once, in order', () => {
  const outbox = [batch(1000)];
  const bodies = drain(outbox).map((b) => JSON.parse(b));
  assert.deepEqual(
    bodies.map((b) => b.events.length),
    [500, 500],
  );
  const ids = bodies.flatMap((b) => b.events.map((e) => e.id));
  assert.deepEqual(ids, Array.from({ length: 1000 }, (_, i) => 'p-' + i));
});

test('large events are split until each body is under the beacon limit', () => {
  const outbox = [batch(301, { text: 'x'.repeat(700) })];
  const bodies = drain(outbox);
  assert.ok(bodies.length > 1);
  for (const body of bodies) assert.ok(new Blob([body]).size < MAX_BODY_BYTES);
  const ids = bodies.flatMap((b) => JSON.parse(b).events.map((e) => e.id));
  assert.equal(ids.length, 301);
  assert.deepEqual(ids, [...ids].sort((a, b) => a.slice(2) - b.slice(2)));
});

test('an event too large to send alone is dropped and the next batch is sent', () => {
  const huge = batch(1, { text: 'x'.repeat(70e3) });
  const outbox = [huge, batch(2)];
  const body = JSON.parse(encodeBatch(outbox, 0));
  assert.equal(body.events.length, 2);
  assert.equal(outbox.length, 1);
  assert.equal(encodeBatch([huge], 0), undefined);
});

test('splitting works at any index, leaving the batches before it alone', () => {
  const outbox = [batch(1), batch(1000)];
  const body = JSON.parse(encodeBatch(outbox, 1));
  assert.equal(body.events.length, 500);
  assert.deepEqual(
    outbox.map((b) => b.events.length),
    [1, 500, 500],
  );
  assert.equal(encodeBatch(outbox, 3), undefined);
});

test('storage keeps at most 500 events, dropping the oldest batches but never the last', () => {
  const outbox = [batch(200), batch(200), batch(200)];
  trimForStorage(outbox);
  assert.deepEqual(
    outbox.map((b) => b.events.length),
    [200, 200],
  );
  const one = [batch(900)];
  assert.equal(trimForStorage(one)[0].events.length, 900);
});
