/**
 * The float64 CPU reference of every kernel, against which the GPU is tested.
 * Inputs are the float32 (or float16) values the GPU sees, widened exactly.
 */
import type { ParamSpec, ParamValues } from './spec.js';
import { activations, type ActivationName } from './table.js';
import { broadcastIndex } from '../core/broadcast.js';

/** The slope's flat index for x's flat index i (NumPy broadcasting). */
export { broadcastIndex };

/**
 * Parameters with the table's defaults filled in, numbers rounded to float32
 * as the kernels receive them (no validation: the reference trusts its caller).
 */
export function withDefaults(
  op: ActivationName,
  params: Record<string, unknown> = {},
): ParamValues {
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(activations[op].params as Record<string, ParamSpec>)) {
    const v = params[name] === undefined ? spec.default : (params[name] as number | string);
    out[name] = typeof v === 'number' ? Math.fround(v) : v;
  }
  return out;
}

const isNaNAny = (v: number) => v !== v;

/** y = op(x), elementwise; NaN in gives NaN out. `slopeAt(i)` gives prelu's broadcast slope. */
export function forward(
  op: ActivationName,
  x: ArrayLike<number>,
  params: Record<string, unknown> = {},
  slopeAt?: (i: number) => number,
): Float64Array {
  const p = withDefaults(op, params);
  const f = activations[op].ref.forward as (x: number, p: ParamValues) => number;
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const pi = slopeAt ? { ...p, slope: Math.fround(slopeAt(i)) } : p;
    y[i] = isNaNAny(x[i]) ? NaN : f(x[i], pi);
  }
  return y;
}

/** dx = dy * op'(x) (or op'(y) with fromY), elementwise; NaN in x or dy gives NaN. */
export function backward(
  op: ActivationName,
  a: ArrayLike<number>,
  dy: ArrayLike<number>,
  params: Record<string, unknown> = {},
  options: { fromY?: boolean; slopeAt?: (i: number) => number } = {},
): Float64Array {
  const p = withDefaults(op, params);
  const ref = activations[op].ref as {
    derivative: (x: number, p: ParamValues) => number;
    derivativeFromY?: (y: number, p: ParamValues) => number;
  };
  const d = options.fromY ? ref.derivativeFromY : ref.derivative;
  if (!d) throw new Error(`reference: ${op} has no derivative from y`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const pi = options.slopeAt ? { ...p, slope: Math.fround(options.slopeAt(i)) } : p;
    out[i] = isNaNAny(a[i]) || isNaNAny(dy[i]) ? NaN : dy[i] * d(a[i], pi);
  }
  return out;
}

/** prelu's slope gradient: the sum of dy * min(x, 0)-part over the broadcast axes, shaped like the slope. */
export function preluSlopeGrad(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  xshape: readonly number[],
  pshape: readonly number[],
): Float64Array {
  const size = pshape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    out[broadcastIndex(xshape, pshape, i)] += dy[i] * (xi > 0 ? 0 : xi);
  }
  return out;
}
