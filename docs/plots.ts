/** Line charts on a 2-D canvas for the learning page (no chart library). */

interface Series {
  ys: ArrayLike<number>;
  colour: string;
  dashed?: boolean;
  label?: string;
}

export interface ChartOptions {
  xs: ArrayLike<number>;
  series: Series[];
  /** y range; default from the data. */
  yMin?: number;
  yMax?: number;
  /** log10 y axis (values <= 0 are left out). */
  logY?: boolean;
  xLabel?: string;
  /** Where the legend goes (default top left). */
  legend?: 'top' | 'bottom';
}

export const PALETTE = [
  '#1864ab',
  '#d9480f',
  '#2b8a3e',
  '#862e9c',
  '#e67700',
  '#0b7285',
  '#c2255c',
];

export function drawChart(canvas: HTMLCanvasElement, o: ChartOptions): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const pad = { l: 48, r: 10, t: 10, b: 26 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const tf = (v: number) => (o.logY ? Math.log10(v) : v);
  const finite: number[] = [];
  for (const s of o.series)
    for (let i = 0; i < s.ys.length; i++) {
      const v = s.ys[i];
      if (Number.isFinite(v) && (!o.logY || v > 0)) finite.push(tf(v));
    }
  let lo = o.yMin !== undefined ? tf(o.yMin) : Math.min(...finite);
  let hi = o.yMax !== undefined ? tf(o.yMax) : Math.max(...finite);
  if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  const x0 = o.xs[0];
  const x1 = o.xs[o.xs.length - 1];
  const X = (x: number) => pad.l + ((w - pad.l - pad.r) * (x - x0)) / (x1 - x0);
  const Y = (v: number) => pad.t + ((h - pad.t - pad.b) * (hi - tf(v))) / (hi - lo);
  // Grid and ticks.
  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#e3e3e3';
  ctx.fillStyle = '#555';
  const yTicks = o.logY
    ? range(Math.ceil(lo), Math.floor(hi), Math.max(1, Math.ceil((hi - lo) / 8))).map(
        (e) => 10 ** e,
      )
    : niceTicks(lo, hi);
  for (const v of yTicks) {
    ctx.beginPath();
    ctx.moveTo(pad.l, Y(v));
    ctx.lineTo(w - pad.r, Y(v));
    ctx.stroke();
    ctx.fillText(o.logY ? `1e${Math.round(Math.log10(v))}` : String(+v.toFixed(2)), 4, Y(v) + 4);
  }
  for (const v of niceTicks(x0, x1)) {
    ctx.beginPath();
    ctx.moveTo(X(v), pad.t);
    ctx.lineTo(X(v), h - pad.b);
    ctx.stroke();
    ctx.fillText(String(+v.toFixed(2)), X(v) - 6, h - pad.b + 14);
  }
  if (o.xLabel) ctx.fillText(o.xLabel, w - pad.r - ctx.measureText(o.xLabel).width, h - 2);
  // Axes through 0 when in view.
  ctx.strokeStyle = '#999';
  if (!o.logY && lo < 0 && hi > 0) line(ctx, pad.l, Y(0), w - pad.r, Y(0));
  if (x0 < 0 && x1 > 0) line(ctx, X(0), pad.t, X(0), h - pad.b);
  // Series, clipped to the plot area.
  ctx.save();
  ctx.beginPath();
  ctx.rect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  ctx.clip();
  for (const s of o.series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [6, 4] : []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.ys.length; i++) {
      const v = s.ys[i];
      if (!Number.isFinite(v) || (o.logY && v <= 0)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(X(o.xs[i]), Y(v));
      else ctx.moveTo(X(o.xs[i]), Y(v));
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
  // Legend.
  const labelled = o.series.filter((s) => s.label);
  const top = o.legend === 'bottom' ? h - pad.b - 8 - 14 * labelled.length : pad.t;
  labelled.forEach((s, k) => {
    ctx.fillStyle = s.colour;
    ctx.fillText(s.label!, pad.l + 8, top + 14 + 14 * k);
  });
}

function line(ctx: CanvasRenderingContext2D, a: number, b: number, c: number, d: number) {
  ctx.beginPath();
  ctx.moveTo(a, b);
  ctx.lineTo(c, d);
  ctx.stroke();
}

function range(a: number, b: number, step: number): number[] {
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
}

function niceTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  const step0 = 10 ** Math.floor(Math.log10(span / 5));
  const step = [1, 2, 5, 10].map((m) => m * step0).find((s) => span / s <= 8) ?? step0 * 10;
  return range(Math.ceil(lo / step) * step, hi + 1e-9, step);
}

/** Horizontal bars with labels and values (for probabilities). */
export function drawBars(
  canvas: HTMLCanvasElement,
  bars: { label: string; value: number; colour: string }[],
  max = 1,
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.font = '13px system-ui, sans-serif';
  const rowH = h / bars.length;
  bars.forEach((b, i) => {
    const y = i * rowH;
    ctx.fillStyle = '#f1f3f5';
    ctx.fillRect(80, y + 6, w - 140, rowH - 12);
    ctx.fillStyle = b.colour;
    ctx.fillRect(80, y + 6, ((w - 140) * Math.max(0, Math.min(b.value, max))) / max, rowH - 12);
    ctx.fillStyle = '#222';
    ctx.fillText(b.label, 6, y + rowH / 2 + 4);
    ctx.fillText(b.value.toFixed(3), w - 54, y + rowH / 2 + 4);
  });
}
