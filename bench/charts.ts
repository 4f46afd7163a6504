/**
 * The page's charts, drawn with Chart.js (a dev dependency of the bench
 * page only), the same in the page and in bench/results/charts.png:
 *
 * 1. Throughput as a share of the copy kernel, per op and direction
 *    (one panel per direction): grouped bars of ours, TF.js, ORT Web, the
 *    naive kernel and the CPU loop, the value beside each bar.
 * 2. Effective GB/s against elements (log-log), every measured row a point,
 *    the copy kernels as reference lines (copyBufferToBuffer, a memcpy
 *    about 10x a shader here, is left out: it would set the scale).
 * 3. Where fused rows ran: fused against unfused time per call (each op
 *    and dtype at its largest size).
 *
 * Every mark carries its row's key (rowKey), and every text drawn is
 * recorded with its box, so bench/page.check.ts can prove the charts hold
 * one mark per measured row and that no two labels overlap (chartReport).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  SubTitle,
  Title,
} from 'chart.js';
import type { Row } from './types.js';

import { drawnTexts, recordTexts, type Point, type TextBox } from './chart-plugins.js';
import {
  ceilingRows,
  fusedConfig,
  fusedRows,
  gbpsConfig,
  gbpsRows,
  RATIO_CAP,
  ratioConfig,
  ratioRows,
  WIDTH,
} from './chart-configs.js';

export type { TextBox };

export interface ChartReport {
  id: string;
  width: number;
  height: number;
  /** rowKey of each drawn mark (a bar or a point), per dataset label. */
  marks: Record<string, string[]>;
  texts: TextBox[];
  axisTitles: string[];
  legend: string[];
}

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  LineElement,
  PointElement,
  ScatterController,
  Legend,
  Title,
  SubTitle,
  recordTexts,
);

// ---- drawing -----------------------------------------------------------------

const CHARTS = ['ratio-forward', 'ratio-backward', 'gbps', 'fused'] as const;

function place(id: string, height: number): HTMLCanvasElement {
  const box = document.getElementById(`chart-${id}`)!;
  let canvas = box.querySelector('canvas');
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.id = `${id}-chart`;
    box.appendChild(canvas);
  }
  box.hidden = false;
  Chart.getChart(canvas)?.destroy();
  canvas.style.width = `${WIDTH}px`;
  canvas.style.height = `${height}px`;
  canvas.width = WIDTH;
  canvas.height = height;
  return canvas;
}

function hide(id: string) {
  const box = document.getElementById(`chart-${id}`)!;
  const canvas = box.querySelector('canvas');
  if (canvas) Chart.getChart(canvas)?.destroy();
  box.hidden = true;
}

/** Draws (or redraws) every chart from the rows so far; a chart with nothing to show is hidden. */
export function drawCharts(rows: Row[]): void {
  const ratio = ratioRows(rows);
  // The scale is set by the GPU rows (and 1.0, the copy kernel): a CPU loop faster than the
  // shaders here runs off the edge with its value written inside the bar.
  const gpuMax = Math.max(1, ...ratio.filter((r) => r.impl !== 'cpu').map((r) => r.ratio!));
  const xMax = Math.ceil(Math.min(gpuMax, RATIO_CAP) * 1.1 * 4) / 4;
  const dirs = ['forward', 'backward'];
  const categories = dirs.map(
    (d) => new Set(ratio.filter((r) => r.dir === d).map((r) => `${r.op} ${r.shape.join()}`)).size,
  );
  const perGroup = Math.max(
    1,
    ...dirs.map((d) => {
      const counts = new Map<string, number>();
      for (const r of ratio.filter((x) => x.dir === d)) {
        const k = `${r.op} ${r.shape.join()}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return Math.max(0, ...counts.values());
    }),
  );
  // Both panels the same height, so their rows of bars line up; 15 px per bar keeps labels apart.
  const height = 150 + Math.max(...categories) * (perGroup * 15 + 8);
  dirs.forEach((d, i) => {
    if (categories[i]) {
      new Chart(place(`ratio-${d}`, height), ratioConfig(d, ratio, xMax));
    } else hide(`ratio-${d}`);
  });
  const g = gbpsRows(rows);
  if (g.length) new Chart(place('gbps', 460), gbpsConfig(g, ceilingRows(rows)));
  else hide('gbps');
  const f = fusedRows(rows);
  if (f.length) {
    const groups = new Set(f.map((r) => `${r.op}|${r.dtype}|${r.shape.join()}`)).size;
    new Chart(place('fused', Math.max(260, 150 + groups * 44)), fusedConfig(f));
  } else hide('fused');
}

/** Each drawn chart's marks, texts, axis titles and legend entries (for bench/page.check.ts). */
export function chartReport(): ChartReport[] {
  const out: ChartReport[] = [];
  for (const id of CHARTS) {
    const canvas = document.getElementById(`${id}-chart`) as HTMLCanvasElement | null;
    const chart = canvas ? Chart.getChart(canvas) : undefined;
    if (!chart || !canvas) continue;
    const area = chart.chartArea;
    const marks: Record<string, string[]> = {};
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      const keys: string[] = [];
      (ds.data as unknown as Point[]).forEach((p, j) => {
        const el = meta.data[j] as unknown as { x: number; y: number; base?: number };
        if (!p || p.x === null || !p.key || !el) return;
        const x = meta.type === 'bar' ? el.base! : el.x;
        const inside =
          Number.isFinite(x) &&
          Number.isFinite(el.y) &&
          x >= area.left - 1 &&
          x <= area.right + 1 &&
          el.y >= area.top - 1 &&
          el.y <= area.bottom + 1;
        if (inside) keys.push(p.key);
      });
      marks[ds.label ?? `dataset ${i}`] = keys;
    });
    const scales = chart.options.scales as Record<
      string,
      { title?: { display?: boolean; text?: string } }
    >;
    out.push({
      id,
      width: canvas.width,
      height: canvas.height,
      marks,
      texts: drawnTexts.get(chart) ?? [],
      axisTitles: Object.values(scales)
        .filter((s) => s.title?.display)
        .map((s) => String(s.title!.text)),
      legend: (chart.legend?.legendItems ?? []).map((l) => l.text),
    });
  }
  return out;
}
