/**
 * Generated 2-D classification data for the MLP example, from a seeded
 * generator so a test (and a page reload) sees the same points.
 */

/** A small, fast, seeded PRNG (mulberry32): uniform in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A standard normal sample (Box-Muller) from a uniform source. */
export function gaussian(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export type DatasetKind = 'rings' | 'spirals';

export interface Dataset {
  /** Points, row-major [n, 2], roughly within [-1, 1]^2. */
  x: Float32Array<ArrayBuffer>;
  /** Class of each point: 0 or 1. */
  y: Int32Array<ArrayBuffer>;
  n: number;
}

/**
 * Two classes: 'rings' (a disc inside a ring) or 'spirals' (two interleaved
 * arms). Classes alternate, so any prefix is balanced.
 */
export function makeDataset(kind: DatasetKind, n: number, seed: number, noise = 0.04): Dataset {
  const u = rng(seed);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    let px: number;
    let py: number;
    if (kind === 'rings') {
      const r = c === 0 ? 0.45 * Math.sqrt(u()) : 0.65 + 0.3 * u();
      const a = 2 * Math.PI * u();
      px = r * Math.cos(a);
      py = r * Math.sin(a);
    } else {
      const t = 0.15 + 0.85 * u();
      const a = 3.2 * Math.PI * t + c * Math.PI;
      px = t * Math.cos(a);
      py = t * Math.sin(a);
    }
    x[2 * i] = px + noise * gaussian(u);
    x[2 * i + 1] = py + noise * gaussian(u);
    y[i] = c;
  }
  return { x, y, n };
}
