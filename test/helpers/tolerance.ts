/**
 * Test-side helpers around the one tolerance rule (src/tolerance.ts):
 * collecting mismatches, reporting them, and float16 ulp distances.
 */
export { close, ELEMENTWISE, SOFTMAX, type Tolerance } from '../../src/core/tolerance.js';
import { expect } from 'vitest';
import type { DType } from '../../src/core/tensor.js';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import { close, type Tolerance } from '../../src/core/tolerance.js';

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

/** Distance in float16 ulps between two half bit patterns (NaN matches only NaN; -0 == +0). */
export function halfUlps(got: number, want: number): number {
  const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
  if (isNaN16(want) || isNaN16(got)) return isNaN16(want) && isNaN16(got) ? 0 : Infinity;
  const ordered = (h: number) => (h & 0x8000 ? -(h & 0x7fff) : h);
  const isInf = (h: number) => (h & 0x7fff) === 0x7c00;
  if (isInf(want) || isInf(got)) return got === want ? 0 : Infinity;
  return Math.abs(ordered(got) - ordered(want));
}

/** Every index where float16 results are more than `ulps` from the correctly rounded reference. */
export function halfMismatches(
  got: Uint16Array,
  wantBits: Uint16Array,
  ulps: number,
  inputs: ArrayLike<number>[] = [],
): Mismatch[] {
  const out: Mismatch[] = [];
  for (let i = 0; i < got.length; i++) {
    if (halfUlps(got[i], wantBits[i]) > ulps) {
      out.push({ index: i, got: got[i], want: wantBits[i], input: inputs.map((a) => a[i]) });
    }
  }
  return out;
}

/** Values rounded to float16 and back: what a float16 tensor of them holds. */
export const halfRounded = (a: ArrayLike<number>): Float32Array => fromHalfArray(toHalfArray(a));

/**
 * Asserts got (float32 values, or float16 bits read raw) against the float64
 * reference: within `tol` for float32, within 1 ulp of the correctly rounded
 * half for float16.
 */
export function expectClose(
  got: Float32Array | Uint16Array,
  want: ArrayLike<number>,
  dtype: DType,
  tol: Tolerance,
  what: string,
): void {
  const ms =
    dtype === 'float16'
      ? halfMismatches(got as Uint16Array, toHalfArray(want), 1)
      : mismatches(got as Float32Array, want, tol);
  expect(ms, `${what}\n${report(ms)}`).toEqual([]);
}
