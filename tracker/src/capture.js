// What visitors do, as events: clicks (with where they hit the element, for heatmaps, and
// whether the page answered: clickwatch.js), pointer and scroll samples, key classes, form
// interactions, touch, media and the viewport size. Every listener is on document or window
// (those on document capture), so elements added after load are seen too. Each input also
// counts as engagement.
import { config, doc, enabled } from './config.js';
import { guard, listen } from './guard.js';
import { boxPosition, codePoints, inFixedLayer, keyClass, selectorFor } from './describe.js';
import { judgeClick, watchQuickAnswers } from './clickwatch.js';
import { noteInput } from './engagement.js';
import { formListener } from './forms.js';
import { deepestScroll } from './page.js';
import { emit } from './queue.js';

// (In this order, the start repeats the field selectors below: a few bytes less gzipped.)
const CLICKABLE = 'input,select,textarea,a,button,label,[role=button]';
// Fields' text is what a visitor typed or chose: never sent. (The clicked element is a field
// or has none inside that could be clicked instead, so closest() sees every field it is in.)
const TEXT_HIDDEN = 'input,select,textarea,[data-footfall-mask]';
// A touch that moved less than this many CSS pixels is a tap.
const TAP_MAX_PX = 10;

// Where a touch or a mouse event is in the viewport; for the mouse, `page_y` in the document too.
const pointOf = (touch) => ({ x: touch.clientX, y: touch.clientY });
const pointerAt = (event) => ({ x: event.clientX, y: event.clientY, page_y: event.pageY });

let touchStart;
let resizeTimer;

export const reportViewport = () =>
  enabled('windowResize') && emit('resize', { width: innerWidth, height: innerHeight });

// One `move` per mouseMovementInterval: the listener removes itself after each event and comes
// back after the interval.
const samplePointer = () =>
  listen(
    'mousemove',
    (event) => {
      noteInput();
      setTimeout(samplePointer, config.mouseMovementInterval * 1e3);
      enabled('mouseMovement') &&
        emit('move', { ...pointerAt(event), vw: innerWidth });
    },
    doc,
    1,
  );

// At most one `scroll` every 500 ms, taken where the scrolling stopped or got to by then.
const sampleScroll = () =>
  listen(
    'scroll',
    () => {
      noteInput();
      setTimeout(
        guard(() => {
          sampleScroll();
          enabled('mouseScroll') &&
            emit('scroll', {
              x: scrollX,
              y: scrollY,
              depth: deepestScroll(
                Math.min(
                  100,
                  Math.round(((scrollY + innerHeight) / doc.documentElement.scrollHeight) * 100),
                ) || 0,
              ),
              vh: innerHeight,
            });
        }),
        500,
      );
    },
    window,
    1,
  );

export const watchInput = () => {
  listen('click', (event) => {
    noteInput();
    const target = event.target;
    const element = target.closest(CLICKABLE) || target;
    enabled('clicks') &&
      judgeClick(event, element, {
        ...pointerAt(event),
        selector: selectorFor(element),
        text:
          (!(element.isContentEditable || element.closest(TEXT_HIDDEN)) &&
            codePoints(element.textContent.trim().replace(/\s+/g, ' '), 80)) ||
          undefined,
        ...boxPosition(event, element.getBoundingClientRect()),
        vw: innerWidth,
        vh: innerHeight,
        fixed: inFixedLayer(element),
      });
  });
  watchQuickAnswers();
  samplePointer();
  sampleScroll();
  listen(
    'resize',
    () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(guard(reportViewport), 500);
    },
    window,
  );
  listen('keydown', (event) => {
    noteInput();
    const key = event.key;
    enabled('keyboardActivity') &&
      key &&
      !event.repeat &&
      // Nothing from a password field or from inside a data-footfall-mask element, also
      // through open shadow roots: the composed path holds the field and all its ancestors
      // (shadow hosts and theirs included), so one matches() per node does what closest() on
      // the field would, and sees past shadow boundaries too.
      !event.composedPath().some((node) => node.matches?.('[type=password],[data-footfall-mask]')) &&
      emit('key', { class: keyClass(key), key: config.rawKeys ? key.slice(0, 64) : undefined });
  });
  listen('focusin change submit', formListener);
  listen('touchstart', (event) => {
    noteInput();
    const touch = event.touches[0];
    // Pinches and other multi-finger gestures are not taps or swipes.
    enabled('touchEvents') &&
      !event.touches[1] &&
      emit('touch', (touchStart = { action: 'start', ...pointOf(touch) }));
  });
  listen('touchend', (event) => {
    const end = pointOf(event.changedTouches[0]);
    touchStart &&
      emit('touch', {
        action: Math.hypot(end.x - touchStart.x, end.y - touchStart.y) < TAP_MAX_PX ? 'tap' : 'swipe',
        ...end,
      });
    touchStart = 0;
  });
  // Media events do not bubble; capturing on document sees every player.
  listen('play pause ended seeked', (event) => {
    const media = event.target;
    const type = event.type;
    const src = media.currentSrc;
    enabled('audioVideoInteraction') &&
      src &&
      emit('media', {
        action: type == 'seeked' ? 'seek' : type,
        src: src.slice(0, 2048),
        position_ms: Math.round(media.currentTime * 1e3) || 0,
      });
  });
};
