/** The page's two charts, drawn on <canvas> with no library. */
import type { Row } from './types.js';

const COLORS: Record<string, string> = {
  ours: '#2a9d3a',
  tf: '#e07b00',
  ort: '#3465d4',
  naive: '#999999',
  cpu: '#a0306e',
  'copy-kernel': '#000000',
  'copy2-kernel': '#555555',
  'exp-kernel': '#7a5c00',
  copyBufferToBuffer: '#bbbbbb',
  fused: '#0b5d8c',
  unfused: '#8cc2e0',
};
const IMPLS = ['ours', 'tf', 'ort', 'naive', 'cpu', 'fused', 'unfused'];

function frame(canvas: HTMLCanvasElement, title: string) {
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#222';
  ctx.font = '14px sans-serif';
  ctx.fillText(title, 10, 18);
  return ctx;
}

function legend(ctx: CanvasRenderingContext2D, names: string[], x: number) {
  ctx.font = '11px sans-serif';
  names.forEach((n, i) => {
    ctx.fillStyle = COLORS[n] ?? '#444';
    ctx.fillRect(x + i * 110, 8, 10, 10);
    ctx.fillStyle = '#222';
    ctx.fillText(n, x + 14 + i * 110, 17);
  });
}

/** Ratio to the copy ceiling per op and direction (float32, the largest size measured), ours beside each peer. */
export function drawRatioBars(canvas: HTMLCanvasElement, rows: Row[]): void {
  const ctx = frame(
    canvas,
    'ratio to copy-kernel ceiling, float32, largest size (softmax: first shape)',
  );
  const f32 = rows.filter((r) => r.dtype === 'float32' && r.impl !== 'ceiling');
  const largest = new Map<string, number>();
  for (const r of f32) {
    const k = `${r.op} ${r.dir}`;
    if (!largest.has(k) || (r.size > largest.get(k)! && r.shape.length === 1))
      largest.set(k, r.size);
  }
  const groups = [...largest.keys()];
  const firstShape = new Map<string, string>();
  for (const r of f32)
    if (!firstShape.has(`${r.op} ${r.dir}`)) firstShape.set(`${r.op} ${r.dir}`, r.shape.join('x'));
  const pick = (g: string, impl: string) =>
    f32.find(
      (r) =>
        `${r.op} ${r.dir}` === g &&
        r.impl === impl &&
        r.size === largest.get(g) &&
        r.shape.join('x') === firstShape.get(g),
    );
  const impls = IMPLS.filter((i) => f32.some((r) => r.impl === i));
  legend(ctx, impls, 420);
  const top = 30;
  const bottom = canvas.height - 70;
  const left = 40;
  const max = Math.max(1, ...f32.map((r) => r.ratio ?? 0).filter(Number.isFinite));
  const scale = (v: number) => bottom - (Math.min(v, max) / max) * (bottom - top);
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#444';
  ctx.font = '10px sans-serif';
  for (let v = 0; v <= max + 1e-9; v += max > 2 ? 1 : 0.25) {
    ctx.beginPath();
    ctx.moveTo(left, scale(v));
    ctx.lineTo(canvas.width - 10, scale(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(2), 4, scale(v) + 3);
  }
  const gw = (canvas.width - left - 10) / Math.max(1, groups.length);
  const bw = Math.max(2, (gw - 6) / Math.max(1, impls.length));
  groups.forEach((g, gi) => {
    const x0 = left + gi * gw + 3;
    impls.forEach((impl, ii) => {
      const r = pick(g, impl);
      if (!r) return;
      const x = x0 + ii * bw;
      if (r.ratio === null) {
        ctx.fillStyle = '#b00';
        ctx.fillText('×', x, bottom - 2);
        return;
      }
      ctx.fillStyle = COLORS[impl];
      ctx.fillRect(x, scale(r.ratio), bw - 1, bottom - scale(r.ratio));
    });
    ctx.save();
    ctx.translate(x0 + gw / 2, bottom + 6);
    ctx.rotate(Math.PI / 5);
    ctx.fillStyle = '#222';
    ctx.fillText(g, 0, 0);
    ctx.restore();
  });
}

/** Effective GB/s against size (log scale), float32: ceilings, ours per op, peers per op (dashed). */
export function drawGbpsLines(canvas: HTMLCanvasElement, rows: Row[]): void {
  const ctx = frame(
    canvas,
    'effective GB/s vs elements, float32 elementwise (thick: ceilings, solid: ours, dashed: peers)',
  );
  const pts = rows.filter((r) => r.dtype === 'float32' && r.gbps !== null && r.shape.length === 1);
  const series = new Map<string, Row[]>();
  for (const r of pts) {
    const k = r.impl === 'ceiling' ? r.op : `${r.impl}|${r.op}|${r.dir}`;
    if (!series.has(k)) series.set(k, []);
    series.get(k)!.push(r);
  }
  legend(
    ctx,
    [
      'copyBufferToBuffer',
      'copy-kernel',
      'copy2-kernel',
      ...IMPLS.filter((i) => pts.some((r) => r.impl === i)),
    ],
    560,
  );
  const top = 30;
  const bottom = canvas.height - 30;
  const left = 50;
  const right = canvas.width - 20;
  const sizes = pts.map((r) => Math.log2(r.size));
  const lo = Math.min(...sizes, 10);
  const hi = Math.max(...sizes, lo + 1);
  const maxG = Math.max(1e-3, ...pts.map((r) => r.gbps!));
  const X = (n: number) => left + ((Math.log2(n) - lo) / (hi - lo || 1)) * (right - left);
  const Y = (g: number) => bottom - (g / maxG) * (bottom - top);
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#444';
  ctx.font = '10px sans-serif';
  for (let i = 0; i <= 4; i++) {
    const g = (maxG * i) / 4;
    ctx.beginPath();
    ctx.moveTo(left, Y(g));
    ctx.lineTo(right, Y(g));
    ctx.stroke();
    ctx.fillText(g.toFixed(2), 4, Y(g) + 3);
  }
  for (const n of [...new Set(pts.map((r) => r.size))])
    ctx.fillText(n >= 1 << 20 ? `${n >> 20}M` : `${n >> 10}K`, X(n) - 8, bottom + 14);
  for (const [k, s] of series) {
    const impl = k.split('|')[0];
    s.sort((a, b) => a.size - b.size);
    ctx.strokeStyle = COLORS[impl] ?? '#444';
    ctx.lineWidth = impl in COLORS && !IMPLS.includes(impl) ? 3 : 1;
    ctx.setLineDash(impl === 'ours' || !IMPLS.includes(impl) ? [] : [4, 3]);
    ctx.beginPath();
    s.forEach((r, i) =>
      i ? ctx.lineTo(X(r.size), Y(r.gbps!)) : ctx.moveTo(X(r.size), Y(r.gbps!)),
    );
    ctx.stroke();
    for (const r of s) {
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillRect(X(r.size) - 2, Y(r.gbps!) - 2, 4, 4);
    }
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
}
