/**
 * scaledMaskedSoftmax's options, checked and resolved before any GPU work:
 * scale, causal and its offset, and the mask (a tensor, or data to upload)
 * with its NumPy broadcast to x's shape as the kernel addresses it.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { Tensor, type DType } from '../../core/tensor.js';
import { alignBroadcast, MAX_RUNS, tooManyRuns } from '../../core/broadcast.js';
import {
  checkBindable,
  checkKeys,
  checkObject,
  checkShape,
  checkSize,
  describe,
} from '../../core/validate.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { MaskKind } from './codegen.js';

/** The op's name in messages. */
export const SMS = 'scaledMaskedSoftmax';

/** A mask: an additive tensor, or { data, shape } (Float32Array: additive; Uint8Array: boolean, 0 = masked). */
export type MaskValue = Tensor | { data: Float32Array | Uint8Array; shape: readonly number[] };

/** scaledMaskedSoftmax's options; its backward takes the forward's (and its own `out`). */
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

export interface ResolvedMask {
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

export function resolveMaskOptions(rt: Runtime, x: Tensor, options: unknown): ResolvedMask {
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
