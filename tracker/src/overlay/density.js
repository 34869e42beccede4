// Density rendering: every spot is a radial gradient of alpha drawn onto the canvas (they add
// up where they overlap), then each pixel's alpha picks its colour from the ramp. One pass of
// getImageData/putImageData, whatever the number of spots.
import { rampTable } from './ramp.js';

const PALETTE = rampTable();

// Spots are {x, y, r, weight} in CSS pixels of the layer, weight 0..1; `scale` is the ratio of
// the canvas's backing store to its CSS size.
export const drawDensity = (canvas, spots, scale) => {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.clearRect(0, 0, canvas.width, canvas.height);
  for (const { x, y, r, weight } of spots) {
    const [cx, cy, radius] = [x * scale, y * scale, Math.max(1, r * scale)];
    const gradient = context.createRadialGradient(cx, cy, 0, cx, cy, radius);
    gradient.addColorStop(0, `rgba(0,0,0,${Math.min(1, Math.max(0.08, weight))})`);
    gradient.addColorStop(1, 'rgba(0,0,0,0)');
    context.fillStyle = gradient;
    context.fillRect(cx - radius, cy - radius, radius * 2, radius * 2);
  }
  if (!spots[0] || !canvas.width || !canvas.height) return;
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const pixels = image.data;
  for (let i = 3; i < pixels.length; i += 4) {
    const alpha = pixels[i];
    if (alpha) pixels.set(PALETTE.subarray(alpha * 4, alpha * 4 + 4), i - 3);
  }
  context.putImageData(image, 0, 0);
};
