/**
 * What each chart of the bench page shows: which rows, and the Chart.js
 * configuration of the ratio bars, the GB/s scatter and the fused bars.
 */
import { Chart, type ChartConfiguration, type ChartDataset, type Plugin } from 'chart.js';
import { FONT, valueLabels, type Point } from './chart-plugins.js';
import { rowKey } from './rows.js';
import { perCallText } from './summary.js';
import type { Row } from './types.js';

/** The implementations the bar and point charts show, in legend order. */
const IMPLS = ['ours', 'tf', 'ort', 'naive', 'cpu'] as const;
const LABEL: Record<string, string> = {
  ours: 'ours',
  tf: 'TF.js',
  ort: 'ORT Web',
  naive: 'naive WGSL',
  cpu: 'CPU loop',
  fused: 'fused',
  unfused: 'unfused (our kernels in sequence)',
  'copy-kernel': 'copy kernel (1 in, 1 out)',
  'copy2-kernel': 'copy kernel (2 in, 1 out)',
};
const COLOR: Record<string, string> = {
  ours: '#1a9641',
  tf: '#e66101',
  ort: '#3a64c8',
  naive: '#999999',
  cpu: '#8e3b8e',
  fused: '#0b5d8c',
  unfused: '#9ecae1',
  'copy-kernel': '#111111',
  'copy2-kernel': '#777777',
};
export const WIDTH = 620;
/** The ratio axis ends at most here; longer bars are cut at the edge, their value inside. */
export const RATIO_CAP = 2;

/** A text Chart.js drew, and its box in canvas pixels. */

// ---- what each chart shows ---------------------------------------------------

/** The dtype the charts show: float32 (the peers' dtype) when it ran. */
function chartDtype(rows: Row[]): string {
  return rows.some((r) => r.dtype === 'float32') || !rows.length ? 'float32' : rows[0].dtype;
}

/**
 * Chart 1's rows: ours and the peers with a ratio, the largest elementwise
 * size (every softmax shape worth a ratio), the chart's dtype.
 */
export function ratioRows(rows: Row[]): Row[] {
  const dtype = chartDtype(rows);
  const withRatio = rows.filter(
    (r) => r.dtype === dtype && r.ratio !== null && (IMPLS as readonly string[]).includes(r.impl),
  );
  const largest = Math.max(0, ...withRatio.filter((r) => r.shape.length === 1).map((r) => r.size));
  return withRatio.filter((r) => r.shape.length > 1 || r.size === largest);
}

/** Chart 2's rows: every row of ours and the peers with a GB/s figure, the chart's dtype. */
export function gbpsRows(rows: Row[]): Row[] {
  const dtype = chartDtype(rows);
  return rows.filter(
    (r) => r.dtype === dtype && r.gbps !== null && (IMPLS as readonly string[]).includes(r.impl),
  );
}

/** Chart 2's reference lines: the copy kernels of the chart's dtype. */
export function ceilingRows(rows: Row[]): Row[] {
  const dtype = chartDtype(rows);
  return rows.filter(
    (r) =>
      r.impl === 'ceiling' &&
      r.dtype === dtype &&
      r.gbps !== null &&
      (r.op === 'copy-kernel' || r.op === 'copy2-kernel'),
  );
}

/** Chart 3's rows: fused and unfused rows with a time, each op and dtype at its largest size. */
export function fusedRows(rows: Row[]): Row[] {
  const timed = rows.filter((r) => (r.impl === 'fused' || r.impl === 'unfused') && r.ms !== null);
  const largest = (r: Row) =>
    Math.max(...timed.filter((x) => x.op === r.op && x.dtype === r.dtype).map((x) => x.size));
  return timed.filter((r) => r.size === largest(r));
}

const sizeText = (n: number) =>
  n >= 1 << 20 ? `${n / (1 << 20)}M` : n >= 1024 ? `${n / 1024}K` : `${n}`;
const shapeText = (s: number[]) => (s.length > 1 ? s.join('x') : sizeText(s[0]));

const axisTitle = (text: string) => ({
  display: true,
  text,
  font: { ...FONT, size: 12 },
  color: '#333',
});
const titles = (title: string, subtitle: string) => ({
  title: {
    display: true,
    text: title,
    align: 'start' as const,
    font: { ...FONT, size: 14, weight: 'bold' as const },
    color: '#222',
    padding: { top: 4, bottom: 2 },
  },
  subtitle: {
    display: true,
    text: subtitle,
    align: 'start' as const,
    font: { ...FONT, size: 11 },
    color: '#555',
    padding: { bottom: 6 },
  },
  legend: {
    position: 'top' as const,
    align: 'start' as const,
    labels: { font: { ...FONT, size: 11 }, boxWidth: 12, boxHeight: 12, padding: 10 },
  },
  tooltip: { enabled: false },
});

/** Chart 1, one panel: the rows of one direction as horizontal bars grouped by op (and shape). */
export function ratioConfig(
  dir: string,
  rows: Row[],
  xMax: number,
): ChartConfiguration<'bar', Point[]> {
  const mine = rows.filter((r) => r.dir === dir);
  const groups = [
    ...new Set(mine.map((r) => (r.shape.length > 1 ? `${r.op} ${shapeText(r.shape)}` : r.op))),
  ];
  const group = (r: Row) => (r.shape.length > 1 ? `${r.op} ${shapeText(r.shape)}` : r.op);
  const impls = IMPLS.filter((i) => mine.some((r) => r.impl === i));
  const size = mine.find((r) => r.shape.length === 1)?.size;
  const datasets: ChartDataset<'bar', Point[]>[] = impls.map((impl) => ({
    label: LABEL[impl],
    backgroundColor: COLOR[impl],
    data: groups.map((g) => {
      const r = mine.find((x) => x.impl === impl && group(x) === g);
      return r
        ? {
            x: Math.min(r.ratio!, xMax),
            y: g,
            key: rowKey(r),
            label: `${r.ratio!.toFixed(2)}${r.ratio! > xMax ? ' >' : ''}`,
          }
        : { x: null, y: g, key: '' };
    }),
  }));
  const ceiling = dir === 'forward' ? 'copy kernel' : 'two-input copy kernel';
  return {
    type: 'bar',
    data: { labels: groups, datasets },
    options: {
      indexAxis: 'y',
      responsive: false,
      animation: false,
      skipNull: true,
      datasets: { bar: { maxBarThickness: 14, categoryPercentage: 0.86, barPercentage: 0.92 } },
      layout: { padding: { right: 12, left: 4, bottom: 4 } },
      plugins: titles(
        `${dir === 'forward' ? 'Forward' : 'Backward'}: share of the ${ceiling}`,
        `${rows[0]?.dtype ?? ''}${size ? `, elementwise at ${sizeText(size)} elements` : ''}; 1.00 = as fast as a copy of the same bytes`,
      ),
      scales: {
        x: {
          min: 0,
          max: xMax,
          ticks: {
            stepSize: xMax > 1.5 ? 0.5 : 0.25,
            callback: (v) => `${+Number(v).toFixed(2)}`,
            font: { ...FONT, size: 10 },
          },
          grid: {
            color: (c) => (c.tick?.value === 1 ? '#444' : '#e6e6e6'),
            lineWidth: (c) => (c.tick?.value === 1 ? 1.5 : 1),
          },
          title: axisTitle(`GB/s over the same-run ${ceiling}'s`),
        },
        y: {
          ticks: { autoSkip: false, font: { ...FONT, size: 11 }, color: '#222' },
          grid: { display: false },
          title: axisTitle('op (softmax family: rows x columns)'),
        },
      },
    },
    plugins: [valueLabels as unknown as Plugin<'bar', Point[]>],
  };
}

/** Where an implementation's points sit beside the others' at the same size (in octaves). */
const DODGE_OCTAVES = 0.2;

export function gbpsConfig(rows: Row[], ceilings: Row[]): ChartConfiguration<'scatter', Point[]> {
  const impls = IMPLS.filter((i) => rows.some((r) => r.impl === i));
  const sizes = [...new Set([...rows, ...ceilings].map((r) => r.size))].sort((a, b) => a - b);
  const values = [...rows, ...ceilings].map((r) => r.gbps!).filter((g) => g > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 1)));
  const datasets: ChartDataset<'scatter', Point[]>[] = impls.map((impl, k) => {
    const shift = 2 ** ((k - (impls.length - 1) / 2) * DODGE_OCTAVES);
    return {
      label: LABEL[impl],
      backgroundColor: COLOR[impl],
      borderColor: COLOR[impl],
      pointStyle: (c) =>
        ((c.raw as Point | undefined)?.dir === 'backward' ? 'triangle' : 'circle') as 'circle',
      pointRadius: 4,
      // Forward a little left of backward, so the two shapes of one implementation part.
      data: rows
        .filter((r) => r.impl === impl)
        .map((r) => ({
          x: r.size * shift * 2 ** ((r.dir === 'forward' ? -0.25 : 0.25) * DODGE_OCTAVES),
          y: r.gbps!,
          key: rowKey(r),
          dir: r.dir,
        })),
    };
  });
  // Each copy kernel a flat segment across the points of its size (visible with one size too),
  // joined to the next size's; the segment's first point is the row's mark.
  const span = 2 ** (((impls.length + 1) / 2) * DODGE_OCTAVES);
  for (const op of ['copy-kernel', 'copy2-kernel']) {
    const line = ceilings.filter((r) => r.op === op).sort((a, b) => a.size - b.size);
    if (!line.length) continue;
    datasets.push({
      label: LABEL[op],
      borderColor: COLOR[op],
      backgroundColor: COLOR[op],
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      pointStyle: 'line',
      showLine: true,
      data: line.flatMap((r) => [
        { x: r.size / span, y: r.gbps!, key: rowKey(r) },
        { x: r.size * span, y: r.gbps!, key: '' },
      ]),
    });
  }
  const decades: number[] = [];
  for (let d = lo; d <= hi * 1.001; d *= 10)
    for (const m of [1, 2, 5]) if (d * m <= hi * 1.001) decades.push(d * m);
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { right: 16, left: 4, bottom: 4 } },
      plugins: {
        ...titles(
          'Effective GB/s against elements',
          `${rows[0]?.dtype ?? ''}, every row: circle forward, triangle backward; dashed: the copy kernels`,
        ),
        legend: {
          ...titles('', '').legend,
          labels: {
            ...titles('', '').legend.labels,
            usePointStyle: true,
            // A circle per implementation, a line per copy kernel (the points' own shapes vary).
            generateLabels: (chart) =>
              Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => ({
                ...item,
                pointStyle: /copy kernel/.test(item.text) ? 'line' : 'circle',
              })),
          },
        },
      },
      scales: {
        x: {
          type: 'logarithmic',
          min: sizes[0] / 2.5,
          max: sizes[sizes.length - 1] * 2.5,
          afterBuildTicks: (s) => {
            s.ticks = sizes.map((value) => ({ value }));
          },
          ticks: { callback: (v) => sizeText(Number(v)), font: { ...FONT, size: 10 } },
          grid: { color: '#e6e6e6' },
          title: axisTitle('elements (log scale)'),
        },
        y: {
          type: 'logarithmic',
          min: lo,
          max: hi,
          afterBuildTicks: (s) => {
            s.ticks = decades.map((value) => ({ value }));
          },
          ticks: { callback: (v) => `${Number(v)}`, font: { ...FONT, size: 10 } },
          grid: { color: (c) => (/^1/.test(`${c.tick?.value}`) ? '#d0d0d0' : '#eeeeee') },
          title: axisTitle('GB/s: minimum bytes / median time (log)'),
        },
      },
    },
  };
}

export function fusedConfig(rows: Row[]): ChartConfiguration<'bar', Point[]> {
  const name = (r: Row) =>
    `${r.op} ${shapeText(r.shape)}${rows.some((x) => x.dtype !== r.dtype) ? ` ${r.dtype}` : ''}`;
  const groups = [...new Set(rows.map(name))];
  const datasets: ChartDataset<'bar', Point[]>[] = (['fused', 'unfused'] as const).map((impl) => ({
    label: LABEL[impl],
    backgroundColor: COLOR[impl],
    data: groups.map((g) => {
      const r = rows.find((x) => x.impl === impl && name(x) === g);
      if (!r) return { x: null, y: g, key: '' };
      const ratio = impl === 'fused' && r.vsUnfused != null ? ` (${r.vsUnfused.toFixed(2)}x)` : '';
      return { x: r.ms, y: g, key: rowKey(r), label: `${perCallText(r.ms!)}${ratio}` };
    }),
  }));
  return {
    type: 'bar',
    data: { labels: groups, datasets },
    options: {
      indexAxis: 'y',
      responsive: false,
      animation: false,
      skipNull: true,
      datasets: { bar: { maxBarThickness: 16, categoryPercentage: 0.8 } },
      layout: { padding: { right: 12, left: 4, bottom: 4 } },
      plugins: titles(
        'Fused against unfused: time per call',
        'shorter is faster; in brackets: fused time / unfused time, same run',
      ),
      scales: {
        x: {
          min: 0,
          // Room for the labels beside the longest bar.
          grace: '40%',
          ticks: {
            callback: (v) => (Number(v) === 0 ? '0' : perCallText(Number(v))),
            maxTicksLimit: 6,
            font: { ...FONT, size: 10 },
          },
          grid: { color: '#e6e6e6' },
          title: axisTitle('median time per call'),
        },
        y: {
          ticks: { autoSkip: false, font: { ...FONT, size: 11 }, color: '#222' },
          grid: { display: false },
          title: axisTitle('fused op and shape'),
        },
      },
    },
    plugins: [valueLabels as unknown as Plugin<'bar', Point[]>],
  };
}
