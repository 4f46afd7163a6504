/**
 * Where a fused op's result goes, decided before any GPU work: a new tensor,
 * the caller's `out`, `out` exactly over an input (in place: the kernel reads
 * that input through out's binding), or `out` sharing an input's buffer
 * without overlapping it (the kernel writes a scratch tensor, then it is
 * copied). Any other overlap is refused.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { DType, Tensor } from '../core/tensor.js';
import type { Runtime } from '../runtime/runtime.js';
import { sameShape } from '../core/validate.js';

/** Where a result goes, decided before any GPU work. */
export interface OutPlan {
  /** The caller's `out`, or null for a new tensor. */
  given: Tensor | null;
  /** Inputs that are exactly out: the kernel reads them through out's binding. */
  inPlace: string[];
  /** out shares a buffer with an input it is not: the kernel writes a scratch tensor, then it is copied. */
  scratch: boolean;
}

/** params.out (or options.out), where params is an object. */
export const outOf = (params: unknown): unknown =>
  params !== null && typeof params === 'object' ? (params as { out?: unknown }).out : undefined;

/**
 * Checks `out` (a live tensor of this instance with the result's shape and
 * dtype) against the inputs: it may be exactly one of `inPlaceOk` (in place)
 * or disjoint from every input; any other overlap is refused.
 */
export function planOut(
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
export const outputOf = (
  rt: Runtime,
  plan: OutPlan,
  shape: readonly number[],
  dtype: DType,
  label: string,
) => plan.given ?? rt.allocate(shape, dtype, label, true);

/** The in-place map of a kernel: kernel operand name -> output name. */
export function inPlaceMap(plan: OutPlan, output: string, rename: Record<string, string> = {}) {
  const m: Record<string, string> = {};
  for (const name of plan.inPlace) m[rename[name] ?? name] = output;
  return m;
}
