/**
 * Recording GPU work: one command encoder of our own collects dispatches and
 * copies until a read, a flush or a count of dispatches submits it; inside
 * encode(), work goes into the caller's encoder instead, which the caller
 * submits.
 */
import type { BindGroupCache, BufferRange } from './bind-groups.js';
import { foldGrid } from './grid.js';
import type { Health } from './health.js';
import type { Uniforms } from './uniforms.js';
import { InvalidArgumentError } from '../core/errors.js';

/**
 * Submit on our own after 16 dispatches, as ONNX Runtime Web and TensorFlow.js
 * do: the GPU starts on them while the caller records the rest (in Node;
 * bench/notes/latency.md, item 5). Each later submission waits for twice as
 * many, up to one uniform arena's 256: a submission costs Chromium about
 * 100 us (item 6). A submission of any other kind starts again at 16.
 */
const FIRST_SUBMIT = 16;

export class Recorder {
  readonly #device: GPUDevice;
  readonly #maxPerDimension: number;
  readonly #health: Health;
  readonly #uniforms: Uniforms;
  readonly #bindGroups: BindGroupCache;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** The open pass's pipeline: set again only when it changes (a chain of one op sets it once). */
  #pipeline: GPUComputePipeline | null = null;
  #dispatches = 0;
  #submitAt = FIRST_SUBMIT;
  /** The caller's encoder while encode() records into it. */
  #external: GPUCommandEncoder | null = null;
  /** Buffers whose destroy waits for the recorded work that uses them to be submitted. */
  #deferredDestroy: GPUBuffer[] = [];
  /**
   * Buffers bound into a caller's encoder. Freed, they stay out of the pool
   * until that encoder must have run: our own later work is submitted on its
   * own (as a chain grows, on flush) and could otherwise get the buffer
   * and reach the queue before the caller's submit.
   */
  readonly callerBound = new WeakSet<GPUBuffer>();

  constructor(
    device: GPUDevice,
    limits: GPUSupportedLimits,
    health: Health,
    uniforms: Uniforms,
    bindGroups: BindGroupCache,
  ) {
    this.#device = device;
    this.#maxPerDimension = limits.maxComputeWorkgroupsPerDimension;
    this.#health = health;
    this.#uniforms = uniforms;
    this.#bindGroups = bindGroups;
  }

  /** Dispatches recorded on our own encoder since the last submission. */
  get dispatches(): number {
    return this.#dispatches;
  }

  /** Whether our own encoder holds work not submitted yet. */
  get open(): boolean {
    return this.#encoder !== null;
  }

  /** Whether encode() is recording into a caller's encoder now. */
  get encoding(): boolean {
    return this.#external !== null;
  }

  /**
   * Records the work `record` issues into the caller's encoder, submitting
   * nothing; the caller's own submit runs it. Work recorded earlier on our
   * encoder is submitted first, so queue order matches call order.
   */
  encodeInto<T>(encoder: GPUCommandEncoder, record: () => T): T {
    this.#health.checkAlive();
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
    if (this.#external) for (const r of ranges) this.callerBound.add(r.buffer);
    const bindGroup = this.#health.scoped(
      this.#health.risk(
        ranges.map((r) => r.buffer),
        !this.#external,
      ),
      pipeline.label,
      () => this.#bindGroups.get(this.#device, pipeline, [u, ...ranges]),
    );
    const pass = this.#passNow();
    if (pipeline !== this.#pipeline) pass.setPipeline((this.#pipeline = pipeline));
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...foldGrid(workgroups, this.#maxPerDimension));
    if (this.#external) return;
    // At most 256 dispatches per submission: one uniform arena, never full.
    if (++this.#dispatches >= this.#submitAt) this.submit(Math.min(2 * this.#submitAt, 256));
  }

  /** Records a buffer-to-buffer copy (ends the open compute pass). */
  copy(src: BufferRange, dst: BufferRange): void {
    this.#endPass();
    // Encoder commands report errors at finish: only the submission needs the scope.
    if (!this.#external) this.#health.risk([src.buffer, dst.buffer], true);
    else for (const b of [src.buffer, dst.buffer]) this.callerBound.add(b);
    (this.#external ?? this.#encoderNow()).copyBufferToBuffer(
      src.buffer,
      src.offset,
      dst.buffer,
      dst.offset,
      src.size,
    );
  }

  /** Submits whatever has been recorded on our own encoder; the next automatic submission comes `after` dispatches. */
  submit(after = FIRST_SUBMIT): void {
    this.#submitAt = after;
    const encoder = this.#encoder;
    if (!encoder) return;
    this.#endPass();
    this.#uniforms.write();
    this.#health.scoped(this.#health.takeEncoderRisk(), 'submit', () =>
      this.#device.queue.submit([encoder.finish()]),
    );
    this.#encoder = null;
    this.#dispatches = 0;
    for (const b of this.#deferredDestroy) b.destroy();
    this.#deferredDestroy = [];
  }

  /** Destroys a buffer once the work recorded so far (which may use it) is submitted. */
  destroyAfterSubmit(b: GPUBuffer): void {
    if (this.#encoder) this.#deferredDestroy.push(b);
    else b.destroy();
  }

  #encoderNow(): GPUCommandEncoder {
    this.#health.checkAlive();
    if (!this.#encoder)
      this.#encoder = this.#device.createCommandEncoder({ label: 'webgpu-activations' });
    return this.#encoder;
  }

  #passNow(): GPUComputePassEncoder {
    if (!this.#pass) {
      const encoder = this.#external ?? this.#encoderNow();
      this.#pass = encoder.beginComputePass({ label: 'webgpu-activations' });
    }
    return this.#pass;
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = this.#pipeline = null;
  }
}
