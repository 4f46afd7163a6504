/**
 * What the fused ops' test files share: inputs with the special values
 * first, upstream gradients, GPU work run inside an error scope, and the
 * parameter sets of each GLU.
 */
import type { GluKind } from '../../src/fused/table.js';
import type { Activations, DType, Tensor } from '../../src/index.js';
import { noGpuErrors } from '../helpers/gpu.js';
import { SPECIAL, uniform } from '../helpers/inputs.js';

/** rows x c values in [-lo, hi] with the special values (and NaN) first. */
export function withSpecials(n: number, seed: number, range = 100): Float32Array {
  const x = uniform(n, -range, range, seed);
  const specials = [...SPECIAL, NaN];
  for (let i = 0; i < Math.min(n, specials.length); i++) x[i] = specials[i];
  return x;
}

/** Upstream gradients in [-2, 2] with a NaN and a zero. */
export function gradients(n: number, seed: number, nan = true): Float32Array {
  const dy = uniform(n, -2, 2, seed);
  if (nan && n > 40) dy[40] = NaN;
  if (n > 7) dy[7] = 0;
  return dy;
}

/** Runs GPU work inside validation and out-of-memory error scopes. */
export async function run<T>(act: Activations, work: () => Promise<T>): Promise<T> {
  return noGpuErrors(act.device, work);
}

/** Destroys the tensors a test made (undefined ones skipped). */
export function destroy(...ts: (Tensor | null | undefined)[]): void {
  for (const t of ts) t?.destroy();
}

/** The parameter sets each GLU is tested with: geglu in both forms. */
export const gluParams = (kind: GluKind) =>
  kind === 'geglu' ? [{}, { approximate: 'tanh' as const }] : [{}];

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A tensor of NaN: a result that is not written shows. */
export const poisoned = (act: Activations, shape: number[], dtype: DType = 'float32') =>
  act.tensor(new Float32Array(size(shape)).fill(NaN), shape, { dtype });

/** A tensor's stored values (float16 as raw bits). */
export const raw = (t: Tensor) => t.readRaw() as Promise<Float32Array | Uint16Array>;

export const dtypes = ['float32', 'float16'] as const;
