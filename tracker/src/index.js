// footfall.js: the browser tracker (docs/tracker.md). Built into assets/footfall.js by
// scripts/build-tracker.sh; the server serves that file.
import { readConfig } from './config.js';
import { report } from './guard.js';
import { installApi } from './api.js';
import { restoreUser } from './identity.js';
import { clean } from './describe.js';
import { load } from './storage.js';
import { startEngagement } from './engagement.js';
import { startQueue } from './queue.js';
import { pageview, tick, watchPage } from './page.js';
import { reportViewport, watchInput } from './capture.js';

try {
  // Loaded twice (two snippets, a tag manager): the first copy does the work.
  if (!window.footfall?.ids) {
    readConfig();
    installApi();
    startQueue();
    restoreUser(clean(load('u'), 256));
    startEngagement(Date.now());
    watchPage();
    watchInput();
    pageview();
    reportViewport();
    tick();
  }
} catch (error) {
  report(error);
}
