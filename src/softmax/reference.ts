/**
 * Float64 reference of the softmax family and the fused cross-entropy, with
 * the same masking and NaN rules as the kernels. It trusts its caller (no
 * validation): the GPU path validates, the reference only defines the answer.
 */

export type RefOp = 'softmax' | 'logSoftmax' | 'softmin';

export interface RefParams {
  axis?: number;
  temperature?: number;
}

/**
 * Calls fn with the flat indices of every row along `axis`, so a row can be
 * gathered without a transpose, exactly as the kernels address it.
 */
export function forEachRow(
  shape: readonly number[],
  axis: number,
  fn: (index: (j: number) => number) => void,
): void {
  const a = axis < 0 ? axis + shape.length : axis;
  const len = shape[a];
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, a).reduce((p, d) => p * d, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      fn((j) => base + j * inner);
    }
  }
}

/** One row of softmax (log = false) or logSoftmax (log = true) of v, already scaled. */
export function softmaxRow(v: readonly number[], log: boolean): number[] {
  if (v.some((e) => e !== e)) return v.map(() => NaN);
  const infs = v.filter((e) => e === Infinity).length;
  if (infs > 0) {
    // The limit as the +Inf entries grow together: they share the mass evenly.
    return v.map((e) =>
      e === Infinity ? (log ? -Math.log(infs) : 1 / infs) : log ? -Infinity : 0,
    );
  }
  const finite = v.filter((e) => e !== -Infinity);
  // A fully masked row gives zeros (log: -Inf), not PyTorch's NaN.
  if (finite.length === 0) return v.map(() => (log ? -Infinity : 0));
  let m = -Infinity;
  for (const e of finite) if (e > m) m = e;
  let s = 0;
  for (const e of finite) s += Math.exp(e - m);
  const ls = Math.log(s);
  return v.map((e) => (log ? e - m - ls : e === -Infinity ? 0 : Math.exp(e - m) / s));
}

const signOf = (op: RefOp) => (op === 'softmin' ? -1 : 1);

/** y = op(x) along params.axis (default -1), with temperature T (default 1). */
export function softmaxForward(
  op: RefOp,
  x: ArrayLike<number>,
  shape: readonly number[],
  params: RefParams = {},
): Float64Array {
  const t = params.temperature ?? 1;
  const s = signOf(op);
  const y = new Float64Array(x.length);
  const len = shape[(params.axis ?? -1) < 0 ? shape.length + (params.axis ?? -1) : params.axis!];
  forEachRow(shape, params.axis ?? -1, (at) => {
    const v: number[] = [];
    for (let j = 0; j < len; j++) v.push((s * x[at(j)]) / t);
    softmaxRow(v, op === 'logSoftmax').forEach((e, j) => (y[at(j)] = e));
  });
  return y;
}

/**
 * dx from y = op(x) and dy, by the chain rule through v = sign * x / T:
 * softmax dx = (sign/T) y (dy - sum(dy y)); logSoftmax dx = (sign/T) (dy - exp(y) sum(dy)).
 * A NaN in y or dy makes the row NaN; a fully masked logSoftmax row (all -Inf) gets 0.
 */
export function softmaxBackward(
  op: RefOp,
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  params: RefParams = {},
): Float64Array {
  const f = signOf(op) / (params.temperature ?? 1);
  const axis = params.axis ?? -1;
  const len = shape[axis < 0 ? shape.length + axis : axis];
  const dx = new Float64Array(y.length);
  forEachRow(shape, axis, (at) => {
    const idx = Array.from({ length: len }, (_, j) => at(j));
    if (idx.some((i) => y[i] !== y[i] || dy[i] !== dy[i])) {
      for (const i of idx) dx[i] = NaN;
      return;
    }
    if (op === 'logSoftmax') {
      const masked = idx.every((i) => y[i] === -Infinity);
      let s = 0;
      for (const i of idx) s += dy[i];
      for (const i of idx) dx[i] = masked ? 0 : f * (dy[i] - Math.exp(y[i]) * s);
    } else {
      let s = 0;
      for (const i of idx) s += y[i] === 0 ? 0 : dy[i] * y[i];
      for (const i of idx) dx[i] = f * y[i] * (dy[i] - s);
    }
  });
  return dx;
}

export interface RefCrossEntropyOptions {
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: 'none' | 'mean' | 'sum';
}

/**
 * Fused softmax cross-entropy over logits [rows, classes]. target: labels
 * (one per row) or probabilities shaped like the logits. The loss is
 * -sum_c t'_c log p_c with t' = (1 - s) t + s / C (0 * -Inf counted as 0);
 * dlogits = (p - t') / count for 'mean' (count: rows not ignored), else p - t'.
 * Ignored and fully masked rows give loss 0 and zero gradient; a NaN in a row
 * gives NaN there. 'mean' over no counted rows is 0.
 */
export function crossEntropy(
  logits: ArrayLike<number>,
  rows: number,
  classes: number,
  target: ArrayLike<number>,
  labels: boolean,
  options: RefCrossEntropyOptions = {},
): { loss: Float64Array; dlogits: Float64Array } {
  const sm = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  const ignored = (r: number) =>
    labels && options.ignoreIndex !== undefined && target[r] === options.ignoreIndex;
  let count = 0;
  for (let r = 0; r < rows; r++) if (!ignored(r)) count++;
  const scale = reduction === 'mean' ? (count > 0 ? 1 / count : 0) : 1;
  const perRow = new Float64Array(rows);
  const dl = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const v = Array.from({ length: classes }, (_, c) => logits[r * classes + c]);
    const t = Array.from({ length: classes }, (_, c) =>
      labels ? (c === target[r] ? 1 : 0) : target[r * classes + c],
    );
    const masked = v.every((e) => e === -Infinity);
    if (ignored(r) || (masked && !t.some((e) => e !== e))) continue;
    if (v.some((e) => e !== e) || t.some((e) => e !== e)) {
      perRow[r] = NaN;
      for (let c = 0; c < classes; c++) dl[r * classes + c] = NaN;
      continue;
    }
    const p = softmaxRow(v, false);
    const lp = softmaxRow(v, true);
    let loss = 0;
    for (let c = 0; c < classes; c++) {
      const tc = (1 - sm) * t[c] + sm / classes;
      if (tc !== 0) loss -= tc * lp[c];
      dl[r * classes + c] = (p[c] - tc) * scale;
    }
    perRow[r] = loss;
  }
  if (reduction === 'none') return { loss: perRow, dlogits: dl };
  let total = 0;
  for (let r = 0; r < rows; r++) total += perRow[r];
  return { loss: Float64Array.of(total * scale), dlogits: dl };
}
