/**
 * biasAct's host: y = act(x + bias) for x [..., C] and bias [C] in one pass,
 * and its backward giving dx and dbias in one pass over x (or y) and dy, then
 * a fixed merge tree for dbias. Every argument, `out` included, is checked
 * before any GPU work is recorded; tensors over the binding limit are
 * processed in sub-ranges of whole rows.
 */
import type { ActivationName } from '../../elementwise/table.js';
import { enumKey } from '../../elementwise/codegen.js';
import { backwardSource, checkOp } from '../../elementwise/params.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { bytesPerElement, subRange, tensorRange, type Tensor } from '../../core/tensor.js';
import {
  bindingLimit,
  checkKeys,
  checkObject,
  checkRank,
  checkSameDType,
} from '../../core/validate.js';
import type { BufferRange, Runtime } from '../../runtime/runtime.js';
import { writeThrough } from '../../runtime/scratch.js';
import { fusedTuning } from '../table.js';
import { checkPair, opParams, params4 } from '../checks.js';
import { inPlaceMap, outOf, outputOf, planOut } from '../out.js';
import { bindOrder, chunkRows, chunks, fitsWords } from '../rows.js';
import { inPlaceKey, WG, wordBytes, wordLanes, type FusedLayout } from '../codegen.js';
import {
  biasBackwardOperands,
  biasBackwardShader,
  biasForwardOperands,
  biasForwardShader,
  biasMergeShader,
  MERGE_FAN,
  type BiasBackwardKernel,
  type BiasForwardKernel,
} from './codegen.js';

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
    const lanes = wordLanes(layout);
    for (const [r0, nr] of chunks(rows, perChunk)) {
      const n = nr * c;
      const nwords = Math.ceil(n / 4);
      const words = Math.ceil(n / lanes);
      const from = r0 * c * eb;
      const u = new ArrayBuffer(48);
      new Uint32Array(u, 0, 8).set([n, nwords, c, per, nr, cw, 0, 0]);
      new Float32Array(u, 32, 4).set(params4(slots));
      const ranges = {
        x: subRange(x, from, words * wb),
        bias: rowsShape ? subRange(bias, 0, c * eb) : tensorRange(bias),
        out: subRange(target, from, words * wb),
      };
      const invocations = rowsShape ? Math.ceil(nr / per) * cw : words;
      rt.dispatch(pipeline, u, bindOrder(operands, ranges), Math.ceil(invocations / WG));
    }
  });
  return out;
}

/** biasActBackward's inputs: { x, bias, dy }, or { y, dy } where the derivative is a function of y. */
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
  const lanes = wordLanes(layout);
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
  // Every sub-range of rows has at least one slice: past that, no slice length fits.
  const ranges = chunks(rows, perChunk).length;
  if (ranges * c * 4 > max) {
    throw new InvalidArgumentError(
      `${label}: dbias's partial sums (${ranges} sub-ranges of rows x ${c * 4} bytes) are over maxStorageBufferBindingSize (${max})`,
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
  const partials = rt.allocate([slices * c], 'float32', `${label} dbias partials`, true);
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
        a: subRange(a, from, nr * c * eb),
        dy: subRange(dy, from, nr * c * eb),
        dx: subRange(target, from, nr * c * eb),
        ...(bias ? { bias: subRange(bias, 0, c * eb) } : {}),
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

  mergeDbias(rt, label, layout, partials, slices, dbias);
  return { dx, dbias };
}

/**
 * dbias from `slices` float32 partials of each column word: a fixed merge
 * tree of fan-in MERGE_FAN per pass, the last pass writing dbias in its
 * dtype (so the sum is bitwise the same run to run). Destroys `first` and
 * every partials tensor it makes.
 */
function mergeDbias(
  rt: Runtime,
  label: string,
  layout: FusedLayout,
  first: Tensor,
  slices: number,
  dbias: Tensor,
): void {
  const dtype = dbias.dtype;
  const c = dbias.shape[0];
  const lanes = wordLanes(layout);
  const cw = c / lanes;
  const partialBytes = lanes * 4;
  let partials = first;
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
      rt.dispatch(merge, mu.buffer, [src, subRange(dbias, 0, cw * wb)], Math.ceil(cw / WG));
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
}
