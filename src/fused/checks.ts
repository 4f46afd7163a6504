/**
 * Argument checks the three fused families share: two tensors that must
 * share a layout, and a table activation's parameters (checked as the
 * elementwise ops check them, then packed as a kernel's uniforms).
 */
import { defOf, type ActivationName } from '../elementwise/table.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Tensor } from '../core/tensor.js';
import { checkRank, checkSameLayout } from '../core/validate.js';
import { paramSlots, resolveParams } from '../elementwise/params.js';

/**
 * Two tensor arguments that must share a layout (glu's a and b, a backward's
 * input and dy): each a live tensor of this instance, the first of rank >= 1
 * (`what` names its shape in the error), the second of the same shape and dtype.
 */
export function checkPair(
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
export function opParams(label: string, op: ActivationName, params: unknown): number[] {
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

/** The op's parameter slots as the four floats of a kernel's uniforms (unused slots and NaN as 0). */
export function params4(slots: number[]): number[] {
  const p = [0, 0, 0, 0];
  slots.forEach((v, i) => (p[i] = Number.isNaN(v) ? 0 : v));
  return p;
}
