/**
 * The tfjs-model rows (`npm run bench -- --ops tfjs-model`, and --full): the
 * training step time of two plain TF.js models (examples/mlp/tf-models.ts:
 * the MLP of examples/mlp, and a transformer block with attention softmax
 * and a gelu feed-forward) trained with Adam on TF.js's WebGPU backend, with
 * TF's own kernels and with registerTfjsKernels (webgpu-activations/tfjs),
 * in alternating rounds so that a change of load on a shared machine hits
 * both alike. Each row: the median step time of each side, their ratio, and
 * the worst relative loss difference between the two (same seed, same
 * steps). Runs in the page only (TF.js's WebGPU backend); loaded by
 * bench/main.ts when the options name the workload.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { registerTfjsKernels, type TfjsKernelsHandle } from '../src/interop/tfjs-kernels/index.js';
import { makeDataset } from '../examples/mlp/data.js';
import { tfMlp, tfTransformer, trainTf, type TfModel } from '../examples/mlp/tf-models.js';
import { describeError } from './rows.js';
import type { ModelRow } from './types.js';

/** Steps per run (the first WARMUP compile pipelines and are not timed), runs per side. */
const STEPS = 20;
const WARMUP = 3;
const ROUNDS = 3;

/** weight: the model's share of the time, for the progress line (1 : 3 on SwiftShader, 2026-12-06). */
const MODELS: {
  name: string;
  lr: number;
  weight: number;
  make: (h: TfjsKernelsHandle | null) => TfModel;
}[] = [
  {
    name: 'mlp [2,32,32,2] relu, batch 256',
    lr: 0.01,
    weight: 1,
    make: () => tfMlp(makeDataset('rings', 256, 1), { hidden: [32, 32], seed: 3 }),
  },
  {
    name: 'transformer [32x16x32, ff 64], attention softmax, gelu',
    lr: 0.002,
    weight: 3,
    make: (h) =>
      tfTransformer({
        ...{ batch: 32, seq: 16, dim: 32, ff: 64, classes: 4, seed: 5 },
        gelu: h ? (x) => h.ops.gelu(x) : undefined,
      }),
  },
];

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function run(make: () => TfModel, lr: number) {
  const model = make();
  const times: number[] = [];
  try {
    const losses = await trainTf(model, STEPS, lr, (_i, _l, ms) => void times.push(ms));
    return { times: times.slice(WARMUP), losses };
  } finally {
    model.dispose();
  }
}

/** Both models, TF's kernels then ours, ROUNDS times each; progress(line, share of this part done). */
export async function measureModels(
  progress: (line: string, share: number) => void,
): Promise<ModelRow[]> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend(webgpu) failed');
  const out: ModelRow[] = [];
  const total = MODELS.reduce((a, m) => a + m.weight, 0);
  let before = 0;
  for (const [mi, m] of MODELS.entries()) {
    const tfTimes: number[] = [];
    const ourTimes: number[] = [];
    let worst = 0;
    const row: ModelRow = {
      name: m.name,
      tfMs: null,
      oursMs: null,
      steps: 0,
      speedup: null,
      worstRelativeLossDiff: null,
      error: null,
    };
    try {
      for (let r = 0; r < ROUNDS; r++) {
        progress(
          `[tfjs-model ${mi + 1}/${MODELS.length}] ${m.name}, round ${r + 1}/${ROUNDS}`,
          (before + (m.weight * r) / ROUNDS) / total,
        );
        const plain = await run(() => m.make(null), m.lr);
        const h = await registerTfjsKernels(tf as never);
        let ours: Awaited<ReturnType<typeof run>>;
        try {
          ours = await run(() => m.make(h), m.lr);
        } finally {
          h.restore();
        }
        tfTimes.push(...plain.times);
        ourTimes.push(...ours.times);
        plain.losses.forEach((l, i) => {
          const d = Math.abs(ours.losses[i] - l) / Math.max(Math.abs(l), 1e-6);
          worst = Math.max(worst, d);
        });
      }
      row.tfMs = median(tfTimes);
      row.oursMs = median(ourTimes);
      row.steps = tfTimes.length;
      row.speedup = row.tfMs / row.oursMs;
      row.worstRelativeLossDiff = worst;
    } catch (e) {
      row.error = describeError(e);
    }
    before += m.weight;
    out.push(row);
  }
  return out;
}
