/**
 * The GPU side: device acquisition, the per-device pipeline cache, one
 * command encoder that records work until a read or flush submits it,
 * uniforms packed into shared arenas, tensor allocation and readback.
 */
import { BindGroupCache, type BufferRange } from './bind-groups.js';
import { foldGrid } from './grid.js';
import { failureError, Health } from './health.js';
import { Pipelines } from './pipelines.js';
import { Uniforms } from './uniforms.js';
import type { DType } from '../elementwise/codegen.js';
import { ActivationsError, GPUError, InvalidArgumentError } from '../core/errors.js';
import { fromHalfArray } from '../core/f16.js';
import { bytesPerElement, sizeOf, Tensor, type TensorOwner } from '../core/tensor.js';
import { checkOutputOverlap, checkSameLayout, describe, shapeText } from '../core/validate.js';

export { acquireDevice, type Acquired, type CreateOptions } from './device.js';
export type { BufferRange } from './bind-groups.js';
export { foldGrid } from './grid.js';

/**
 * Submit on our own after this many dispatches: the GPU starts on them while
 * the caller records the rest (a chain of 100 small ops in Node + Dawn:
 * 83-94 -> 53-74 us per op, bench/NOTES.md), and the encoder and arenas stay
 * bounded. ONNX Runtime Web and TensorFlow.js flush at 16 and 15 as well.
 */
const MAX_RECORDED_DISPATCHES = 16;

/** Storage buffers we allocate are padded to this many bytes, so vector kernels can run on any length. */
export const PAD_BYTES = 16;
/** Buffers at least this large are allocated inside an out-of-memory error scope. */
const OOM_SCOPE_BYTES = 1 << 20;
/** The most bytes of freed tensor buffers kept for reuse. */
export const POOL_BYTES = 256 * 2 ** 20;

export interface Stats {
  /** Tensors made or wrapped by this instance and not yet destroyed. */
  liveTensors: number;
  /** Bytes of GPU buffers owned by live tensors (wrapped buffers are the caller's). */
  liveBytes: number;
  /**
   * Bytes the instance keeps for reuse: uniform arenas (64 KiB each, 256
   * dispatches; the runtime submits every 16, so one arena serves) and the
   * content-cached uniforms of encode() (at most 4096 x 256 bytes = 1 MiB).
   */
  pooledBytes: number;
  pipelines: number;
  recordedDispatches: number;
}

/**
 * The device of every buffer an instance allocated or verified in wrap(), so
 * wrapping another device's buffer is refused before any GPU work (WebGPU
 * gives a GPUBuffer no `device` to compare).
 */
const bufferDevices = new WeakMap<GPUBuffer, GPUDevice>();

export class Runtime implements TensorOwner {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  readonly #health: Health;
  readonly #pipelines: Pipelines;
  readonly #bindGroups = new BindGroupCache();
  readonly #uniforms: Uniforms;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #dispatches = 0;
  /** Buffers whose destroy waits for the recorded work that uses them to be submitted. */
  #deferredDestroy: GPUBuffer[] = [];
  #liveTensors = 0;
  #liveBytes = 0;
  /** Owned tensors, so dispose() can free what callers forgot. */
  #owned = new Set<Tensor>();
  /** The caller's encoder while encode() records into it. */
  #external: GPUCommandEncoder | null = null;
  /**
   * Buffers bound into a caller's encoder. Freed, they stay out of the pool
   * until that encoder must have run: our own later work is submitted on its
   * own (every 16 dispatches, on flush) and could otherwise get the buffer
   * and reach the queue before the caller's submit.
   */
  #externalUse = new WeakSet<GPUBuffer>();

  /**
   * An allocation failed for lack of memory and no flush has succeeded since:
   * freed tensors go back to the device instead of the pool, so destroying
   * tensors and retrying works.
   */
  #pressure = false;

  /** The GPU entry point and adapter the device came from (see Acquired). */
  readonly keepAlive: readonly unknown[];

  constructor(device: GPUDevice, keepAlive: unknown[] = []) {
    this.device = device;
    this.keepAlive = keepAlive;
    this.limits = device.limits;
    this.features = new Set([...device.features] as string[]);
    this.#health = new Health(device);
    this.#pipelines = new Pipelines(device);
    this.#uniforms = new Uniforms(device, this.#bindGroups);
  }

  get lost(): boolean {
    return this.#health.lost !== null;
  }

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

  get pipelineCount(): number {
    return this.#pipelines.count;
  }

  // ---- recording ----------------------------------------------------------

  #encoderNow(): GPUCommandEncoder {
    this.checkAlive();
    if (!this.#encoder)
      this.#encoder = this.device.createCommandEncoder({ label: 'webgpu-activations' });
    return this.#encoder;
  }

  #passNow(): GPUComputePassEncoder {
    if (!this.#pass) {
      const encoder = this.#external ?? this.#encoderNow();
      this.#pass = encoder.beginComputePass({ label: 'webgpu-activations' });
    }
    return this.#pass;
  }

  /**
   * Records the work `record` issues into the caller's encoder, submitting
   * nothing; the caller's own submit runs it. Work recorded earlier on our
   * encoder is submitted first, so queue order matches call order.
   */
  encodeInto<T>(encoder: GPUCommandEncoder, record: () => T): T {
    this.checkAlive();
    if (this.#external) throw new InvalidArgumentError('encode: calls cannot nest');
    this.submit();
    this.#external = encoder;
    try {
      return record();
    } finally {
      this.#endPass();
      this.#external = null;
    }
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
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
    if (workgroups === 0) return;
    const u = this.#external ? this.#uniforms.immutable(uniforms) : this.#uniforms.slot(uniforms);
    if (this.#external) for (const r of ranges) this.#externalUse.add(r.buffer);
    const bindGroup = this.#health.scoped(
      this.#health.risk(
        ranges.map((r) => r.buffer),
        !this.#external,
      ),
      pipeline.label,
      () => this.#bindGroups.get(this.device, pipeline, [u, ...ranges]),
    );
    const pass = this.#passNow();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...foldGrid(workgroups, this.limits.maxComputeWorkgroupsPerDimension));
    if (this.#external) return;
    if (++this.#dispatches >= MAX_RECORDED_DISPATCHES || this.#uniforms.full) this.submit();
  }

  /** Records a buffer-to-buffer copy (ends the open compute pass). */
  copy(src: BufferRange, dst: BufferRange): void {
    this.#endPass();
    // Encoder commands report errors at finish: only the submission needs the scope.
    if (!this.#external) this.#health.risk([src.buffer, dst.buffer], true);
    else for (const b of [src.buffer, dst.buffer]) this.#externalUse.add(b);
    (this.#external ?? this.#encoderNow()).copyBufferToBuffer(
      src.buffer,
      src.offset,
      dst.buffer,
      dst.offset,
      src.size,
    );
  }

  /** Submits whatever has been recorded. */
  submit(): void {
    if (!this.#encoder) return;
    this.#endPass();
    this.#uniforms.write();
    this.#health.scoped(this.#health.takeEncoderRisk(), 'submit', () =>
      this.device.queue.submit([this.#encoder!.finish()]),
    );
    // Queue order makes the arenas safe to overwrite for the next submission.
    this.#encoder = null;
    this.#dispatches = 0;
    for (const b of this.#deferredDestroy) b.destroy();
    this.#deferredDestroy = [];
  }

  /** Submits recorded work and resolves when the GPU has finished it. */
  async finish(): Promise<void> {
    this.checkAlive();
    // Out of memory: an empty submission lets the device retire the buffers destroyed since.
    if (this.#pressure && !this.#encoder) this.device.queue.submit([]);
    this.submit();
    await this.#pipelines.check();
    const failure = await this.#health.failure();
    if (failure) throw failure;
    await this.#health.untilLost(this.device.queue.onSubmittedWorkDone());
    this.#pressure = false;
  }

  /** Out of memory: the pooled buffers go back to the device, and freed ones follow until a flush succeeds. */
  #outOfMemory(): void {
    this.#pressure = true;
    for (const list of this.#pool.values()) for (const b of list) this.#destroyBuffer(b);
    this.#pool.clear();
    this.#pooledBytes = 0;
  }

  /** Destroys a buffer once the work recorded so far (which may use it) is submitted. */
  #destroyBuffer(b: GPUBuffer): void {
    if (this.#encoder) this.#deferredDestroy.push(b);
    else b.destroy();
  }

  /** createBuffer, inside an out-of-memory scope when it is large. */
  #createBuffer(descriptor: GPUBufferDescriptor, what: string): GPUBuffer {
    // An error scope per buffer costs more than a small op: only large buffers realistically fail.
    if (descriptor.size < OOM_SCOPE_BYTES) return this.device.createBuffer(descriptor);
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer(descriptor);
    this.#health.verify(buffer, this.device.popErrorScope(), (m) => {
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

  get recordedDispatches(): number {
    return this.#dispatches;
  }

  // ---- tensors ------------------------------------------------------------

  /** A new buffer for `size` elements of `dtype`, padded for vector kernels. */
  /**
   * A tensor for `shape` elements of `dtype`, padded for vector kernels.
   * `reuse`: the caller overwrites every element before anything reads it, so
   * a pooled buffer with stale contents will do (new buffers start zeroed, and
   * zeroing 64 MiB costs as much as the op that fills it).
   */
  allocate(shape: readonly number[], dtype: DType, label: string, reuse = false): Tensor {
    this.checkAlive();
    const bytes = Math.max(
      PAD_BYTES,
      Math.ceil((sizeOf(shape) * bytesPerElement(dtype)) / PAD_BYTES) * PAD_BYTES,
    );
    const pooled = reuse ? this.#pool.get(bytes)?.pop() : undefined;
    if (pooled) {
      this.#pooledBytes -= bytes;
      return this.#track(new Tensor(this, pooled, shape, dtype, 0, true), bytes);
    }
    if (bytes > this.limits.maxBufferSize) {
      throw new InvalidArgumentError(
        `${label}: a tensor of shape ${shapeText(shape)} (${dtype}) needs ${bytes} bytes, ` +
          `more than this device's maxBufferSize of ${this.limits.maxBufferSize}`,
        'OUT_OF_MEMORY',
      );
    }
    const buffer = this.#createBuffer(
      {
        label,
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      },
      `a tensor of shape ${shapeText(shape)} (${dtype}, ${label})`,
    );
    this.#bindGroups.own(buffer);
    bufferDevices.set(buffer, this.device);
    return this.#track(new Tensor(this, buffer, shape, dtype, 0, true), bytes);
  }

  /** The result tensor: `out` (checked; may be exactly an input's range) or a new one like `like`. */
  output(op: string, out: Tensor | undefined, like: Tensor, inputs: Tensor[]): Tensor {
    // The kernels write every element: a pooled buffer will do.
    if (out === undefined) return this.allocate(like.shape, like.dtype, `${op} output`, true);
    this.checkTensor(op, 'out', out);
    checkSameLayout(op, 'x', like, 'out', out);
    checkOutputOverlap(op, out, inputs);
    return out;
  }

  #track(tensor: Tensor, bytes: number): Tensor {
    this.#liveTensors++;
    this.#liveBytes += bytes;
    this.#owned.add(tensor);
    return tensor;
  }

  /** Freed buffers by size, for reuse; at most POOL_BYTES in all. */
  #pool = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;

  wrapBuffer(
    buffer: GPUBuffer,
    shape: readonly number[],
    dtype: DType,
    byteOffset: number,
  ): Tensor {
    const known = bufferDevices.get(buffer);
    if (known !== undefined && known !== this.device) {
      throw new InvalidArgumentError(
        'wrap: buffer belongs to another GPU device',
        'DEVICE_MISMATCH',
      );
    }
    const failed = this.#health.failureOf(buffer);
    if (failed) throw failureError(failed, 'wrap');
    if (known === undefined && !this.#health.pending(buffer)) this.#probe(buffer);
    this.#liveTensors++;
    return new Tensor(this, buffer, shape, dtype, byteOffset, false);
  }

  /**
   * A buffer from elsewhere: WebGPU cannot say synchronously which device
   * made it, so a zero-byte write is validated in an error scope. Until it
   * answers the buffer is unverified (work on it runs in scopes); if it is
   * another device's, using it throws DEVICE_MISMATCH and the next read or
   * flush rejects with it.
   */
  #probe(buffer: GPUBuffer): void {
    this.device.pushErrorScope('validation');
    // Dawn checks the buffer's device first; other complaints (usage, mapped) do not concern wrap().
    this.device.queue.writeBuffer(buffer, 0, new Uint8Array(0));
    this.#health.verify(
      buffer,
      this.device.popErrorScope(),
      (m) =>
        /associated with|different device/i.test(m)
          ? {
              code: 'DEVICE_MISMATCH',
              message: `wrap: buffer belongs to another GPU device (${m})`,
            }
          : null,
      () => bufferDevices.set(buffer, this.device),
    );
  }

  /** Uploads bytes into a tensor's range (queued now, ahead of any later submission). */
  upload(t: Tensor, data: ArrayBufferView): void {
    const bytes = data.byteLength;
    if (bytes === 0) return;
    // writeBuffer reaches the queue at once: work recorded before it (which may
    // still read this buffer, freed and handed out again) must be submitted first.
    this.submit();
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

  releaseTensor(t: Tensor): void {
    this.#liveTensors--;
    if (!t.owned) return;
    this.#owned.delete(t);
    this.#liveBytes -= t.buffer.size;
    if (this.#externalUse.has(t.buffer)) {
      this.#releaseExternal(t.buffer);
      return;
    }
    this.#recycle(t.buffer);
  }

  /**
   * A freed buffer that a caller's encoder binds. Inside encode() the caller
   * cannot have submitted yet: the buffer is left to the garbage collector
   * (the encoder keeps it alive). After encode(), the caller submits before
   * freeing (as with any GPUBuffer), so once the queue has drained it is idle.
   */
  #releaseExternal(buffer: GPUBuffer): void {
    if (this.#external) return;
    void this.device.queue.onSubmittedWorkDone().then(
      () => {
        this.#externalUse.delete(buffer);
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
    this.#destroyBuffer(buffer);
  }

  async readTensorBits(t: Tensor): Promise<Uint16Array | Float32Array> {
    this.checkTensor('read', 'tensor', t);
    if (t.size === 0) return t.dtype === 'float32' ? new Float32Array(0) : new Uint16Array(0);
    if (!(t.buffer.usage & GPUBufferUsage.COPY_SRC)) {
      throw new InvalidArgumentError(
        'read: the wrapped buffer lacks COPY_SRC usage, so it cannot be read back',
        'BUFFER_USAGE',
      );
    }
    const bytes = Math.ceil(t.byteLength / 4) * 4;
    const staging = this.#createBuffer(
      {
        label: 'webgpu-activations readback',
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      },
      'read: the readback buffer',
    );
    this.copy(
      { buffer: t.buffer, offset: t.byteOffset, size: bytes },
      { buffer: staging, offset: 0, size: bytes },
    );
    this.submit();
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
    this.checkAlive();
  }

  stats(): Stats {
    return {
      liveTensors: this.#liveTensors,
      liveBytes: this.#liveBytes,
      pooledBytes: this.#pooledBytes + this.#uniforms.bytes,
      pipelines: this.pipelineCount,
      recordedDispatches: this.#dispatches,
    };
  }

  /** Submits pending work, then frees every buffer the instance owns (tensors included). */
  dispose(): void {
    if (this.#health.disposed) return;
    if (!this.#health.lost) this.submit();
    this.#health.dispose();
    for (const t of [...this.#owned]) t.destroy();
    for (const list of this.#pool.values()) for (const b of list) b.destroy();
    this.#pool.clear();
    this.#pooledBytes = 0;
    this.#uniforms.destroy();
    this.#bindGroups.clear();
  }
}
