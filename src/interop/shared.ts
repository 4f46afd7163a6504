/**
 * What the TF.js and ORT Web bridges share: recognising a GPUBuffer, finding
 * the runtime behind a Tensor, and staging a tensor's bytes in a buffer of
 * their own for a library that reads buffers from their start.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { describe } from '../core/validate.js';
import { Runtime } from '../runtime/runtime.js';

/** A GPUBuffer by its shape (another realm's GPUBuffer fails instanceof). */
export function isGPUBuffer(b: unknown): b is GPUBuffer {
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof (b as GPUBuffer).usage === 'number' &&
    typeof (b as GPUBuffer).size === 'number'
  );
}

/** The runtime that made t, checked alive: the tensor must be this library's. */
export function runtimeOf(op: string, t: Tensor): Runtime {
  if (!(t instanceof Tensor)) {
    throw new InvalidArgumentError(`${op}: tensor must be a Tensor, got ${describe(t)}`);
  }
  if (t.destroyed)
    throw new InvalidArgumentError(`${op}: tensor was destroyed`, 'TENSOR_DESTROYED');
  if (!(t.owner instanceof Runtime)) {
    throw new InvalidArgumentError(`${op}: tensor was not made by this library`);
  }
  t.owner.checkAlive();
  return t.owner;
}

/** A new buffer of t's bytes (rounded up to 4), not tracked as a tensor; the copy is submitted. */
export function stage(rt: Runtime, t: Tensor, label: string): GPUBuffer {
  const bytes = Math.ceil(t.byteLength / 4) * 4;
  const buffer = rt.device.createBuffer({
    label,
    size: Math.max(4, bytes),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  if (bytes > 0) {
    rt.copy(
      { buffer: t.buffer, offset: t.byteOffset, size: bytes },
      { buffer, offset: 0, size: bytes },
    );
  }
  rt.submit();
  return buffer;
}
