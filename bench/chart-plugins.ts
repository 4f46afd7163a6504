/**
 * Chart.js plugins of the bench page's charts: one records every text drawn
 * with its box (so bench/page.check.ts can prove no two labels overlap), one
 * writes each bar's value beside it.
 */
import { Chart, type Plugin } from 'chart.js';

/** The charts' one font. */
export const FONT = { family: 'system-ui, sans-serif' };

/** A text Chart.js drew, and its box in canvas pixels. */
export interface TextBox {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What bench/page.check.ts asserts on, per chart. */

/** A mark: its position, the rowKey of its row, and the label written beside it. */
export interface Point {
  x: number | null;
  y: number | string | null;
  key: string;
  label?: string;
  dir?: string;
}

// ---- plugins: record every text drawn; write the value beside each bar ---------

export const drawnTexts = new WeakMap<Chart, TextBox[]>();
const plainFillText = new WeakMap<Chart, CanvasRenderingContext2D['fillText']>();

/** Wraps fillText while the chart draws, keeping each text's box (for the overlap check). */
export const recordTexts: Plugin = {
  id: 'recordTexts',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    const boxes: TextBox[] = [];
    drawnTexts.set(chart, boxes);
    const fill = ctx.fillText;
    plainFillText.set(chart, fill);
    ctx.fillText = (text: string, x: number, y: number, maxWidth?: number) => {
      const m = ctx.measureText(text);
      const t = ctx.getTransform();
      const corners = [
        [x - m.actualBoundingBoxLeft, y - m.actualBoundingBoxAscent],
        [x + m.actualBoundingBoxRight, y - m.actualBoundingBoxAscent],
        [x - m.actualBoundingBoxLeft, y + m.actualBoundingBoxDescent],
        [x + m.actualBoundingBoxRight, y + m.actualBoundingBoxDescent],
      ].map(([px, py]) => new DOMPoint(px, py).matrixTransform(t));
      if (String(text).trim())
        boxes.push({
          text: String(text),
          x0: Math.min(...corners.map((p) => p.x)),
          y0: Math.min(...corners.map((p) => p.y)),
          x1: Math.max(...corners.map((p) => p.x)),
          y1: Math.max(...corners.map((p) => p.y)),
        });
      if (maxWidth === undefined) fill.call(ctx, text, x, y);
      else fill.call(ctx, text, x, y, maxWidth);
    };
  },
  afterDraw(chart) {
    const fill = plainFillText.get(chart);
    if (fill) chart.ctx.fillText = fill;
  },
};

/** The value of each horizontal bar beside its end (inside the bar, in white, where it runs off the axis). */
export const valueLabels: Plugin<'bar'> = {
  id: 'valueLabels',
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    const area = chart.chartArea;
    ctx.save();
    ctx.font = `10px ${FONT.family}`;
    ctx.textBaseline = 'middle';
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden || meta.type !== 'bar') return;
      (ds.data as unknown as Point[]).forEach((p, j) => {
        const el = meta.data[j] as unknown as { x: number; y: number; base: number };
        if (!p || p.x === null || !p.label || !Number.isFinite(el?.y)) return;
        const w = ctx.measureText(p.label).width;
        const outside = el.x + 4 + w <= area.right;
        ctx.fillStyle = outside ? '#222' : '#fff';
        ctx.textAlign = outside ? 'left' : 'right';
        ctx.fillText(p.label, outside ? el.x + 4 : Math.min(el.x, area.right) - 4, el.y);
      });
    });
    ctx.restore();
  },
};
