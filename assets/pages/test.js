// The test page's own script: shows what the tracker captured (through its onEvent hook) and
// what the server stored for this session. Everything shown is set as text, never as HTML.
(function () {
  'use strict';

  var captured = [];
  var renderQueued = false;

  function describe(e) {
    var skip = { id: 1, ts: 1, type: 1, url: 1 };
    var parts = [];
    Object.keys(e).forEach(function (k) {
      if (skip[k] || e[k] === undefined || e[k] === null) return;
      var v = typeof e[k] === 'object' ? JSON.stringify(e[k]) : String(e[k]);
      parts.push(k + '=' + v);
    });
    return parts.join(' ').slice(0, 300);
  }

  function row(cells) {
    var tr = document.createElement('tr');
    cells.forEach(function (text) {
      var td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    });
    return tr;
  }

  function renderCaptured() {
    renderQueued = false;
    var body = document.getElementById('captured');
    if (!body) return;
    body.textContent = '';
    captured.slice(-200).reverse().forEach(function (e) {
      body.appendChild(row([e.type, describe(e)]));
    });
  }

  // Must exist before footfall.js runs so the first pageview is seen too.
  window.footfallConfig = {
    onEvent: function (e) {
      captured.push(e);
      if (!renderQueued) {
        renderQueued = true;
        setTimeout(renderCaptured, 100);
      }
    }
  };

  function storedDetails(e) {
    var parts = [];
    [['name', e.name], ['path', e.path], ['target', e.target], ['label', e.label],
     ['x', e.x], ['y', e.y], ['depth', e.depth_pct], ['props', e.props],
     ['value', e.value_minor], ['currency', e.currency], ['ms', e.duration_ms]]
      .forEach(function (p) {
        if (p[1] !== null && p[1] !== undefined) parts.push(p[0] + '=' + p[1]);
      });
    return parts.join(' ').slice(0, 300);
  }

  function pollStored() {
    var ids = window.footfall && window.footfall.ids ? window.footfall.ids() : {};
    var status = document.getElementById('stored-status');
    var sid = document.getElementById('session-id');
    if (!ids.session_id) {
      status.textContent = 'no session id yet (cookieless mode shows nothing here)';
      return;
    }
    sid.textContent = ids.session_id;
    var url = '/tracking/test/stored?site=demo&session_id=' + encodeURIComponent(ids.session_id);
    fetch(url, { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (detail) {
        var events = detail.events || [];
        status.textContent = events.length + ' events stored for this session';
        var body = document.getElementById('stored');
        body.textContent = '';
        events.slice(-200).reverse().forEach(function (e) {
          var time = new Date(e.ts_ms).toLocaleTimeString();
          body.appendChild(row([time, e.type, storedDetails(e)]));
        });
      })
      .catch(function () { status.textContent = 'could not reach the server'; });
  }

  function showView() {
    var view = new URLSearchParams(location.search).get('view') || 'start';
    document.getElementById('view-name').textContent = view;
  }

  function on(id, handler) {
    var el = document.getElementById(id);
    if (el) el.addEventListener('click', handler);
  }

  // DOMContentLoaded fires after every deferred script, footfall.js included.
  document.addEventListener('DOMContentLoaded', function () {
    var ff = window.footfall;
    if (new URLSearchParams(location.search).get('submitted') === '1') {
      document.getElementById('submitted-note').hidden = false;
    }
    showView();
    on('link-spa', function (e) {
      e.preventDefault();
      history.pushState({}, '', '/tracking/test/?view=spa');
      showView();
    });
    on('link-back', function (e) {
      e.preventDefault();
      history.pushState({}, '', '/tracking/test/');
      showView();
    });
    window.addEventListener('popstate', showView);
    var video = document.getElementById('video');
    on('video-play', function () { video.play().catch(function () {}); });
    on('video-pause', function () { video.pause(); });
    on('video-seek', function () { video.currentTime = 1; });
    if (ff) ff.registerCustomEvent('test-dom-event');
    on('custom-track', function () { if (ff) ff.track('test_custom', { from: 'test-page' }); });
    on('custom-dom', function (e) {
      e.target.dispatchEvent(new CustomEvent('test-dom-event', { detail: { via: 'dom' } }));
    });
    on('identify', function () { if (ff) ff.identify('test-user', { source: 'test-page' }); });
    pollStored();
    setInterval(pollStored, 2000);
  });
})();
