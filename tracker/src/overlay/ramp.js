// The heatmap's colours: a value from 0 (least) to 1 (most) as blue, cyan, green, yellow, red,
// more opaque the hotter, so cold areas leave the page readable. Pure (tracker/test/overlay.test.js).

// [position, red, green, blue]
export const RAMP_STOPS = [
  [0, 0, 0, 255],
  [0.25, 0, 255, 255],
  [0.5, 0, 255, 0],
  [0.75, 255, 255, 0],
  [1, 255, 0, 0],
];
// Opacity from the coldest visible value to the hottest.
const MIN_ALPHA = 0.25;
const MAX_ALPHA = 0.85;

// [r, g, b, a], each 0..255; nothing at all (a = 0) for 0 or less.
export const rampColour = (t) => {
  if (!(t > 0)) return [0, 0, 0, 0];
  t = Math.min(1, t);
  const upper = RAMP_STOPS.findIndex((stop) => stop[0] >= t);
  const [p1, ...high] = RAMP_STOPS[upper];
  const [p0, ...low] = RAMP_STOPS[upper - 1] || RAMP_STOPS[upper];
  const f = p1 > p0 ? (t - p0) / (p1 - p0) : 1;
  const rgb = low.map((c, i) => Math.round(c + (high[i] - c) * f));
  return [...rgb, Math.round(255 * (MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * t))];
};

// The 256 colours a density canvas's alpha channel (0..255) maps to, as one flat RGBA table.
export const rampTable = () => {
  const table = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) table.set(rampColour(i / 255), i * 4);
  return table;
};

// The ramp as a CSS gradient, for the legend.
export const rampGradient = () =>
  `linear-gradient(to right, ${RAMP_STOPS.map(([p, r, g, b]) => `rgb(${r},${g},${b}) ${p * 100}%`).join(', ')})`;
