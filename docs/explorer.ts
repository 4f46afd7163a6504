/**
 * Section 2 of the learning page: every activation and its derivative. A
 * select picks the op (with sliders or selects for its parameters and its
 * table entry: formula, range, where it is used, NaN/Inf, parameters);
 * checkboxes add others to compare. Curves are computed by the library's
 * forward and backward kernels on x in [-6, 6].
 */
import {
  activationNames,
  activations,
  type ActivationName,
  type Activations,
  type ParamSpec,
} from '../src/index.js';
import { $, rerender, t } from './page.js';
import { drawChart, PALETTE } from './plots.js';

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

export async function setupExplorer(act: Activations): Promise<void> {
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
