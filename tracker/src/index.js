// footfall.js: the browser tracker (docs/tracker.md). Built into assets/footfall.js by
// scripts/build-tracker.sh; the server serves that file.
// The order of these imports is the order of the modules in the bundle (each after the ones
// it imports): it only matters to the size of the gzipped file, and this one came out some
// 10 bytes smaller than the natural order. The bare imports are only there to place modules.
import './storage.js';
import './deadclicks.js';
import { readConfig } from './config.js';
import { startQueue } from './queue.js';
import './forms.js';
import './errors.js';
import { report } from './guard.js';
import './batch.js';
import './engagement.js';
import { reportViewport, watchInput } from './capture.js';
import { installApi } from './api.js';
import { restoreUser } from './identity.js';
import { HEATMAP_FRAGMENT, loadHeatmap } from './heatmap.js';
import { pageview, tick, watchPage } from './page.js';
import './clickwatch.js';
import './describe.js';

try {
  // Loaded twice (two snippets, a tag manager): the first copy does the work.
  if (!window.footfall?.ids) {
    readConfig();
    // The API is there in a heatmap viewing visit too, so the page's calls keep working; as
    // startQueue is not called then, they queue and send nothing.
    installApi();
    if (HEATMAP_FRAGMENT.test(location.hash)) loadHeatmap();
    else {
      startQueue();
      restoreUser();
      watchPage();
      watchInput();
      pageview();
      reportViewport();
      tick();
    }
  }
} catch (error) {
  report(error);
}
