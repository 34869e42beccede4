// Events on their way to the server. A captured event first waits in `pending`, so the work of
// stamping it runs in a task of its own rather than inside the page's event dispatch. Stamped
// with an id and its session, it joins the open batch (one page, one set of ids). Closed batches
// wait in the outbox until the server has answered for them; the outbox survives page loads in
// localStorage, and the server drops events it already has by id, so resending is safe.
import { clock, config, doc, script } from './config.js';
import { guard } from './guard.js';
import { load, save } from './storage.js';
import { visitorId, session, userId, randomId, touchSession, forgetIds } from './identity.js';
import { encodeBatch, trimForStorage } from './batch.js';

// With a site set, a batch is closed and sent once it holds this many events. Without one
// nothing is sent (only onEvent sees events) and the open batch keeps the newest 199, sent if
// a site is configured later.
const CLOSE_BATCH_AT = 200;
// Failed sends are retried after 2 s, doubling up to 5 minutes.
const RETRY_FIRST_MS = 2e3;
const RETRY_MAX_MS = 3e5;
const URL_MAX = 2048;

let optedOut;
let pending = [];
let openBatch = [];
let outbox = [];
let inFlight;
let retryAt = 0;
let failures = 0;
// Event ids are a random prefix per page load and a counter.
let idPrefix;
let eventCount = 0;

export const referrer = () => doc.referrer.slice(0, URL_MAX);

export const pageUrl = () => doc.URL.slice(0, URL_MAX);

// `ts` and `url` are now and here unless the caller set them earlier: a click waiting to be
// judged dead or not is stamped when it happens and queued seconds later, perhaps on another
// URL.
export const stamp = (fields) => {
  fields.ts ||= clock();
  fields.url ||= pageUrl();
  return fields;
};

// Before startQueue (and so all through a heatmap viewing visit, which never calls it) nothing
// is queued. Returns nothing (clickwatch.js relies on it).
export const emit = (type, fields) => {
  if (optedOut || !idPrefix || (config.respectDnt && navigator.doNotTrack == 1)) return;
  stamp(fields).type = type;
  pending.push(fields) > 1 || setTimeout(stampPending);
};

export const stampPending = guard(() => {
  for (const event of pending.splice(0)) {
    touchSession(event.ts, closeBatch);
    event.id = idPrefix + eventCount++;
    if (openBatch.push(event) >= CLOSE_BATCH_AT)
      config.site ? (closeBatch(), setTimeout(send)) : openBatch.shift();
    config.onEvent && guard(config.onEvent)(event);
  }
});

// Everything captured so far, stamped, in closed batches.
export const closeAll = () => {
  stampPending();
  closeBatch();
};

// The open batch joins the outbox with the ids and page it was recorded under.
export const closeBatch = () => {
  if (openBatch[0] && config.site) {
    outbox.push({
      site: config.site + '',
      visitor_id: visitorId || undefined,
      session_id: session[0],
      user_id: userId || undefined,
      page: {
        url: openBatch[0].url,
        title: doc.title,
        referrer: referrer(),
      },
      screen: { width: screen.width, height: screen.height },
      language: (navigator.language || '').replace(/[^\w-]/g, '').slice(0, 35),
      events: openBatch,
    });
    openBatch = [];
  }
};

const saveOutbox = () => save('q', trimForStorage(outbox)[0] && outbox);

const post = (url, body, keepalive) => fetch(url, { method: 'POST', body, keepalive });

// A URL object: fetch and sendBeacon take it as well as a string.
const endpoint = () => new URL(config.endpoint || '/api/v1/collect', script.src || doc.URL);

// One request at a time, oldest batch first.
export const send = guard(() => {
  let body;
  if (inFlight || clock() < retryAt || !(body = encodeBatch(outbox, 0))) return;
  const batch = outbox[0];
  inFlight = post(endpoint(), body)
    .then((response) => {
      // Overload and timeouts (5xx, 408, 429) are worth retrying; any other answer is the
      // server's decision about this batch (a 400 would fail again), so the batch is done with.
      if (/^(5|408|429)/.test(response.status)) throw 0;
      outbox = outbox.filter((b) => b != batch);
      failures = 0;
    })
    .catch(() => {
      const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++);
      retryAt = clock() + wait;
      setTimeout(send, wait);
    })
    // Either way: the outbox is stored and the next batch goes (not while backing off).
    .then(() => {
      inFlight = 0;
      saveOutbox();
      send();
    });
});

// Back online: the backoff is over.
export const retryNow = () => {
  retryAt = 0;
  send();
};

export const sendNow = () => {
  closeAll();
  send();
  inFlight || (outbox[0] && saveOutbox());
};

// The page is being hidden or left: everything goes by sendBeacon, which outlives the page.
// A refused beacon falls back to a keepalive fetch and stays in the outbox, to be sent again on
// the next page load if that fetch did not arrive.
export const sendBeforeLeaving = () => {
  closeAll();
  for (let i = 0, url = endpoint(), body; navigator.onLine != 0 && (body = encodeBatch(outbox, i)); )
    guard(() => navigator.sendBeacon(url, body))()
      ? outbox.splice(i, 1)
      : (post(url, body, true).catch(() => 0), i++);
  saveOutbox();
};

// At load: the opt-out and the batches an earlier page could not send.
export const startQueue = () => {
  idPrefix = randomId() + '-';
  optedOut = load('o', true);
  try {
    outbox = load('q').filter((batch) => batch.events[0]);
  } catch {
    // Nothing (or nothing usable) stored.
  }
};

export const optOut = () => {
  optedOut = 1;
  pending = [];
  openBatch = [];
  outbox = [];
  forgetIds(true);
  save('q', 0, true);
  save('o', 1, true);
};

export const optIn = () => save('o', (optedOut = 0), true);
