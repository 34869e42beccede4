// The page's life: pageviews (single-page-app navigations included), visibility, leaving, and
// the send every processTime seconds.
import { config, enabled } from './config.js';
import { guard, listen } from './guard.js';
import { countEngaged, isVisible, setVisible, reportEngagement } from './engagement.js';
import { abandonForms } from './forms.js';
import { emit, retryNow, sendBeforeLeaving, sendNow } from './queue.js';

// The URL of the last pageview (0 after a back-forward cache restore: the page is new again).
let pageviewUrl;
let scrollDepth = 0;

// The deepest scroll on this page, in percent.
export const deepestScroll = (depth) => (scrollDepth = Math.max(scrollDepth, depth));

export const flush = () => {
  reportEngagement();
  sendNow();
};

// A pageview when the URL changed; the previous page's engaged time and abandoned forms first.
export const pageview = () => {
  if (location.href != pageviewUrl) {
    if (pageviewUrl) {
      reportEngagement();
      abandonForms();
    }
    emit('pageview', {
      title: document.title,
      referrer: pageviewUrl ? '' : document.referrer.slice(0, 2048),
    });
    pageviewUrl = location.href;
    scrollDepth = 0;
  }
};

// Hidden is the last moment a page is sure to run: mobile browsers kill hidden tabs without
// unload events, so everything queued leaves then.
const visibilityChanged = (leaving) => {
  countEngaged();
  const visible = !leaving && !document.hidden;
  if (visible != isVisible()) {
    setVisible(visible);
    enabled('visibilitychange') && emit('visibility', { state: visible ? 'visible' : 'hidden' });
  }
  if (!visible) {
    reportEngagement();
    sendBeforeLeaving();
  }
};

export const tick = guard(() => {
  setTimeout(tick, (+config.processTime || 15) * 1e3);
  flush();
});

export const watchPage = () => {
  const navigated = guard(() => enabled('pageNavigation') && pageview());
  // Routers change the URL through the History API; the new URL is read once they are done.
  for (const method of ['pushState', 'replaceState']) {
    const original = history[method];
    history[method] = function () {
      setTimeout(navigated);
      return original.apply(this, arguments);
    };
  }
  listen(window, 'popstate', navigated);
  listen(window, 'hashchange', navigated);
  listen(window, 'pageshow', (event) => {
    if (event.persisted) {
      pageviewUrl = 0;
      pageview();
    }
  });
  listen(window, 'pagehide', () => {
    abandonForms();
    visibilityChanged(true);
  });
  listen(document, 'visibilitychange', () => visibilityChanged());
  listen(window, 'online', retryNow);
};
