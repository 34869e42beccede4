// The heatmap overlay's door. The dashboard opens a page with #footfall-heatmap=TOKEN; only
// then is footfall-heatmap.js (tracker/src/overlay/) loaded, from the tracker's own server,
// and that visit is not tracked. Every other visit pays for this check alone. The overlay
// reads the token from the fragment itself and the site and endpoint from footfall.config(),
// so nothing needs handing over here.
import { doc, script } from './config.js';

export const HEATMAP_FRAGMENT = /^#footfall-heatmap=[\w.~-]+$/;

export const loadHeatmap = () =>
  doc.head.append(
    Object.assign(doc.createElement('script'), {
      src: new URL('/footfall-heatmap.js', script.src),
    }),
  );
