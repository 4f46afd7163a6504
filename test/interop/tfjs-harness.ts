/**
 * What the registerTfjsKernels browser tests share: TF.js's WebGPU backend on
 * a device of the test's own, TF's tolerance, inputs, and running a function
 * with the provider registered (and restored after).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  registerTfjsKernels,
  type TfjsKernelsHandle,
  type TfNamespaceLike,
} from '../../src/interop/tfjs-kernels/index.js';
import { testGPU } from '../helpers/gpu.js';
import { mismatches, report, type Tolerance } from '../helpers/tolerance.js';

/** TF's own test tolerance for float32 on WebGPU (tf.test_util.expectArraysClose). */
export const TF_TOL: Tolerance = { atol: 1e-3, rtol: 0 };
export const TFNS = tf as unknown as TfNamespaceLike;

export function uniform(
  n: number,
  lo: number,
  hi: number,
  seed: number,
): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** A tf.Tensor whose values are on the GPU (the output of a GPU op), as in a model. */
export function gpuTensor(data: Float32Array, shape: number[]): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.tensor(data, shape), tf.scalar(1)));
}

let device: GPUDevice;
const maxDiff: Record<string, number> = {};

export function diff(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  maxDiff[name] = Math.max(maxDiff[name] ?? 0, m);
}

export function expectClose(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
): void {
  const ms = mismatches(got, want, tol);
  expect(ms, `${name}: ${report(ms)}`).toEqual([]);
}

async function makeBackend(): Promise<GPUDevice> {
  const adapter = await testGPU().requestAdapter();
  const d = await adapter!.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter!.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter!.limits.maxBufferSize,
    },
  });
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(d), 10);
  expect(await tf.setBackend('webgpu')).toBe(true);
  return d;
}

/**
 * Each test file's TF.js WebGPU backend, on a device of its own (made before
 * the file's tests, its agreement with TF printed after them).
 */
export function useTfBackend(): void {
  beforeAll(async () => {
    device = await makeBackend();
  });
  afterAll(() => {
    console.log(`max |ours - TF| per case: ${JSON.stringify(maxDiff, null, 1)}`);
  });
}

/** The device of the current backend (changes when a test re-creates the backend). */
export const tfDevice = (): GPUDevice => device;

/** Makes a new backend on a new device and makes it current. */
export async function replaceBackend(): Promise<GPUDevice> {
  device = await makeBackend();
  return device;
}
/** Runs fn with the provider registered (restored after), returning fn's result and the stats. */
export async function withProvider<T>(
  fn: (h: TfjsKernelsHandle) => Promise<T> | T,
  options?: Parameters<typeof registerTfjsKernels>[1],
): Promise<{ result: T; stats: ReturnType<TfjsKernelsHandle['stats']> }> {
  const h = await registerTfjsKernels(TFNS, options);
  try {
    const result = await fn(h);
    return { result, stats: h.stats() };
  } finally {
    h.restore();
  }
}

/** Forward and gradient values of f at x (upstream dy), read back. */
export async function fAndGrad(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  dy: tf.Tensor,
): Promise<{ y: Float32Array; dx: Float32Array }> {
  const [y, dx] = tf.tidy(() => [f(x), tf.grad(f)(x, dy)]);
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([y, dx]);
  return out;
}
