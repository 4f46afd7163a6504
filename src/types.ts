/**
 * The public API's argument types that tie the families together: every op
 * name, each op's parameters, and the options every call takes.
 */
import type { Tensor } from './core/tensor.js';
import type { SlopeValue } from './elementwise/host.js';
import type { ActivationName, ActivationParams } from './elementwise/table.js';
import type { SoftmaxOp, SoftmaxParams } from './softmax/table.js';

/** Options every forward/backward call takes besides the op's own parameters. */
export interface CallOptions {
  /** Write the result here (same shape and dtype); `out: x` runs in place. */
  out?: Tensor;
}

/** Every op name forward/backward/apply/grad take: the activation table and the softmax family. */
export type OpName = ActivationName | SoftmaxOp;

export type OpParams<Op extends OpName> = Op extends SoftmaxOp
  ? SoftmaxParams
  : Op extends 'prelu'
    ? { slope?: SlopeValue }
    : Op extends ActivationName
      ? ActivationParams<Op>
      : never;
