// The heatmap overlay's pure parts (src/overlay/): the colour ramp, placing grid cells and page
// bins, the reached lines of the scroll map, the request, and the fragment both scripts read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RAMP_STOPS, rampColour, rampGradient, rampTable } from '../src/overlay/ramp.js';
import {
  MAX_CANVAS_PIXELS, MAX_CANVAS_SIDE, canvasScale, cellRect, pointPosition, pointsOutside, reachedLine,
} from '../src/overlay/geometry.js';
import { heatmapToken, heatmapUrl } from '../src/overlay/api.js';

test('the ramp goes blue, cyan, green, yellow, red, more opaque as it gets hotter', () => {
  assert.deepEqual(rampColour(0), [0, 0, 0, 0], 'nothing is transparent');
  assert.deepEqual(rampColour(-1), [0, 0, 0, 0]);
  assert.deepEqual(rampColour(0.25).slice(0, 3), [0, 255, 255]);
  assert.deepEqual(rampColour(0.5).slice(0, 3), [0, 255, 0]);
  assert.deepEqual(rampColour(0.75).slice(0, 3), [255, 255, 0]);
  assert.deepEqual(rampColour(1).slice(0, 3), [255, 0, 0]);
  assert.deepEqual(rampColour(7), rampColour(1), 'clamped');
  assert.deepEqual(rampColour(0.125).slice(0, 3), [0, 128, 255], 'interpolated');
  assert.ok(rampColour(0.01)[3] < rampColour(0.5)[3] && rampColour(0.5)[3] < rampColour(1)[3]);
  const table = rampTable();
  assert.equal(table.length, 1024);
  assert.deepEqual([...table.subarray(1020)], rampColour(1));
  assert.equal(rampGradient().split('rgb(').length - 1, RAMP_STOPS.length);
});

test('a grid cell is a tenth of the element box, wherever the box is now', () => {
  const box = { left: 200, top: 300, width: 160, height: 48 };
  assert.deepEqual(cellRect({ x: 0, y: 0 }, box), { x: 200, y: 300, w: 16, h: 4.8 });
  const last = cellRect({ x: 9, y: 9 }, box);
  assert.equal(last.x + last.w, 360);
  assert.ok(Math.abs(last.y + last.h - 348) < 1e-9);
});

test('page bins: x in percent of the viewport width, y at the middle of its 16 px', () => {
  assert.deepEqual(pointPosition({ x: 37, y: 480 }, 1000), { x: 370, y: 488 });
  assert.deepEqual(pointPosition({ x: 100, y: 0, fixed: true }, 1280), { x: 1280, y: 8 });
});

test('clicks drawn on their element are taken out of the page bins, the rest stay', () => {
  const points = [
    { x: 37, y: 480, n: 12, fixed: false },
    { x: 10, y: 16, n: 3, fixed: true },
    { x: 50, y: 960, n: 2, fixed: false },
  ];
  const buy = { points: [{ x: 37, y: 480, n: 10, fixed: false }] };
  const menu = { points: [{ x: 10, y: 16, n: 3, fixed: true }] };
  assert.deepEqual(pointsOutside(points, [buy, menu]), [
    { x: 37, y: 480, n: 2, fixed: false },
    { x: 50, y: 960, n: 2, fixed: false },
  ]);
  assert.deepEqual(pointsOutside(points, []), points, 'no element resolved: every bin is drawn');
  assert.deepEqual(pointsOutside([{ x: 1, y: 0, n: 1, fixed: true }], [{ points: [{ x: 1, y: 0, n: 1, fixed: false }] }]),
    [{ x: 1, y: 0, n: 1, fixed: true }], 'a fixed bin is not the page bin at the same place');
});

test('reached lines are interpolated between the bands around the share', () => {
  const bands = [
    { y: 0, reached: 1 },
    { y: 100, reached: 0.9 },
    { y: 200, reached: 0.7 },
    { y: 300, reached: 0.4 },
    { y: 400, reached: 0.2 },
  ];
  assert.equal(reachedLine(bands, 0.75), 175);
  assert.ok(Math.abs(reachedLine(bands, 0.5) - 266.667) < 0.001);
  assert.equal(reachedLine(bands, 0.25), 375);
  assert.equal(reachedLine(bands, 0.1), 500, 'every band is above: the end of the last one');
  assert.equal(reachedLine([{ y: 0, reached: 0.2 }], 0.5), 0, 'already below at the top');
  assert.equal(reachedLine([], 0.5), null);
});

test('long pages are drawn at a lower resolution, within the canvas limits', () => {
  assert.equal(canvasScale(1280, 2000), 1);
  const scale = canvasScale(1280, 40000);
  assert.ok(1280 * scale * 40000 * scale <= MAX_CANVAS_PIXELS * 1.0001);
  assert.ok(canvasScale(400, 100000) * 100000 <= MAX_CANVAS_SIDE + 1e-6);
  assert.equal(canvasScale(0, 0), 1);
});

test('the request names site, path, type and device; the token is never in it', () => {
  assert.equal(
    heatmapUrl('https://stats.example', 'shop', '/p/1 a', 'click'),
    'https://stats.example/api/v1/sites/shop/heatmap?path=%2Fp%2F1+a&type=click',
  );
  assert.equal(
    heatmapUrl('https://stats.example', 'my site', '/', 'scroll', 'mobile'),
    'https://stats.example/api/v1/sites/my%20site/heatmap?path=%2F&type=scroll&device=mobile',
  );
});

test('the fragment: #footfall-heatmap= and a token of URL-safe characters, in both scripts', async () => {
  globalThis.document = { querySelector: () => null };
  const { HEATMAP_FRAGMENT } = await import('../src/heatmap.js');
  for (const [hash, token] of [
    ['#footfall-heatmap=abc.DEF_1-2~3', 'abc.DEF_1-2~3'],
    ['#footfall-heatmap=', undefined],
    ['#footfall-heatmap=a b', undefined],
    ['#footfall-heatmap=a&x=1', undefined],
    ['#other=abc', undefined],
    ['', undefined],
  ]) {
    assert.equal(heatmapToken(hash), token, hash);
    assert.equal(HEATMAP_FRAGMENT.test(hash), !!token, hash);
  }
});
