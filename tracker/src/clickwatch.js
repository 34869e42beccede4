// Clicks wait here for the page's answer before they are queued, so each can say whether it
// was dead (deadclicks.js has the rules). The MutationObserver, the costly part, watches only
// while a click waits: the first pending click connects it and the last disconnects it. The
// scroll, selection and focus listeners stay: with no click pending they return at once.
import { clock, doc } from './config.js';
import { listen, guard } from './guard.js';
import { DEAD_AFTER_MS, QUICK_ANSWER_MS, isNeverDead, stillWaiting } from './deadclicks.js';
import { emit, stamp } from './queue.js';

let pending = [];

// Queues, oldest first, the clicks an answer reaching `withinMs` back settles, each with its
// own time and URL. Without `withinMs` it answers every click still in its time: a DOM or URL
// change, and leaving the page (page.js calls this before the last send).
export const answerClicks = (withinMs = DEAD_AFTER_MS, now = clock()) => {
  // emit() returns nothing: a click it queues leaves the list.
  pending = pending.filter(
    (click) => stillWaiting(click, now - click.ts, withinMs) || emit('click', click),
  );
  pending[0] || domChanged.disconnect();
};

const domChanged = new MutationObserver(guard(() => answerClicks()));

// One timer at a time rather than one per click (a burst of clicks costs one timer): set by
// the first click to wait, for DEAD_AFTER_MS after the oldest waiting click (Date.now() is
// whole milliseconds, hence the 1 ms more). It ends every click whose time is up, as dead, and
// is set again for the oldest click left. Should all clicks be answered before it runs, the
// next click sets another; the earlier one still runs, ends what is due and, if clicks still
// wait, is set again for the same oldest click, so the two run as one until none waits.
const endDeadClicks = guard(() => {
  answerClicks(-1);
  pending[0] && setTimeout(endDeadClicks, pending[0].ts - clock() + (DEAD_AFTER_MS + 1));
});

export const judgeClick = (event, element, click) => {
  if (isNeverDead(event, element)) return emit('click', click);
  pending.push(stamp(click)) > 1 ||
    (domChanged.observe(doc, { childList: true, attributes: true, characterData: true, subtree: true }),
    endDeadClicks());
};

// Capturing on document sees the scrolling of inner elements too (scroll does not bubble). A
// selection change answers only when something is selected: the caret a click puts in text is
// the click itself, and its selectionchange may come after the click (a quick tap).
export const watchQuickAnswers = () =>
  listen(
    'scroll focusin focusout selectionchange',
    (event) =>
      pending[0] &&
      (event.type != 'selectionchange' || !getSelection().isCollapsed) &&
      answerClicks(QUICK_ANSWER_MS),
  );
