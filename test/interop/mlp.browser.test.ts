/**
 * The examples/mlp training example, end to end in headless Chromium: a
 * fixed-seed MLP (TF.js matmuls, our activations and softmax-cross-entropy,
 * zero-copy between) learns the rings dataset, and its gradients equal
 * tf.grads of the same network with TF's own activation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivations, type Activations } from '../../src/index.js';
import { makeDataset } from '../../examples/mlp/data.js';
import { Mlp, oneHot, tfOnDevice, train } from '../../examples/mlp/train.js';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { testGPU } from '../helpers/gpu.js';
import { mismatches, report } from '../helpers/tolerance.js';

/**
 * Gradients through two libraries against tf.grads: the matmuls are TF's in
 * both, so they differ only by our activation and loss kernels' rounding
 * (float32, a few ulps) carried through the chain.
 */
const GRADIENTS = { atol: 1e-6, rtol: 1e-4 };

const STEPS = 60;

let act: Activations;
let backend: WebGPUBackend;

beforeAll(async () => {
  act = await createActivations({ gpu: testGPU() });
  backend = await tfOnDevice(act);
});
afterAll(() => act.dispose());

describe('examples/mlp', () => {
  it(`learns the rings to >= 97% test accuracy with relu in ${STEPS} steps, reading only the loss`, async () => {
    const trainSet = makeDataset('rings', 256, 1);
    const testSet = makeDataset('rings', 400, 2);
    const maps = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
    const t0 = performance.now();
    const { mlp, losses } = await train(act, backend, trainSet, {
      hidden: [32],
      activation: 'relu',
      seed: 3,
      learningRate: 0.05,
      steps: STEPS,
      every: 20,
    });
    const ms = performance.now() - t0;
    // The only reads in training are the loss values we asked for.
    expect(maps.mock.calls.length).toBe(losses.length);
    maps.mockRestore();
    const accuracy = await mlp.accuracy(testSet);
    console.log(
      `mlp: ${STEPS} steps in ${(ms / 1000).toFixed(1)} s, loss ${losses[0].loss.toFixed(3)} -> ` +
        `${losses[losses.length - 1].loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(1)}%`,
    );
    expect(losses[losses.length - 1].loss).toBeLessThan(losses[0].loss / 4);
    expect(accuracy).toBeGreaterThanOrEqual(0.97);
    mlp.dispose();
    expect(act.stats().liveTensors).toBe(0);
  });

  for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
    it(`computes the gradients tf.grads gives (${activation}, two hidden layers)`, async () => {
      const data = makeDataset('spirals', 96, 5);
      const mlp = new Mlp(act, backend, { hidden: [16, 8], activation, seed: 9 });
      const x = tf.tensor2d(data.x, [data.n, 2]);
      const hot = oneHot(data.y, 2);
      const target = act.tensor(hot, [data.n, 2]);
      const onehot = tf.tensor2d(hot, [data.n, 2]);
      const ours = mlp.gradients(x, target);
      const theirs = await mlp.tfGradients(x, onehot);
      const loss = (await ours.loss.read())[0];
      expect(Math.abs(loss - theirs.loss)).toBeLessThanOrEqual(1e-6 + 1e-5 * theirs.loss);
      for (let i = 0; i < ours.grads.length; i++) {
        const got = (await ours.grads[i].data()) as Float32Array;
        const want = (await theirs.grads[i].data()) as Float32Array;
        expect(got.length).toBe(want.length);
        const ms = mismatches(got, want, GRADIENTS);
        expect(ms, `${mlp.params[i].name}:\n${report(ms)}`).toEqual([]);
      }
      ours.loss.destroy();
      target.destroy();
      tf.dispose([x, onehot, ...ours.grads, ...theirs.grads]);
      mlp.dispose();
    });
  }
});
