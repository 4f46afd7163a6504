/**
 * The one tolerance helper every test uses.
 *
 * close(got, want) is |got - want| <= atol + rtol * |want|, written so that a
 * NaN fails unless NaN was wanted, and +-Inf must match exactly. `want` is the
 * float64 reference; where it lies beyond the float32 range, the correctly
 * rounded float32 answer is +-Inf, and that is what is expected.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Elementwise ops, forward and backward (issue: |gpu - ref| <= 1e-6 + 4e-6 |ref|). */
export const ELEMENTWISE: Tolerance = { atol: 1e-6, rtol: 4e-6 };

export function close(got: number, want: number, tol: Tolerance): boolean {
  const w = Math.fround(want);
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (Number.isNaN(got)) return false;
  if (!Number.isFinite(w)) return got === w;
  if (!Number.isFinite(got)) return false;
  return Math.abs(got - want) <= tol.atol + tol.rtol * Math.abs(want);
}

export interface Mismatch {
  index: number;
  got: number;
  want: number;
  input?: number[];
}

/** Every index where got and want disagree (empty when all are close). */
export function mismatches(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
  inputs: ArrayLike<number>[] = [],
): Mismatch[] {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  const out: Mismatch[] = [];
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i], want[i], tol)) {
      out.push({ index: i, got: got[i], want: want[i], input: inputs.map((a) => a[i]) });
    }
  }
  return out;
}

/** A readable summary of the first few mismatches, for assertion messages. */
export function report(ms: Mismatch[], limit = 8): string {
  return ms
    .slice(0, limit)
    .map((m) => `[${m.index}] in=${JSON.stringify(m.input)} got=${m.got} want=${m.want}`)
    .join('\n');
}
