// Session playback: replays the cursor trail, clicks, scroll depth and pages of one session.
// Every value shown comes from an untrusted visitor: DOM is built with createElement(NS) and
// filled with textContent / setAttribute only.
(function () {
  'use strict';

  const root = document.getElementById('playback');
  if (!root) return;

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const GAP_LIMIT_MS = 3000; // session gaps longer than this...
  const GAP_PLAYED_MS = 1000; // ...play as if they lasted this long
  const POINTER_TYPES = new Set(['move', 'click', 'touch']);
  const MOMENT_LABELS = { rage: 'Rage click', dead: 'Dead click', error: 'Error click', quick_back: 'Quick back' };

  const site = root.getAttribute('data-site') || '';
  const session = root.getAttribute('data-session') || '';

  function setState(state) { root.setAttribute('data-state', state); }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text != null) node.textContent = text;
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  function num(v) { return typeof v === 'number' && Number.isFinite(v) ? v : null; }

  function positiveAttr(name) {
    const n = parseInt(root.getAttribute(name) || '', 10);
    return n > 0 ? n : null;
  }

  function fmt(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  // Number of items whose .t is <= t (items sorted by t).
  function countUpTo(items, t) {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid].t <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function showMessage(text) {
    let msg = root.querySelector('.pb-message');
    if (!msg) msg = root.appendChild(el('p', { class: 'pb-message', role: 'status' }));
    msg.textContent = text;
  }

  function fail() {
    root.replaceChildren();
    showMessage('The session replay could not be loaded.');
    setState('error');
  }

  function init(data) {
    const raw = data && Array.isArray(data.events) ? data.events : [];
    const events = raw
      .filter((e) => e && num(e.ts_ms) !== null)
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.ts_ms - b.e.ts_ms || a.i - b.i)
      .map(({ e }) => e);
    root.setAttribute('data-events', String(events.length));

    const t0 = events.length ? events[0].ts_ms : 0;
    const duration = events.length ? events[events.length - 1].ts_ms - t0 : 0;

    // Screen size: from the markup, else from the furthest point seen (at least 1024x768).
    let maxX = 0;
    let maxY = 0;
    for (const e of events) {
      if (num(e.x) !== null) maxX = Math.max(maxX, e.x);
      if (num(e.y) !== null) maxY = Math.max(maxY, e.y);
    }
    const W = positiveAttr('data-screen-w') || Math.max(1024, Math.ceil(maxX) + 1);
    const H = positiveAttr('data-screen-h') || Math.max(768, Math.ceil(maxY) + 1);
    const clampX = (x) => Math.min(Math.max(x, 0), W);
    const clampY = (y) => Math.min(Math.max(y, 0), H);

    // Timelines in session time (ms since the first event).
    const all = events.map((e) => ({ t: e.ts_ms - t0, path: e.path || '' }));
    const pointer = [];
    const clicks = [];
    const scrolls = [];
    for (const e of events) {
      const t = e.ts_ms - t0;
      const x = num(e.x);
      const y = num(e.y);
      if (POINTER_TYPES.has(e.type) && x !== null && y !== null) {
        const p = { t, x: clampX(x), y: clampY(y) };
        pointer.push(p);
        if (e.type === 'click') clicks.push({ t, x: p.x, y: p.y, text: clickText(e), dead: e.dead === true });
      }
      if (num(e.depth_pct) !== null) scrolls.push({ t, pct: Math.min(Math.max(e.depth_pct, 0), 100) });
    }

    // Compressed ("played") time at each event: long idle gaps play as GAP_PLAYED_MS.
    const played = [];
    let acc = 0;
    all.forEach((a, i) => {
      if (i > 0) {
        const gap = a.t - all[i - 1].t;
        acc += gap > GAP_LIMIT_MS ? GAP_PLAYED_MS : gap;
      }
      played.push(acc);
    });
    const playedTotal = acc;

    // Piecewise-linear maps between session time and played time.
    function mapTime(from, to, v) {
      if (from.length === 0) return 0;
      let lo = 0;
      let hi = from.length - 1;
      if (v <= from[0]) return to[0];
      if (v >= from[hi]) return to[hi];
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (from[mid] <= v) lo = mid; else hi = mid;
      }
      const span = from[hi] - from[lo];
      return span > 0 ? to[lo] + ((v - from[lo]) / span) * (to[hi] - to[lo]) : to[lo];
    }
    const sessionTimes = all.map((a) => a.t);
    const toPlayed = (t) => mapTime(sessionTimes, played, t);
    const toSession = (p) => mapTime(played, sessionTimes, p);

    // ---- DOM ----
    root.replaceChildren();
    const controls = el('div', { class: 'pb-controls' });
    const playBtn = el('button', { type: 'button', id: 'pb-play' }, 'Play');
    const speedLabel = el('label', { for: 'pb-speed' }, 'Speed ');
    const speedSel = el('select', { id: 'pb-speed' });
    for (const s of [1, 2, 4, 8]) {
      const opt = el('option', { value: s }, s + '\u00d7');
      if (s === 4) opt.selected = true;
      speedSel.appendChild(opt);
    }
    speedLabel.appendChild(speedSel);
    const scrub = el('input', {
      type: 'range', id: 'pb-scrub', min: 0, max: duration, step: 100, value: 0,
      'aria-label': 'Position in the session',
    });
    const timeOut = el('output', { id: 'pb-time', for: 'pb-scrub' });
    controls.append(playBtn, speedLabel, scrub, timeOut);
    // Frustration moments (rage, dead and error clicks, quick backs) as buttons that seek there.
    const moments = (data && Array.isArray(data.moments) ? data.moments : [])
      .filter((m) => m && num(m.ts_ms) !== null && typeof m.signal === 'string');
    const momentList = el('ol', { class: 'pb-moments', id: 'pb-moments', 'aria-label': 'Frustration moments' });
    for (const m of moments) {
      const t = Math.min(Math.max(m.ts_ms - t0, 0), duration);
      const label = MOMENT_LABELS[m.signal] || m.signal;
      const seek = el('button', { type: 'button', class: 'pb-moment pb-' + m.signal.replace('_', '-'), 'data-signal': m.signal },
        label + ' ' + fmt(t) + (m.what ? ' ' + m.what : ''));
      seek.addEventListener('click', () => {
        if (frame) stop('paused');
        pos = toPlayed(t);
        render(t);
        setState('paused');
      });
      const item = el('li');
      item.appendChild(seek);
      momentList.appendChild(item);
    }
    root.setAttribute('data-moments', String(moments.length));

    const view = svg('svg', {
      id: 'pb-view', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'Replay of the visitor\u2019s cursor, clicks and scrolling',
    });
    const fontSize = Math.max(12, Math.round(W / 55));
    const barW = Math.max(6, Math.round(W / 160));
    const screen = svg('rect', { class: 'pb-screen', x: 0, y: 0, width: W, height: H });
    const page = svg('text', { class: 'pb-page', x: fontSize * 0.75, y: fontSize * 1.5, 'font-size': fontSize });
    const trail = svg('polyline', { class: 'pb-path', points: '' });
    const clickLayer = svg('g', { class: 'pb-clicks' });
    const track = svg('rect', { class: 'pb-scroll-track', x: W - barW, y: 0, width: barW, height: H });
    const bar = svg('rect', { class: 'pb-scroll', x: W - barW, y: 0, width: barW, height: 0 });
    const cursor = svg('circle', { class: 'pb-cursor', cx: 0, cy: 0, r: Math.max(5, W / 150), visibility: 'hidden' });
    view.append(screen, page, trail, clickLayer, track, bar, cursor);
    root.append(controls, view);
    if (moments.length) root.append(momentList);

    if (events.length === 0) {
      playBtn.disabled = true;
      scrub.disabled = true;
      showMessage('No events were recorded for this session.');
    }

    // ---- Rendering ----
    let shownPointer = -1;
    let shownPage = null;
    let shownScroll = -1;
    let trailPoints = '';
    let trailCount = 0;

    function render(t) {
      const n = countUpTo(all, t);
      const path = n > 0 ? all[n - 1].path : (all.length ? all[0].path : '');
      if (path !== shownPage) { page.textContent = path; shownPage = path; }

      const np = countUpTo(pointer, t);
      if (np !== shownPointer) {
        // Extend the trail's points while moving forward, rebuild after seeking back.
        if (np < shownPointer || shownPointer < 0) { trailPoints = ''; trailCount = 0; }
        for (; trailCount < np; trailCount++) {
          trailPoints += (trailCount ? ' ' : '') + pointer[trailCount].x + ',' + pointer[trailCount].y;
        }
        trail.setAttribute('points', trailPoints);
        if (np > 0) {
          cursor.setAttribute('cx', pointer[np - 1].x);
          cursor.setAttribute('cy', pointer[np - 1].y);
          cursor.setAttribute('visibility', 'visible');
        } else {
          cursor.setAttribute('visibility', 'hidden');
        }
        shownPointer = np;
      }

      const nc = countUpTo(clicks, t);
      while (clickLayer.childElementCount > nc) clickLayer.lastElementChild.remove();
      for (let i = clickLayer.childElementCount; i < nc; i++) {
        const c = clicks[i];
        const dot = svg('circle', { class: c.dead ? 'pb-click pb-dead' : 'pb-click', cx: c.x, cy: c.y, r: Math.max(8, W / 90) });
        const title = svg('title');
        title.textContent = fmt(c.t) + ' ' + c.text;
        dot.appendChild(title);
        clickLayer.appendChild(dot);
      }
      root.setAttribute('data-clicks-drawn', String(nc));

      const ns = countUpTo(scrolls, t);
      if (ns !== shownScroll) {
        bar.setAttribute('height', ns > 0 ? (scrolls[ns - 1].pct / 100) * H : 0);
        shownScroll = ns;
      }

      scrub.value = String(t);
      timeOut.textContent = fmt(t) + ' / ' + fmt(duration);
    }

    // ---- Playback ----
    let pos = 0; // played time (ms), the clock that advances
    let frame = 0;
    let last = 0;
    let speed = 4;

    function stop(state) {
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      playBtn.textContent = 'Play';
      setState(state);
    }

    function tick(now) {
      const dt = Math.min(now - last, 1000); // a hidden tab does not jump ahead
      last = now;
      pos += dt * speed;
      if (pos >= playedTotal) {
        pos = playedTotal;
        render(duration);
        stop('ended');
        return;
      }
      render(toSession(pos));
      frame = requestAnimationFrame(tick);
    }

    function play() {
      if (pos >= playedTotal) { pos = 0; render(0); }
      playBtn.textContent = 'Pause';
      setState('playing');
      last = performance.now();
      frame = requestAnimationFrame(tick);
    }

    playBtn.addEventListener('click', () => {
      if (frame) stop('paused'); else play();
    });
    speedSel.addEventListener('change', () => {
      const s = Number(speedSel.value);
      speed = s > 0 ? s : 4;
    });
    scrub.addEventListener('input', () => {
      // The range snaps to its step, so the last step before the end means the end.
      let t = Math.min(Math.max(Number(scrub.value) || 0, 0), duration);
      if (t > 0 && t > duration - 100) t = duration;
      pos = toPlayed(t);
      render(t);
      if (!frame) setState('paused');
    });

    render(0);
    setState('ready');
  }

  function clickText(e) {
    const label = typeof e.label === 'string' ? e.label.trim() : '';
    const target = typeof e.target === 'string' ? e.target : '';
    if (label && target) return label + ' (' + target + ')';
    return label || target || 'click';
  }

  setState('loading');
  root.setAttribute('data-events', '0');
  root.setAttribute('data-clicks-drawn', '0');
  showMessage('Loading the session replay\u2026');

  const url = '/api/v1/sites/' + encodeURIComponent(site) + '/sessions/' + encodeURIComponent(session);
  fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((res) => {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    })
    .then(init)
    .catch(fail);
})();
