/**
 * Bytes between the host and a tensor: upload and readback. Both submit the
 * work recorded so far first, so they see (and are seen by) every op called
 * before them, and both run in a validation scope when a buffer they touch
 * is not known good yet.
 */
import type { Health } from './health.js';
import type { Memory } from './memory.js';
import type { Recorder } from './recorder.js';
import { ActivationsError, GPUError, InvalidArgumentError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

export class Transfer {
  readonly #device: GPUDevice;
  readonly #health: Health;
  readonly #memory: Memory;
  readonly #recorder: Recorder;

  constructor(device: GPUDevice, health: Health, memory: Memory, recorder: Recorder) {
    this.#device = device;
    this.#health = health;
    this.#memory = memory;
    this.#recorder = recorder;
  }

  /** Uploads bytes into a tensor's range (queued now, ahead of any later submission). */
  upload(t: Tensor, data: ArrayBufferView): void {
    const bytes = data.byteLength;
    if (bytes === 0) return;
    // writeBuffer reaches the queue at once: work recorded before it (which may
    // still read this buffer, freed and handed out again) must be submitted first.
    this.#recorder.submit();
    // writeBuffer needs a multiple of 4 bytes.
    this.#health.scoped(this.#health.risk([t.buffer], false), 'upload', () => {
      if (bytes % 4 === 0) {
        this.#device.queue.writeBuffer(t.buffer, t.byteOffset, data.buffer, data.byteOffset, bytes);
      } else {
        const padded = new Uint8Array(Math.ceil(bytes / 4) * 4);
        padded.set(new Uint8Array(data.buffer, data.byteOffset, bytes));
        this.#device.queue.writeBuffer(t.buffer, t.byteOffset, padded);
      }
    });
  }

  /** A checked tensor's stored values: copied to a staging buffer now, mapped when the GPU is done. */
  async read(t: Tensor): Promise<Uint16Array | Float32Array> {
    if (t.size === 0) return t.dtype === 'float32' ? new Float32Array(0) : new Uint16Array(0);
    if (!(t.buffer.usage & GPUBufferUsage.COPY_SRC)) {
      throw new InvalidArgumentError(
        'read: the wrapped buffer lacks COPY_SRC usage, so it cannot be read back',
        'BUFFER_USAGE',
      );
    }
    const bytes = Math.ceil(t.byteLength / 4) * 4;
    const staging = this.#memory.createBuffer(
      {
        label: 'webgpu-activations readback',
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      },
      'read: the readback buffer',
    );
    this.#recorder.copy(
      { buffer: t.buffer, offset: t.byteOffset, size: bytes },
      { buffer: staging, offset: 0, size: bytes },
    );
    this.#recorder.submit();
    const mapped = this.#health.scoped(this.#health.risk([staging], false), 'read', () =>
      staging.mapAsync(GPUMapMode.READ),
    );
    // Work that failed validation (a buffer that could not be allocated) left stale data: say so.
    const checked = this.#health.failure();
    try {
      const e = await this.#health.untilLost(mapped).then(
        () => null,
        (e: Error) => e,
      );
      const failure = await checked;
      if (failure) throw failure;
      if (e instanceof ActivationsError) throw e;
      if (e) {
        // A browser may reject the map before it reports the loss: give the loss a moment to arrive.
        await Promise.race([this.#device.lost, new Promise((r) => setTimeout(r, 1000))]);
        throw (
          this.#health.lost ??
          new GPUError(`read: mapping the readback buffer failed: ${e.message}`)
        );
      }
      const copy = staging.getMappedRange().slice(0, t.byteLength);
      staging.unmap();
      return t.dtype === 'float32' ? new Float32Array(copy) : new Uint16Array(copy);
    } finally {
      staging.destroy();
    }
  }
}
