/**
 * Two models written in plain TF.js ops (no call into webgpu-activations):
 * the MLP of this example and a transformer block (single-head attention
 * with a softmax, a gelu feed-forward). Trained as they are, they run on
 * TF's own kernels; after `registerTfjsKernels(tf)` the same code runs its
 * activations, softmax and their gradients on ours. The page's switch, the
 * model test (test/interop/tfjs-model.browser.test.ts) and the benchmark's
 * tfjs-model rows (bench/tfjs-model.ts) all train these.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gaussian, rng, type Dataset } from './data.js';

/** A model: its variables and the loss of one batch. */
export interface TfModel {
  readonly variables: tf.Variable[];
  loss(): tf.Scalar;
  /** Class probabilities of points [n, 2] (the MLP only). */
  probabilities?(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

function seeded(shape: number[], scale: number, u: () => number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => gaussian(u) * scale);
  return tf.variable(tf.tensor(data, shape));
}

/** -mean(sum(onehot * log softmax(logits))), through the Softmax kernel. */
function crossEntropy(logits: tf.Tensor, onehot: tf.Tensor): tf.Scalar {
  const p = tf.softmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.log(tf.add(p, 1e-7))), -1))) as tf.Scalar;
}

/** GELU as a TF.js composition (TF has no gelu kernel): 0.5 x (1 + erf(x / sqrt 2)). */
function tfGelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
}

/** The MLP of the page in plain TF.js: relu (or sigmoid / tanh / elu...) hidden layers, softmax output. */
export function tfMlp(
  data: Dataset,
  options: { hidden: readonly number[]; activation?: (x: tf.Tensor) => tf.Tensor; seed: number },
): TfModel {
  const u = rng(options.seed);
  const act = options.activation ?? ((x: tf.Tensor) => tf.relu(x));
  const widths = [2, ...options.hidden, 2];
  const ws: tf.Variable[] = [];
  const bs: tf.Variable[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    ws.push(seeded([widths[i], widths[i + 1]], Math.sqrt(2 / widths[i]), u));
    bs.push(tf.variable(tf.zeros([widths[i + 1]])));
  }
  const x = tf.tensor2d(data.x, [data.n, 2]);
  const onehot = tf.oneHot(tf.tensor1d(data.y, 'int32'), 2);
  const logits = (v: tf.Tensor) => {
    let h = v;
    for (let i = 0; i < ws.length; i++) {
      h = tf.add(tf.matMul(h, ws[i]), bs[i]);
      if (i + 1 < ws.length) h = act(h);
    }
    return h;
  };
  return {
    variables: [...ws, ...bs],
    loss: () => crossEntropy(logits(x), onehot),
    probabilities: (points) => tf.tidy(() => tf.softmax(logits(points)) as tf.Tensor2D),
    dispose: () => tf.dispose([...ws, ...bs, x, onehot]),
  };
}

/**
 * A transformer block on random tokens [batch, seq, dim]: single-head
 * attention (softmax(q k^T / sqrt(dim)) v), a residual, a gelu feed-forward
 * (dim -> ff -> dim), a residual, then mean-pooled logits over `classes`.
 */
export function tfTransformer(options: {
  batch: number;
  seq: number;
  dim: number;
  ff: number;
  classes: number;
  seed: number;
  gelu?: (x: tf.Tensor) => tf.Tensor;
}): TfModel {
  const { batch, seq, dim, ff, classes } = options;
  const u = rng(options.seed);
  const gelu = options.gelu ?? tfGelu;
  const s = (fanIn: number) => 1 / Math.sqrt(fanIn);
  const [wq, wk, wv, wo] = [0, 1, 2, 3].map(() => seeded([dim, dim], s(dim), u));
  const w1 = seeded([dim, ff], s(dim), u);
  const w2 = seeded([ff, dim], s(ff), u);
  const wc = seeded([dim, classes], s(dim), u);
  const b1 = tf.variable(tf.zeros([ff]));
  const variables = [wq, wk, wv, wo, w1, w2, wc, b1];
  const x = seeded([batch, seq, dim], 1, u);
  const labels = Int32Array.from({ length: batch }, () => Math.floor(u() * classes) % classes);
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
  const proj = (v: tf.Tensor, w: tf.Tensor) =>
    tf.reshape(tf.matMul(tf.reshape(v, [batch * seq, -1]), w), [batch, seq, -1]);
  const logits = () => {
    const q = proj(x, wq);
    const k = proj(x, wk);
    const v = proj(x, wv);
    const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dim)));
    const h = tf.add(x, proj(tf.matMul(att, v), wo));
    const f = proj(gelu(tf.add(proj(h, w1), b1)), w2);
    const pooled = tf.mean(tf.add(h, f), 1);
    return tf.matMul(pooled, wc);
  };
  return {
    variables,
    loss: () => crossEntropy(logits(), onehot),
    dispose: () => tf.dispose([...variables, x, onehot]),
  };
}

/**
 * Trains `model` with Adam for `steps` steps (one tf.tidy each), calling
 * `onStep` with each step's loss (read back) and its time in ms. Returns the losses.
 */
export async function trainTf(
  model: TfModel,
  steps: number,
  learningRate: number,
  onStep?: (step: number, loss: number, ms: number) => void | Promise<void>,
): Promise<number[]> {
  const opt = tf.train.adam(learningRate);
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const loss = tf.tidy(() => opt.minimize(() => model.loss(), true, model.variables)!);
      const value = (await loss.data())[0];
      loss.dispose();
      const ms = performance.now() - t0;
      losses.push(value);
      await onStep?.(i, value, ms);
    }
  } finally {
    opt.dispose();
  }
  return losses;
}
