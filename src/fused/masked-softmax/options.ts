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
import type { AttentionFlags, MaskKind } from './codegen.js';

/** The op's name in messages. */
export const SMS = 'scaledMaskedSoftmax';

/** Integers, one per batch entry (x.shape[0]). */
type PerBatch = readonly number[] | Int32Array | Uint32Array;

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
  /**
   * The causal (and ALiBi) offset: a non-negative integer (e.g. the key-value cache length;
   * default 0), or one per batch entry (x.shape[0]; rank 2: one) as an array.
   */
  offset?: number | PerBatch;
  /** Gemma 2 soft-capping, applied first: logit = c * tanh(scale * x / c) (finite, > 0). */
  softcap?: number;
  /**
   * ALiBi: one slope per head (x.shape[-3]; rank 2: one); adds slope_h * (j - i - offset).
   * An array, or a float32 Tensor of H elements (its values, on the GPU, are not checked:
   * a non-finite slope gives that head's rows unspecified values).
   */
  alibi?: readonly number[] | Float32Array | Tensor;
  /**
   * Columns j >= keyLengths[b] are masked, one integer in [0, cols] per batch entry. An
   * array (number[], Int32Array, Uint32Array), as per-batch offsets: tensors here are
   * float32 or float16 only, so integer per-batch values are not taken as a Tensor.
   */
  keyLengths?: PerBatch;
  /**
   * Attention sinks (gpt-oss): one logit per head, joining each row's max and denominator but
   * giving no column. The backward then returns { dx, dsinks } (dsinks summed over each head's rows).
   * An array, or a float32 Tensor of H elements (not checked on the host, as alibi's).
   */
  sinks?: readonly number[] | Float32Array | Tensor;
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
  /** c of the soft-cap (0: none). */
  softcap: number;
  flags: AttentionFlags;
  /** [offsets (B) | key lengths (B) | ALiBi slopes (H) | sinks (H), f32 bits] as read, or null. */
  aux: Uint32Array | null;
  /** Slopes or sinks given as tensors: copied into aux at word `at` (their part of aux is 0 until then). */
  auxTensors: { tensor: Tensor; at: number }[];
  /** Rows per batch entry, heads, and where key lengths and slopes start in aux. */
  bsize: number;
  heads: number;
  kbase: number;
  abase: number;
  sbase: number;
  kind: MaskKind;
  maskDtype: DType;
  layout: MaskLayout | null;
  /** The mask as given (a tensor), or its data to upload. */
  tensor: Tensor | null;
  data: Float32Array | Uint8Array | null;
}

export function resolveMaskOptions(rt: Runtime, x: Tensor, options: unknown): ResolvedMask {
  const o = checkObject(SMS, 'options', options);
  checkKeys(SMS, 'option', o, [
    'scale',
    'mask',
    'causal',
    'offset',
    'softcap',
    'alibi',
    'keyLengths',
    'sinks',
    'out',
  ]);
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
  const perBatch = typeof offset !== 'number';
  if (!perBatch && (!Number.isSafeInteger(offset) || offset < 0)) {
    throw new InvalidArgumentError(
      `${SMS}: offset (the causal offset) must be a non-negative integer, got ${describe(offset)}`,
      'INVALID_PARAMETER',
    );
  }
  const att = resolveAttention(rt, x, o, perBatch ? offset : null);
  const res: ResolvedMask = {
    scale,
    causal,
    offset: perBatch ? 0 : (offset as number),
    ...att,
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

/** One entry per batch entry (x.shape[0]) or head (x.shape[-3]); rank 2 has one of each. */
function listOf(name: string, v: unknown, n: number, what: string): ArrayLike<number> {
  if (v instanceof Tensor && what.startsWith('batch')) {
    throw new InvalidArgumentError(
      `${SMS}: ${name} must be an array of ${n} integers (number[], Int32Array or Uint32Array), got a ${v.dtype} Tensor: tensors are float32 or float16 only, so integer per-batch values come as arrays`,
      'INVALID_PARAMETER',
    );
  }
  const ok =
    Array.isArray(v) ||
    v instanceof Float32Array ||
    v instanceof Int32Array ||
    v instanceof Uint32Array;
  if (!ok || (v as ArrayLike<number>).length !== n) {
    throw new InvalidArgumentError(
      `${SMS}: ${name} must be an array of ${n} numbers (one per ${what}), got ${describe(v)}${ok ? ` of length ${(v as ArrayLike<number>).length}` : ''}`,
      'INVALID_PARAMETER',
    );
  }
  return v as ArrayLike<number>;
}

function checkEach(
  name: string,
  a: ArrayLike<number>,
  ok: (v: number) => boolean,
  rule: string,
): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !ok(v)) {
      throw new InvalidArgumentError(
        `${SMS}: ${name}[${i}] must be ${rule}, got ${describe(v)}`,
        'INVALID_PARAMETER',
      );
    }
  }
}

/**
 * softcap, ALiBi slopes, key lengths and per-batch offsets, checked against x's shape
 * [B, ..., H, rows, cols], and the small side buffer the kernel reads them from.
 */
function resolveAttention(rt: Runtime, x: Tensor, o: Record<string, unknown>, offsets: unknown) {
  const r = x.shape.length;
  const cols = x.shape[r - 1];
  const batch = r >= 3 ? x.shape[0] : 1;
  const heads = r >= 3 ? x.shape[r - 3] : 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  let softcap = 0;
  if (o.softcap !== undefined) {
    const c = o.softcap;
    if (
      typeof c !== 'number' ||
      !Number.isFinite(c) ||
      !(c > 0) ||
      !Number.isFinite(Math.fround(c))
    ) {
      throw new InvalidArgumentError(
        `${SMS}: softcap must be a finite number > 0, got ${describe(c)}`,
        'INVALID_PARAMETER',
      );
    }
    softcap = c;
  }
  const nonNeg = (v: number) => Number.isSafeInteger(v) && v >= 0;
  const off = offsets === null ? null : listOf('offset', offsets, batch, 'batch entry, x.shape[0]');
  if (off) checkEach('offset', off, nonNeg, 'a non-negative integer');
  const kl =
    o.keyLengths === undefined
      ? null
      : listOf('keyLengths', o.keyLengths, batch, 'batch entry, x.shape[0]');
  if (kl)
    checkEach('keyLengths', kl, (v) => nonNeg(v) && v <= cols, `an integer in [0, ${cols}] (cols)`);
  const auxTensors: { tensor: Tensor; at: number }[] = [];
  const perHead = (name: string, at: number) => {
    const t = o[name];
    if (t instanceof Tensor) {
      rt.checkTensor(SMS, name, t);
      if (t.dtype !== 'float32' || t.size !== heads || t.byteOffset % 4 !== 0) {
        throw new InvalidArgumentError(
          `${SMS}: ${name} as a Tensor must be float32 with ${heads} elements (one per head, x.shape[-3]), got ${t.dtype} of shape [${t.shape.join(', ')}]${t.byteOffset % 4 ? ` at byte offset ${t.byteOffset}` : ''}`,
          'INVALID_PARAMETER',
        );
      }
      auxTensors.push({ tensor: t, at });
      return [];
    }
    const v = t === undefined ? null : listOf(name, t, heads, 'head, x.shape[-3]');
    if (v) checkEach(name, v, (e) => Number.isFinite(Math.fround(e)), 'a finite number');
    return v;
  };
  const al = perHead('alibi', 2 * batch);
  const sk = perHead('sinks', 2 * batch + heads);
  const flags: AttentionFlags = {
    softcap: softcap > 0,
    alibi: !!al,
    offsets: !!off,
    keyLengths: !!kl,
    sinks: !!sk,
  };
  let aux: Uint32Array | null = null;
  if (off || kl || al || sk) {
    aux = new Uint32Array(2 * batch + 2 * heads);
    // Offsets past 2^24 act as 2^24 (past every row's columns; f32-exact in ALiBi's j - i - offset).
    if (off) for (let b = 0; b < batch; b++) aux[b] = Math.min(off[b], 2 ** 24);
    if (kl) aux.set(kl, batch);
    const f = new Float32Array(aux.buffer, 8 * batch);
    if (al) f.set(al);
    if (sk) f.set(sk, heads);
  }
  return {
    softcap,
    flags,
    aux,
    auxTensors,
    bsize: Math.max(1, rows / batch),
    heads,
    kbase: batch,
    abase: 2 * batch,
    sbase: 2 * batch + heads,
  };
}
