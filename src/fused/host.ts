/**
 * Fused and gated activations: biasAct (y = act(x + bias), backward giving dx
 * and dbias in one pass), the GLU family (glu, swiglu, geglu, reglu, from one
 * tensor [..., 2H] or two), and scaledMaskedSoftmax (attention's softmax with
 * scale, additive or boolean mask and causal masking). Every argument, `out`
 * included, is checked before any GPU work is recorded; kernels come from
 * src/fused-codegen.ts. Tensors over the device's binding limit are processed
 * in sub-ranges of whole rows.
 */
import { defOf, type ActivationName } from '../elementwise/table.js';
import { enumKey, type DType } from '../elementwise/codegen.js';
import { InvalidArgumentError } from '../core/errors.js';
import { inPlaceKey, WG, wordBytes, type FusedLayout, type Operand } from './codegen.js';
import {
  biasBackwardOperands,
  biasBackwardShader,
  biasForwardOperands,
  biasForwardShader,
  biasMergeShader,
  MERGE_FAN,
  type BiasBackwardKernel,
  type BiasForwardKernel,
} from './bias-act/codegen.js';
import { gluOperands, gluShader, type GluKernel } from './glu/codegen.js';
import {
  maskedSoftmaxOperands,
  maskedSoftmaxShader,
  type MaskedSoftmaxKernel,
  type MaskKind,
} from './masked-softmax/codegen.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import { bytesPerElement, Tensor, tensorRange } from '../core/tensor.js';
import { writeThrough } from '../runtime/scratch.js';
import { alignBroadcast, MAX_RUNS, tooManyRuns } from '../core/broadcast.js';
import { checkArray, splitArrayOptions, withTensors } from '../core/arrays.js';
import {
  bindingLimit,
  checkBindable,
  checkKeys,
  checkObject,
  checkRank,
  checkSameDType,
  checkSameLayout,
  checkShape,
  checkSize,
  describe,
  sameShape,
} from '../core/validate.js';
import { backwardSource, checkOp, paramSlots, resolveParams } from '../elementwise/params.js';
import { fusedTuning, gluKinds, gluVariants, type GluKind } from './table.js';

/** Binding offsets are kept multiples of this (the largest minStorageBufferOffsetAlignment). */
const ALIGN = 256;

// ---- shared checks ------------------------------------------------------------

/**
 * Two tensor arguments that must share a layout (glu's a and b, a backward's
 * input and dy): each a live tensor of this instance, the first of rank >= 1
 * (`what` names its shape in the error), the second of the same shape and dtype.
 */
function checkPair(
  rt: Runtime,
  op: string,
  an: string,
  a: unknown,
  bn: string,
  b: unknown,
  what: string,
): [Tensor, Tensor] {
  rt.checkTensor(op, an, a);
  rt.checkTensor(op, bn, b);
  checkRank(op, an, a, 1, what);
  checkSameLayout(op, an, a, bn, b);
  return [a, b];
}

/** resolveParams of the table op (and `out`), its messages prefixed with the fused op's name. */
function opParams(label: string, op: ActivationName, params: unknown): number[] {
  try {
    const values = resolveParams(op, params, ['out']);
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

/** `bytes` of t from byte `from` (rounded up to whole 4-byte words), as a binding. */
const sub = (t: Tensor, from: number, bytes: number): BufferRange => ({
  buffer: t.buffer,
  offset: t.byteOffset + from,
  size: ceil4(bytes),
});

const fitsWords = (t: Tensor, bytes: number) => t.byteOffset + bytes <= t.buffer.size;

function params4(slots: number[]): number[] {
  const p = [0, 0, 0, 0];
  slots.forEach((v, i) => (p[i] = Number.isNaN(v) ? 0 : v));
  return p;
}

// ---- outputs: `out`, in place, and outputs sharing an input's buffer -------------

/** Where a result goes, decided before any GPU work. */
interface OutPlan {
  /** The caller's `out`, or null for a new tensor. */
  given: Tensor | null;
  /** Inputs that are exactly out: the kernel reads them through out's binding. */
  inPlace: string[];
  /** out shares a buffer with an input it is not: the kernel writes a scratch tensor, then it is copied. */
  scratch: boolean;
}

/**
 * Checks `out` (a live tensor of this instance with the result's shape and
 * dtype) against the inputs: it may be exactly one of `inPlaceOk` (in place)
 * or disjoint from every input; any other overlap is refused.
 */
function planOut(
  rt: Runtime,
  label: string,
  out: unknown,
  shape: readonly number[],
  dtype: DType,
  inputs: [string, Tensor | null][],
  inPlaceOk: readonly string[],
): OutPlan {
  const plan: OutPlan = { given: null, inPlace: [], scratch: false };
  if (out === undefined) return plan;
  rt.checkTensor(label, 'out', out);
  if (!sameShape(out.shape, shape)) {
    throw new InvalidArgumentError(
      `${label}: out must have the result's shape [${shape.join(', ')}], got [${out.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  if (out.dtype !== dtype) {
    throw new InvalidArgumentError(
      `${label}: out must be ${dtype} (the result's dtype), got ${out.dtype}`,
      'DTYPE_MISMATCH',
    );
  }
  plan.given = out;
  for (const [name, t] of inputs) {
    if (!t || t.buffer !== out.buffer) continue;
    if (t.byteOffset === out.byteOffset && t.byteLength === out.byteLength && t.dtype === dtype) {
      if (inPlaceOk.includes(name)) {
        plan.inPlace.push(name);
        continue;
      }
    }
    const overlap =
      t.byteOffset < out.byteOffset + out.byteLength &&
      out.byteOffset < t.byteOffset + t.byteLength;
    if (overlap) {
      const ok = inPlaceOk.length ? ` exactly ${inPlaceOk.join(' or ')} (in place) or` : '';
      throw new InvalidArgumentError(
        `${label}: out overlaps ${name}; out may be${ok} disjoint from every input`,
      );
    }
    plan.scratch = true;
  }
  if (plan.scratch) {
    plan.inPlace = [];
    if (!(out.buffer.usage & GPUBufferUsage.COPY_DST)) {
      throw new InvalidArgumentError(
        `${label}: out shares an input's buffer, so it is written by a copy, and lacks COPY_DST`,
        'BUFFER_USAGE',
      );
    }
  }
  return plan;
}

/** The output tensor: out, or a new one (pooled: every kernel here writes every element). */
const outputOf = (
  rt: Runtime,
  plan: OutPlan,
  shape: readonly number[],
  dtype: DType,
  label: string,
) => plan.given ?? rt.allocate(shape, dtype, label, true);

/** The in-place map of a kernel: kernel operand name -> output name. */
function inPlaceMap(plan: OutPlan, output: string, rename: Record<string, string> = {}) {
  const m: Record<string, string> = {};
  for (const name of plan.inPlace) m[rename[name] ?? name] = output;
  return m;
}

/** Binding ranges in a kernel's binding order, from ranges by operand name. */
const bindOrder = (operands: Operand[], ranges: Record<string, BufferRange>): BufferRange[] =>
  operands.map((o) => ranges[o.name]);

// ---- sub-ranges of whole rows ---------------------------------------------------

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Rows per dispatch: all of them when every operand fits one binding, else
 * the most whole rows that fit, a multiple of the rows that keep every
 * operand's sub-range offset 256-byte aligned. rowBytes: bytes per row of
 * each operand bound in sub-ranges.
 */
function chunkRows(rt: Runtime, label: string, rows: number, rowBytes: number[]): number {
  const max = bindingLimit(rt.limits);
  const widest = Math.max(...rowBytes);
  if (Math.ceil((rows * widest) / 16) * 16 <= max) return Math.max(1, rows);
  const q = Math.max(...rowBytes.map((b) => ALIGN / gcd(b % ALIGN, ALIGN)));
  const per = Math.floor(max / widest / q) * q;
  if (per === 0) {
    throw new InvalidArgumentError(
      `${label}: rows of ${widest} bytes are too wide for sub-ranges (${q} rows, ${ALIGN}-byte aligned) within maxStorageBufferBindingSize (${max})`,
      'UNSUPPORTED',
    );
  }
  return per;
}

/** [first row, rows] of each dispatch. */
function chunks(rows: number, per: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r0 = 0; r0 < rows; r0 += per) out.push([r0, Math.min(per, rows - r0)]);
  return out;
}

// ---- biasAct ----------------------------------------------------------------------

function checkActivation(op: unknown): ActivationName {
  checkOp(op, [], 'biasAct');
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
  checkSameDType(label, 'x', like, 'bias', bias);
  return bias;
}

const outOf = (params: unknown): unknown =>
  params !== null && typeof params === 'object' ? (params as { out?: unknown }).out : undefined;

/** y = act(x + bias) for x [..., C] and bias [C], in one pass; params.out takes the result. */
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
  const dtype = x.dtype;
  const plan = planOut(
    rt,
    label,
    outOf(params),
    x.shape,
    dtype,
    [
      ['x', x],
      ['bias', bias],
    ],
    ['x'],
  );
  const c = bias.shape[0];
  const rows = c === 0 ? 0 : x.size / c;
  const eb = bytesPerElement(dtype);
  const perChunk = chunkRows(rt, label, rows, [c * eb]);
  const out = outputOf(rt, plan, x.shape, dtype, `${label} output`);
  if (x.size === 0) return out;
  writeThrough(rt, out, plan.scratch, `${label} output scratch`, (target) => {
    const rowsShape = c % 4 === 0;
    const vbytes = Math.ceil(x.size / 4) * wordBytes(dtype, 'vector');
    const layout: FusedLayout =
      rowsShape || (fitsWords(x, vbytes) && fitsWords(target, vbytes)) ? 'vector' : 'element';
    const k: BiasForwardKernel = {
      op,
      slots,
      dtype,
      shape: rowsShape ? 'rows' : 'flat',
      layout,
      inPlace: plan.inPlace.includes('x'),
    };
    const pipeline = rt.pipeline(
      `fused|bias-fwd|${op}|${enumKey(op, slots)}|${dtype}|${k.shape}|${layout}|${k.inPlace}`,
      `${label} forward ${dtype} ${k.shape} ${layout}${k.inPlace ? ' in place' : ''}`,
      () => biasForwardShader(k),
    );
    const operands = biasForwardOperands(k);
    const cw = c / 4;
    const t = fusedTuning;
    // Rows per invocation: enough invocations to fill a GPU, at most maxForwardRows.
    const per = rowsShape
      ? Math.min(t.maxForwardRows, Math.max(1, Math.ceil((rows * cw) / t.targetThreads)))
      : 1;
    const wb = wordBytes(dtype, layout);
    const lanes = layout === 'vector' ? 4 : 1;
    for (const [r0, nr] of chunks(rows, perChunk)) {
      const n = nr * c;
      const nwords = Math.ceil(n / 4);
      const words = Math.ceil(n / lanes);
      const from = r0 * c * eb;
      const u = new ArrayBuffer(48);
      new Uint32Array(u, 0, 8).set([n, nwords, c, per, nr, cw, 0, 0]);
      new Float32Array(u, 32, 4).set(params4(slots));
      const ranges = {
        x: sub(x, from, words * wb),
        bias: rowsShape ? sub(bias, 0, c * eb) : tensorRange(bias),
        out: sub(target, from, words * wb),
      };
      const invocations = rowsShape ? Math.ceil(nr / per) * cw : words;
      rt.dispatch(pipeline, u, bindOrder(operands, ranges), Math.ceil(invocations / WG));
    }
  });
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
 * rows, then a fixed merge tree. Deterministic (bitwise, run to run, for a
 * given device's binding limit). params.out takes dx (it may be x, y or dy:
 * in place); dbias is always a new tensor.
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
  const aName = backwardSource(label, op, given, 'x and bias');
  const hasX = aName === 'x';
  const hasY = !hasX;
  const [a, dy] = checkPair(rt, label, aName, hasX ? given.x : given.y, 'dy', given.dy, '[..., C]');
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
  const dtype = a.dtype;
  const plan = planOut(
    rt,
    label,
    outOf(params),
    a.shape,
    dtype,
    [
      [aName, a],
      ['dy', dy],
      ['bias', bias],
    ],
    [aName, 'dy'],
  );
  const c = a.shape[a.shape.length - 1];
  const rows = c === 0 ? 0 : a.size / c;
  const layout: FusedLayout = c % 4 === 0 ? 'vector' : 'element';
  const lanes = layout === 'vector' ? 4 : 1;
  const cw = c / lanes;
  const eb = bytesPerElement(dtype);
  const perChunk = chunkRows(rt, label, rows, [c * eb]);
  // Runs of rows ("slices"), each summed by one invocation per column word into a float32
  // partial; every chunk of rows has its own slices, and all partials fit one binding.
  const max = bindingLimit(rt.limits);
  const t = fusedTuning;
  const wanted = Math.max(1, Math.floor(t.targetThreads / Math.max(1, cw)));
  let per = Math.max(t.minRowsPerSlice, Math.ceil(rows / wanted));
  const sliceCount = () => chunks(rows, perChunk).reduce((s, [, nr]) => s + Math.ceil(nr / per), 0);
  if (c * 4 > max) {
    throw new InvalidArgumentError(
      `${label}: dbias's partial sums of a row (${c * 4} bytes) are over maxStorageBufferBindingSize (${max})`,
      'UNSUPPORTED',
    );
  }
  while (sliceCount() * c * 4 > max) per *= 2;
  const slices = sliceCount();

  const dx = outputOf(rt, plan, a.shape, dtype, `${label} dx`);
  // Pooled buffers will do for dbias and the partials: the kernels write every element.
  const dbias = rt.allocate([c], dtype, `${label} dbias`, true);
  if (c === 0) return { dx, dbias };
  if (rows === 0) {
    rt.upload(dbias, dtype === 'float32' ? new Float32Array(c) : new Uint16Array(c));
    return { dx, dbias };
  }
  const partialBytes = lanes * 4;
  let partials = rt.allocate([slices * c], 'float32', `${label} dbias partials`, true);
  writeThrough(rt, dx, plan.scratch, `${label} output scratch`, (target) => {
    const k: BiasBackwardKernel = {
      op,
      slots,
      dtype,
      layout,
      fromY: hasY,
      inPlace: inPlaceMap(plan, 'dx', { [aName]: 'a' }),
    };
    const pipeline = rt.pipeline(
      `fused|bias-bwd|${op}|${enumKey(op, slots)}|${dtype}|${layout}|${hasY}|${inPlaceKey(k.inPlace)}`,
      `${label} backward${hasY ? ' from y' : ''} ${dtype} ${layout}`,
      () => biasBackwardShader(k),
    );
    const operands = biasBackwardOperands(k);
    let sbase = 0;
    for (const [r0, nr] of chunks(rows, perChunk)) {
      const s = Math.ceil(nr / per);
      const u = new ArrayBuffer(48);
      new Uint32Array(u, 0, 8).set([nr, cw, s, per, sbase, 0, 0, 0]);
      new Float32Array(u, 32, 4).set(params4(slots));
      const from = r0 * c * eb;
      const ranges = {
        a: sub(a, from, nr * c * eb),
        dy: sub(dy, from, nr * c * eb),
        dx: sub(target, from, nr * c * eb),
        ...(bias ? { bias: sub(bias, 0, c * eb) } : {}),
      };
      rt.dispatch(
        pipeline,
        u,
        [
          ...bindOrder(operands, ranges),
          { buffer: partials.buffer, offset: 0, size: slices * cw * partialBytes },
        ],
        Math.ceil((s * cw) / WG),
      );
      sbase += s;
    }
  });

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
      const wb = wordBytes(dtype, layout);
      rt.dispatch(merge, mu.buffer, [src, sub(dbias, 0, cw * wb)], Math.ceil(cw / WG));
      partials.destroy();
      break;
    }
    const next = rt.allocate([groups * c], 'float32', `${label} dbias partials`, true);
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

/** GLU parameters: geglu takes gelu's { approximate: 'none' | 'tanh' }; the others none. */
export interface GluParams {
  approximate?: 'none' | 'tanh';
  /** Write the result here (forward; backward from { x, dy }: dx). */
  out?: Tensor;
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
  /** Rows per dispatch (sub-ranges over the binding limit). */
  perChunk: number;
}

function gluGeometry(rt: Runtime, kind: GluKind, input: unknown): GluGeometry {
  let g: Omit<GluGeometry, 'perChunk'>;
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
    const h = last / 2;
    g = {
      split: false,
      tensors: [input],
      half: [...input.shape.slice(0, -1), h],
      dtype: input.dtype,
      h,
      rows: h === 0 ? 0 : input.size / last,
    };
  } else {
    const o = checkObject(kind, 'input', input);
    checkKeys(kind, 'input', o, ['a', 'b']);
    const [a, b] = checkPair(rt, kind, 'a', o.a, 'b', o.b, '[..., H]');
    const h = a.shape[a.shape.length - 1];
    g = {
      split: true,
      tensors: [a, b],
      half: [...a.shape],
      dtype: a.dtype,
      h,
      rows: h === 0 ? 0 : a.size / h,
    };
  }
  const hb = g.h * bytesPerElement(g.dtype);
  return { ...g, perChunk: chunkRows(rt, kind, g.rows, g.split ? [hb] : [2 * hb, hb]) };
}

function gluDispatch(
  rt: Runtime,
  kind: GluKind,
  direction: 'forward' | 'backward',
  g: GluGeometry,
  slots: number[],
  operands: Record<string, Tensor>,
  inPlace: Record<string, string>,
): void {
  if (g.rows === 0) return;
  const layout: FusedLayout = g.h % 4 === 0 ? 'vector' : 'element';
  const lanes = layout === 'vector' ? 4 : 1;
  const hw = g.h / lanes;
  const { dtype, split } = g;
  const op = gluVariants[kind].op;
  const k: GluKernel = { kind, slots, dtype, layout, direction, split, inPlace };
  const pipeline = rt.pipeline(
    `fused|glu|${kind}|${enumKey(op, slots)}|${direction}|${dtype}|${layout}|${split}|${inPlaceKey(inPlace)}`,
    `${kind} ${direction} ${dtype} ${layout}${split ? ' (a, b)' : ''}`,
    () => gluShader(k),
  );
  const hb = g.h * bytesPerElement(dtype);
  const order = gluOperands(k);
  for (const [r0, nr] of chunks(g.rows, g.perChunk)) {
    const n = nr * hw;
    const u = new ArrayBuffer(48);
    new Uint32Array(u, 0, 4).set([n, hw, 0, 0]);
    new Float32Array(u, 16, 8).set([...params4(slots), NaN, 0, 0, 0]);
    const ranges: Record<string, BufferRange> = {};
    for (const [name, t] of Object.entries(operands)) {
      // x and dx hold both halves: rows of 2H.
      const rb = name === 'x' || name === 'dx' ? 2 * hb : hb;
      ranges[name] = sub(t, r0 * rb, nr * rb);
    }
    rt.dispatch(pipeline, u, bindOrder(order, ranges), Math.ceil(n / WG));
  }
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
  const names = g.split ? ['a', 'b'] : ['x'];
  const named = names.map((n, i) => [n, g.tensors[i]] as [string, Tensor]);
  // From { a, b } the output may be a or b (each element is read, then written, by one invocation).
  const plan = planOut(rt, kind, outOf(params), g.half, g.dtype, named, g.split ? names : []);
  const out = outputOf(rt, plan, g.half, g.dtype, `${kind} output`);
  writeThrough(rt, out, plan.scratch, `${kind} output scratch`, (target) =>
    gluDispatch(
      rt,
      kind,
      'forward',
      g,
      slots,
      { ...Object.fromEntries(named), out: target },
      inPlaceMap(plan, 'out'),
    ),
  );
  return out;
}

/**
 * Backward of a GLU: from { x, dy } gives dx [..., 2H] (da and db side by
 * side; params.out takes it, and may be x); from { a, b, dy } gives { da, db }.
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
  if (!sameShape(dy.shape, g.half)) {
    throw new InvalidArgumentError(
      `${kind}: dy must have the output's shape [${g.half.join(', ')}], got [${dy.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  checkSameDType(kind, split ? 'a' : 'x', g.tensors[0], 'dy', dy);
  const slots = gluSlots(kind, params);
  if (split) {
    if (outOf(params) !== undefined) {
      throw new InvalidArgumentError(
        `${kind}: out applies to the backward from { x, dy } (dx), not to { a, b, dy }`,
      );
    }
    const da = rt.allocate(g.half, g.dtype, `${kind} da`, true);
    const db = rt.allocate(g.half, g.dtype, `${kind} db`, true);
    const [a, b] = g.tensors;
    gluDispatch(rt, kind, 'backward', g, slots, { a, b, dy, da, db }, {});
    return { da, db };
  }
  const x = g.tensors[0];
  const plan = planOut(
    rt,
    kind,
    outOf(params),
    x.shape,
    g.dtype,
    [
      ['x', x],
      ['dy', dy],
    ],
    ['x'],
  );
  const dx = outputOf(rt, plan, x.shape, g.dtype, `${kind} dx`);
  writeThrough(rt, dx, plan.scratch, `${kind} output scratch`, (target) =>
    gluDispatch(rt, kind, 'backward', g, slots, { x, dy, dx: target }, inPlaceMap(plan, 'dx')),
  );
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
  /** Write the result here (forward: y, may be x; backward: dx, may be y or dy). */
  out?: Tensor;
}

interface MaskLayout {
  rdim: number[];
  rstride: number[];
  mstride: number[];
  mcol: number;
}
/** NumPy broadcasting of a mask of shape mshape to x's shape, as the kernel addresses it. */
function maskLayout(xshape: readonly number[], mshape: readonly number[]): MaskLayout {
  const r = xshape.length;
  const md = alignBroadcast(SMS, 'mask', xshape, mshape, 'x');
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
  if (runs.length > MAX_RUNS) throw tooManyRuns(SMS, 'mask', xshape, mshape);
  while (runs.length < MAX_RUNS) runs.push({ size: 1, rstride: 1, mstride: 0 });
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
  checkKeys(SMS, 'option', o, ['scale', 'mask', 'causal', 'offset', 'out']);
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
    checkBindable(rt.limits, SMS, 'mask', m.byteLength);
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
  checkSize(SMS, 'mask.shape', shape, 'mask.data', mo.data.length);
  res.layout = maskLayout(x.shape, shape);
  checkBindable(rt.limits, SMS, 'mask', mo.data.byteLength);
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
  rbase: number,
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
    rbase,
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

/** Records the row kernel over x's rows, in sub-ranges of whole rows over the binding limit. */
function maskedSoftmaxRows(
  rt: Runtime,
  k: MaskedSoftmaxKernel,
  m: ResolvedMask,
  g: ReturnType<typeof rowGeometry>,
  perChunk: number,
  operands: Record<string, Tensor>,
  mask: BufferRange | null,
): void {
  const plan = subgroupPlan(rt);
  const pipeline = rt.pipeline(
    `fused|sms|${k.direction}|${k.dtype}|${k.layout}|${k.mask}|${k.maskDtype}|${k.subgroups}|${inPlaceKey(k.inPlace)}`,
    `${SMS} ${k.direction} ${k.dtype}${k.direction === 'forward' ? ` mask ${k.mask}` : ''}`,
    () => maskedSoftmaxShader(k),
  );
  const rb = g.cols * bytesPerElement(k.dtype);
  const order = maskedSoftmaxOperands(k);
  for (const [r0, nr] of chunks(g.rows, perChunk)) {
    const ranges: Record<string, BufferRange> = {};
    for (const [name, t] of Object.entries(operands)) ranges[name] = sub(t, r0 * rb, nr * rb);
    rt.dispatch(
      pipeline,
      maskedSoftmaxUniforms(nr, g.cols, g.mrows, m, r0),
      [...bindOrder(order, ranges), ...(mask ? [mask] : [])],
      Math.ceil(nr / plan.rowsPerGroup),
    );
  }
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
  const plan = planOut(
    rt,
    SMS,
    outOf(options),
    x.shape,
    x.dtype,
    [
      ['x', x],
      ['mask', m.tensor],
    ],
    ['x'],
  );
  const g = rowGeometry(x);
  const perChunk = chunkRows(rt, SMS, g.rows, [g.cols * bytesPerElement(x.dtype)]);
  const out = outputOf(rt, plan, x.shape, x.dtype, `${SMS} output`);
  if (g.rows === 0) return out;
  let owned: Tensor | null = null;
  let mask: BufferRange | null = m.tensor ? tensorRange(m.tensor) : null;
  if (m.data) {
    const words = Math.ceil(m.data.byteLength / 4);
    owned = rt.allocate([Math.max(1, words)], 'float32', `${SMS} mask`);
    rt.upload(owned, m.data);
    mask = { buffer: owned.buffer, offset: 0, size: ceil4(m.data.byteLength) };
  }
  writeThrough(rt, out, plan.scratch, `${SMS} output scratch`, (target) =>
    maskedSoftmaxRows(
      rt,
      {
        direction: 'forward',
        dtype: x.dtype,
        layout: g.cols % 4 === 0 ? 'vector' : 'element',
        mask: m.kind,
        maskDtype: m.maskDtype,
        subgroups: subgroupPlan(rt).subgroups,
        inPlace: inPlaceMap(plan, 'out'),
      },
      m,
      g,
      perChunk,
      { x, out: target },
      mask,
    ),
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
  const [y, dy] = checkPair(rt, SMS, 'y', o.y, 'dy', o.dy, '[..., rows, cols]');
  const m = resolveMaskOptions(rt, y, options);
  const plan = planOut(
    rt,
    SMS,
    outOf(options),
    y.shape,
    y.dtype,
    [
      ['y', y],
      ['dy', dy],
    ],
    ['y', 'dy'],
  );
  const g = rowGeometry(y);
  const perChunk = chunkRows(rt, SMS, g.rows, [g.cols * bytesPerElement(y.dtype)]);
  const dx = outputOf(rt, plan, y.shape, y.dtype, `${SMS} dx`);
  if (g.rows === 0) return dx;
  writeThrough(rt, dx, plan.scratch, `${SMS} output scratch`, (target) =>
    maskedSoftmaxRows(
      rt,
      {
        direction: 'backward',
        dtype: y.dtype,
        layout: g.cols % 4 === 0 ? 'vector' : 'element',
        mask: 'none',
        maskDtype: 'float32',
        subgroups: subgroupPlan(rt).subgroups,
        inPlace: inPlaceMap(plan, 'dx'),
      },
      { ...m, kind: 'none', layout: null },
      g,
      perChunk,
      { y, dy, dx: target },
      null,
    ),
  );
  return dx;
}

// ---- one call on plain arrays -----------------------------------------------------

/** What the one-call forms need from the instance (Activations). */
interface Host {
  readonly runtime: Runtime;
  tensor(data: Float32Array, shape?: readonly number[], options?: { dtype?: DType }): Tensor;
}

/**
 * The one-call forms' options: x, then the shape and dtype options; `out`
 * is refused (the result is read back and returned).
 */
function arrayOptions(op: string, x: unknown, params: unknown) {
  checkArray(op, 'x', x);
  const p = checkObject(op, 'params', params);
  if (p.out !== undefined) {
    throw new InvalidArgumentError(`${op}: the one-call forms on arrays take no out`);
  }
  // A null dtype reads as the default here, as it always has for the fused forms.
  return splitArrayOptions(op, x, 'x', { ...p, dtype: p.dtype ?? undefined });
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
