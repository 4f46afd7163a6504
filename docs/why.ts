/**
 * Section 1 of the learning page: why activations exist. The same small MLP
 * is trained on the rings data set with no activation (identity) and with
 * ReLU, on this library's kernels through TF.js, and each decision boundary
 * is drawn with its test accuracy.
 *
 * Query: ?steps=N (training steps, default 80).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activations } from '../src/index.js';
import { makeDataset } from '../examples/mlp/data.js';
import { drawBoundary, gridPoints } from '../examples/mlp/draw.js';
import { tfOnDevice, train } from '../examples/mlp/train.js';
import { $, query, rerender, t } from './page.js';

export async function setupWhy(act: Activations): Promise<void> {
  const backend = await tfOnDevice(act);
  const steps = Math.max(1, Number(query.get('steps')) || 80);
  const trainSet = makeDataset('rings', 256, 1);
  const testSet = makeDataset('rings', 256, 2);
  const G = 40;
  const grid = tf.tensor2d(gridPoints(G), [G * G, 2]);
  const accuracy: Record<string, number> = {};
  const captions = () => {
    for (const [id, key] of [
      ['linear', 'whyLinear'],
      ['relu', 'whyRelu'],
    ] as const) {
      const a = accuracy[id];
      $(`why-${id}-caption`).textContent =
        t(key) +
        (a === undefined
          ? ` (${t('loading')})`
          : ` \u2014 ${t('whyAccuracy')} ${(100 * a).toFixed(1)}%`);
    }
  };
  rerender.push(captions);
  captions();
  for (const [id, activation] of [
    ['linear', 'identity'],
    ['relu', 'relu'],
  ] as const) {
    const { mlp } = await train(act, backend, trainSet, {
      hidden: [16],
      activation,
      seed: 3,
      learningRate: 0.05,
      steps,
      every: steps,
    });
    drawBoundary($(`why-${id}`), await mlp.probabilities(grid), G, testSet);
    accuracy[id] = await mlp.accuracy(testSet);
    mlp.dispose();
    captions();
  }
  grid.dispose();
}
