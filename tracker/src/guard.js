// The tracker runs inside someone else's page: no exception of ours may reach it. Every entry
// point (listener, timer, API call) is wrapped by guard(). With data-debug on the script tag
// the errors are logged, so nobody develops the tracker against silence.
import { config } from './config.js';

export const report = (error) => config.debug && console.error('footfall:', error);

// Two arguments are enough for every wrapped function (listeners take one, the API two).
export const guard = (fn) => (a, b) => {
  try {
    return fn(a, b);
  } catch (error) {
    report(error);
  }
};

// Listeners never call preventDefault, so all of them are passive and cannot slow scrolling.
export const listen = (target, type, handler, capture, once) =>
  target.addEventListener(type, guard(handler), { passive: true, capture, once });
