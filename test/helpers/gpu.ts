/**
 * Test access to real WebGPU: navigator.gpu in Chromium, Dawn in Node (set up
 * by test/setup-node.ts). No mock: without an adapter the tests fail.
 */
import { createActivations, type Activations } from '../../src/index.js';

export function testGPU(): GPU {
  const gpu =
    (globalThis.navigator as Navigator | undefined)?.gpu ??
    (globalThis as { __testGPU?: GPU }).__testGPU;
  if (!gpu)
    throw new Error('no WebGPU in this test environment (navigator.gpu or the webgpu package)');
  return gpu;
}

let shared: Promise<Activations> | undefined;

/** Every 'uncapturederror' the shared device raised: test/setup-all.ts asserts none per file. */
export const uncapturedErrors: string[] = [];

/** One instance per test file (pipelines compile once), on its own device. */
export function sharedActivations(): Promise<Activations> {
  shared ??= createActivations({ gpu: testGPU() }).then((act) => {
    act.device.addEventListener('uncapturederror', (e) => {
      uncapturedErrors.push((e as GPUUncapturedErrorEvent).error.message);
    });
    return act;
  });
  return shared;
}

/**
 * The real device seen through a smaller maxStorageBufferBindingSize. WebGPU
 * raises a requested limit below its default up to the default (Dawn gives
 * 128 MiB for a request of 64 KiB), so a small limit cannot be had from the
 * adapter: this view reports `limit`, and every buffer binding of every bind
 * group made through it must fit `limit` at a 256-byte aligned offset, or
 * createBindGroup throws (naming the group, the binding, its size and
 * offset). The size of each binding it lets through is pushed to `bound`.
 */
export function limitedView(real: GPUDevice, limit: number, bound: number[] = []): GPUDevice {
  const get = (t: object, k: PropertyKey) => (t as Record<PropertyKey, unknown>)[k];
  const limits = new Proxy(real.limits, {
    get: (t, k) => (k === 'maxStorageBufferBindingSize' ? limit : get(t, k)),
  });
  const createBindGroup = (d: GPUBindGroupDescriptor) => {
    for (const e of d.entries as GPUBindGroupEntry[]) {
      const r = e.resource as GPUBufferBinding;
      if (!r.buffer) continue;
      const size = r.size ?? r.buffer.size - (r.offset ?? 0);
      if (size > limit || (r.offset ?? 0) % 256 !== 0) {
        throw new Error(`${d.label}: binding ${e.binding} of ${size} bytes at ${r.offset}`);
      }
      bound.push(size);
    }
    return real.createBindGroup(d);
  };
  return new Proxy(real, {
    get(t, k) {
      if (k === 'limits') return limits;
      if (k === 'createBindGroup') return createBindGroup;
      const v = get(t, k);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/**
 * Runs GPU work inside validation and out-of-memory error scopes and fails
 * the test if the device reported anything.
 */
export async function noGpuErrors<T>(device: GPUDevice, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  const outcome = await work().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  const errors = [
    await device.popErrorScope(),
    await device.popErrorScope(),
    await device.popErrorScope(),
  ];
  const gpuError = errors.find((e) => e !== null);
  if (gpuError) throw new Error(`GPU error: ${gpuError.message}`);
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.value as T;
}
