/**
 * The page's two TF.js modes: the MLP written in plain TF.js ops
 * (tf-models.ts), trained as it is ('tf': TF's own kernels) or after
 * registerTfjsKernels ('tf+provider': the same code, its activations,
 * softmax and their gradients on webgpu-activations).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationName } from '../../src/index.js';
import {
  registerTfjsKernels,
  type TfjsKernelStats,
  type TfjsOps,
  type TfNamespaceLike,
} from '../../src/interop/tfjs-kernels/index.js';
import type { Dataset } from './data.js';
import { tfMlp, trainTf } from './tf-models.js';

export type Mode = 'interop' | 'tf' | 'tf+provider';
export const modes: Mode[] = ['interop', 'tf', 'tf+provider'];

/** TF.js's own op for an activation, where it has one (the provider replaces its kernel). */
const tfOps: Partial<Record<ActivationName, (x: tf.Tensor) => tf.Tensor>> = {
  relu: (x) => tf.relu(x),
  hardTanh: (x) => tf.clipByValue(x, -1, 1),
  leakyRelu: (x) => tf.leakyRelu(x, 0.01),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  identity: (x) => x,
};

function activationFn(op: ActivationName, ops: TfjsOps | null): (x: tf.Tensor) => tf.Tensor {
  const own = tfOps[op];
  if (own) return own;
  const provided = ops && (ops as unknown as Record<string, (x: tf.Tensor) => tf.Tensor>)[op];
  if (provided) return provided;
  throw new Error(
    `TF.js has no ${op} op: pick one it has (relu, elu, selu, sigmoid, tanh, softplus, ` +
      `leakyRelu) or the 'tf+provider' mode, which adds ${op}`,
  );
}

export interface TfTrained {
  losses: number[];
  /** Calls run by our kernels and handed to TF's ('tf+provider' only). */
  stats: TfjsKernelStats | null;
  /** Median ms per step after the first 3. */
  msPerStep: number;
  probabilities(x: tf.Tensor2D): Promise<Float32Array>;
  accuracy(data: Dataset): Promise<number>;
  dispose(): void;
}

export async function trainTfMode(
  mode: 'tf' | 'tf+provider',
  data: Dataset,
  options: {
    hidden: number[];
    activation: ActivationName;
    seed: number;
    learningRate: number;
    steps: number;
    onLoss?: (step: number, loss: number) => Promise<void>;
  },
): Promise<TfTrained> {
  const handle =
    mode === 'tf+provider' ? await registerTfjsKernels(tf as unknown as TfNamespaceLike) : null;
  let activation: (x: tf.Tensor) => tf.Tensor;
  try {
    activation = activationFn(options.activation, handle?.ops ?? null);
  } catch (e) {
    handle?.restore();
    throw e;
  }
  const model = tfMlp(data, { hidden: options.hidden, seed: options.seed, activation });
  const times: number[] = [];
  const losses = await trainTf(model, options.steps, options.learningRate, async (i, loss, ms) => {
    times.push(ms);
    await options.onLoss?.(i, loss);
  });
  const probabilities = async (x: tf.Tensor2D) => {
    const p = model.probabilities!(x);
    const out = (await p.data()) as Float32Array;
    p.dispose();
    return out;
  };
  const rest = times.slice(3).sort((a, b) => a - b);
  return {
    losses,
    stats: handle?.stats() ?? null,
    msPerStep: rest.length ? rest[Math.floor(rest.length / 2)] : NaN,
    probabilities,
    accuracy: async (d) => {
      const x = tf.tensor2d(d.x, [d.n, 2]);
      const p = await probabilities(x);
      x.dispose();
      let right = 0;
      for (let i = 0; i < d.n; i++) if ((p[2 * i + 1] > p[2 * i] ? 1 : 0) === d.y[i]) right++;
      return right / d.n;
    },
    dispose: () => {
      model.dispose();
      handle?.restore();
    },
  };
}
