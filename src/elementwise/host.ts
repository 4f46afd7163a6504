/**
 * The elementwise family on the GPU: checks, plans and records one generic
 * kernel per op and direction (forward, backward from x or from y), prelu's
 * broadcast slope and its gradient, and pipeline warmup.
 */
import broadcastGradTemplate from '../../shaders/elementwise/broadcast-grad.wgsl?raw';
import { collapseBroadcast } from '../core/broadcast.js';
import { InvalidArgumentError } from '../core/errors.js';
import { bytesPerElement, subRange, Tensor, type DType } from '../core/tensor.js';
import {
  BINDING_ALIGN,
  bindingLimit,
  checkBindable,
  checkKeys,
  checkSameLayout,
  describe,
  sizeOf,
} from '../core/validate.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import { fill } from '../wgsl/template.js';
import { bytesPerWord, lanesPerWord, loadElement } from '../wgsl/storage.js';
import {
  elementwiseShader,
  enumKey,
  type Direction,
  type ElementwiseKernel,
  type Layout,
} from './codegen.js';
import { backwardSource, checkOp, paramSlots, resolveParams } from './params.js';
import { defOf, type ActivationName } from './table.js';

/** prelu's slope: a number, a tensor, or data with a shape, broadcast to x (NumPy rules). */
export type SlopeValue = number | Tensor | { data: Float32Array; shape: readonly number[] };

/** The inputs of a backward: { x, dy }, or { y, dy } where the derivative is a function of y. */
export interface BackwardInputs {
  x?: Tensor;
  y?: Tensor;
  dy: Tensor;
}

const CALL_OPTIONS = ['out'] as const;
const WORKGROUP_SIZE = 256;
/**
 * One dispatch's uniforms, filled anew for each: dispatch() copies them at
 * once, and an ArrayBuffer per dispatch fed Chromium's garbage collector
 * (bench/notes/latency.md, item 7).
 */
const U32 = new Uint32Array(20);
const F32 = new Float32Array(U32.buffer);

/** y = op(x); params holds the op's parameters and `out`. */
export function elementwiseForward(
  rt: Runtime,
  op: ActivationName,
  x: Tensor,
  params: unknown,
): Tensor {
  rt.checkTensor(op, 'x', x);
  return record(rt, op, 'forward', [x], params);
}

/** dx = dy * op'(x) (or op'(y) for sigmoid and tanh), one dedicated kernel. */
export function elementwiseBackward(
  rt: Runtime,
  op: ActivationName,
  inputs: BackwardInputs,
  params: unknown,
): Tensor {
  const { a, direction } = backwardInputs(rt, op, inputs);
  return record(rt, op, direction, [a, inputs.dy], params);
}

/** prelu's slope gradient, summed over the axes the slope is broadcast along; shaped like the slope. */
export function preluSlopeGradient(
  rt: Runtime,
  op: 'prelu',
  inputs: { x: Tensor; dy: Tensor },
  params: unknown,
): Tensor {
  const { a } = backwardInputs(rt, op, inputs);
  resolveParams(op, params, []);
  const slope = tensorParam(rt, op, a.shape, params);
  const pshape = slope ? [...slope.shape] : [];
  const b = collapseBroadcast(op, 'slope', a.shape, pshape);
  // The kernel binds x and dy whole: one binding each.
  checkBindable(rt.limits, op, 'x for the slope gradient', a.byteLength);
  // Allocated after every check, so a refused call leaves no tensor behind.
  const out = rt.allocate(pshape, 'float32', 'prelu dslope');
  if (a.size === 0) return out;
  const dtype = a.dtype;
  const pipeline = rt.pipeline(`broadcast-grad|prelu|${dtype}`, 'prelu slope gradient', () =>
    fill(
      broadcastGradTemplate,
      { LOAD: `${loadElement(dtype, 'x')}\n${loadElement(dtype, 'dy')}` },
      'prelu slope gradient',
    ),
  );
  const count = sizeOf(pshape);
  const u = new Uint32Array(16);
  u.set([a.size, count, b.members, 0, ...b.dim, ...b.xstride, ...b.stride.map((s) => +(s > 0))]);
  const words = Math.ceil(a.byteLength / 4) * 4;
  rt.dispatch(
    pipeline,
    u.buffer,
    [
      { buffer: a.buffer, offset: a.byteOffset, size: words },
      { buffer: inputs.dy.buffer, offset: inputs.dy.byteOffset, size: words },
      { buffer: out.buffer, offset: 0, size: Math.max(4, count * 4) },
    ],
    count,
  );
  return out;
}

/** Compiles the forward and backward pipelines of the ops and dtypes without blocking. */
export async function prepareElementwise(
  rt: Runtime,
  ops: readonly ActivationName[],
  dtypes: readonly DType[],
): Promise<void> {
  const work: Promise<void>[] = [];
  for (const op of ops) {
    checkOp(op);
    for (const dtype of dtypes) {
      for (const direction of ['forward', 'backward'] as const) {
        const k = kernelSpec(op, direction, dtype, 'vector', null, false, [], true);
        work.push(rt.prepare(k.key, k.label, k.code));
      }
    }
  }
  await Promise.all(work);
}

/**
 * The op's tensor parameter (prelu's slope) when it is a tensor, checked and
 * broadcast against x; null for a number, which travels as a uniform.
 */
export function tensorParam(
  rt: Runtime,
  op: ActivationName,
  xShape: readonly number[],
  params: unknown,
): Tensor | null {
  const name = defOf(op).tensorParam;
  if (!name) return null;
  const v = (params as Record<string, unknown> | undefined)?.[name];
  if (v === undefined || typeof v === 'number') return null;
  if (!(v instanceof Tensor)) {
    throw new InvalidArgumentError(
      `${op}: ${name} must be a number or a Tensor here (use apply/grad for { data, shape }), got ${describe(v)}`,
    );
  }
  rt.checkTensor(op, name, v);
  if (v.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${op}: ${name} must be a float32 tensor, got ${v.dtype}`,
      'DTYPE_MISMATCH',
    );
  }
  collapseBroadcast(op, name, xShape, v.shape);
  return v;
}

function backwardInputs(
  rt: Runtime,
  op: ActivationName,
  inputs: BackwardInputs,
): { a: Tensor; direction: Direction } {
  if (typeof inputs !== 'object' || inputs === null) {
    throw new InvalidArgumentError(
      `${op}: backward inputs must be { x, dy } or { y, dy }, got ${describe(inputs)}`,
    );
  }
  checkKeys(op, 'backward input', inputs, ['x', 'y', 'dy']);
  const from = backwardSource(op, op, inputs);
  const a = inputs[from] as Tensor;
  rt.checkTensor(op, from, a);
  rt.checkTensor(op, 'dy', inputs.dy);
  checkSameLayout(op, from, a, 'dy', inputs.dy);
  return { a, direction: from === 'x' ? 'backward' : 'backwardFromY' };
}

function kernelSpec(
  op: ActivationName,
  direction: Direction,
  dtype: DType,
  layout: Layout,
  inPlace: 0 | 1 | null,
  broadcastParam: boolean,
  enums: readonly number[],
  wholeWords: boolean,
) {
  const k: ElementwiseKernel = {
    op,
    direction,
    dtype,
    layout,
    inPlace,
    broadcastParam,
    workgroupSize: WORKGROUP_SIZE,
    enums,
    wholeWords,
  };
  return {
    key: `elementwise|${op}|${direction}|${dtype}|${layout}|${inPlace}|${broadcastParam}|${WORKGROUP_SIZE}|${enumKey(op, enums)}|${wholeWords}`,
    label: `${op} ${direction} ${dtype} ${layout}`,
    code: () => elementwiseShader(k),
  };
}

/**
 * Checks the op's parameters and the output, then records the kernel over
 * all of `inputs` ([x], or [x or y, dy]), in sub-ranges no larger than the
 * device's binding limit (each a multiple of 256 bytes, so every binding
 * offset stays aligned).
 */
function record(
  rt: Runtime,
  op: ActivationName,
  direction: Direction,
  inputs: Tensor[],
  params: unknown,
): Tensor {
  const values = resolveParams(op, params, CALL_OPTIONS);
  const slope = tensorParam(rt, op, inputs[0].shape, params);
  const out = rt.output(
    op,
    (params as { out?: Tensor } | undefined)?.out,
    inputs[0],
    slope ? [...inputs, slope] : inputs,
  );
  const n = out.size;
  if (n === 0) return out;
  const dtype = out.dtype;
  const operands = [...inputs, out];
  // Vector words read past n up to the next 16 (or 8) bytes: allowed where every buffer has room.
  const fits = (layout: Layout) =>
    operands.every(
      (t) =>
        t.byteOffset + Math.ceil(n / lanesPerWord(dtype, layout)) * bytesPerWord(dtype, layout) <=
        t.buffer.size,
    );
  const layout: Layout = fits('vector') ? 'vector' : 'scalar';
  const inPlaceIndex = inputs.findIndex(
    (t) => t.buffer === out.buffer && t.byteOffset === out.byteOffset,
  );
  const inPlace = inPlaceIndex < 0 ? null : (inPlaceIndex as 0 | 1);
  const slots = paramSlots(op, values);
  // The library's own tensors are padded to whole words that nobody else uses.
  const k = kernelSpec(op, direction, dtype, layout, inPlace, slope !== null, slots, out.owned);
  const pipeline = rt.pipeline(k.key, k.label, k.code);
  const lanes = lanesPerWord(dtype, layout);
  const wordBytes = bytesPerWord(dtype, layout);
  const elemBytes = bytesPerElement(dtype);
  const chunk = (Math.floor(bindingLimit(rt.limits) / BINDING_ALIGN) * BINDING_ALIGN) / elemBytes;
  const b = slope ? collapseBroadcast(op, 'slope', out.shape, slope.shape) : null;
  for (let base = 0; base < n; base += chunk) {
    const count = Math.min(chunk, n - base);
    const nwords = Math.ceil(count / lanes);
    // Whole words: nwords * wordBytes is already a multiple of 4.
    const range = (t: Tensor): BufferRange => subRange(t, base * elemBytes, nwords * wordBytes);
    // Params of shaders/elementwise/elementwise.wgsl: n, nwords, base, _pad, p, bdim, bxstride, bstride.
    U32.fill(0).set([count, nwords, base]);
    F32.set(
      slots.map((s) => (Number.isNaN(s) ? 0 : s)),
      4,
    );
    if (b) U32.set([...b.dim, ...b.xstride, ...b.stride], 8);
    const ranges = inputs.filter((_, i) => i !== inPlace).map(range);
    ranges.push(range(out));
    if (slope)
      ranges.push({
        buffer: slope.buffer,
        offset: slope.byteOffset,
        size: Math.max(4, slope.size * 4),
      });
    // Four words per invocation (shaders/elementwise/elementwise.wgsl).
    rt.dispatch(pipeline, U32.buffer, ranges, Math.ceil(nwords / (4 * WORKGROUP_SIZE)));
  }
  return out;
}
