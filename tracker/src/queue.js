// Events on their way to the server. A captured event first waits in `pending`, so the work of
// stamping it runs in a task of its own rather than inside the page's event dispatch. Stamped
// with an id and its session, it joins the open batch (one page, one set of ids). Closed batches
// wait in the outbox until the server has answered for them; the outbox survives page loads in
// localStorage, and the server drops events it already has by id, so resending is safe.
import { config, script } from './config.js';
import { guard, report } from './guard.js';
import { load, save } from './storage.js';
import { visitorId, session, userId, randomId, touchSession, forgetIds } from './identity.js';
import { encodeBatch, trimForStorage } from './batch.js';

// With a site set, a batch is closed and sent once it holds this many events. Without one
// nothing is sent (only onEvent sees events) and the open batch keeps the newest 999.
const CLOSE_BATCH_AT = 200;
const KEEP_WITHOUT_SITE = 999;
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
// location.href is read again only when document.URL changed.
let lastDocumentUrl;
let lastHref;

export const emit = (type, fields) => {
  if (optedOut || (config.respectDnt && navigator.doNotTrack == 1)) return;
  fields.ts = Date.now();
  fields.type = type;
  fields.url =
    lastDocumentUrl == (lastDocumentUrl = document.URL)
      ? lastHref
      : (lastHref = location.href.slice(0, URL_MAX));
  pending.push(fields) > 1 || setTimeout(stampPending);
};

export const stampPending = guard(() => {
  for (const event of pending.splice(0)) {
    touchSession(event.ts, closeBatch);
    event.id = idPrefix + eventCount++;
    if (openBatch.push(event) >= CLOSE_BATCH_AT) {
      if (config.site) {
        closeBatch();
        setTimeout(send);
      } else if (openBatch.length > KEEP_WITHOUT_SITE) openBatch.shift();
    }
    try {
      config.onEvent?.(event);
    } catch (error) {
      report(error);
    }
  }
});

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
        title: document.title,
        referrer: document.referrer.slice(0, URL_MAX),
      },
      screen: { width: screen.width, height: screen.height },
      language: (navigator.language || '').replace(/[^\w-]/g, '').slice(0, 35),
      events: openBatch,
    });
    openBatch = [];
  }
};

const saveOutbox = () => save('q', trimForStorage(outbox)[0] && outbox);

const endpoint = () =>
  new URL(config.endpoint || '/api/v1/collect', script.src || location.href) + '';

// One request at a time, oldest batch first.
export const send = guard(() => {
  let body;
  if (inFlight || Date.now() < retryAt || !(body = encodeBatch(outbox, 0))) return;
  const batch = outbox[0];
  inFlight = fetch(endpoint(), { method: 'POST', body })
    .then((response) => {
      inFlight = 0;
      const status = response.status;
      // Overload and timeouts are worth retrying; any other answer is the server's decision
      // about this batch (a 400 would fail again), so the batch is done with.
      if (status > 499 || status == 408 || status == 429) throw status;
      outbox = outbox.filter((b) => b != batch);
      failures = 0;
      saveOutbox();
      send();
    })
    .catch(() => {
      inFlight = 0;
      const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++);
      retryAt = Date.now() + wait;
      setTimeout(send, wait);
      saveOutbox();
    });
});

// Back online: the backoff is over.
export const retryNow = () => {
  retryAt = 0;
  send();
};

export const sendNow = () => {
  stampPending();
  closeBatch();
  send();
  inFlight || (outbox[0] && saveOutbox());
};

// The page is being hidden or left: everything goes by sendBeacon, which outlives the page.
// A refused beacon falls back to a keepalive fetch and stays in the outbox, to be sent again on
// the next page load if that fetch did not arrive.
export const sendBeforeLeaving = () => {
  stampPending();
  closeBatch();
  if (navigator.onLine != 0) {
    for (let i = 0, url = endpoint(), body; (body = encodeBatch(outbox, i)); ) {
      try {
        if (navigator.sendBeacon(url, body)) {
          outbox.splice(i, 1);
          continue;
        }
      } catch (error) {
        report(error);
      }
      fetch(url, { method: 'POST', body, keepalive: true }).catch(() => 0);
      i++;
    }
  }
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
  forgetIds();
  for (const key of 'uvsq') save(key, 0, true);
  save('o', 1, true);
};

export const optIn = () => save('o', (optedOut = 0), true);
