// footfall-heatmap.js: the heatmap overlay (docs/tracker.md, "Heatmap overlay"). footfall.js
// loads it only on a page opened with #footfall-heatmap=TOKEN, and then tracks nothing. It
// asks footfall for the page's heatmap, draws it over the page on two canvases (one the size
// of the document, one fixed to the viewport for what sits in fixed or sticky elements), and
// shows its switches in a panel. Built into assets/footfall-heatmap.js by build.mjs.
import { fetchHeatmap, heatmapToken, heatmapUrl } from './api.js';
import { canvasScale, cellRect, pointPosition, pointsOutside } from './geometry.js';
import { drawDensity } from './density.js';
import { drawScrollMap } from './scrollmap.js';
import { createPanel } from './panel.js';
import { inFixedLayer } from '../describe.js';

// The same test the tracker made; the token is kept in memory only.
const token = heatmapToken(location.hash);
// The site and endpoint as the tracker has them (data-site, data-endpoint, footfallConfig):
// the heatmap comes from the server the events go to.
const trackerConfig = window.footfall?.config?.() || {};
const origin = new URL(trackerConfig.endpoint || '/api/v1/collect', document.currentScript?.src || location.href).origin;

const LAYER_Z = '2147483646';
// Spot radii in CSS pixels: page bins are 16 px high and 1 % of the width wide, so a spot
// covers its neighbours a little and the rendering reads as a density.
const BIN_RADIUS = 22;
const MIN_CELL_RADIUS = 10;
const MAX_CELL_RADIUS = 40;
const REDRAW_AFTER_MS = 150;

const styleLayer = (canvas, position) => {
  const style = { position, left: '0', top: '0', margin: '0', padding: '0', border: '0', display: 'block',
    'pointer-events': 'none', 'z-index': LAYER_Z, 'max-width': 'none', 'max-height': 'none' };
  // !important: a page's own canvas rules must not move or resize the layers.
  for (const [name, value] of Object.entries(style)) canvas.style.setProperty(name, value, 'important');
  return canvas;
};

// Sizes `canvas` to `width` x `height` CSS pixels and returns the backing store's scale.
const fit = (canvas, width, height) => {
  const scale = canvasScale(width, height);
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.style.setProperty('width', `${width}px`, 'important');
  canvas.style.setProperty('height', `${height}px`, 'important');
  return scale;
};

const start = () => {
  const pageLayer = styleLayer(document.createElement('canvas'), 'absolute');
  const viewportLayer = styleLayer(document.createElement('canvas'), 'fixed');
  let state = { type: 'click', device: '' };
  let shown; // {type, data} of the last answer
  let request;
  let redrawTimer;

  // The document's size without the page layer, which would otherwise keep it from shrinking.
  const pageSize = () => {
    pageLayer.style.setProperty('display', 'none', 'important');
    const root = document.documentElement;
    const size = [Math.max(root.scrollWidth, document.body?.scrollWidth || 0), Math.max(root.scrollHeight, document.body?.scrollHeight || 0)];
    pageLayer.style.setProperty('display', 'block', 'important');
    return size;
  };

  // Spots for clicks and movement: click grids on the elements that still resolve, page bins
  // for the rest; fixed ones on the viewport layer.
  const spotsOf = (type, data) => {
    const page = [];
    const fixed = [];
    const drawn = [];
    if (type == 'click')
      for (const element of data.elements || []) {
        let target;
        try {
          target = document.querySelector(element.selector);
        } catch {
          // A selector this browser cannot parse: its clicks are drawn as page bins.
        }
        const box = target?.getBoundingClientRect();
        if (!box?.width || !box.height) continue;
        drawn.push(element);
        const isFixed = inFixedLayer(target);
        for (const cell of element.grid || []) {
          const rect = cellRect(cell, box);
          (isFixed ? fixed : page).push({
            x: rect.x + rect.w / 2 + (isFixed ? 0 : scrollX),
            y: rect.y + rect.h / 2 + (isFixed ? 0 : scrollY),
            r: Math.min(MAX_CELL_RADIUS, Math.max(MIN_CELL_RADIUS, Math.max(rect.w, rect.h) * 1.2)),
            n: cell.n,
          });
        }
      }
    for (const point of pointsOutside(data.points || [], drawn))
      (point.fixed ? fixed : page).push({ ...pointPosition(point, innerWidth), r: BIN_RADIUS, n: point.n });
    return { page, fixed };
  };

  const draw = () => {
    const [width, height] = pageSize();
    const pageScale = fit(pageLayer, width, height);
    const viewportScale = fit(viewportLayer, document.documentElement.clientWidth, innerHeight);
    if (!shown) {
      drawDensity(pageLayer, [], pageScale);
      drawDensity(viewportLayer, [], viewportScale);
      return;
    }
    const { type, data } = shown;
    if (type == 'scroll') {
      drawDensity(viewportLayer, [], viewportScale);
      drawScrollMap(pageLayer, data.scroll || { bands: [] }, width, pageScale);
      panel.setLegend('0 % of views', '100 %');
      panel.setStatus(data.scroll ? `${data.scroll.views} page views` : 'no scrolling recorded');
      panel.setElements([]);
      return;
    }
    const { page, fixed } = spotsOf(type, data);
    let max = 1;
    for (const spot of [...page, ...fixed]) max = Math.max(max, spot.n);
    for (const spot of [...page, ...fixed]) spot.weight = spot.n / max;
    drawDensity(pageLayer, page, pageScale);
    drawDensity(viewportLayer, fixed, viewportScale);
    const total = (data.points || []).reduce((sum, p) => sum + p.n, 0);
    panel.setLegend('fewer', `more (${max} at the hottest spot)`);
    panel.setStatus(total ? `${total} ${type == 'click' ? 'clicks' : 'pointer samples'} on ${location.pathname}` : 'nothing recorded for this page yet');
    panel.setElements(type == 'click' ? data.elements || [] : []);
  };

  const redrawSoon = () => {
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(draw, REDRAW_AFTER_MS);
  };

  const load = async () => {
    request?.abort();
    const thisRequest = (request = new AbortController());
    const { type, device } = state;
    if (!trackerConfig.site) return panel.setStatus('the tracker tag has no data-site', true);
    panel.setStatus('loading…');
    type == 'scroll' ? panel.setLegend('0 % of views', '100 %') : panel.setLegend('fewer', 'more');
    try {
      const data = await fetchHeatmap(heatmapUrl(origin, trackerConfig.site, location.pathname, type, device), token, thisRequest.signal);
      shown = { type, data };
      draw();
    } catch (error) {
      if (thisRequest.signal.aborted) return;
      shown = 0;
      draw();
      panel.setStatus(error.message, true);
    }
  };

  // The page's layout moves under the overlay (images, fonts, late content): redrawn then.
  const bodyResized = new ResizeObserver(redrawSoon);
  const close = () => {
    request?.abort();
    clearTimeout(redrawTimer);
    bodyResized.disconnect();
    removeEventListener('resize', redrawSoon);
    removeEventListener('load', redrawSoon);
    for (const node of [pageLayer, viewportLayer, panel.host]) node.remove();
  };
  const panel = createPanel(
    state,
    (next) => {
      state = next;
      load();
    },
    close,
  );
  document.documentElement.append(pageLayer, viewportLayer, panel.host);
  document.body && bodyResized.observe(document.body);
  addEventListener('resize', redrawSoon);
  addEventListener('load', redrawSoon);
  load();
};

if (token) {
  // The token leaves the address bar, so it is not copied along with the page's URL.
  history.replaceState(history.state, '', location.pathname + location.search);
  document.readyState == 'loading' ? addEventListener('DOMContentLoaded', start) : start();
}
