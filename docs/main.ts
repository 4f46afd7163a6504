/**
 * The learning page: why activations exist, every activation and its
 * derivative, the vanishing gradient, and output layers, in English and
 * Japanese. Everything plotted is computed by this library's kernels on the
 * page's GPU device; the text about each op (formula, range, where it is
 * used, parameters) comes from the activation table.
 *
 * Query: ?lang=ja, ?steps=N (training steps of section 1, default 80).
 * window.__page tells a driver (docs/pages.check.ts) when all plots are drawn.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  activationNames,
  activations,
  createActivations,
  type ActivationName,
  type Activations,
  type ParamSpec,
  type Tensor,
} from '../src/index.js';
import { gaussian, makeDataset, rng } from '../examples/mlp/data.js';
import { drawBoundary, gridPoints } from '../examples/mlp/draw.js';
import { tfOnDevice, train } from '../examples/mlp/train.js';
import { strings, type Key, type Lang } from './i18n.js';
import { drawBars, drawChart, PALETTE } from './plots.js';

interface PageState {
  state: 'running' | 'done' | 'error';
  error: string | null;
}
const page: PageState = { state: 'running', error: null };
(window as unknown as { __page: PageState }).__page = page;

const q = new URLSearchParams(location.search);
let lang: Lang = q.get('lang') === 'ja' ? 'ja' : 'en';
const t = <K extends Key>(k: K) => strings[lang][k];
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Re-renders whatever shows text: called on load and on each language switch. */
const rerender: (() => void)[] = [];

function applyLanguage(): void {
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n]'))) {
    el.textContent = String(t(el.dataset.i18n as Key));
  }
  for (const f of rerender) f();
}

$('lang').addEventListener('click', () => {
  lang = lang === 'en' ? 'ja' : 'en';
  applyLanguage();
});

// ---- 2. every activation and its derivative ------------------------------------

const XS = Float32Array.from({ length: 481 }, (_, i) => -6 + (12 * i) / 480);
const ONES = new Float32Array(XS.length).fill(1);
const values: Partial<Record<ActivationName, Record<string, number | string>>> = {};

function paramsOf(op: ActivationName): Record<string, number | string> {
  const specs = activations[op].params as Record<string, ParamSpec>;
  values[op] ??= Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default]));
  return values[op]!;
}

/** A slider's range derived from the parameter's rule and default. */
function sliderRange(name: string, s: ParamSpec & { kind: 'number' }): [number, number, number] {
  const d = s.default;
  if (s.range === 'positive') return [0.05, Math.max(5, 3 * d), 0.05];
  if (name === 'threshold') return [0, 40, 1];
  const span = Math.max(2, 3 * Math.abs(d));
  return [+(d - span).toFixed(2), +(d + span).toFixed(2), 0.01];
}

async function curves(act: Activations, op: ActivationName) {
  const p = paramsOf(op) as never;
  const y = await act.apply(op, XS, p);
  const d = await act.grad(op, XS, ONES, p);
  return { y, d };
}

async function drawExplorer(act: Activations): Promise<void> {
  const op = $<HTMLSelectElement>('op').value as ActivationName;
  const ops = [
    op,
    ...Array.from(document.querySelectorAll<HTMLInputElement>('#compare input:checked'))
      .map((c) => c.value as ActivationName)
      .filter((o) => o !== op),
  ];
  const series = [];
  for (const [i, o] of ops.entries()) {
    const { y, d } = await curves(act, o);
    const colour = PALETTE[i % PALETTE.length];
    series.push({ ys: y, colour, label: o }, { ys: d, colour, dashed: true });
  }
  drawChart($('plot'), { xs: XS, series, yMin: -2, yMax: 6.5, xLabel: 'x' });
}

function renderInfo(op: ActivationName): void {
  const d = activations[op];
  const specs = Object.entries(d.params as Record<string, ParamSpec>);
  const rows: [string, string][] = [
    [t('formula'), d.formula],
    [t('range'), d.range],
    [t('usedIn'), t(d.usedIn)],
    [t('nanInf'), d.nanInf],
    [
      t('params'),
      specs.length
        ? specs.map(([k, s]) => `${k} = ${s.default} (${s.doc})`).join('; ')
        : t('noParams'),
    ],
  ];
  const table = $('info');
  table.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      for (const [text, code] of [
        [k, false],
        [v, true],
      ] as const) {
        const td = document.createElement('td');
        if (code) td.append(Object.assign(document.createElement('code'), { textContent: text }));
        else td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function renderParams(act: Activations, op: ActivationName): void {
  const box = $('params');
  box.replaceChildren();
  const p = paramsOf(op);
  for (const [name, s] of Object.entries(activations[op].params as Record<string, ParamSpec>)) {
    const label = document.createElement('label');
    label.className = 'param';
    const out = document.createElement('span');
    if (s.kind === 'enum') {
      const sel = document.createElement('select');
      for (const v of s.values) sel.add(new Option(v, v, v === p[name], v === p[name]));
      sel.addEventListener('change', () => {
        p[name] = sel.value;
        void drawExplorer(act);
      });
      label.append(`${name} `, sel);
    } else {
      const [min, max, step] = sliderRange(name, s);
      const input = Object.assign(document.createElement('input'), {
        type: 'range',
        min: String(min),
        max: String(max),
        step: String(step),
        value: String(p[name]),
      });
      out.textContent = ` ${(+p[name]).toFixed(3)}`;
      input.addEventListener('input', () => {
        p[name] = Number(input.value);
        out.textContent = ` ${Number(input.value).toFixed(3)}`;
        void drawExplorer(act);
      });
      label.append(`${name} `, input, out);
    }
    box.append(label);
  }
}

async function setupExplorer(act: Activations): Promise<void> {
  const sel = $<HTMLSelectElement>('op');
  for (const op of activationNames) sel.add(new Option(op, op, op === 'gelu', op === 'gelu'));
  const compare = $('compare');
  for (const op of activationNames) {
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: op });
    box.checked = op === 'relu' || op === 'sigmoid';
    box.addEventListener('change', () => void drawExplorer(act));
    const label = document.createElement('label');
    label.append(box, ` ${op}`);
    compare.append(label);
  }
  const update = () => {
    const op = sel.value as ActivationName;
    renderParams(act, op);
    renderInfo(op);
    return drawExplorer(act);
  };
  sel.addEventListener('change', () => void update());
  rerender.push(() => renderInfo(sel.value as ActivationName));
  await update();
}

// ---- 3. the vanishing gradient --------------------------------------------------

const DEPTH = 50;
const BATCH = 256;

/**
 * Mean |dL/dx0| through stacks x_k = f(x_{k-1}) of depth 1..DEPTH, with
 * dL/dx_depth = 1: one backward kernel per layer, chained. Each depth's
 * input gradient lands in its own 1 KiB slice of one buffer (offsets are
 * multiples of 256), read once at the end.
 */
async function vanishing(act: Activations, op: ActivationName): Promise<number[]> {
  const u = rng(42);
  const xs: Tensor[] = [act.tensor(Float32Array.from({ length: BATCH }, () => gaussian(u)))];
  for (let k = 1; k < DEPTH; k++) xs.push(act.forward(op, xs[k - 1]));
  const all = act.empty([DEPTH, BATCH]);
  const ones = act.tensor(new Float32Array(BATCH).fill(1));
  const made: Tensor[] = [...xs, ones];
  for (let d = 1; d <= DEPTH; d++) {
    let g = ones;
    for (let k = d - 1; k >= 0; k--) {
      const out =
        k === 0 ? act.wrap(all.buffer, [BATCH], { byteOffset: (d - 1) * BATCH * 4 }) : undefined;
      g = act.backward(op, { x: xs[k], dy: g }, out ? { out } : undefined);
      made.push(g);
    }
  }
  const grads = await all.read();
  for (const m of made) m.destroy();
  all.destroy();
  return Array.from({ length: DEPTH }, (_, d) => {
    let s = 0;
    for (let i = 0; i < BATCH; i++) s += Math.abs(grads[d * BATCH + i]);
    return s / BATCH;
  });
}

async function setupVanishing(act: Activations): Promise<void> {
  const ops: ActivationName[] = ['sigmoid', 'tanh', 'relu', 'gelu'];
  const results: number[][] = [];
  for (const op of ops) results.push(await vanishing(act, op));
  const depths = Array.from({ length: DEPTH }, (_, i) => i + 1);
  const draw = () =>
    drawChart($('vanish'), {
      xs: depths,
      logY: true,
      yMin: 1e-32,
      yMax: 10,
      xLabel: t('depth'),
      legend: 'bottom',
      series: [
        ...ops.map((op, i) => ({ ys: results[i], colour: PALETTE[i], label: op })),
        {
          ys: depths.map((d) => 0.25 ** d),
          colour: '#868e96',
          dashed: true,
          label: t('vanishBound'),
        },
      ],
    });
  rerender.push(draw);
  draw();
}

// ---- 4. output layers -------------------------------------------------------------

async function setupOutputs(act: Activations): Promise<void> {
  const regZ = $<HTMLInputElement>('reg-z');
  const binZ = $<HTMLInputElement>('bin-z');
  const scores = [2.0, 1.0, -0.5];
  const sliders = scores.map((v, i) => {
    const input = Object.assign(document.createElement('input'), {
      type: 'range',
      min: '-4',
      max: '4',
      step: '0.1',
      value: String(v),
    });
    const label = document.createElement('label');
    label.className = 'param';
    const name = document.createElement('span');
    label.append(name, input);
    $('multi-sliders').append(label);
    return { input, name, i };
  });
  const numberLine = (
    canvas: HTMLCanvasElement,
    v: number,
    lo: number,
    hi: number,
    text: string,
  ) => {
    const ctx = canvas.getContext('2d')!;
    const { width: w, height: h } = canvas;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const X = (x: number) => 20 + ((w - 40) * (x - lo)) / (hi - lo);
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(X(lo), h - 20);
    ctx.lineTo(X(hi), h - 20);
    ctx.stroke();
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#555';
    for (const k of [lo, (lo + hi) / 2, hi]) ctx.fillText(String(k), X(k) - 6, h - 4);
    ctx.fillStyle = '#1864ab';
    ctx.beginPath();
    ctx.arc(X(Math.max(lo, Math.min(hi, v))), h - 20, 7, 0, 2 * Math.PI);
    ctx.fill();
    ctx.font = '14px system-ui, sans-serif';
    ctx.fillStyle = '#222';
    ctx.fillText(text, 20, 18);
  };
  const draw = async () => {
    const [y] = await act.apply('identity', new Float32Array([Number(regZ.value)]));
    numberLine($('out-identity'), y, -5, 5, `${t('value')} = ${y.toFixed(2)}`);
    const [p] = await act.apply('sigmoid', new Float32Array([Number(binZ.value)]));
    numberLine(
      $('out-sigmoid'),
      p,
      0,
      1,
      `${t('probability')} = sigmoid(${binZ.value}) = ${p.toFixed(3)}`,
    );
    const z = Float32Array.from(sliders, (s) => Number(s.input.value));
    const probs = await act.apply('softmax', z, { shape: [1, 3] });
    const names = t('classes');
    sliders.forEach((s) => (s.name.textContent = `${names[s.i]} ${t('score')} ${s.input.value} `));
    const sum = probs.reduce((a, b) => a + b, 0);
    drawBars(
      $('out-softmax'),
      [
        ...names.map((label, i) => ({ label, value: probs[i], colour: PALETTE[i] })),
        { label: t('sum'), value: sum, colour: '#868e96' },
      ],
      1,
    );
  };
  for (const el of [regZ, binZ, ...sliders.map((s) => s.input)])
    el.addEventListener('input', () => void draw());
  rerender.push(() => void draw());
  await draw();
}

// ---- 1. why activations exist ------------------------------------------------------

async function setupWhy(act: Activations): Promise<void> {
  const backend = await tfOnDevice(act);
  const steps = Math.max(1, Number(q.get('steps')) || 80);
  const trainSet = makeDataset('rings', 256, 1);
  const testSet = makeDataset('rings', 256, 2);
  const G = 40;
  const grid = tf.tensor2d(gridPoints(G), [G * G, 2]);
  const accuracy: Record<string, number> = {};
  const captions = () => {
    for (const [id, key] of [
      ['linear', 'whyLinear'],
      ['relu', 'whyRelu'],
    ] as const) {
      const a = accuracy[id];
      $(`why-${id}-caption`).textContent =
        t(key) +
        (a === undefined
          ? ` (${t('loading')})`
          : ` \u2014 ${t('whyAccuracy')} ${(100 * a).toFixed(1)}%`);
    }
  };
  rerender.push(captions);
  captions();
  for (const [id, activation] of [
    ['linear', 'identity'],
    ['relu', 'relu'],
  ] as const) {
    const { mlp } = await train(act, backend, trainSet, {
      hidden: [16],
      activation,
      seed: 3,
      learningRate: 0.05,
      steps,
      every: steps,
    });
    drawBoundary($(`why-${id}`), await mlp.probabilities(grid), G, testSet);
    accuracy[id] = await mlp.accuracy(testSet);
    mlp.dispose();
    captions();
  }
  grid.dispose();
}

// ---- start ----------------------------------------------------------------------------

async function main(): Promise<void> {
  applyLanguage();
  const status = $('status');
  status.textContent = t('loading');
  const act = await createActivations();
  await setupExplorer(act);
  await setupOutputs(act);
  await setupVanishing(act);
  await setupWhy(act);
  status.textContent = '';
}

main().then(
  () => (page.state = 'done'),
  (e: Error) => {
    page.state = 'error';
    page.error = e.message;
    $('status').textContent = `error: ${e.message}`;
    console.error(e);
  },
);
