/**
 * Float64 reference of the fused ops, with the kernels' rules: x + bias is
 * formed in float32 (a zero bias leaves x as it is), the attention logits
 * scale * x + mask are formed in float32, masked entries are left out of the
 * row, and NaN rules as the elementwise and softmax families. It trusts its
 * caller (no validation).
 */
import type { ParamValues } from '../elementwise/spec.js';
import { activations, type ActivationName } from '../elementwise/table.js';
import { gluVariants, type GluKind } from './table.js';
import { withDefaults } from '../elementwise/reference.js';
import { softmaxRow } from '../softmax/reference.js';
import { broadcastIndex } from '../core/broadcast.js';

type Fn = (x: number, p: ParamValues) => number;

const refOf = (op: ActivationName) =>
  activations[op].ref as { forward: Fn; derivative: Fn; derivativeFromY?: Fn };

/** The activation's input: x + bias rounded to float32, or x itself where bias is 0. */
export const biased = (x: number, b: number): number => (b === 0 ? x : Math.fround(x + b));

/** y = act(x + bias[c]) for x [..., C] (flat, row-major) and bias [C]. */
export function biasActForward(
  op: ActivationName,
  x: ArrayLike<number>,
  bias: ArrayLike<number>,
  params: Record<string, unknown> = {},
): Float64Array {
  const p = withDefaults(op, params);
  const f = refOf(op).forward;
  const c = bias.length;
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const z = biased(x[i], bias[i % c]);
    y[i] = Number.isNaN(z) ? NaN : f(z, p);
  }
  return y;
}

/**
 * dx = dy * act'(x + bias) (or act'(y) with fromY: pass y as `a` and any
 * bias) and dbias = the column sums of dx, in float64.
 */
export function biasActBackward(
  op: ActivationName,
  a: ArrayLike<number>,
  bias: ArrayLike<number>,
  dy: ArrayLike<number>,
  params: Record<string, unknown> = {},
  options: { fromY?: boolean } = {},
): { dx: Float64Array; dbias: Float64Array } {
  const p = withDefaults(op, params);
  const r = refOf(op);
  const d = options.fromY ? r.derivativeFromY : r.derivative;
  if (!d) throw new Error(`reference: ${op} has no derivative from y`);
  const c = bias.length;
  const dx = new Float64Array(a.length);
  const dbias = new Float64Array(c);
  for (let i = 0; i < a.length; i++) {
    const z = options.fromY ? a[i] : biased(a[i], bias[i % c]);
    dx[i] = Number.isNaN(z) || Number.isNaN(dy[i]) ? NaN : dy[i] * d(z, p);
    dbias[i % c] += dx[i];
  }
  return { dx, dbias };
}

/** The halves of x [..., 2H] as flat arrays a and b [..., H]. */
export function splitHalves(x: ArrayLike<number>, h: number): { a: Float64Array; b: Float64Array } {
  const rows = h === 0 ? 0 : x.length / (2 * h);
  const a = new Float64Array(rows * h);
  const b = new Float64Array(rows * h);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < h; j++) {
      a[r * h + j] = x[r * 2 * h + j];
      b[r * h + j] = x[r * 2 * h + h + j];
    }
  }
  return { a, b };
}

/** da and db side by side again: [..., 2H]. */
export function joinHalves(a: ArrayLike<number>, b: ArrayLike<number>, h: number): Float64Array {
  const rows = h === 0 ? 0 : a.length / h;
  const x = new Float64Array(rows * 2 * h);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < h; j++) {
      x[r * 2 * h + j] = a[r * h + j];
      x[r * 2 * h + h + j] = b[r * h + j];
    }
  }
  return x;
}

function gluParts(kind: GluKind, params: Record<string, unknown>) {
  const v = gluVariants[kind];
  const r = refOf(v.op);
  const p = withDefaults(v.op, params);
  return { r, p, gatedA: v.gated === 'a' };
}

/** out = act(u) * v elementwise over a and b (u the gated half). */
export function gluForward(
  kind: GluKind,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  params: Record<string, unknown> = {},
): Float64Array {
  const { r, p, gatedA } = gluParts(kind, params);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const [u, v] = gatedA ? [a[i], b[i]] : [b[i], a[i]];
    out[i] = Number.isNaN(u) || Number.isNaN(v) ? NaN : r.forward(u, p) * v;
  }
  return out;
}

/** da and db of out = act(u) * v: du = dy * v * act'(u), dv = dy * act(u). */
export function gluBackward(
  kind: GluKind,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dy: ArrayLike<number>,
  params: Record<string, unknown> = {},
): { da: Float64Array; db: Float64Array } {
  const { r, p, gatedA } = gluParts(kind, params);
  const da = new Float64Array(a.length);
  const db = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const [u, v] = gatedA ? [a[i], b[i]] : [b[i], a[i]];
    let du = dy[i] * v * r.derivative(u, p);
    let dv = dy[i] * r.forward(u, p);
    if (Number.isNaN(a[i]) || Number.isNaN(b[i]) || Number.isNaN(dy[i])) du = dv = NaN;
    if (gatedA) {
      da[i] = du;
      db[i] = dv;
    } else {
      da[i] = dv;
      db[i] = du;
    }
  }
  return { da, db };
}

export interface RefMaskOptions {
  scale?: number;
  /** Additive (Float64Array / Float32Array) or boolean (Uint8Array, 0 = masked), with its shape. */
  mask?: { data: ArrayLike<number>; shape: readonly number[]; boolean?: boolean };
  causal?: boolean;
  /** One offset, or one per batch entry (x.shape[0]). */
  offset?: number | readonly number[];
  /** logit = c * tanh(scale * x / c), before ALiBi and the mask. */
  softcap?: number;
  /** One slope per head (x.shape[-3]): + slope_h * (j - i - offset). */
  alibi?: readonly number[];
  /** Columns j >= keyLengths[b] masked, one per batch entry. */
  keyLengths?: readonly number[];
  /** One sink logit per head: joins each row's softmax as a column that is not output. */
  sinks?: readonly number[];
}

/** x's heads (x.shape[-3]; rank < 3: one) and rows per head block. */
function headOf(shape: readonly number[]): (row: number) => number {
  const r = shape.length;
  const heads = r >= 3 ? shape[r - 3] : 1;
  const mrows = r >= 2 ? shape[r - 2] : 1;
  return (row) => Math.floor(row / mrows) % heads;
}

/** The mask's flat index for x's flat index i (NumPy broadcasting). */
export const broadcastAt = broadcastIndex;

/** The float32 logits scale * x + mask, -Inf where boolean-masked or causally masked. */
export function maskedLogits(
  x: ArrayLike<number>,
  shape: readonly number[],
  o: RefMaskOptions = {},
): Float64Array {
  const scale = Math.fround(o.scale ?? 1);
  const r = shape.length;
  const cols = shape[r - 1];
  const mrows = r >= 2 ? shape[r - 2] : 1;
  const batch = r >= 3 ? shape[0] : 1;
  const heads = r >= 3 ? shape[r - 3] : 1;
  const bsize = x.length / cols / batch;
  const z = new Float64Array(x.length);
  for (let g = 0; g < x.length; g++) {
    const j = g % cols;
    const row = Math.floor(g / cols);
    const i = row % mrows;
    const b = Math.floor(row / bsize);
    const off = Array.isArray(o.offset)
      ? (o.offset as readonly number[])[b]
      : ((o.offset as number | undefined) ?? 0);
    if ((o.causal && j > i + off) || (o.keyLengths && j >= o.keyLengths[b])) {
      z[g] = -Infinity;
      continue;
    }
    let v = Math.fround(scale * x[g]);
    if (o.softcap !== undefined) {
      const c = Math.fround(o.softcap);
      if (!Number.isNaN(v)) v = Math.fround(c * Math.tanh(v / c));
    }
    if (o.alibi) {
      const slope = Math.fround(o.alibi[Math.floor(row / mrows) % heads]);
      v = Math.fround(v + Math.fround(slope * (j - i - off)));
    }
    if (o.mask) {
      const m = o.mask.data[broadcastAt(shape, o.mask.shape, g)];
      if (o.mask.boolean) {
        if (m === 0) {
          z[g] = -Infinity;
          continue;
        }
      } else {
        v = Math.fround(v + m);
      }
    }
    z[g] = v;
  }
  return z;
}

/** y = softmax(scale * x + mask) along the last axis; fully masked rows give zeros. */
export function maskedSoftmaxForward(
  x: ArrayLike<number>,
  shape: readonly number[],
  o: RefMaskOptions = {},
): Float64Array {
  const z = maskedLogits(x, shape, o);
  const cols = shape[shape.length - 1];
  const head = headOf(shape);
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += cols) {
    const v = Array.from(z.subarray(base, base + cols));
    // A sink is one more column of the row's softmax, dropped from the output.
    if (o.sinks) v.push(Math.fround(o.sinks[head(base / cols)]));
    y.set(softmaxRow(v, false).slice(0, cols), base);
  }
  return y;
}

/**
 * dx = scale * y * (dy - sum(dy * y)) per row (y = 0 entries left out of the sum); NaN rows
 * stay NaN. With softcap c, times sech^2(scale * x / c), which needs x.
 */
export function maskedSoftmaxBackward(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  o: RefMaskOptions = {},
  x?: ArrayLike<number>,
): Float64Array {
  const scale = Math.fround(o.scale ?? 1);
  const c = o.softcap === undefined ? 0 : Math.fround(o.softcap);
  const capd = (g: number) => {
    if (c === 0) return 1;
    const t = Math.tanh(Math.fround(scale * x![g]) / c);
    return 1 - t * t;
  };
  const cols = shape[shape.length - 1];
  const dx = new Float64Array(y.length);
  for (let base = 0; base < y.length; base += cols) {
    let s = 0;
    let nan = false;
    for (let j = base; j < base + cols; j++) {
      if (Number.isNaN(y[j]) || Number.isNaN(dy[j])) nan = true;
      else if (y[j] !== 0) s += y[j] * dy[j];
    }
    for (let j = base; j < base + cols; j++) {
      dx[j] = nan ? NaN : scale * y[j] * (dy[j] - s) * capd(j);
    }
  }
  return dx;
}

/**
 * dsinks[h] = sum over head h's rows of -p_sink * sum(dy * y), p_sink = 1 - sum(y) (the sink's
 * probability); NaN rows give NaN.
 */
export function maskedSoftmaxSinkGrad(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  heads: number,
): Float64Array {
  const cols = shape[shape.length - 1];
  const head = headOf(shape);
  const ds = new Float64Array(heads);
  for (let base = 0; base < y.length; base += cols) {
    let s = 0;
    let ys = 0;
    let nan = false;
    for (let j = base; j < base + cols; j++) {
      if (Number.isNaN(y[j]) || Number.isNaN(dy[j])) nan = true;
      else {
        ys += y[j];
        if (y[j] !== 0) s += y[j] * dy[j];
      }
    }
    ds[head(base / cols)] += nan ? NaN : -(1 - ys) * s;
  }
  return ds;
}
