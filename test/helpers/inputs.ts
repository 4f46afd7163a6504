/** Test inputs: the special values every op must handle, and seeded random values. */
import type { DType } from '../../src/core/tensor.js';
import { halfRounded } from './tolerance.js';

/** float32 special values: +-0, subnormals, tiny and huge magnitudes, the largest finite, Inf. */
export const SPECIAL = [
  0,
  -0,
  1e-45,
  -1e-45,
  1e-40,
  -1e-40,
  1.1754942e-38,
  -1.1754942e-38,
  1e-30,
  -1e-30,
  1e30,
  -1e30,
  3.4e38,
  -3.4e38,
  3.4028234663852886e38,
  -3.4028234663852886e38,
  Infinity,
  -Infinity,
  1,
  -1,
  0.5,
  -0.5,
  3,
  -3,
  6,
  -6,
  20,
  -20,
  88,
  -88,
  1e4,
  -1e4,
];

/** A small fast PRNG (mulberry32), so failures can be replayed from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32 values uniform in [lo, hi]. */
export function uniform(
  n: number,
  lo: number,
  hi: number,
  seed: number,
): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Uniform values in [lo, hi], rounded to float16 where the tensor will be float16 (so the reference sees what the GPU holds). */
export function uniformAs(n: number, seed: number, dtype: DType, lo = -4, hi = 4): Float32Array {
  const v = uniform(n, lo, hi, seed);
  return dtype === 'float16' ? halfRounded(v) : v;
}

/** Random values in [-100, 100] followed by every special value (and NaN). */
export function elementwiseInputs(n: number, seed: number): Float32Array<ArrayBuffer> {
  const r = uniform(n, -100, 100, seed);
  const out = new Float32Array(n + SPECIAL.length + 1);
  out.set(r);
  out.set(SPECIAL, n);
  out[out.length - 1] = NaN;
  return out;
}
