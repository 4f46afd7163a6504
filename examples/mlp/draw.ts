/**
 * Canvas drawing for the MLP page and the learning page: a loss curve and a
 * decision boundary (class-1 probability over a grid, with the points).
 */
import type { Dataset } from './data.js';

/** The square the boundary covers, and the grid it is sampled on. */
const EXTENT = 1.25;

/** Row-major grid points [g*g, 2] over [-EXTENT, EXTENT]^2 (row 0 at the top). */
export function gridPoints(g: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(g * g * 2);
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      const i = r * g + c;
      out[2 * i] = -EXTENT + (2 * EXTENT * (c + 0.5)) / g;
      out[2 * i + 1] = EXTENT - (2 * EXTENT * (r + 0.5)) / g;
    }
  }
  return out;
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  return ctx;
}

const CLASS_COLOURS = ['#d9480f', '#1864ab'];

/**
 * probs: [g*g, 2] softmax outputs on gridPoints(g). The background shades
 * from class 0 (orange) to class 1 (blue); the 0.5 contour is where the
 * shading crosses white.
 */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  probs: Float32Array,
  g: number,
  data: Dataset,
): void {
  const ctx = context(canvas);
  const { width: w, height: h } = canvas;
  const img = ctx.createImageData(g, g);
  for (let i = 0; i < g * g; i++) {
    const p = probs[2 * i + 1];
    // Orange (217,72,15) at p = 0, white at 0.5, blue (24,100,171) at 1, washed out.
    const t = Math.abs(p - 0.5) * 2;
    const [r0, g0, b0] = p < 0.5 ? [217, 72, 15] : [24, 100, 171];
    const mix = (c: number) => Math.round(255 + (c - 255) * t * 0.45);
    img.data.set([mix(r0), mix(g0), mix(b0), 255], 4 * i);
  }
  const tmp = document.createElement('canvas');
  tmp.width = g;
  tmp.height = g;
  context(tmp).putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, w, h);
  ctx.drawImage(tmp, 0, 0, w, h);
  for (let i = 0; i < data.n; i++) {
    const x = ((data.x[2 * i] + EXTENT) / (2 * EXTENT)) * w;
    const y = ((EXTENT - data.x[2 * i + 1]) / (2 * EXTENT)) * h;
    ctx.fillStyle = CLASS_COLOURS[data.y[i]];
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** A loss curve on a log scale, steps on x. */
export function drawLoss(
  canvas: HTMLCanvasElement,
  curves: { label: string; colour: string; points: { step: number; loss: number }[] }[],
  maxStep: number,
): void {
  const ctx = context(canvas);
  const { width: w, height: h } = canvas;
  const pad = { l: 44, r: 8, t: 8, b: 22 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const all = curves.flatMap((c) => c.points.map((p) => p.loss)).filter((v) => v > 0);
  const hi = Math.log10(Math.max(1, ...all));
  const lo = Math.min(hi - 1, Math.floor(Math.log10(Math.min(...all, 1))));
  const X = (s: number) => pad.l + ((w - pad.l - pad.r) * s) / Math.max(1, maxStep);
  const Y = (v: number) =>
    pad.t + ((h - pad.t - pad.b) * (hi - Math.log10(Math.max(v, 1e-12)))) / (hi - lo);
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#555';
  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let e = Math.ceil(lo); e <= hi; e++) {
    ctx.beginPath();
    ctx.moveTo(pad.l, Y(10 ** e));
    ctx.lineTo(w - pad.r, Y(10 ** e));
    ctx.stroke();
    ctx.fillText(`1e${e}`, 4, Y(10 ** e) + 4);
  }
  ctx.fillText(String(maxStep), w - pad.r - 24, h - 6);
  ctx.fillText('0', pad.l, h - 6);
  curves.forEach((c, k) => {
    ctx.strokeStyle = c.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    c.points.forEach((p, i) =>
      i ? ctx.lineTo(X(p.step), Y(p.loss)) : ctx.moveTo(X(p.step), Y(p.loss)),
    );
    ctx.stroke();
    ctx.fillStyle = c.colour;
    ctx.fillText(c.label, pad.l + 8, pad.t + 14 + 14 * k);
  });
}
