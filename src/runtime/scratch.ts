/**
 * Outputs that share a buffer with an input. WebGPU forbids binding one
 * buffer both read-only and writable in a dispatch, so such a result is
 * written to a scratch tensor and copied into place after.
 */
import { tensorRange, type Tensor } from '../core/tensor.js';
import type { Runtime } from './runtime.js';

/** Runs `write(target)` so that its result lands in `out`: directly, or through a scratch copy. */
export function writeThrough(
  rt: Runtime,
  out: Tensor,
  viaScratch: boolean,
  label: string,
  write: (target: Tensor) => void,
): void {
  if (!viaScratch) return write(out);
  // Pooled: the kernels write every element, and the copy back takes only out's bytes.
  const target = rt.allocate(out.shape, out.dtype, label, true);
  // An odd float16 length shares its last word with the next half: seed it so the copy keeps it.
  if (out.dtype === 'float16' && out.size % 2) rt.copy(tensorRange(out), tensorRange(target));
  write(target);
  rt.copy(tensorRange(target), tensorRange(out));
  // The runtime defers the free until the recorded copy is submitted.
  target.destroy();
}
