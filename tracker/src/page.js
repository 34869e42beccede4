// The page's life: pageviews (single-page-app navigations included), its JavaScript errors,
// visibility, leaving, and the send every processTime seconds.
import { config, doc, enabled } from './config.js';
import { guard, listen } from './guard.js';
import { noteVisibility, reportEngagement } from './engagement.js';
import { abandonForms } from './forms.js';
import { answerClicks } from './clickwatch.js';
import { errorFields, underErrorLimit } from './errors.js';
import { emit, referrer, retryNow, sendBeforeLeaving, sendNow } from './queue.js';

// The URL of the last pageview (0 after a back-forward cache restore: the page is new again).
let pageviewUrl;
let scrollDepth = 0;
// How often each error was seen on this page view.
let errorCounts = {};

// The deepest scroll on this page, in percent.
export const deepestScroll = (depth) => (scrollDepth = Math.max(scrollDepth, depth));

export const flush = () => {
  reportEngagement();
  sendNow();
};

// A pageview when the URL changed; the previous page's engaged time and abandoned forms first.
export const pageview = () => {
  if (doc.URL != pageviewUrl) {
    if (pageviewUrl) {
      reportEngagement();
      abandonForms();
    }
    emit('pageview', {
      title: doc.title,
      referrer: pageviewUrl ? '' : referrer(),
    });
    pageviewUrl = doc.URL;
    scrollDepth = 0;
    errorCounts = {};
  }
};

// Hidden is the last moment a page is sure to run: mobile browsers kill hidden tabs without
// unload events, so everything queued leaves then.
const visibilityChanged = (leaving) => {
  if (!noteVisibility(!leaving && !doc.hidden)) {
    // Leaving answers the clicks still waiting: none of them is dead, and all go in this send.
    answerClicks();
    reportEngagement();
    sendBeforeLeaving();
  }
};

export const tick = guard(() => {
  setTimeout(tick, config.processTime * 1e3 || 15e3);
  flush();
});

export const watchPage = () => {
  // A new URL answers the clicks waiting (clickwatch.js), before its pageview is queued.
  const navigated = guard(() => {
    doc.URL != pageviewUrl && answerClicks();
    enabled('pageNavigation') && pageview();
  });
  // Routers change the URL through the History API; the new URL is read once they are done.
  for (const method of ['pushState', 'replaceState']) {
    const original = history[method];
    history[method] = (...args) => {
      setTimeout(navigated);
      return original.apply(history, args);
    };
  }
  listen('popstate hashchange', navigated, window);
  listen(
    'pageshow',
    (event) => {
      if (event.persisted) {
        pageviewUrl = 0;
        pageview();
      }
    },
    window,
  );
  listen(
    'pagehide',
    () => {
      abandonForms();
      visibilityChanged(true);
    },
    window,
  );
  listen('visibilitychange', () => visibilityChanged());
  listen('online', retryNow, window);
  // Errors the page did not catch. Load errors of images and scripts do not bubble to window,
  // and the tracker's own errors never get here: guard.js catches them all. (`error` is a
  // local: listeners are called with the event alone.) An error answers the clicks of the
  // second before it, as the server's error-click window reaches: such a click is an error
  // click, not also a dead one.
  listen(
    'error unhandledrejection',
    (event, error) =>
      answerClicks(1e3) ||
      enabled('errors') &&
      underErrorLimit(errorCounts, (error = errorFields(event))) &&
      emit('error', error),
    window,
  );
};
