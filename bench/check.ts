/**
 * The benchmark's accuracy checks: a peer's output against ours, and a fused
 * op's outputs against its unfused sequence's. Both use the project's one
 * tolerance rule (src/core/tolerance.ts: NaN only where NaN, +-Inf exactly).
 */
import type { DType } from '../src/index.js';
import { close, ELEMENTWISE, SOFTMAX, type Tolerance } from '../src/core/tolerance.js';
import type { FusedWorkload } from './workloads.js';

/** Peers against our float32 output: the elementwise bound, softmax family included (METHOD says so). */
const PEER: Tolerance = ELEMENTWISE;

/**
 * Fused against unfused. float32 outputs at 1e-6 + 1e-5|b| (SOFTMAX's
 * values). float16 looser: the unfused steps round h = x + bias (or x +
 * mask, silu(a)) to half between kernels. dbias looser still: it sums the
 * rows in another order (and, in float16, from dx rounded to half).
 */
const FUSED: Record<DType, { out: Tolerance; dbias: Tolerance }> = {
  float32: { out: SOFTMAX, dbias: { atol: 1e-3, rtol: 1e-4 } },
  float16: { out: { atol: 2e-3, rtol: 1e-2 }, dbias: { atol: 0.1, rtol: 1e-2 } },
};

/** 'ok' or a description of the first mismatches. */
export function compare(got: Float32Array, want: Float32Array): string {
  if (got.length !== want.length) return `mismatch: length ${got.length} vs ${want.length}`;
  let bad = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i], want[i], PEER)) {
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
  // The attention rows compare two different ops (an option set, plain causal): nothing to match.
  if (w.op === 'attention') return '-';
  const names = w.op === 'biasActBackward' ? ['dx', 'dbias'] : ['y'];
  for (let k = 0; k < names.length; k++) {
    const a = fused[k];
    const b = unfused[k];
    if (a.length !== b.length) return `mismatch: ${names[k]} length ${a.length} vs ${b.length}`;
    const tol = names[k] === 'dbias' ? FUSED[w.dtype].dbias : FUSED[w.dtype].out;
    for (let i = 0; i < a.length; i++) {
      if (!close(a[i], b[i], tol))
        return `mismatch: ${names[k]}[${i}] fused ${a[i]} vs unfused ${b[i]} (atol ${tol.atol}, rtol ${tol.rtol})`;
    }
  }
  return 'ok';
}
