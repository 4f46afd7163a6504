/**
 * The softmax family (softmax, logSoftmax, softmin) and the fused
 * softmax-cross-entropy. STUB: the kernels are being written; the API
 * shape below is what src/api.ts relies on.
 */
import { InvalidArgumentError } from './errors.js';
import type { Runtime } from './runtime.js';
import type { Tensor } from './tensor.js';

export const softmaxOps = ['softmax', 'logSoftmax', 'softmin'] as const;
export type SoftmaxOp = (typeof softmaxOps)[number];

export interface SoftmaxParams {
  /** Axis to normalise along (default -1; negative counts from the end). */
  axis?: number;
  /** Divides x before the softmax (> 0, default 1), inside the kernel. */
  temperature?: number;
}

export interface CrossEntropyOptions {
  /** Rows whose label equals this count for nothing (integer labels only). */
  ignoreIndex?: number;
  /** In [0, 1): the target becomes (1 - s) * target + s / classes. */
  labelSmoothing?: number;
  /** 'mean' (default) over counted rows, 'sum', or 'none' (one loss per row). */
  reduction?: 'none' | 'mean' | 'sum';
}

/** One line per op for the README table: formula and NaN / masking rules. */
export const softmaxDocs: Record<SoftmaxOp | 'softmaxCrossEntropy', { formula: string; nanInf: string }> = {
  softmax: { formula: 'exp(x_i / T - max) / sum_j exp(x_j / T - max)', nanInf: 'see the softmax rules' },
  logSoftmax: { formula: 'x_i / T - max - log sum_j exp(x_j / T - max)', nanInf: 'see the softmax rules' },
  softmin: { formula: 'softmax(-x)', nanInf: 'see the softmax rules' },
  softmaxCrossEntropy: { formula: '-sum_c target_c log softmax(x)_c', nanInf: 'see the softmax rules' },
};

export function isSoftmaxOp(op: unknown): op is SoftmaxOp {
  return typeof op === 'string' && (softmaxOps as readonly string[]).includes(op);
}

function notYet(): never {
  throw new InvalidArgumentError('softmax family: not implemented yet', 'UNSUPPORTED');
}

/** y = softmax-family(x) along params.axis; `out` may be given (same shape and dtype). */
export function softmaxForward(
  _rt: Runtime,
  _op: SoftmaxOp,
  _x: Tensor,
  _params: SoftmaxParams & { out?: Tensor } = {},
): Tensor {
  return notYet();
}

/** dx from the forward output y and dy: softmax dx = y (dy - sum(dy y)); logSoftmax dx = dy - exp(y) sum(dy). */
export function softmaxBackward(
  _rt: Runtime,
  _op: SoftmaxOp,
  _inputs: { y: Tensor; dy: Tensor },
  _params: SoftmaxParams & { out?: Tensor } = {},
): Tensor {
  return notYet();
}

/** Fused loss and gradient: { loss ([rows] for 'none', else []), dlogits ([rows, classes]) }. */
export function softmaxCrossEntropy(
  _rt: Runtime,
  _logits: Tensor,
  _target: Tensor | Int32Array | Uint32Array,
  _options: CrossEntropyOptions = {},
): { loss: Tensor; dlogits: Tensor } {
  return notYet();
}
