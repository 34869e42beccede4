// Where the heatmap's data goes on the page as it is laid out now. The server sends clicks
// relative to elements (a 10x10 grid inside each element's box), page bins (x in percent of
// the viewport width, y in document pixels, 16 px high) and scroll bands; these functions turn
// them into canvas positions. Pure (tracker/test/overlay.test.js).

export const GRID = 10;
export const BIN_PX = 16;

// The rect of grid cell {x, y} (0..GRID-1) inside `box` ({left, top, width, height}).
export const cellRect = (cell, box) => ({
  x: box.left + (cell.x * box.width) / GRID,
  y: box.top + (cell.y * box.height) / GRID,
  w: box.width / GRID,
  h: box.height / GRID,
});

// Where a page bin is drawn for a viewport `width` px wide: x at its percent of the width, y
// at the middle of its 16 px. Fixed bins are viewport coordinates (drawn on the fixed layer),
// the others document coordinates.
export const pointPosition = (point, width) => ({
  x: (point.x / 100) * width,
  y: point.y + BIN_PX / 2,
});

const binKey = (p) => `${p.x},${p.y},${!!p.fixed}`;

// The page bins (`points`) without the clicks of the elements drawn on their own boxes, which
// are in both: what is left are clicks on elements the response does not list and on those
// that no longer resolve (not passed in `drawnElements`), drawn as page bins.
export const pointsOutside = (points, drawnElements) => {
  const left = new Map();
  for (const p of points) {
    const bin = left.get(binKey(p)) || { ...p, n: 0 };
    bin.n += p.n;
    left.set(binKey(p), bin);
  }
  for (const element of drawnElements)
    for (const p of element.points || []) {
      const bin = left.get(binKey(p));
      if (bin) bin.n -= p.n;
    }
  return [...left.values()].filter((bin) => bin.n > 0);
};

// The document y where the share of page views that got there falls to `share`, read from
// bands sorted by y ({y: top of a 100 px band, reached}) and interpolated between two bands.
// The end of the last band when even it is above the share; null without bands.
export const BAND_PX = 100;
export const reachedLine = (bands, share) => {
  if (!bands[0]) return null;
  if (bands[0].reached < share) return bands[0].y;
  for (let i = 1; i < bands.length; i++) {
    const [above, below] = [bands[i - 1], bands[i]];
    if (below.reached < share)
      return above.y + ((above.reached - share) / (above.reached - below.reached)) * (below.y - above.y);
  }
  return bands[bands.length - 1].y + BAND_PX;
};

// Canvas backing stores are memory (4 bytes a pixel) and browsers cap their sides: a long
// page is drawn at a lower resolution, scaled up by CSS. Heat is blurry anyway.
export const MAX_CANVAS_PIXELS = 8e6;
export const MAX_CANVAS_SIDE = 16384;
export const canvasScale = (width, height) =>
  Math.min(1, Math.sqrt(MAX_CANVAS_PIXELS / (width * height || 1)), MAX_CANVAS_SIDE / (height || 1), MAX_CANVAS_SIDE / (width || 1));
