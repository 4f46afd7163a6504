/**
 * The benchmark's accuracy checks: a peer's output against ours, and a fused
 * op's outputs against its unfused sequence's.
 */
import type { FusedWorkload } from './workloads.js';

/** The float32 tolerance of the project: NaN only matches NaN, infinities must be equal. */
export function close(got: number, want: number, atol = 1e-6, rtol = 4e-6): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

/** 'ok' or a description of the first mismatches. */
export function compare(got: Float32Array, want: Float32Array): string {
  if (got.length !== want.length) return `mismatch: length ${got.length} vs ${want.length}`;
  let bad = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i], want[i])) {
      if (first < 0) first = i;
      bad++;
      worst = Math.max(worst, Math.abs(got[i] - want[i]) || Infinity);
    }
  }
  if (bad === 0) return 'ok';
  return `mismatch: ${bad}/${got.length} elements, first at ${first} (${got[first]} vs ours ${want[first]}), max |diff| ${worst.toExponential(2)}`;
}

/** 'ok' or the first mismatch of fused against unfused outputs, at a tolerance for the dtype. */
export function compareFused(
  w: FusedWorkload,
  fused: Float32Array[],
  unfused: Float32Array[],
): string {
  // float16 rounds h = x + bias (or x + mask, silu(a)) to half between the unfused steps.
  const [atol, rtol] = w.dtype === 'float32' ? [1e-6, 1e-5] : [2e-3, 1e-2];
  const names = w.op === 'biasActBackward' ? ['dx', 'dbias'] : ['y'];
  for (let k = 0; k < names.length; k++) {
    const a = fused[k];
    const b = unfused[k];
    if (a.length !== b.length) return `mismatch: ${names[k]} length ${a.length} vs ${b.length}`;
    // dbias sums the rows in another order (and, in float16, from dx rounded to half).
    const dbias = names[k] === 'dbias';
    const at = dbias ? (w.dtype === 'float32' ? 1e-3 : 0.1) : atol;
    const rt = dbias ? (w.dtype === 'float32' ? 1e-4 : 1e-2) : rtol;
    for (let i = 0; i < a.length; i++) {
      const ok = Number.isNaN(b[i])
        ? Number.isNaN(a[i])
        : Math.abs(a[i] - b[i]) <= at + rt * Math.abs(b[i]);
      if (!ok)
        return `mismatch: ${names[k]}[${i}] fused ${a[i]} vs unfused ${b[i]} (atol ${at}, rtol ${rt})`;
    }
  }
  return 'ok';
}
