// How queued events become request bodies for POST /api/v1/collect. Pure: no DOM, no timers,
// so Node's test runner checks it (tracker/test/).

// The server takes fewer than 1,000 events per batch. navigator.sendBeacon refuses bodies once
// the page's in-flight beacons pass 64 KiB, so a body stays under 60,000 bytes.
export const MAX_EVENTS = 1000;
export const MAX_BODY_BYTES = 60e3;

// The body for outbox[index], splitting that batch in halves in place until its first part
// fits. A single event too large to send on its own is dropped. Returns nothing once no batch
// is left at `index`. Events on the batch's page leave out their url (the server fills it in).
export const encodeBatch = (outbox, index) => {
  for (let batch; (batch = outbox[index]); ) {
    const events = batch.events;
    const body = JSON.stringify({
      ...batch,
      events: events.map((e) =>
        e.url == batch.page.url && e.type != 'pageview' ? { ...e, url: undefined } : e,
      ),
      sent_at: Date.now(),
    });
    if (events.length < MAX_EVENTS && new Blob([body]).size < MAX_BODY_BYTES) return body;
    const half = events.length / 2;
    outbox.splice(
      index,
      1,
      ...(events[1]
        ? [
            { ...batch, events: events.slice(0, half) },
            { ...batch, events: events.slice(half) },
          ]
        : []),
    );
  }
};

// At most this many events wait in storage for a later page load; the oldest batches go first.
export const STORED_MAX_EVENTS = 500;

export const trimForStorage = (outbox) => {
  while (outbox[1] && outbox.reduce((sum, b) => sum + b.events.length, 0) > STORED_MAX_EVENTS)
    outbox.shift();
  return outbox;
};
