/**
 * What the one-call forms on plain arrays share (`act.apply`, `act.grad`,
 * the fused `applyBiasAct`, ...): checking the array and its shape and dtype
 * options, and freeing every tensor made for the call, whatever happens.
 */
import { InvalidArgumentError } from './errors.js';
import type { DType, Tensor } from './tensor.js';
import { checkDType, checkShape, checkSize, describe } from './validate.js';

/** Options of the one-call forms on plain arrays. */
export interface ArrayOptions {
  /** Shape of x (default [x.length]; [] is a scalar). */
  shape?: readonly number[];
  /** Storage dtype on the GPU (math is always float32). */
  dtype?: DType;
}

/** An array argument: a Float32Array (of `length` elements, where given). */
export function checkArray(op: string, arg: string, v: unknown, length?: number): Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new InvalidArgumentError(`${op}: ${arg} must be a Float32Array, got ${describe(v)}`);
  }
  if (length !== undefined && v.length !== length) {
    throw new InvalidArgumentError(
      `${op}: ${arg} has ${v.length} elements, expected ${length}`,
      'SHAPE_MISMATCH',
    );
  }
  return v;
}

/**
 * Checks `data` (argument `arg`) and the shape and dtype options in `params`;
 * the rest of params (the op's own) comes back apart.
 */
export function splitArrayOptions(
  op: string,
  data: unknown,
  arg: string,
  params: object | undefined,
): { shape: number[]; dtype: DType; rest: Record<string, unknown> } {
  const array = checkArray(op, arg, data);
  const p = (params ?? {}) as Record<string, unknown> & ArrayOptions;
  const shape = p.shape === undefined ? [array.length] : checkShape(op, 'shape', p.shape);
  checkSize(op, 'shape', shape, arg, array.length);
  const dtype = checkDType(op, 'dtype', p.dtype);
  const rest: Record<string, unknown> = { ...p };
  delete rest.shape;
  delete rest.dtype;
  return { shape, dtype, rest };
}

/** Runs `work`, which lists in `made` every tensor it makes, and destroys them all after. */
export async function withTensors<T>(work: (made: Tensor[]) => Promise<T>): Promise<T> {
  const made: Tensor[] = [];
  try {
    return await work(made);
  } finally {
    for (const t of made) t.destroy();
  }
}
