/**
 * The new ops as functions on tf.Tensors (handle.ops): each is one
 * `engine().runKernel` of its kernel, so TF records it for gradients.
 */
import type { ActivationParams } from '../../elementwise/table.js';
import type { ActivationName } from '../../elementwise/table.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { describe } from '../../core/validate.js';
import { GRAD_PREFIX } from './kernels.js';
import { newActivationOps, newGluOps } from './ops.js';
import type { TfNamespaceLike } from './types.js';

type NewActivation = (typeof newActivationOps)[number];
type GluOp = (typeof newGluOps)[number];

/** Options of scaledMaskedSoftmax as an op: the mask is a tf.Tensor broadcast to x. */
export interface TfMaskedSoftmaxOptions<T> {
  scale?: number;
  mask?: T;
  causal?: boolean;
  offset?: number;
}

export type TfjsOps = {
  /** One activation of ours as a TF op, e.g. `ops.gelu(x, { approximate: 'tanh' })`. */
  [Op in NewActivation]: <T>(x: T, params?: ActivationParams<Op>) => T;
} & {
  /** A GLU of x = [..., 2h]: a = x[..., :h], b = x[..., h:]; gives [..., h]. */
  [Op in GluOp]: <T>(x: T, params?: { approximate?: 'none' | 'tanh' }) => T;
} & {
  /** log(softmax(x)) along `axis` (default -1), as TF's LogSoftmax kernel. */
  logSoftmax<T>(x: T, axis?: number): T;
  /** op(x + bias), bias [last dim of x], in one pass. */
  biasAct<T, Op extends ActivationName>(x: T, bias: T, op: Op, params?: ActivationParams<Op>): T;
  /** softmax(scale * x + mask) over the last axis; a fully masked row gives zeros. */
  scaledMaskedSoftmax<T>(x: T, options?: TfMaskedSoftmaxOptions<T>): T;
};

export function makeOps(tf: TfNamespaceLike): TfjsOps {
  const run = <T>(name: string, inputs: Record<string, unknown>, attrs: object = {}): T =>
    tf.engine().runKernel(`${GRAD_PREFIX}${name}`, inputs, { ...attrs }) as T;
  const ops: Record<string, unknown> = {};
  for (const op of newActivationOps) ops[op] = (x: unknown, p?: object) => run(op, { x }, p);
  for (const op of newGluOps) ops[op] = (x: unknown, p?: object) => run(op, { x }, p);
  ops.logSoftmax = (x: unknown, axis = -1) =>
    tf.engine().runKernel('LogSoftmax', { logits: x }, { axis });
  ops.biasAct = (x: unknown, bias: unknown, op: ActivationName, p?: object) => {
    if (typeof op !== 'string') {
      throw new InvalidArgumentError(`biasAct: op must be an activation name, got ${describe(op)}`);
    }
    return run('biasAct', { x, bias }, { ...p, op });
  };
  ops.scaledMaskedSoftmax = (x: unknown, o: TfMaskedSoftmaxOptions<unknown> = {}) => {
    const { mask, ...attrs } = o;
    return mask === undefined
      ? run('scaledMaskedSoftmax', { x }, attrs)
      : run('scaledMaskedSoftmaxWithMask', { x, mask }, attrs);
  };
  return ops as TfjsOps;
}
