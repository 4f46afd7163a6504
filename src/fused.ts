/**
 * Fused and gated activations: biasAct (y = act(x + bias), backward giving dx
 * and dbias in one pass), the GLU family (glu, swiglu, geglu, reglu, from one
 * tensor [..., 2H] or two), and scaledMaskedSoftmax (attention's softmax with
 * scale, additive or boolean mask and causal masking). Every argument is
 * checked before any GPU work is recorded; kernels come from
 * src/fused-codegen.ts.
 */
import { acceptsY, activationNames, defOf, type ActivationName } from './activations.js';
import type { DType } from './codegen.js';
import { InvalidArgumentError } from './errors.js';
import {
  biasBackwardShader,
  biasForwardShader,
  biasMergeShader,
  gluShader,
  gluVariants,
  maskedSoftmaxShader,
  MERGE_FAN,
  wordBytes,
  type FusedLayout,
  type GluKind,
  type MaskKind,
} from './fused-codegen.js';
import type { BufferRange, Runtime } from './runtime.js';
import { Tensor } from './tensor.js';
import { checkShape, describe, isActivationName, paramSlots, resolveParams } from './validate.js';

export { gluVariants, type GluKind } from './fused-codegen.js';

/** Tuning of the fused kernels; mutable so tests can force every path on small shapes. */
export const fusedTuning = {
  /** biasAct backward: aim for about this many invocations (slices x column words). */
  targetThreads: 65536,
  /** biasAct backward: at least this many rows per invocation. */
  minRowsPerSlice: 8,
  /** scaledMaskedSoftmax: one subgroup per row where the adapter has subgroups. */
  useSubgroups: true,
};

const WG = 256;

// ---- shared checks ------------------------------------------------------------

function checkObject(op: string, arg: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) {
    throw new InvalidArgumentError(`${op}: ${arg} must be an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

function checkKeys(op: string, what: string, given: object, valid: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!valid.includes(key)) {
      throw new InvalidArgumentError(
        `${op}: unknown ${what} ${JSON.stringify(key)}; valid ${what}s are: ${valid.join(', ') || '(none)'}`,
      );
    }
  }
}

function sameLayout(op: string, an: string, a: Tensor, bn: string, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new InvalidArgumentError(
      `${op}: ${bn} has shape [${b.shape.join(', ')}] but ${an} has shape [${a.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  sameDType(op, an, a, bn, b);
}

function sameDType(op: string, an: string, a: Tensor, bn: string, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new InvalidArgumentError(
      `${op}: ${bn} is ${b.dtype} but ${an} is ${a.dtype}`,
      'DTYPE_MISMATCH',
    );
  }
}

function checkRank(op: string, arg: string, t: Tensor, rank: number, what: string): void {
  if (t.shape.length < rank) {
    throw new InvalidArgumentError(
      `${op}: ${arg} must have shape ${what}, got [${t.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
}

function checkBindable(rt: Runtime, op: string, t: Tensor): void {
  const max = rt.limits.maxStorageBufferBindingSize;
  if (t.byteLength > max) {
    throw new InvalidArgumentError(
      `${op}: a tensor of ${t.byteLength} bytes is over this device's maxStorageBufferBindingSize (${max})`,
      'UNSUPPORTED',
    );
  }
}

/** resolveParams of the table op, its messages prefixed with the fused op's name. */
function opParams(label: string, op: ActivationName, params: unknown): number[] {
  try {
    const values = resolveParams(op, params, []);
    const tensorParam = defOf(op).tensorParam;
    if (tensorParam && Number.isNaN(values[tensorParam] as number)) {
      throw new InvalidArgumentError(
        `${op}: ${tensorParam} must be a number here (a broadcast tensor is not supported by fused ops)`,
        'UNSUPPORTED',
      );
    }
    return paramSlots(op, values);
  } catch (e) {
    if (e instanceof InvalidArgumentError)
      throw new InvalidArgumentError(`${label}: ${e.message}`, e.code);
    throw e;
  }
}

const ceil4 = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

const elementRange = (t: Tensor): BufferRange => ({
  buffer: t.buffer,
  offset: t.byteOffset,
  size: ceil4(t.byteLength),
});

/** The range of `words` storage words of a layout (vector words may run into the padding). */
const wordRange = (t: Tensor, dtype: DType, layout: FusedLayout, words: number): BufferRange => ({
  buffer: t.buffer,
  offset: t.byteOffset,
  size: ceil4(words * wordBytes(dtype, layout)),
});

const fitsWords = (t: Tensor, bytes: number) => t.byteOffset + bytes <= t.buffer.size;

function params4(slots: number[]): number[] {
  const p = [0, 0, 0, 0];
  slots.forEach((v, i) => (p[i] = Number.isNaN(v) ? 0 : v));
  return p;
}

// ---- biasAct ----------------------------------------------------------------------

/** Parameters of biasAct: the activation's own (prelu's slope must be a number). */
export type BiasActParams = Record<string, number | string>;

function checkActivation(op: unknown): ActivationName {
  if (!isActivationName(op)) {
    throw new InvalidArgumentError(
      `biasAct: unknown op ${describe(op)}; valid ops are: ${activationNames.join(', ')}`,
      'UNKNOWN_OP',
    );
  }
  return op;
}

function checkBias(rt: Runtime, label: string, bias: unknown, like: Tensor): Tensor {
  rt.checkTensor(label, 'bias', bias);
  const c = like.shape[like.shape.length - 1];
  if (bias.shape.length !== 1 || bias.shape[0] !== c) {
    throw new InvalidArgumentError(
      `${label}: bias must have shape [${c}] (x's last dimension), got [${bias.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  sameDType(label, 'x', like, 'bias', bias);
  return bias;
}

/** y = act(x + bias) for x [..., C] and bias [C], in one pass. */
export function biasActForward(
  rt: Runtime,
  opIn: unknown,
  x: Tensor,
  biasIn: Tensor,
  params?: unknown,
): Tensor {
  const op = checkActivation(opIn);
  const label = `biasAct(${op})`;
  rt.checkTensor(label, 'x', x);
  checkRank(label, 'x', x, 1, '[..., C]');
  const bias = checkBias(rt, label, biasIn, x);
  const slots = opParams(label, op, params);
  checkBindable(rt, label, x);
  const out = rt.allocate(x.shape, x.dtype, `${label} output`, true);
  const n = x.size;
  if (n === 0) return out;
  const dtype = x.dtype;
  const c = bias.shape[0];
  const nwords = Math.ceil(n / 4);
  const vbytes = nwords * wordBytes(dtype, 'vector');
  const layout: FusedLayout = fitsWords(x, vbytes) && fitsWords(out, vbytes) ? 'vector' : 'element';
  const aligned = c % 4 === 0;
  const key = `fused|bias-fwd|${op}|${dtype}|${layout}|${aligned}`;
  const pipeline = rt.pipeline(key, `${label} forward ${dtype} ${layout}`, () =>
    biasForwardShader({ op, dtype, layout, aligned }),
  );
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 4).set([n, nwords, c, 0]);
  new Float32Array(u, 16, 4).set(params4(slots));
  const words = layout === 'vector' ? nwords : n;
  rt.dispatch(
    pipeline,
    u,
    [
      wordRange(x, dtype, layout, words),
      layout === 'vector' && aligned ? wordRange(bias, dtype, 'vector', c / 4) : elementRange(bias),
      wordRange(out, dtype, layout, words),
    ],
    Math.ceil(words / WG),
  );
  return out;
}

export interface BiasActBackwardInputs {
  /** The forward input (then bias is needed), or */
  x?: Tensor;
  /** the forward output, for ops whose derivative is a function of y (sigmoid, tanh). */
  y?: Tensor;
  dy: Tensor;
  bias?: Tensor;
}

/**
 * dx = dy * act'(x + bias) (or act'(y)) and dbias = the column sums of dx, in
 * one pass over x and dy: per-invocation partial sums over fixed runs of
 * rows, then a fixed merge tree. Deterministic (bitwise, run to run).
 */
export function biasActBackward(
  rt: Runtime,
  opIn: unknown,
  inputs: BiasActBackwardInputs,
  params?: unknown,
): { dx: Tensor; dbias: Tensor } {
  const op = checkActivation(opIn);
  const label = `biasAct(${op})`;
  const given = checkObject(label, 'backward inputs', inputs);
  checkKeys(label, 'backward input', given, ['x', 'y', 'dy', 'bias']);
  const hasX = given.x !== undefined;
  const hasY = given.y !== undefined;
  if (hasX === hasY) {
    throw new InvalidArgumentError(
      `${label}: backward takes exactly one of x or y (with dy), got ${hasX ? 'both' : 'neither'}`,
    );
  }
  if (hasY && !acceptsY(op)) {
    throw new InvalidArgumentError(
      `${label}: backward from y is not available for this op (only sigmoid and tanh); pass x and bias`,
    );
  }
  const a = (hasX ? given.x : given.y) as Tensor;
  const aName = hasX ? 'x' : 'y';
  rt.checkTensor(label, aName, a);
  rt.checkTensor(label, 'dy', given.dy);
  const dy = given.dy as Tensor;
  checkRank(label, aName, a, 1, '[..., C]');
  sameLayout(label, aName, a, 'dy', dy);
  let bias: Tensor | null = null;
  if (hasX) {
    if (given.bias === undefined) {
      throw new InvalidArgumentError(
        `${label}: backward from x needs bias (x + bias is the activation's input)`,
      );
    }
    bias = checkBias(rt, label, given.bias, a);
  } else if (given.bias !== undefined) {
    checkBias(rt, label, given.bias, a);
  }
  const slots = opParams(label, op, params);
  checkBindable(rt, label, a);

  const dtype = a.dtype;
  const c = a.shape[a.shape.length - 1];
  const rows = c === 0 ? 0 : a.size / c;
  const dx = rt.allocate(a.shape, dtype, `${label} dx`);
  const dbias = rt.allocate([c], dtype, `${label} dbias`);
  if (c === 0) return { dx, dbias };
  if (rows === 0) {
    rt.upload(dbias, dtype === 'float32' ? new Float32Array(c) : new Uint16Array(c));
    return { dx, dbias };
  }
  const layout: FusedLayout = c % 4 === 0 ? 'vector' : 'element';
  const lanes = layout === 'vector' ? 4 : 1;
  const cw = c / lanes;
  const t = fusedTuning;
  const wanted = Math.max(1, Math.floor(t.targetThreads / cw));
  const per = Math.max(t.minRowsPerSlice, Math.ceil(rows / wanted));
  const slices = Math.ceil(rows / per);
  const fromY = hasY;
  const pipeline = rt.pipeline(
    `fused|bias-bwd|${op}|${dtype}|${layout}|${fromY}`,
    `${label} backward${fromY ? ' from y' : ''} ${dtype} ${layout}`,
    () => biasBackwardShader({ op, dtype, layout, fromY }),
  );
  const partialBytes = lanes * 4;
  let partials = rt.allocate([slices * cw * lanes], 'float32', `${label} dbias partials`);
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 4).set([rows, cw, slices, per]);
  new Float32Array(u, 16, 4).set(params4(slots));
  const words = rows * cw;
  const ranges = [wordRange(a, dtype, layout, words), wordRange(dy, dtype, layout, words)];
  if (bias) ranges.push(wordRange(bias, dtype, layout, cw));
  ranges.push(wordRange(dx, dtype, layout, words), {
    buffer: partials.buffer,
    offset: 0,
    size: slices * cw * partialBytes,
  });
  rt.dispatch(pipeline, u, ranges, Math.ceil((slices * cw) / WG));

  // The merge tree: fan-in MERGE_FAN per pass, the last pass writing dbias.
  let count = slices;
  for (;;) {
    const groups = Math.ceil(count / MERGE_FAN);
    const final = groups === 1;
    const merge = rt.pipeline(
      `fused|bias-merge|${dtype}|${layout}|${final}`,
      `biasAct dbias merge ${dtype} ${layout}${final ? ' final' : ''}`,
      () => biasMergeShader(dtype, layout, final),
    );
    const mu = new Uint32Array([cw, count, groups, 0]);
    const src: BufferRange = {
      buffer: partials.buffer,
      offset: 0,
      size: count * cw * partialBytes,
    };
    if (final) {
      rt.dispatch(merge, mu.buffer, [src, wordRange(dbias, dtype, layout, cw)], Math.ceil(cw / WG));
      partials.destroy();
      break;
    }
    const next = rt.allocate([groups * cw * lanes], 'float32', `${label} dbias partials`);
    rt.dispatch(
      merge,
      mu.buffer,
      [src, { buffer: next.buffer, offset: 0, size: groups * cw * partialBytes }],
      Math.ceil((groups * cw) / WG),
    );
    // The runtime defers the free until the recorded dispatches are submitted.
    partials.destroy();
    partials = next;
    count = groups;
  }
  return { dx, dbias };
}

// ---- gated linear units -------------------------------------------------------------

export const gluKinds = Object.keys(gluVariants) as GluKind[];

/** GLU parameters: geglu takes gelu's { approximate: 'none' | 'tanh' }; the others none. */
export interface GluParams {
  approximate?: 'none' | 'tanh';
}

function checkGluKind(kind: unknown): GluKind {
  if (typeof kind !== 'string' || !(gluKinds as string[]).includes(kind)) {
    throw new InvalidArgumentError(
      `glu: unknown kind ${describe(kind)}; valid kinds are: ${gluKinds.join(', ')}`,
      'UNKNOWN_OP',
    );
  }
  return kind as GluKind;
}

/** The gate's operands: one tensor [..., 2H], or { a, b } each [..., H]. */
export type GluInput = Tensor | { a: Tensor; b: Tensor };

interface GluGeometry {
  split: boolean;
  tensors: Tensor[];
  /** The output (or each half's) shape [..., H]. */
  half: number[];
  dtype: DType;
  h: number;
  rows: number;
}

function gluGeometry(rt: Runtime, kind: GluKind, input: unknown): GluGeometry {
  if (input instanceof Tensor) {
    rt.checkTensor(kind, 'x', input);
    checkRank(kind, 'x', input, 1, '[..., 2H]');
    const last = input.shape[input.shape.length - 1];
    if (last % 2 !== 0) {
      throw new InvalidArgumentError(
        `${kind}: x's last dimension must be even (2H, split into halves a and b), got ${last}`,
        'SHAPE_MISMATCH',
      );
    }
    checkBindable(rt, kind, input);
    const h = last / 2;
    return {
      split: false,
      tensors: [input],
      half: [...input.shape.slice(0, -1), h],
      dtype: input.dtype,
      h,
      rows: h === 0 ? 0 : input.size / last,
    };
  }
  const o = checkObject(kind, 'input', input);
  checkKeys(kind, 'input', o, ['a', 'b']);
  rt.checkTensor(kind, 'a', o.a);
  rt.checkTensor(kind, 'b', o.b);
  const a = o.a as Tensor;
  const b = o.b as Tensor;
  checkRank(kind, 'a', a, 1, '[..., H]');
  sameLayout(kind, 'a', a, 'b', b);
  checkBindable(rt, kind, a);
  const h = a.shape[a.shape.length - 1];
  return {
    split: true,
    tensors: [a, b],
    half: [...a.shape],
    dtype: a.dtype,
    h,
    rows: h === 0 ? 0 : a.size / h,
  };
}

function gluDispatch(
  rt: Runtime,
  kind: GluKind,
  direction: 'forward' | 'backward',
  g: GluGeometry,
  slots: number[],
  operands: Tensor[],
): void {
  if (g.rows === 0) return;
  const layout: FusedLayout = g.h % 4 === 0 ? 'vector' : 'element';
  const lanes = layout === 'vector' ? 4 : 1;
  const hw = g.h / lanes;
  const n = g.rows * hw;
  const { dtype, split } = g;
  const pipeline = rt.pipeline(
    `fused|glu|${kind}|${direction}|${dtype}|${layout}|${split}`,
    `${kind} ${direction} ${dtype} ${layout}${split ? ' (a, b)' : ''}`,
    () => gluShader({ kind, dtype, layout, direction, split }),
  );
  const u = new ArrayBuffer(48);
  new Uint32Array(u, 0, 4).set([n, hw, 0, 0]);
  new Float32Array(u, 16, 8).set([...params4(slots), NaN, 0, 0, 0]);
  const ranges = operands.map((t) => wordRange(t, dtype, layout, t.size / lanes));
  rt.dispatch(pipeline, u, ranges, Math.ceil(n / WG));
}

function gluSlots(kind: GluKind, params: unknown): number[] {
  return opParams(kind, gluVariants[kind].op, params);
}

/** out [..., H] = act(u) * v over the halves of x [..., 2H] (or a and b [..., H]). */
export function gluForward(
  rt: Runtime,
  kindIn: unknown,
  input: GluInput,
  params?: GluParams,
): Tensor {
  const kind = checkGluKind(kindIn);
  const g = gluGeometry(rt, kind, input);
  const slots = gluSlots(kind, params);
  const out = rt.allocate(g.half, g.dtype, `${kind} output`, true);
  gluDispatch(rt, kind, 'forward', g, slots, [...g.tensors, out]);
  return out;
}

/**
 * Backward of a GLU: from { x, dy } gives dx [..., 2H] (da and db side by
 * side); from { a, b, dy } gives { da, db }.
 */
export function gluBackward(
  rt: Runtime,
  kindIn: unknown,
  inputs: { x: Tensor; dy: Tensor } | { a: Tensor; b: Tensor; dy: Tensor },
  params?: GluParams,
): Tensor | { da: Tensor; db: Tensor } {
  const kind = checkGluKind(kindIn);
  const o = checkObject(kind, 'backward inputs', inputs);
  const split = o.x === undefined;
  checkKeys(kind, 'backward input', o, split ? ['a', 'b', 'dy'] : ['x', 'dy']);
  const g = gluGeometry(rt, kind, split ? { a: o.a, b: o.b } : o.x);
  rt.checkTensor(kind, 'dy', o.dy);
  const dy = o.dy as Tensor;
  if (dy.shape.length !== g.half.length || dy.shape.some((d, i) => d !== g.half[i])) {
    throw new InvalidArgumentError(
      `${kind}: dy must have the output's shape [${g.half.join(', ')}], got [${dy.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  sameDType(kind, split ? 'a' : 'x', g.tensors[0], 'dy', dy);
  const slots = gluSlots(kind, params);
  if (split) {
    const da = rt.allocate(g.half, g.dtype, `${kind} da`);
    const db = rt.allocate(g.half, g.dtype, `${kind} db`);
    gluDispatch(rt, kind, 'backward', g, slots, [...g.tensors, dy, da, db]);
    return { da, db };
  }
  const dx = rt.allocate(g.tensors[0].shape, g.dtype, `${kind} dx`);
  gluDispatch(rt, kind, 'backward', g, slots, [g.tensors[0], dy, dx]);
  return dx;
}

// ---- scaledMaskedSoftmax ------------------------------------------------------------

const SMS = 'scaledMaskedSoftmax';

/** A mask: an additive tensor, or { data, shape } (Float32Array: additive; Uint8Array: boolean, 0 = masked). */
export type MaskValue = Tensor | { data: Float32Array | Uint8Array; shape: readonly number[] };

export interface MaskedSoftmaxOptions {
  /** Multiplies x before the mask is added (finite; default 1). */
  scale?: number;
  /** Broadcast to x's shape with NumPy rules. */
  mask?: MaskValue;
  /** Masks column j > row i + offset of each [rows, cols] matrix. */
  causal?: boolean;
  /** The causal offset (a non-negative integer, e.g. the key-value cache length; default 0). */
  offset?: number;
}

interface MaskLayout {
  rdim: number[];
  rstride: number[];
  mstride: number[];
  mcol: number;
}

/** NumPy broadcasting of a mask of shape mshape to x's shape, as the kernel addresses it. */
function maskLayout(xshape: readonly number[], mshape: readonly number[]): MaskLayout {
  const fail = (why: string) =>
    new InvalidArgumentError(
      `${SMS}: mask of shape [${mshape.join(', ')}] cannot broadcast to x's shape [${xshape.join(', ')}]${why}`,
      'SHAPE_MISMATCH',
    );
  const r = xshape.length;
  const lead = mshape.length - r;
  for (let i = 0; i < lead; i++) if (mshape[i] !== 1) throw fail('');
  const md = xshape.map((_, d) => (d + lead >= 0 ? mshape[d + lead] : 1));
  md.forEach((m, d) => {
    if (m !== xshape[d] && m !== 1) throw fail(` (dim ${d}: ${m} vs ${xshape[d]})`);
  });
  const mst = new Array<number>(r).fill(0);
  for (let d = r - 1, s = 1; d >= 0; d--) {
    mst[d] = s;
    s *= md[d];
  }
  const mcol = md[r - 1] === xshape[r - 1] && xshape[r - 1] !== 1 ? 1 : 0;
  // Kept runs of the leading dims (broadcast dims contribute stride 0: left out).
  const runs: { size: number; rstride: number; mstride: number }[] = [];
  let rowStride = 1;
  let open = false;
  for (let d = r - 2; d >= 0; d--) {
    const xd = xshape[d];
    if (xd !== 1) {
      const kept = md[d] === xd;
      if (kept && open) runs[runs.length - 1].size *= xd;
      else if (kept) runs.push({ size: xd, rstride: rowStride, mstride: mst[d] });
      open = kept;
    }
    rowStride *= xd;
  }
  if (runs.length > 4) {
    throw new InvalidArgumentError(
      `${SMS}: mask of shape [${mshape.join(', ')}] alternates between broadcast and kept dims more than 4 times ` +
        `against x's shape [${xshape.join(', ')}]; reshape to fewer runs`,
      'UNSUPPORTED',
    );
  }
  while (runs.length < 4) runs.push({ size: 1, rstride: 1, mstride: 0 });
  return {
    rdim: runs.map((u) => u.size),
    rstride: runs.map((u) => u.rstride),
    mstride: runs.map((u) => u.mstride),
    mcol,
  };
}

interface ResolvedMask {
  scale: number;
  causal: boolean;
  offset: number;
  kind: MaskKind;
  maskDtype: DType;
  layout: MaskLayout | null;
  /** The mask as given (a tensor), or its data to upload. */
  tensor: Tensor | null;
  data: Float32Array | Uint8Array | null;
}

function resolveMaskOptions(rt: Runtime, x: Tensor, options: unknown): ResolvedMask {
  const o = checkObject(SMS, 'options', options);
  checkKeys(SMS, 'option', o, ['scale', 'mask', 'causal', 'offset']);
  const scale = o.scale === undefined ? 1 : o.scale;
  if (
    typeof scale !== 'number' ||
    !Number.isFinite(scale) ||
    !Number.isFinite(Math.fround(scale))
  ) {
    throw new InvalidArgumentError(
      `${SMS}: scale must be a finite number (in float32 range), got ${describe(scale)}`,
      'INVALID_PARAMETER',
    );
  }
  const causal = o.causal ?? false;
  if (typeof causal !== 'boolean') {
    throw new InvalidArgumentError(
      `${SMS}: causal must be a boolean, got ${describe(causal)}`,
      'INVALID_PARAMETER',
    );
  }
  const offset = o.offset ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(
      `${SMS}: offset (the causal offset) must be a non-negative integer, got ${describe(offset)}`,
      'INVALID_PARAMETER',
    );
  }
  const res: ResolvedMask = {
    scale,
    causal,
    offset,
    kind: 'none',
    maskDtype: 'float32',
    layout: null,
    tensor: null,
    data: null,
  };
  const m = o.mask;
  if (m === undefined) return res;
  if (m instanceof Tensor) {
    rt.checkTensor(SMS, 'mask', m);
    checkBindable(rt, SMS, m);
    res.layout = maskLayout(x.shape, m.shape);
    res.kind = 'additive';
    res.maskDtype = m.dtype;
    res.tensor = m;
    return res;
  }
  const mo = checkObject(SMS, 'mask', m);
  checkKeys(SMS, 'mask field', mo, ['data', 'shape']);
  if (!(mo.data instanceof Float32Array) && !(mo.data instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${SMS}: mask must be a Tensor or { data, shape } with data a Float32Array (additive) or Uint8Array (boolean, 0 = masked), got data ${describe(mo.data)}`,
    );
  }
  const shape = checkShape(SMS, 'mask.shape', mo.shape);
  const size = shape.reduce((p, d) => p * d, 1);
  if (size !== mo.data.length) {
    throw new InvalidArgumentError(
      `${SMS}: mask.shape [${shape.join(', ')}] holds ${size} elements but mask.data has ${mo.data.length}`,
      'SHAPE_MISMATCH',
    );
  }
  res.layout = maskLayout(x.shape, shape);
  res.kind = mo.data instanceof Uint8Array ? 'boolean' : 'additive';
  res.data = mo.data;
  return res;
}

function subgroupPlan(rt: Runtime): { subgroups: boolean; rowsPerGroup: number } {
  if (fusedTuning.useSubgroups && rt.features.has('subgroups')) {
    const info = (rt.device as { adapterInfo?: { subgroupMaxSize?: number } }).adapterInfo;
    const max = Math.min(WG, info?.subgroupMaxSize ?? 128);
    return { subgroups: true, rowsPerGroup: Math.max(1, WG / max) };
  }
  return { subgroups: false, rowsPerGroup: WG };
}

function maskedSoftmaxUniforms(
  rows: number,
  cols: number,
  mrows: number,
  m: ResolvedMask,
): ArrayBuffer {
  const u = new ArrayBuffer(96);
  const l = m.layout ?? {
    rdim: [1, 1, 1, 1],
    rstride: [1, 1, 1, 1],
    mstride: [0, 0, 0, 0],
    mcol: 0,
  };
  new Uint32Array(u, 0, 8).set([
    rows,
    cols,
    mrows,
    m.causal ? 1 : 0,
    Math.min(m.offset, cols),
    l.mcol,
    0,
    0,
  ]);
  new Uint32Array(u, 32, 12).set([...l.rdim, ...l.rstride, ...l.mstride]);
  new Float32Array(u, 80, 4).set([m.scale, -Infinity, NaN, 0]);
  return u;
}

function rowGeometry(x: Tensor) {
  const r = x.shape.length;
  const cols = x.shape[r - 1];
  const mrows = r >= 2 ? x.shape[r - 2] : 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  return { cols, mrows, rows };
}

/** y = softmax(scale * x + mask) along the last axis, with boolean and causal masking. */
export function maskedSoftmaxForward(
  rt: Runtime,
  x: Tensor,
  options?: MaskedSoftmaxOptions,
): Tensor {
  rt.checkTensor(SMS, 'x', x);
  checkRank(SMS, 'x', x, 1, '[..., rows, cols]');
  const m = resolveMaskOptions(rt, x, options);
  checkBindable(rt, SMS, x);
  const out = rt.allocate(x.shape, x.dtype, `${SMS} output`);
  const { rows, cols, mrows } = rowGeometry(x);
  if (rows === 0) return out;
  let owned: Tensor | null = null;
  let mask: Tensor | null = m.tensor;
  if (m.data) {
    const words = Math.ceil(m.data.byteLength / 4);
    owned = rt.allocate([Math.max(1, words)], 'float32', `${SMS} mask`);
    rt.upload(owned, m.data);
    mask = owned;
  }
  const plan = subgroupPlan(rt);
  const spec = {
    direction: 'forward' as const,
    dtype: x.dtype,
    mask: m.kind,
    maskDtype: m.maskDtype,
    subgroups: plan.subgroups,
  };
  const pipeline = rt.pipeline(
    `fused|sms|forward|${x.dtype}|${m.kind}|${m.maskDtype}|${plan.subgroups}`,
    `${SMS} forward ${x.dtype} mask ${m.kind}`,
    () => maskedSoftmaxShader(spec),
  );
  const ranges = [elementRange(x), elementRange(out)];
  if (mask)
    ranges.push(
      owned
        ? { buffer: mask.buffer, offset: 0, size: ceil4(m.data!.byteLength) }
        : elementRange(mask),
    );
  rt.dispatch(
    pipeline,
    maskedSoftmaxUniforms(rows, cols, mrows, m),
    ranges,
    Math.ceil(rows / plan.rowsPerGroup),
  );
  owned?.destroy();
  return out;
}

/**
 * dx = scale * y * (dy - sum(dy * y)) per row, from the forward output y.
 * Takes the forward's options (checked the same way); masked entries have y
 * = 0 and so get dx = 0.
 */
export function maskedSoftmaxBackward(
  rt: Runtime,
  inputs: { y: Tensor; dy: Tensor },
  options?: MaskedSoftmaxOptions,
): Tensor {
  const o = checkObject(SMS, 'backward inputs', inputs);
  checkKeys(SMS, 'backward input', o, ['y', 'dy']);
  rt.checkTensor(SMS, 'y', o.y);
  rt.checkTensor(SMS, 'dy', o.dy);
  const y = o.y as Tensor;
  const dy = o.dy as Tensor;
  checkRank(SMS, 'y', y, 1, '[..., rows, cols]');
  sameLayout(SMS, 'y', y, 'dy', dy);
  const m = resolveMaskOptions(rt, y, options);
  checkBindable(rt, SMS, y);
  const dx = rt.allocate(y.shape, y.dtype, `${SMS} dx`);
  const { rows, cols, mrows } = rowGeometry(y);
  if (rows === 0) return dx;
  const plan = subgroupPlan(rt);
  const spec = {
    direction: 'backward' as const,
    dtype: y.dtype,
    mask: 'none' as const,
    maskDtype: 'float32' as const,
    subgroups: plan.subgroups,
  };
  const pipeline = rt.pipeline(
    `fused|sms|backward|${y.dtype}|${plan.subgroups}`,
    `${SMS} backward ${y.dtype}`,
    () => maskedSoftmaxShader(spec),
  );
  rt.dispatch(
    pipeline,
    maskedSoftmaxUniforms(rows, cols, mrows, { ...m, kind: 'none', layout: null }),
    [elementRange(y), elementRange(dy), elementRange(dx)],
    Math.ceil(rows / plan.rowsPerGroup),
  );
  return dx;
}

// ---- one call on plain arrays -----------------------------------------------------

/** What the one-call forms need from the instance (Activations). */
interface Host {
  readonly runtime: Runtime;
  tensor(data: Float32Array, shape?: readonly number[], options?: { dtype?: DType }): Tensor;
}

interface ArrayOpts {
  shape: number[];
  dtype: DType;
  rest: Record<string, unknown>;
}

function arrayOptions(op: string, x: unknown, params: unknown): ArrayOpts {
  if (!(x instanceof Float32Array)) {
    throw new InvalidArgumentError(`${op}: x must be a Float32Array, got ${describe(x)}`);
  }
  const p = checkObject(op, 'params', params);
  const shape = p.shape === undefined ? [x.length] : checkShape(op, 'shape', p.shape);
  if (shape.reduce((a, b) => a * b, 1) !== x.length) {
    throw new InvalidArgumentError(
      `${op}: shape [${shape.join(', ')}] holds ${shape.reduce((a, b) => a * b, 1)} elements but x has ${x.length}`,
      'SHAPE_MISMATCH',
    );
  }
  const dtype = p.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new InvalidArgumentError(
      `${op}: dtype must be 'float32' or 'float16', got ${describe(dtype)}`,
      'DTYPE_MISMATCH',
    );
  }
  const rest: Record<string, unknown> = { ...p };
  delete rest.shape;
  delete rest.dtype;
  return { shape, dtype, rest };
}

function checkArray(op: string, arg: string, v: unknown, length: number): Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new InvalidArgumentError(`${op}: ${arg} must be a Float32Array, got ${describe(v)}`);
  }
  if (v.length !== length) {
    throw new InvalidArgumentError(
      `${op}: ${arg} has ${v.length} elements, expected ${length}`,
      'SHAPE_MISMATCH',
    );
  }
  return v;
}

/** Runs `work` on tensors made from arrays, reading the results, and destroys everything made. */
async function withTensors<T>(work: (made: Tensor[]) => Promise<T>): Promise<T> {
  const made: Tensor[] = [];
  try {
    return await work(made);
  } finally {
    for (const t of made) t.destroy();
  }
}

export function applyBiasAct(
  act: Host,
  op: unknown,
  x: Float32Array,
  bias: Float32Array,
  params?: unknown,
): Promise<Float32Array> {
  const name = `biasAct(${String(op)})`;
  const o = arrayOptions(name, x, params);
  checkArray(name, 'bias', bias, o.shape[o.shape.length - 1] ?? 0);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const bt = act.tensor(bias, [bias.length], { dtype: o.dtype });
    made.push(bt);
    const y = biasActForward(act.runtime, op, xt, bt, o.rest);
    made.push(y);
    return y.read();
  });
}

export function gradBiasAct(
  act: Host,
  op: unknown,
  x: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  params?: unknown,
): Promise<{ dx: Float32Array; dbias: Float32Array }> {
  const name = `biasAct(${String(op)})`;
  const o = arrayOptions(name, x, params);
  checkArray(name, 'bias', bias, o.shape[o.shape.length - 1] ?? 0);
  checkArray(name, 'dy', dy, x.length);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const bt = act.tensor(bias, [bias.length], { dtype: o.dtype });
    made.push(bt);
    const dyt = act.tensor(dy, o.shape, { dtype: o.dtype });
    made.push(dyt);
    const r = biasActBackward(act.runtime, op, { x: xt, bias: bt, dy: dyt }, o.rest);
    made.push(r.dx, r.dbias);
    return { dx: await r.dx.read(), dbias: await r.dbias.read() };
  });
}

export function applyGlu(
  act: Host,
  kind: unknown,
  x: Float32Array,
  params?: unknown,
): Promise<Float32Array> {
  const o = arrayOptions(String(kind), x, params);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const y = gluForward(act.runtime, kind, xt, o.rest as GluParams);
    made.push(y);
    return y.read();
  });
}

export function gradGlu(
  act: Host,
  kind: unknown,
  x: Float32Array,
  dy: Float32Array,
  params?: unknown,
): Promise<Float32Array> {
  const o = arrayOptions(String(kind), x, params);
  checkArray(String(kind), 'dy', dy, x.length / 2);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const half = [...o.shape.slice(0, -1), (o.shape[o.shape.length - 1] ?? 0) / 2];
    const dyt = act.tensor(dy, Number.isInteger(half[half.length - 1]) ? half : [dy.length], {
      dtype: o.dtype,
    });
    made.push(dyt);
    const dx = gluBackward(act.runtime, kind, { x: xt, dy: dyt }, o.rest as GluParams) as Tensor;
    made.push(dx);
    return dx.read();
  });
}

/** scaledMaskedSoftmax (dy null) or its gradient (forward, then backward) on plain arrays. */
export function applyMaskedSoftmax(
  act: Host,
  x: Float32Array,
  dy: Float32Array | null,
  options?: unknown,
): Promise<Float32Array> {
  const o = arrayOptions(SMS, x, options);
  if (dy !== null) checkArray(SMS, 'dy', dy, x.length);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const y = maskedSoftmaxForward(act.runtime, xt, o.rest as MaskedSoftmaxOptions);
    made.push(y);
    if (dy === null) return y.read();
    const dyt = act.tensor(dy, o.shape, { dtype: o.dtype });
    made.push(dyt);
    const dx = maskedSoftmaxBackward(act.runtime, { y, dy: dyt }, o.rest as MaskedSoftmaxOptions);
    made.push(dx);
    return dx.read();
  });
}
