/**
 * The in-page side of bench/probes/tfjs-model.ts (loaded by the driver into
 * headless Chromium through Vite): trains the two plain TF.js models of
 * examples/mlp/tf-models.ts on TF.js's WebGPU backend, with TF's own kernels
 * and with registerTfjsKernels, in alternating rounds, and returns the step
 * times and the worst relative loss difference of each model.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import {
  registerTfjsKernels,
  type TfjsKernelsHandle,
} from '../../src/interop/tfjs-kernels/index.js';
import { makeDataset } from '../../examples/mlp/data.js';
import { tfMlp, tfTransformer, trainTf, type TfModel } from '../../examples/mlp/tf-models.js';

export interface ModelTiming {
  name: string;
  /** Per-step ms after the first 3 steps of each run (pipeline compiles), all rounds. */
  tf: number[];
  ours: number[];
  worstRelativeLossDiff: number;
}

export async function measure(steps: number, rounds: number): Promise<ModelTiming[]> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend(webgpu) failed');
  const data = makeDataset('rings', 256, 1);
  const models: { name: string; lr: number; make: (h: TfjsKernelsHandle | null) => TfModel }[] = [
    {
      name: 'mlp [2,32,32,2] relu, batch 256',
      lr: 0.01,
      make: () => tfMlp(data, { hidden: [32, 32], seed: 3 }),
    },
    {
      name: 'transformer [32x16x32, ff 64], attention softmax, gelu',
      lr: 0.002,
      make: (h) =>
        tfTransformer({
          ...{ batch: 32, seq: 16, dim: 32, ff: 64, classes: 4, seed: 5 },
          gelu: h ? (x) => h.ops.gelu(x) : undefined,
        }),
    },
  ];
  const run = async (make: () => TfModel, lr: number) => {
    const model = make();
    const times: number[] = [];
    try {
      const losses = await trainTf(model, steps, lr, (_i, _l, ms) => void times.push(ms));
      return { times: times.slice(3), losses };
    } finally {
      model.dispose();
    }
  };
  const out: ModelTiming[] = [];
  for (const m of models) {
    const row: ModelTiming = { name: m.name, tf: [], ours: [], worstRelativeLossDiff: 0 };
    for (let r = 0; r < rounds; r++) {
      const plain = await run(() => m.make(null), m.lr);
      const h = await registerTfjsKernels(tf as never);
      let ours: Awaited<ReturnType<typeof run>>;
      try {
        ours = await run(() => m.make(h), m.lr);
      } finally {
        h.restore();
      }
      row.tf.push(...plain.times);
      row.ours.push(...ours.times);
      plain.losses.forEach((l, i) => {
        const d = Math.abs(ours.losses[i] - l) / Math.max(Math.abs(l), 1e-6);
        row.worstRelativeLossDiff = Math.max(row.worstRelativeLossDiff, d);
      });
    }
    out.push(row);
  }
  return out;
}
