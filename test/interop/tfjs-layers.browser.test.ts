/**
 * tfjs-layers activations by name under registerTfjsKernels, in headless
 * Chromium on TF.js's WebGPU backend: a dense layer built with activation
 * 'gelu' (and the other names the provider takes over) predicts and trains
 * (model.fit) as the stock layer does, on our kernels; restore() puts the
 * serialization map back exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tfl from '@tensorflow/tfjs-layers';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTfjsKernels, type TfNamespaceLike } from '../../src/interop/tfjs-kernels/index.js';
import { testGPU } from '../helpers/gpu.js';
import { mismatches, report } from '../helpers/tolerance.js';

const TFNS = tf as unknown as TfNamespaceLike;

beforeAll(async () => {
  const adapter = await testGPU().requestAdapter();
  const device = await adapter!.requestDevice();
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device), 10);
  expect(await tf.setBackend('webgpu')).toBe(true);
});

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

function dense(activation: string, weights?: tf.Tensor[]): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 48, inputShape: [16], activation: activation as 'relu' }),
      tfl.layers.dense({ units: 4 }),
    ],
  });
  if (weights) model.setWeights(weights);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  return model;
}

const names: [string, string][] = [
  ['gelu', 'gelu'],
  ['gelu_new', 'gelu'],
  ['mish', 'mish'],
  ['swish', 'silu'],
  ['softsign', 'softsign'],
  ['hardSigmoid', 'hardSigmoid'],
];

describe('tfjs-layers activations by name', () => {
  const x = () => tf.tensor2d(uniform(64 * 16, -3, 3, 1), [64, 16]);
  const y = () => tf.tensor2d(uniform(64 * 4, -1, 1, 2), [64, 4]);

  for (const [name, op] of names) {
    it(`dense({ activation: '${name}' }): predict and 5 epochs of fit match the stock layer; ours ran`, async () => {
      const [xs, ys] = [x(), y()];
      const stock = dense(name);
      const weights = stock.getWeights().map((w) => w.clone());
      const want = stock.predict(xs) as tf.Tensor;
      const wantP = (await want.data()) as Float32Array;
      const wantLoss = (
        await stock.fit(xs, ys, { epochs: 5, batchSize: 64, shuffle: false, verbose: 0 })
      ).history.loss as number[];
      const h = await registerTfjsKernels(TFNS);
      let gotP: Float32Array;
      let gotLoss: number[];
      try {
        const ours = dense(name, weights);
        const got = ours.predict(xs) as tf.Tensor;
        gotP = (await got.data()) as Float32Array;
        gotLoss = (await ours.fit(xs, ys, { epochs: 5, batchSize: 64, shuffle: false, verbose: 0 }))
          .history.loss as number[];
        const s = h.stats();
        expect(s[`WebGPUActivations.${op}`]?.ours).toBeGreaterThanOrEqual(6);
        expect(s[`WebGPUActivations.${op}Grad`]?.ours).toBe(5);
        tf.dispose([got]);
        ours.dispose();
      } finally {
        h.restore();
      }
      const ms = mismatches(gotP, wantP, { atol: 1e-3, rtol: 0 });
      expect(ms, report(ms)).toEqual([]);
      gotLoss.forEach((l, i) =>
        expect(Math.abs(l - wantLoss[i]) / wantLoss[i]).toBeLessThanOrEqual(1e-3),
      );
      tf.dispose([xs, ys, want, ...weights]);
      stock.dispose();
    });
  }

  it("restore() puts tfjs-layers' classes back exactly; 'silu' exists only while registered", async () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const before = Object.fromEntries(names.map(([n]) => [n, map[n]]));
    expect('silu' in map).toBe(false);
    const h = await registerTfjsKernels(TFNS);
    expect(map.gelu).not.toBe(before.gelu);
    dense('silu').dispose();
    h.restore();
    for (const [n] of names) expect(map[n]).toBe(before[n]);
    expect('silu' in map).toBe(false);
    expect(() => dense('silu')).toThrow(/Unknown activation: silu/);
  });

  it('layers: false leaves the map alone', async () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const gelu = map.gelu;
    const h = await registerTfjsKernels(TFNS, { layers: false });
    expect(map.gelu).toBe(gelu);
    h.restore();
  });
});
