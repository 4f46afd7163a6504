/**
 * Tensor memory: allocation (padded for vector kernels, large buffers inside
 * an out-of-memory scope), adopting a caller's buffer, the pool of freed
 * buffers, and the live counts that stats() reports.
 */
import type { BindGroupCache } from './bind-groups.js';
import { failureError, type Health } from './health.js';
import type { Recorder } from './recorder.js';
import { InvalidArgumentError } from '../core/errors.js';
import { bytesPerElement, sizeOf, Tensor, type DType, type TensorOwner } from '../core/tensor.js';
import { shapeText } from '../core/validate.js';

/** Storage buffers we allocate are padded to this many bytes, so vector kernels can run on any length. */
export const PAD_BYTES = 16;
/** Buffers at least this large are allocated inside an out-of-memory error scope. */
const OOM_SCOPE_BYTES = 1 << 20;
/** The most bytes of freed tensor buffers kept for reuse. */
const POOL_BYTES = 256 * 2 ** 20;

/**
 * The device of every buffer an instance allocated or verified in wrap(), so
 * wrapping another device's buffer is refused before any GPU work (WebGPU
 * gives a GPUBuffer no `device` to compare).
 */
const bufferDevices = new WeakMap<GPUBuffer, GPUDevice>();

export class Memory {
  readonly #owner: TensorOwner;
  readonly #device: GPUDevice;
  readonly #limits: GPUSupportedLimits;
  readonly #health: Health;
  readonly #recorder: Recorder;
  readonly #bindGroups: BindGroupCache;
  #liveTensors = 0;
  #liveBytes = 0;
  /** Owned tensors, so dispose() can free what callers forgot. */
  #owned = new Set<Tensor>();
  /** Freed buffers by size, for reuse; at most POOL_BYTES in all. */
  #pool = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;
  /**
   * An allocation failed for lack of memory and no flush has succeeded since:
   * freed tensors go back to the device instead of the pool, so destroying
   * tensors and retrying works.
   */
  #pressure = false;

  /** `owner` is the instance the tensors report to (their reads and destroy). */
  constructor(
    owner: TensorOwner,
    limits: GPUSupportedLimits,
    health: Health,
    recorder: Recorder,
    bindGroups: BindGroupCache,
  ) {
    this.#owner = owner;
    this.#device = owner.device;
    this.#limits = limits;
    this.#health = health;
    this.#recorder = recorder;
    this.#bindGroups = bindGroups;
  }

  get liveTensors(): number {
    return this.#liveTensors;
  }

  get liveBytes(): number {
    return this.#liveBytes;
  }

  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /** Whether an allocation ran out of memory since the last successful flush. */
  get pressure(): boolean {
    return this.#pressure;
  }

  /** A flush succeeded: freed buffers may be pooled again. */
  relieve(): void {
    this.#pressure = false;
  }

  /**
   * A tensor for `shape` elements of `dtype`, padded for vector kernels.
   * `reuse`: the caller overwrites every element before anything reads it, so
   * a pooled buffer with stale contents will do (new buffers start zeroed, and
   * zeroing 64 MiB costs as much as the op that fills it).
   */
  allocate(shape: readonly number[], dtype: DType, label: string, reuse: boolean): Tensor {
    this.#health.checkAlive();
    const bytes = Math.max(
      PAD_BYTES,
      Math.ceil((sizeOf(shape) * bytesPerElement(dtype)) / PAD_BYTES) * PAD_BYTES,
    );
    const pooled = reuse ? this.#pool.get(bytes)?.pop() : undefined;
    if (pooled) {
      this.#pooledBytes -= bytes;
      return this.#track(new Tensor(this.#owner, pooled, shape, dtype, 0, true), bytes);
    }
    if (bytes > this.#limits.maxBufferSize) {
      throw new InvalidArgumentError(
        `${label}: a tensor of shape ${shapeText(shape)} (${dtype}) needs ${bytes} bytes, ` +
          `more than this device's maxBufferSize of ${this.#limits.maxBufferSize}`,
        'OUT_OF_MEMORY',
      );
    }
    const buffer = this.createBuffer(
      {
        label,
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      },
      `a tensor of shape ${shapeText(shape)} (${dtype}, ${label})`,
    );
    this.#bindGroups.own(buffer);
    bufferDevices.set(buffer, this.#device);
    return this.#track(new Tensor(this.#owner, buffer, shape, dtype, 0, true), bytes);
  }

  /** A tensor over a caller's buffer; the buffer stays the caller's (never pooled or destroyed). */
  wrap(buffer: GPUBuffer, shape: readonly number[], dtype: DType, byteOffset: number): Tensor {
    const known = bufferDevices.get(buffer);
    if (known !== undefined && known !== this.#device) {
      throw new InvalidArgumentError(
        'wrap: buffer belongs to another GPU device',
        'DEVICE_MISMATCH',
      );
    }
    const failed = this.#health.failureOf(buffer);
    if (failed) throw failureError(failed, 'wrap');
    if (known === undefined && !this.#health.pending(buffer)) this.#probe(buffer);
    this.#liveTensors++;
    return new Tensor(this.#owner, buffer, shape, dtype, byteOffset, false);
  }

  /** A destroyed tensor: its buffer (if owned) goes to the pool once that is safe, or is destroyed. */
  release(t: Tensor): void {
    this.#liveTensors--;
    if (!t.owned) return;
    this.#owned.delete(t);
    this.#liveBytes -= t.buffer.size;
    if (this.#recorder.callerBound.has(t.buffer)) {
      this.#releaseCallerBound(t.buffer);
      return;
    }
    this.#recycle(t.buffer);
  }

  /** createBuffer, inside an out-of-memory scope when it is large. */
  createBuffer(descriptor: GPUBufferDescriptor, what: string): GPUBuffer {
    // An error scope per buffer costs more than a small op: only large buffers realistically fail.
    if (descriptor.size < OOM_SCOPE_BYTES) return this.#device.createBuffer(descriptor);
    this.#device.pushErrorScope('out-of-memory');
    const buffer = this.#device.createBuffer(descriptor);
    this.#health.verify(buffer, this.#device.popErrorScope(), (m) => {
      this.#outOfMemory();
      return {
        code: 'OUT_OF_MEMORY',
        message:
          `${what} could not be allocated (${descriptor.size} bytes): out of memory (${m}); ` +
          'destroy tensors, await act.flush(), retry',
      };
    });
    return buffer;
  }

  /** Destroys every owned tensor (callers' forgotten ones) and the pool; call once disposed. */
  dispose(): void {
    for (const t of [...this.#owned]) t.destroy();
    for (const list of this.#pool.values()) for (const b of list) b.destroy();
    this.#pool.clear();
    this.#pooledBytes = 0;
  }

  #track(tensor: Tensor, bytes: number): Tensor {
    this.#liveTensors++;
    this.#liveBytes += bytes;
    this.#owned.add(tensor);
    return tensor;
  }

  /**
   * A buffer from elsewhere: WebGPU cannot say synchronously which device
   * made it, so a zero-byte write is validated in an error scope. Until it
   * answers the buffer is unverified (work on it runs in scopes); if it is
   * another device's, using it throws DEVICE_MISMATCH and the next read or
   * flush rejects with it.
   */
  #probe(buffer: GPUBuffer): void {
    this.#device.pushErrorScope('validation');
    // Dawn checks the buffer's device first; other complaints (usage, mapped) do not concern wrap().
    this.#device.queue.writeBuffer(buffer, 0, new Uint8Array(0));
    this.#health.verify(
      buffer,
      this.#device.popErrorScope(),
      (m) =>
        /associated with|different device/i.test(m)
          ? {
              code: 'DEVICE_MISMATCH',
              message: `wrap: buffer belongs to another GPU device (${m})`,
            }
          : null,
      () => bufferDevices.set(buffer, this.#device),
    );
  }

  /**
   * A freed buffer that a caller's encoder binds. Inside encode() the caller
   * cannot have submitted yet: the buffer is left to the garbage collector
   * (the encoder keeps it alive). After encode(), the caller submits before
   * freeing (as with any GPUBuffer), so once the queue has drained it is idle.
   */
  #releaseCallerBound(buffer: GPUBuffer): void {
    if (this.#recorder.encoding) return;
    void this.#device.queue.onSubmittedWorkDone().then(
      () => {
        this.#recorder.callerBound.delete(buffer);
        this.#recycle(buffer);
      },
      () => undefined,
    );
  }

  /** Into the pool, or destroyed once the recorded work is submitted. */
  #recycle(buffer: GPUBuffer): void {
    const bytes = buffer.size;
    // Queue order makes reuse safe: later work on the buffer runs after the work recorded so far.
    if (
      !this.#health.disposed &&
      !this.#pressure &&
      !this.#health.failureOf(buffer) &&
      !this.#health.pending(buffer) &&
      this.#pooledBytes + bytes <= POOL_BYTES
    ) {
      let list = this.#pool.get(bytes);
      if (!list) this.#pool.set(bytes, (list = []));
      list.push(buffer);
      this.#pooledBytes += bytes;
      return;
    }
    this.#recorder.destroyAfterSubmit(buffer);
  }

  /** Out of memory: the pooled buffers go back to the device, and freed ones follow until a flush succeeds. */
  #outOfMemory(): void {
    this.#pressure = true;
    for (const list of this.#pool.values())
      for (const b of list) this.#recorder.destroyAfterSubmit(b);
    this.#pool.clear();
    this.#pooledBytes = 0;
  }
}
