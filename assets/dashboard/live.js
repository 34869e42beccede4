// Live view: follows /tracking/live/stream and keeps the active count, current pages and the
// newest events up to date. Values come from untrusted visitors: textContent only.
(function () {
  'use strict';

  const root = document.getElementById('live');
  const active = document.getElementById('live-active');
  const tbody = document.getElementById('live-events');
  const pages = document.getElementById('live-pages');
  if (!root || !tbody || typeof EventSource === 'undefined') return;

  const MAX_ROWS = 100;
  const MAX_KEYS = 1000;
  const seen = new Set(); // keys of events already shown (bounded, oldest dropped first)
  let updates = 0;

  const keyOf = (e) =>
    [e.session_id, e.ts_ms, e.type, e.path, e.target || '', e.name || ''].join('\u0000');
  const pad = (n) => String(n).padStart(2, '0');
  const str = (v) => (v == null ? '' : String(v));

  function remember(key) {
    seen.add(key);
    if (seen.size > MAX_KEYS) seen.delete(seen.values().next().value);
  }

  // Rows the server rendered with a data-key are kept; rows without one (a placeholder such
  // as "Waiting for events") are removed when the first snapshot arrives.
  for (const row of Array.from(tbody.rows)) {
    const key = row.getAttribute('data-key');
    if (key) remember(key);
  }

  function cell(row, text) {
    row.insertCell().textContent = text;
  }

  function eventRow(e, key) {
    const row = document.createElement('tr');
    row.setAttribute('data-key', key);
    const d = new Date(Number(e.ts_ms));
    const time = document.createElement('time');
    time.textContent = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    if (!Number.isNaN(d.getTime())) time.setAttribute('datetime', d.toISOString());
    row.insertCell().appendChild(time);
    cell(row, str(e.type));
    cell(row, str(e.path));
    cell(row, str(e.name || e.label || e.target));
    const sid = str(e.session_id);
    cell(row, sid.slice(0, 8));
    row.lastChild.setAttribute('title', sid);
    return row;
  }

  function onSnapshot(msg) {
    let snap;
    try { snap = JSON.parse(msg.data); } catch (_) { return; }
    if (!snap || typeof snap !== 'object') return;
    if (updates === 0) {
      for (const row of Array.from(tbody.rows)) if (!row.hasAttribute('data-key')) row.remove();
    }
    updates += 1;
    root.setAttribute('data-state', 'open');

    if (active) active.textContent = String(Number(snap.active_visitors) || 0);

    if (pages) {
      const items = (Array.isArray(snap.pages) ? snap.pages : []).map((p) => {
        const li = document.createElement('li');
        li.textContent = (p.value == null ? '(unknown)' : String(p.value)) + ' \u2014 ' + (Number(p.visitors) || 0);
        return li;
      });
      pages.replaceChildren(...items);
    }

    // Newest first in the snapshot: insert oldest new event first, each on top.
    const events = Array.isArray(snap.events) ? snap.events : [];
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (!e || typeof e !== 'object') continue;
      const key = keyOf(e);
      if (seen.has(key)) continue;
      remember(key);
      const row = eventRow(e, key);
      row.classList.add('fresh');
      setTimeout(() => row.classList.remove('fresh'), 2000);
      tbody.insertBefore(row, tbody.firstChild);
    }
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(-1);

    root.setAttribute('data-events-shown', String(tbody.rows.length));
    root.setAttribute('data-updates', String(updates));
  }

  root.setAttribute('data-state', 'connecting');
  root.setAttribute('data-updates', '0');
  root.setAttribute('data-events-shown', String(tbody.rows.length));

  const site = root.getAttribute('data-site') || '';
  const source = new EventSource('/tracking/live/stream?site=' + encodeURIComponent(site));
  source.addEventListener('snapshot', onSnapshot);
  source.addEventListener('message', () => root.setAttribute('data-state', 'open'));
  source.addEventListener('error', () => {
    // EventSource retries by itself unless the server refused the stream outright.
    root.setAttribute('data-state', source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  });
})();
