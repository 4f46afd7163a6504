/**
 * registerTfjsKernels' registry in headless Chromium: restore() puts TF's
 * kernels and gradients back exactly, calls we do not take are delegated
 * (and counted), a re-created backend is followed, and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describe, expect, it } from 'vitest';
import { registerTfjsKernels, type TfNamespaceLike } from '../../src/interop/tfjs-kernels/index.js';

import {
  gpuTensor,
  replaceBackend,
  TFNS,
  tfDevice,
  uniform,
  useTfBackend,
  withProvider,
} from './tfjs-harness.js';

useTfBackend();

describe('registerTfjsKernels: registry, delegation, backends, leaks', () => {
  it('restore() puts back exactly the kernels and gradients TF had', async () => {
    const names = [
      'Relu',
      'Relu6',
      'LeakyRelu',
      'Prelu',
      'Elu',
      'Selu',
      'Sigmoid',
      'Tanh',
      'Softplus',
      'Softmax',
      'LogSoftmax',
    ];
    const kernels = names.map((n) => tf.getKernel(n, 'webgpu'));
    const grads = names.map((n) => tf.getGradient(n));
    const h = await registerTfjsKernels(TFNS);
    expect(tf.getKernel('Relu', 'webgpu')).not.toBe(kernels[0]);
    expect(tf.getGradient('Relu')).not.toBe(grads[0]);
    expect(tf.getKernel('WebGPUActivations.gelu', 'webgpu')).toBeDefined();
    h.restore();
    names.forEach((n, i) => {
      expect(tf.getKernel(n, 'webgpu')).toBe(kernels[i]);
      expect(tf.getGradient(n)).toBe(grads[i]);
    });
    expect(tf.getKernel('LogSoftmax', 'webgpu')).toBeUndefined();
    expect(tf.getKernel('WebGPUActivations.gelu', 'webgpu')).toBeUndefined();
    expect(tf.getKernel('WebGPUActivations.ReluGrad', 'webgpu')).toBeUndefined();
    expect(tf.getGradient('WebGPUActivations.gelu')).toBeUndefined();
  });

  it('options.ops and gradients: false replace only what was asked', async () => {
    const grad = tf.getGradient('Relu');
    const { stats } = await withProvider(
      async () => {
        const x = gpuTensor(uniform(4096, -1, 1, 1), [4096]);
        const [y, s] = tf.tidy(() => [tf.relu(x), tf.sigmoid(x)]);
        expect(tf.getGradient('Relu')).toBe(grad);
        await Promise.all([y.data(), s.data()]);
        tf.dispose([x, y, s]);
      },
      { ops: ['Relu'], gradients: false },
    );
    expect(stats.Relu).toEqual({ ours: 1, delegated: 0 });
    expect(stats.Sigmoid).toBeUndefined();
  });

  it('refuses clearly when the active backend is not webgpu', async () => {
    const fake = { ...TFNS, getBackend: () => 'cpu', backend: () => ({}) } as TfNamespaceLike;
    await expect(registerTfjsKernels(fake)).rejects.toThrow(/not 'webgpu'/);
  });

  it('hands int32 inputs and small CPU-resident tensors to TF, counted', async () => {
    const { stats } = await withProvider(async () => {
      const i = tf.tensor1d([-2, 3, -1, 4], 'int32');
      const r = tf.relu(i);
      expect(Array.from(await r.data())).toEqual([0, 3, 0, 4]);
      const small = tf.tensor1d([-1, 0.5]);
      const s = tf.sigmoid(small);
      const got = (await s.data()) as Float32Array;
      expect(got[1]).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 5);
      tf.dispose([i, r, small, s]);
    });
    expect(stats.Relu).toEqual({ ours: 0, delegated: 1 });
    expect(stats.Sigmoid).toEqual({ ours: 0, delegated: 1 });
  });

  it('hands a Prelu whose alpha is larger than x (TF broadcasts both ways; we refuse) to TF', async () => {
    const xData = uniform(4096, -2, 2, 61);
    const aData = uniform(2 * 4096, 0, 0.5, 62);
    const run = async () => {
      const x = gpuTensor(xData, [4096]);
      const a = gpuTensor(aData, [2, 4096]);
      const y = tf.prelu(x, a);
      expect(y.shape).toEqual([2, 4096]);
      const out = (await y.data()) as Float32Array;
      tf.dispose([x, a, y]);
      return out;
    };
    const stock = await run();
    const ids = tf.backend().numDataIds();
    const { result, stats } = await withProvider(run);
    // The output we had allocated before refusing went back to TF.
    expect(tf.backend().numDataIds()).toBe(ids);
    expect(stats.Prelu).toEqual({ ours: 0, delegated: 1 });
    expect(Array.from(result)).toEqual(Array.from(stock));
  });

  it('follows a backend TF disposes and re-creates on a new device, never touching the old one', async () => {
    const h = await registerTfjsKernels(TFNS);
    try {
      const data = uniform(4096, -3, 3, 41);
      const run = async () => {
        const x = gpuTensor(data, [4096]);
        const y = tf.relu(x);
        const out = (await y.data()) as Float32Array;
        tf.dispose([x, y]);
        return out;
      };
      const before = await run();
      const old = tfDevice();
      const device = await replaceBackend();
      expect(device).not.toBe(old);
      old.destroy();
      const after = await run();
      expect(Array.from(after)).toEqual(Array.from(before));
      expect(h.stats().Relu).toEqual({ ours: 2, delegated: 0 });
      expect((tf.backend() as WebGPUBackend).device).toBe(device);
    } finally {
      h.restore();
    }
  });

  it('keeps working across tf.engine().reset() (a new backend object, the same device)', async () => {
    const h = await registerTfjsKernels(TFNS);
    try {
      const data = uniform(4096, -3, 3, 43);
      const run = async () => {
        const x = gpuTensor(data, [4096]);
        const [y, dx] = tf.tidy(() => [tf.relu(x), tf.grad((v: tf.Tensor) => tf.relu(v))(x)]);
        const out = [...((await y.data()) as Float32Array), ...((await dx.data()) as Float32Array)];
        tf.dispose([x, y, dx]);
        return out;
      };
      const before = await run();
      const old = tf.backend();
      tf.engine().reset();
      expect(await tf.setBackend('webgpu')).toBe(true);
      expect(tf.backend()).not.toBe(old);
      expect(await run()).toEqual(before);
      expect(h.stats().Relu).toEqual({ ours: 4, delegated: 0 });
      expect(h.stats()['WebGPUActivations.ReluGrad']).toEqual({ ours: 2, delegated: 0 });
    } finally {
      h.restore();
    }
  });

  it('no leaks: tf.memory() and our live bytes return to baseline over 1000 training steps', async () => {
    const h = await registerTfjsKernels(TFNS);
    try {
      const w = tf.variable(gpuTensor(uniform(32 * 16, -0.3, 0.3, 51), [32, 16]));
      const xb = gpuTensor(uniform(64 * 32, -1, 1, 52), [64, 32]);
      const labels = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => i % 16),
          'int32',
        ),
        16,
      );
      const step = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const hdn = tf.relu(tf.matMul(xb, w));
            const p = tf.softmax(tf.sigmoid(hdn));
            return tf.mean(
              tf.sum(tf.mul(labels, tf.neg(tf.log(tf.add(p, 1e-7)))), -1),
            ) as tf.Scalar;
          });
          w.assign(tf.sub(w, tf.mul(grads[w.name], 0.01)));
        });
      step();
      await w.data();
      const m0 = tf.memory();
      const s0 = h.act.stats().liveBytes;
      for (let i = 0; i < 1000; i++) step();
      await w.data();
      const m1 = tf.memory();
      expect(m1.numTensors).toBe(m0.numTensors);
      expect(m1.numBytes).toBe(m0.numBytes);
      expect(h.act.stats().liveBytes).toBe(s0);
      expect(h.stats().Relu.ours).toBeGreaterThanOrEqual(1001);
      tf.dispose([w, xb, labels]);
    } finally {
      h.restore();
    }
  });
});
