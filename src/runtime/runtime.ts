/**
 * The GPU side of an instance, as one object the op hosts call. Each concern
 * lives in its own module and Runtime only composes them:
 *
 * - device.ts: acquiring a device with the adapter's features and limits
 * - pipelines.ts: compiled pipelines, cached per device
 * - uniforms.ts: where each dispatch's parameters live
 * - bind-groups.ts: bind groups kept for reuse
 * - recorder.ts: the command encoder that records work until a submit
 * - memory.ts: tensor allocation, wrapped buffers, the pool of freed buffers
 * - health.ts: device loss, dispose, buffers whose allocation may have failed
 * - upload and readback: methods here (a class of their own weighs on the size budget)
 * - grid.ts: workgroup counts folded into a 2-D grid
 * - scratch.ts: outputs that alias an input, written through a scratch copy (used by the hosts)
 */
import { BindGroupCache, type BufferRange } from './bind-groups.js';
import { failureError, Health } from './health.js';
import { Memory } from './memory.js';
import { Pipelines } from './pipelines.js';
import { Recorder } from './recorder.js';
import { Uniforms } from './uniforms.js';
import { ActivationsError, GPUError, InvalidArgumentError } from '../core/errors.js';
import { fromHalfArray } from '../core/f16.js';
import { Tensor, type DType, type TensorOwner } from '../core/tensor.js';
import { checkOutputOverlap, checkSameLayout, describe } from '../core/validate.js';

export { acquireDevice, type CreateOptions } from './device.js';
export type { BufferRange } from './bind-groups.js';
export { foldGrid } from './grid.js';
export { PAD_BYTES } from './memory.js';

export interface Stats {
  /** Tensors made or wrapped by this instance and not yet destroyed. */
  liveTensors: number;
  /** Bytes of GPU buffers owned by live tensors (wrapped buffers are the caller's). */
  liveBytes: number;
  /**
   * Bytes the instance keeps for reuse: freed tensor buffers (at most
   * POOL_BYTES), uniform arenas (64 KiB each, 256 dispatches; the runtime
   * submits at 256 dispatches or sooner, so one arena serves) and the
   * content-cached uniforms of encode() (at most 4096 x 256 bytes = 1 MiB).
   */
  pooledBytes: number;
  pipelines: number;
  recordedDispatches: number;
}

export class Runtime implements TensorOwner {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  /** The GPU entry point and adapter the device came from (see Acquired). */
  readonly keepAlive: readonly unknown[];
  readonly #health: Health;
  readonly #pipelines: Pipelines;
  readonly #bindGroups = new BindGroupCache();
  readonly #uniforms: Uniforms;
  readonly #recorder: Recorder;
  readonly #memory: Memory;

  constructor(device: GPUDevice, keepAlive: unknown[] = []) {
    this.device = device;
    this.keepAlive = keepAlive;
    this.limits = device.limits;
    this.features = new Set([...device.features] as string[]);
    this.#health = new Health(device);
    this.#pipelines = new Pipelines(device);
    this.#uniforms = new Uniforms(device, this.#bindGroups);
    this.#recorder = new Recorder(
      device,
      this.limits,
      this.#health,
      this.#uniforms,
      this.#bindGroups,
    );
    this.#memory = new Memory(this, this.limits, this.#health, this.#recorder, this.#bindGroups);
  }

  get lost(): boolean {
    return this.#health.lost !== null;
  }

  /** Throws if the device is lost or the instance disposed. */
  checkAlive(): void {
    this.#health.checkAlive();
  }

  // ---- pipelines ----------------------------------------------------------

  pipeline(key: string, label: string, code: () => string): GPUComputePipeline {
    return this.#pipelines.get(key, label, code);
  }

  /** Compiles a pipeline without blocking (createComputePipelineAsync) into the cache. */
  prepare(key: string, label: string, code: () => string): Promise<void> {
    return this.#pipelines.prepare(key, label, code);
  }

  // ---- recording ----------------------------------------------------------

  /** Records `record`'s work into the caller's encoder, which the caller submits. */
  encodeInto<T>(encoder: GPUCommandEncoder, record: () => T): T {
    return this.#recorder.encodeInto(encoder, record);
  }

  /**
   * Records one dispatch: uniforms at binding 0, then `ranges` at bindings 1..n.
   * `workgroups` is any count: it is folded into a 2-D grid within the per-dimension limit.
   */
  dispatch(
    pipeline: GPUComputePipeline,
    uniforms: ArrayBuffer,
    ranges: BufferRange[],
    workgroups: number,
  ): void {
    this.#recorder.dispatch(pipeline, uniforms, ranges, workgroups);
  }

  /** Records a buffer-to-buffer copy (ends the open compute pass). */
  copy(src: BufferRange, dst: BufferRange): void {
    this.#recorder.copy(src, dst);
  }

  /** Submits whatever has been recorded. */
  submit(): void {
    this.#recorder.submit();
  }

  /** Submits recorded work and resolves when the GPU has finished it. */
  async finish(): Promise<void> {
    this.#health.checkAlive();
    // Out of memory: an empty submission lets the device retire the buffers destroyed since.
    if (this.#memory.pressure && !this.#recorder.open) this.device.queue.submit([]);
    this.#recorder.submit();
    await this.#pipelines.check();
    const failure = await this.#health.failure();
    if (failure) throw failure;
    await this.#health.untilLost(this.device.queue.onSubmittedWorkDone());
    this.#memory.relieve();
  }

  // ---- tensors ------------------------------------------------------------

  /**
   * A tensor for `shape` elements of `dtype`, padded for vector kernels.
   * `reuse`: the caller overwrites every element before anything reads it, so
   * a pooled buffer with stale contents will do (new buffers start zeroed, and
   * zeroing 64 MiB costs as much as the op that fills it).
   */
  allocate(shape: readonly number[], dtype: DType, label: string, reuse = false): Tensor {
    return this.#memory.allocate(shape, dtype, label, reuse);
  }

  /** The result tensor: `out` (checked; may be exactly an input's range) or a new one like `like`. */
  output(op: string, out: Tensor | undefined, like: Tensor, inputs: Tensor[]): Tensor {
    // The kernels write every element: a pooled buffer will do.
    if (out === undefined)
      return this.#memory.allocate(like.shape, like.dtype, `${op} output`, true);
    this.checkTensor(op, 'out', out);
    checkSameLayout(op, 'x', like, 'out', out);
    checkOutputOverlap(op, out, inputs);
    return out;
  }

  /** A tensor over a caller's buffer, checked to be this device's. */
  wrapBuffer(
    buffer: GPUBuffer,
    shape: readonly number[],
    dtype: DType,
    byteOffset: number,
  ): Tensor {
    return this.#memory.wrap(buffer, shape, dtype, byteOffset);
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
        this.device.queue.writeBuffer(t.buffer, t.byteOffset, data.buffer, data.byteOffset, bytes);
      } else {
        const padded = new Uint8Array(Math.ceil(bytes / 4) * 4);
        padded.set(new Uint8Array(data.buffer, data.byteOffset, bytes));
        this.device.queue.writeBuffer(t.buffer, t.byteOffset, padded);
      }
    });
  }

  /** A checked tensor's stored values: copied to a staging buffer now, mapped when the GPU is done. */
  async #read(t: Tensor): Promise<Uint16Array | Float32Array> {
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
        await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 1000))]);
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

  releaseTensor(t: Tensor): void {
    this.#memory.release(t);
  }

  async readTensorBits(t: Tensor): Promise<Uint16Array | Float32Array> {
    this.checkTensor('read', 'tensor', t);
    return this.#read(t);
  }

  async readTensor(t: Tensor): Promise<Float32Array> {
    const raw = await this.readTensorBits(t);
    return raw instanceof Float32Array ? raw : fromHalfArray(raw);
  }

  /** Throws unless t is a live tensor of this instance. */
  checkTensor(op: string, arg: string, t: unknown): asserts t is Tensor {
    if (!(t instanceof Tensor)) {
      throw new InvalidArgumentError(
        `${op}: ${arg} must be a Tensor (from act.tensor or act.wrap), got ${describe(t)}`,
      );
    }
    if (t.destroyed) {
      throw new InvalidArgumentError(`${op}: ${arg} was destroyed`, 'TENSOR_DESTROYED');
    }
    if (t.device !== this.device) {
      throw new InvalidArgumentError(
        `${op}: ${arg} belongs to another GPU device`,
        'DEVICE_MISMATCH',
      );
    }
    const failed = this.#health.failureOf(t.buffer);
    if (failed) throw failureError(failed, `${op}: ${arg}`);
    this.#health.checkAlive();
  }

  stats(): Stats {
    return {
      liveTensors: this.#memory.liveTensors,
      liveBytes: this.#memory.liveBytes,
      pooledBytes: this.#memory.pooledBytes + this.#uniforms.bytes,
      pipelines: this.#pipelines.count,
      recordedDispatches: this.#recorder.dispatches,
    };
  }

  /** Submits pending work, then frees every buffer the instance owns (tensors included). */
  dispose(): void {
    if (this.#health.disposed) return;
    if (!this.#health.lost) this.#recorder.submit();
    this.#health.dispose();
    this.#memory.dispose();
    this.#uniforms.destroy();
    this.#bindGroups.clear();
  }
}
