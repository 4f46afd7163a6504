/**
 * Test access to real WebGPU: navigator.gpu in Chromium, Dawn in Node (set up
 * by test/setup-node.ts). No mock: without an adapter the tests fail.
 */
import { createActivations, type Activations } from '../src/index.js';

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
