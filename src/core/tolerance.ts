/**
 * The tolerance rule every accuracy check uses (tests, `npm run verify`, the
 * benchmark's peer checks): |got - want| <= atol + rtol * |want|, written so
 * that a NaN fails unless NaN was wanted, and +-Inf must match exactly.
 * `want` is the float64 reference; where it lies beyond the float32 range,
 * the correctly rounded float32 answer is +-Inf, and that is what is expected.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Elementwise ops, forward and backward (issue: |gpu - ref| <= 1e-6 + 4e-6 |ref|). */
export const ELEMENTWISE: Tolerance = { atol: 1e-6, rtol: 4e-6 };

/** The softmax family's probabilities and the fused softmaxes (|gpu - ref| <= 1e-6 + 1e-5 |ref|). */
export const SOFTMAX: Tolerance = { atol: 1e-6, rtol: 1e-5 };

export function close(got: number, want: number, tol: Tolerance): boolean {
  const w = Math.fround(want);
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (Number.isNaN(got)) return false;
  if (!Number.isFinite(w)) return got === w;
  if (!Number.isFinite(got)) return false;
  return Math.abs(got - want) <= tol.atol + tol.rtol * Math.abs(want);
}
