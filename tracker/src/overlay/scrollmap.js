// The scroll map: the page tinted band by band with the share of page views that got that far
// (the ramp's colours, hot at the top), lines where 75, 50 and 25 % of the views stopped, and
// the fold (the median viewport height), each labelled.
import { rampColour } from './ramp.js';
import { BAND_PX, reachedLine } from './geometry.js';

export const REACHED_LINES = [0.75, 0.5, 0.25];

export const drawScrollMap = (canvas, scroll, width, scale) => {
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.save();
  context.scale(scale, scale);
  for (const band of scroll.bands) {
    const [r, g, b] = rampColour(Math.max(0.001, band.reached));
    context.fillStyle = `rgba(${r},${g},${b},0.35)`;
    context.fillRect(0, band.y, width, BAND_PX);
  }
  const line = (y, colour, label) => {
    context.fillStyle = colour;
    context.fillRect(0, y - 1, width, 2);
    context.font = 'bold 13px system-ui, sans-serif';
    const textWidth = context.measureText(label).width;
    context.fillRect(8, y - 20, textWidth + 12, 19);
    context.fillStyle = '#fff';
    context.fillText(label, 14, y - 6);
  };
  for (const share of REACHED_LINES) {
    const y = reachedLine(scroll.bands, share);
    if (y != null) line(y, '#333', `${share * 100}% of views reached here`);
  }
  if (scroll.fold) line(scroll.fold, '#c0392b', `fold (median viewport height): ${Math.round(scroll.fold)} px`);
  context.restore();
};
