// The tracker runs inside someone else's page: no exception of ours may reach it. Every entry
// point (listener, timer, API call) is wrapped by guard(). With data-debug on the script tag
// the errors are logged, so nobody develops the tracker against silence.
import { config, doc } from './config.js';

export const report = (error) => config.debug && console.error('footfall:', error);

// Two arguments are enough for every wrapped function (listeners take one, the API two).
export const guard = (fn) => (a, b) => {
  try {
    return fn(a, b);
  } catch (error) {
    report(error);
  }
};

// `handler` for each of the space-separated event `types` on `target` (document unless
// given). Listeners never call preventDefault, so all of them are passive and cannot slow
// scrolling. On document they capture, so they see the events of every element, those that do
// not bubble (scroll, media) and those the page stops too; on window they do not, as there
// capturing would add every element's scroll and every image's load error.
export const listen = (types, handler, target = doc, once) => {
  handler = guard(handler);
  for (const type of types.split(' '))
    target.addEventListener(type, handler, { passive: true, capture: target == doc, once });
};
