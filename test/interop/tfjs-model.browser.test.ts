/**
 * Real models with and without registerTfjsKernels, in headless Chromium on
 * TF.js's WebGPU backend: the MLP of examples/mlp and a transformer block
 * (attention softmax, gelu feed-forward), both in plain TF.js ops, trained 50
 * steps each way from the same seed. The losses agree step by step within
 * 1e-3 relative, the provider's kernels ran (its stats), and the median step
 * times of both are printed.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  registerTfjsKernels,
  type TfjsKernelsHandle,
  type TfNamespaceLike,
} from '../../src/interop/tfjs-kernels/index.js';
import { makeDataset } from '../../examples/mlp/data.js';
import { tfMlp, tfTransformer, trainTf, type TfModel } from '../../examples/mlp/tf-models.js';
import { testGPU } from '../helpers/gpu.js';

const STEPS = 50;

beforeAll(async () => {
  const adapter = await testGPU().requestAdapter();
  const device = await adapter!.requestDevice();
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device), 10);
  expect(await tf.setBackend('webgpu')).toBe(true);
});

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function run(make: () => TfModel, lr: number): Promise<{ losses: number[]; ms: number }> {
  const model = make();
  const times: number[] = [];
  try {
    const losses = await trainTf(model, STEPS, lr, (_i, _l, ms) => void times.push(ms));
    return { losses, ms: median(times.slice(5)) };
  } finally {
    model.dispose();
  }
}

async function compare(
  name: string,
  make: (h: TfjsKernelsHandle | null) => TfModel,
  lr: number,
): Promise<ReturnType<TfjsKernelsHandle['stats']>> {
  const plain = await run(() => make(null), lr);
  const h = await registerTfjsKernels(tf as unknown as TfNamespaceLike);
  let ours: { losses: number[]; ms: number };
  try {
    ours = await run(() => make(h), lr);
  } finally {
    h.restore();
  }
  let worst = 0;
  plain.losses.forEach((l, i) => {
    const rel = Math.abs(ours.losses[i] - l) / Math.max(Math.abs(l), 1e-6);
    worst = Math.max(worst, rel);
    expect(rel, `${name} step ${i}: ${ours.losses[i]} vs ${l}`).toBeLessThanOrEqual(1e-3);
  });
  expect(plain.losses[STEPS - 1]).toBeLessThan(plain.losses[0]);
  console.log(
    `${name}: ${STEPS} steps, loss ${plain.losses[0].toFixed(4)} -> ${plain.losses[STEPS - 1].toFixed(4)}; ` +
      `worst relative loss difference ${worst.toExponential(2)}; median step ` +
      `${plain.ms.toFixed(2)} ms with TF's kernels, ${ours.ms.toFixed(2)} ms with the provider`,
  );
  return h.stats();
}

describe('registerTfjsKernels on real models', () => {
  it(`MLP (relu, softmax): ${STEPS} Adam steps, losses within 1e-3 relative of TF's`, async () => {
    const data = makeDataset('rings', 256, 1);
    const stats = await compare(
      'mlp [2,32,32,2] relu',
      () => tfMlp(data, { hidden: [32, 32], seed: 3 }),
      0.01,
    );
    expect(stats.Relu.ours).toBe(2 * STEPS);
    expect(stats['WebGPUActivations.ReluGrad'].ours).toBe(2 * STEPS);
    expect(stats.Softmax.ours).toBe(STEPS);
    expect(stats['WebGPUActivations.SoftmaxGrad'].ours).toBe(STEPS);
    for (const s of Object.values(stats)) expect(s.delegated).toBe(0);
  });

  it(`transformer block (attention softmax, gelu FF): ${STEPS} steps, losses within 1e-3 relative`, async () => {
    const stats = await compare(
      'transformer [32x16x32, ff 64]',
      (h) =>
        tfTransformer({
          batch: 32,
          seq: 16,
          dim: 32,
          ff: 64,
          classes: 4,
          seed: 5,
          gelu: h ? (x) => h.ops.gelu(x) : undefined,
        }),
      0.002,
    );
    expect(stats.Softmax.ours).toBe(2 * STEPS);
    expect(stats['WebGPUActivations.gelu'].ours).toBe(STEPS);
    expect(stats['WebGPUActivations.geluGrad'].ours).toBe(STEPS);
    for (const s of Object.values(stats)) expect(s.delegated).toBe(0);
  });
});

describe("examples/mlp's switch", () => {
  it("'tf' and 'tf+provider' train the same MLP to the same losses; the provider's kernels ran", async () => {
    const { trainTfMode } = await import('../../examples/mlp/tf-mode.js');
    const data = makeDataset('rings', 256, 1);
    const options = {
      hidden: [32],
      activation: 'relu' as const,
      seed: 3,
      learningRate: 0.02,
      steps: 20,
    };
    const plain = await trainTfMode('tf', data, options);
    const accPlain = await plain.accuracy(data);
    plain.dispose();
    const ours = await trainTfMode('tf+provider', data, options);
    const accOurs = await ours.accuracy(data);
    ours.dispose();
    expect(plain.stats).toBeNull();
    expect(ours.stats?.Relu.ours).toBeGreaterThanOrEqual(20);
    expect(ours.stats?.['WebGPUActivations.ReluGrad'].ours).toBe(20);
    ours.losses.forEach((l, i) =>
      expect(Math.abs(l - plain.losses[i]) / plain.losses[i]).toBeLessThanOrEqual(1e-3),
    );
    expect(accOurs).toBe(accPlain);
    // After dispose (restore), TF's own Relu kernel is back.
    expect(tf.getKernel('WebGPUActivations.gelu', 'webgpu')).toBeUndefined();
  });

  it("'tf' refuses an activation TF.js has no op for; 'tf+provider' trains it", async () => {
    const { trainTfMode } = await import('../../examples/mlp/tf-mode.js');
    const data = makeDataset('rings', 64, 1);
    const options = {
      hidden: [16],
      activation: 'gelu' as const,
      seed: 3,
      learningRate: 0.02,
      steps: 5,
    };
    await expect(trainTfMode('tf', data, options)).rejects.toThrow(/TF.js has no gelu/);
    const ours = await trainTfMode('tf+provider', data, options);
    expect(ours.stats?.['WebGPUActivations.gelu'].ours).toBeGreaterThanOrEqual(5);
    ours.dispose();
  });
});
