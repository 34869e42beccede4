// What visitors do, as events: clicks, pointer and scroll samples, key classes, form
// interactions, touch, media and the viewport size. Every listener is on document or window
// and captures, so elements added after load are seen too. Each input also counts as
// engagement.
import { config, enabled } from './config.js';
import { guard, listen } from './guard.js';
import { keyClass, selectorFor } from './describe.js';
import { noteInput } from './engagement.js';
import { formListener, isMasked } from './forms.js';
import { deepestScroll } from './page.js';
import { emit } from './queue.js';

const CLICKABLE = 'a,button,input,select,textarea,label,[role=button]';
// Fields' text is what a visitor typed or chose: never sent.
const TEXT_HIDDEN = 'input,select,textarea,[data-footfall-mask],[data-footfall-mask] *';
// A touch that moved less than this many CSS pixels is a tap.
const TAP_MAX_PX = 10;

let touchStart;
let resizeTimer;

export const reportViewport = () =>
  enabled('windowResize') && emit('resize', { width: innerWidth, height: innerHeight });

// One `move` per mouseMovementInterval: the listener removes itself after each event and comes
// back after the interval.
const samplePointer = () => {
  listen(
    document,
    'mousemove',
    (event) => {
      noteInput();
      setTimeout(samplePointer, config.mouseMovementInterval * 1e3);
      enabled('mouseMovement') && emit('move', { x: event.clientX, y: event.clientY });
    },
    0,
    1,
  );
};

// At most one `scroll` every 500 ms, taken where the scrolling stopped or got to by then.
const sampleScroll = () => {
  listen(
    window,
    'scroll',
    () => {
      noteInput();
      setTimeout(
        guard(() => {
          sampleScroll();
          const depth = Math.round(
            ((scrollY + innerHeight) / document.documentElement.scrollHeight) * 100,
          );
          enabled('mouseScroll') &&
            emit('scroll', { x: scrollX, y: scrollY, depth: deepestScroll(Math.min(100, depth) || 0) });
        }),
        500,
      );
    },
    0,
    1,
  );
};

export const watchInput = () => {
  listen(
    document,
    'click',
    (event) => {
      noteInput();
      const target = event.target;
      const element = target.closest(CLICKABLE) || target;
      enabled('clicks') &&
        emit('click', {
          x: event.clientX,
          y: event.clientY,
          page_y: event.pageY,
          selector: selectorFor(element),
          text:
            element.isContentEditable || element.matches(TEXT_HIDDEN)
              ? undefined
              : element.textContent.trim().replace(/\s+/g, ' ').slice(0, 80) || undefined,
        });
    },
    true,
  );
  samplePointer();
  sampleScroll();
  listen(window, 'resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(guard(reportViewport), 500);
  });
  listen(
    document,
    'keydown',
    (event) => {
      noteInput();
      const key = event.key;
      enabled('keyboardActivity') &&
        key &&
        !event.repeat &&
        !isMasked(event, event.target) &&
        emit('key', { class: keyClass(key), key: config.rawKeys ? key.slice(0, 64) : undefined });
    },
    true,
  );
  listen(document, 'focusin', formListener('focus'), true);
  listen(document, 'change', formListener('change'), true);
  listen(document, 'submit', formListener('submit'), true);
  listen(
    document,
    'touchstart',
    (event) => {
      noteInput();
      const touch = event.touches[0];
      // Pinches and other multi-finger gestures are not taps or swipes.
      enabled('touchEvents') &&
        !event.touches[1] &&
        emit('touch', (touchStart = { action: 'start', x: touch.clientX, y: touch.clientY }));
    },
    true,
  );
  listen(
    document,
    'touchend',
    (event) => {
      const touch = event.changedTouches[0];
      touchStart &&
        emit('touch', {
          action:
            Math.hypot(touch.clientX - touchStart.x, touch.clientY - touchStart.y) < TAP_MAX_PX
              ? 'tap'
              : 'swipe',
          x: touch.clientX,
          y: touch.clientY,
        });
      touchStart = 0;
    },
    true,
  );
  // Media events do not bubble; capturing on document sees every player.
  for (const type of ['play', 'pause', 'ended', 'seeked'])
    listen(
      document,
      type,
      (event) => {
        const media = event.target;
        const src = media.currentSrc;
        enabled('audioVideoInteraction') &&
          src &&
          emit('media', {
            action: type == 'seeked' ? 'seek' : type,
            src: src.slice(0, 2048),
            position_ms: Math.round(media.currentTime * 1e3) || 0,
          });
      },
      true,
    );
};
