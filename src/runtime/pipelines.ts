/**
 * Compute pipelines, cached per device and key. The cache is a WeakMap keyed
 * by the device, so a lost or destroyed device takes its pipelines with it,
 * and instances sharing a device compile each kernel once.
 */
import { GPUError } from '../core/errors.js';

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export class Pipelines {
  readonly #device: GPUDevice;
  /** This device's entry of pipelineCache, looked up once. */
  readonly #cache: Map<string, GPUComputePipeline>;
  /** Compilation verdicts not yet reported: a label and message, or null. */
  #checks: Promise<string | null>[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
    let cache = pipelineCache.get(device);
    if (!cache) pipelineCache.set(device, (cache = new Map()));
    this.#cache = cache;
  }

  /** The pipeline for `key`, compiled from `code()` (once per device) if not cached. */
  get(key: string, label: string, code: () => string): GPUComputePipeline {
    let p = this.#cache.get(key);
    if (!p) {
      // Compilation errors arrive asynchronously: keep the check, so the next
      // read or flush reports them with the op's name instead of leaving an
      // uncaptured error and a silently unwritten output.
      this.#device.pushErrorScope('validation');
      p = this.#device.createComputePipeline(this.#describe(label, code));
      this.#checks.push(
        this.#device.popErrorScope().then((e) => (e ? `${label}: ${e.message}` : null)),
      );
      this.#cache.set(key, p);
    }
    return p;
  }

  /** Compiles a pipeline without blocking (createComputePipelineAsync) into the cache. */
  async prepare(key: string, label: string, code: () => string): Promise<void> {
    if (this.#cache.has(key)) return;
    const descriptor = this.#describe(label, code);
    try {
      this.#cache.set(key, await this.#device.createComputePipelineAsync(descriptor));
    } catch (e) {
      throw new GPUError(`${label}: the pipeline failed to compile: ${(e as Error).message}`);
    }
  }

  /** Throws the first pipeline compilation error reported since the last check. */
  async check(): Promise<void> {
    if (this.#checks.length === 0) return;
    const checks = this.#checks;
    this.#checks = [];
    const errors = (await Promise.all(checks)).filter((e) => e !== null);
    if (errors.length > 0) throw new GPUError(`a kernel failed to compile: ${errors[0]}`);
  }

  /** Pipelines cached for this device, by every instance on it. */
  get count(): number {
    return this.#cache.size;
  }

  #describe(label: string, code: () => string): GPUComputePipelineDescriptor {
    const module = this.#device.createShaderModule({ label, code: code() });
    return { label, layout: 'auto', compute: { module, entryPoint: 'main' } };
  }
}
