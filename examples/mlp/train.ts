/**
 * A small multilayer perceptron trained in the browser, split between two
 * libraries on one GPUDevice: TensorFlow.js's WebGPU backend does the matrix
 * products, bias adds and the Adam update; this library does every hidden
 * activation (forward and backward) and the fused softmax-cross-entropy.
 * Tensors pass between them as GPU buffers (fromTfTensor with alias: true,
 * toTfTensor zero-copy): nothing is read back to the CPU during a step.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type Activations, type ActivationName, type Tensor } from '../../src/index.js';
import { fromTfTensor, toTfTensor } from '../../src/interop/index.js';
import { gaussian, rng, type Dataset } from './data.js';
import { biasAct, biasActBackward } from '../../src/fused/index.js';

/**
 * Puts TF.js's WebGPU backend on the instance's device (one device, so
 * buffers can be shared) and makes it the current backend.
 */
export async function tfOnDevice(act: Activations): Promise<WebGPUBackend> {
  if (registered?.device === act.device) return registered;
  const info = (act.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  // Replace the factory the package registered (it would request a device of its own).
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(act.device, info), 10);
  // Keep small tensors on the GPU too: a CPU hand-off would be a read.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend(webgpu) failed');
  registered = tf.backend() as WebGPUBackend;
  return registered;
}

/** prelu has no default slope: here it is a fixed 0.25 (PyTorch's initial value), not learned. */
const opParams = (op: string) => (op === 'prelu' ? { slope: 0.25 } : {}) as never;

let registered: WebGPUBackend | null = null;

/** Submits what TF has recorded but not yet submitted (it batches its dispatches). */
function submitTf(backend: WebGPUBackend): void {
  const b = backend as unknown as {
    commandEncoder: GPUCommandEncoder | null;
    endComputePassEncoder(): void;
  };
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    backend.submitQueue();
  }
}

export interface MlpOptions {
  /** Hidden layer widths, e.g. [32] or [32, 32]. */
  hidden: readonly number[];
  /** Hidden activation (from the table); 'identity' makes the whole network linear. */
  activation: ActivationName;
  seed: number;
  /** Adam's step size. */
  learningRate?: number;
}

let nextId = 0;

/** TF.js's own activations, for the tf.grad cross-check (ours run in the training step). */
const tfActivations: Partial<Record<ActivationName, (x: tf.Tensor) => tf.Tensor>> = {
  identity: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  leakyRelu: (x) => tf.leakyRelu(x, 0.01),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
};

export class Mlp {
  readonly params: tf.Variable[] = [];
  readonly options: Required<MlpOptions>;
  readonly #act: Activations;
  readonly #backend: WebGPUBackend;
  readonly #optimizer: tf.Optimizer;

  constructor(act: Activations, backend: WebGPUBackend, options: MlpOptions) {
    this.#act = act;
    this.#backend = backend;
    this.options = { learningRate: 0.03, ...options };
    const u = rng(options.seed);
    const sizes = [2, ...options.hidden, 2];
    const id = nextId++;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      // He initialisation (suits relu; fine for the others at this size).
      const w = Float32Array.from(
        { length: fanIn * fanOut },
        () => gaussian(u) * Math.sqrt(2 / fanIn),
      );
      this.params.push(tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true, `mlp${id}_w${l}`));
      this.params.push(tf.variable(tf.zeros([fanOut]), true, `mlp${id}_b${l}`));
    }
    this.#optimizer = tf.train.adam(this.options.learningRate);
  }

  get layers(): number {
    return this.params.length / 2;
  }

  /**
   * Loss and gradients (in the order of `params`) for inputs x [n, 2] and a
   * one-hot target [n, 2] (one of our tensors). The loss is one of our
   * tensors (a scalar, the mean over rows); destroy it when read.
   *
   * TF computes m = a W (matMul); we compute a' = f(m + b) in one fused pass
   * (biasAct), the loss and dlogits (softmaxCrossEntropy), and on the way
   * back dm = f'(m + b) da with db = column sums of dm (biasActBackward).
   */
  gradients(x: tf.Tensor2D, target: Tensor): { loss: Tensor; grads: tf.Tensor[] } {
    const act = this.#act;
    const op = this.options.activation;
    const ours: Tensor[] = [];
    const wrap = (t: tf.Tensor) =>
      keep(fromTfTensor(act, t, { backend: this.#backend, alias: true }));
    const keep = (t: Tensor) => (ours.push(t), t);
    // Gradients outlive the step (the optimizer reads them): TF gets its own copy of ours.
    const grad = (t: Tensor) => toTfTensor(tf, keep(t), { zeroCopy: false });
    let loss: Tensor | null = null;
    const grads = tf.tidy(() => {
      const L = this.layers - 1;
      const inputs: tf.Tensor2D[] = [x];
      const pre: Tensor[] = [];
      const biases = this.params.filter((_, i) => i % 2 === 1).map(wrap);
      let a: tf.Tensor2D = x;
      for (let l = 0; l <= L; l++) {
        const m = wrap(tf.matMul(a, this.params[2 * l]));
        pre.push(m);
        const y = keep(
          biasAct(act, l < L ? op : 'identity', m, biases[l], opParams(l < L ? op : 'identity')),
        );
        if (l === L) {
          const ce = act.softmaxCrossEntropy(y, target);
          loss = ce.loss;
          keep(ce.dlogits);
          break;
        }
        a = toTfTensor(tf, y) as tf.Tensor2D;
        inputs.push(a);
      }
      const out: tf.Tensor[] = new Array(this.params.length);
      let dy = ours[ours.length - 1];
      for (let l = L; l >= 0; l--) {
        const back = biasActBackward(
          act,
          l < L ? op : 'identity',
          {
            x: pre[l],
            bias: biases[l],
            dy,
          },
          opParams(l < L ? op : 'identity'),
        );
        const d = toTfTensor(tf, keep(back.dx)) as tf.Tensor2D;
        out[2 * l + 1] = grad(back.dbias);
        out[2 * l] = tf.matMul(inputs[l], d, true, false);
        if (l > 0) dy = wrap(tf.matMul(d, this.params[2 * l], false, true));
      }
      return out;
    });
    // TF's batched commands may still read our buffers: submit them before ours are freed.
    submitTf(this.#backend);
    for (const t of ours) t.destroy();
    return { loss: loss!, grads };
  }

  /** One full-batch Adam step; returns the loss before the step (our scalar tensor). */
  step(x: tf.Tensor2D, target: Tensor): Tensor {
    const { loss, grads } = this.gradients(x, target);
    const named: Record<string, tf.Tensor> = {};
    this.params.forEach((p, i) => (named[p.name] = grads[i]));
    this.#optimizer.applyGradients(named);
    tf.dispose(grads);
    return loss;
  }

  /** The same network's loss and gradients through tf.grads and TF's own activation. */
  async tfGradients(
    x: tf.Tensor2D,
    onehot: tf.Tensor2D,
  ): Promise<{ loss: number; grads: tf.Tensor[] }> {
    const f = tfActivations[this.options.activation];
    if (!f) throw new Error(`tf has no ${this.options.activation} to compare with`);
    const L = this.layers - 1;
    const lossOf = (...ps: tf.Tensor[]) => {
      let a: tf.Tensor = x;
      for (let l = 0; l < L; l++)
        a = f(tf.add(tf.matMul(a as tf.Tensor2D, ps[2 * l] as tf.Tensor2D), ps[2 * l + 1]));
      const logits = tf.add(tf.matMul(a as tf.Tensor2D, ps[2 * L] as tf.Tensor2D), ps[2 * L + 1]);
      return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(lossOf)(this.params);
    const loss = ((await value.data()) as Float32Array)[0];
    value.dispose();
    return { loss, grads };
  }

  /** Class probabilities [n, 2] of x, through our activation and our softmax (read to the CPU). */
  async probabilities(x: tf.Tensor2D): Promise<Float32Array> {
    const act = this.#act;
    const op = this.options.activation;
    const ours: Tensor[] = [];
    const wrap = (t: tf.Tensor) => {
      const w = fromTfTensor(act, t, { backend: this.#backend, alias: true });
      ours.push(w);
      return w;
    };
    const keep = (t: Tensor) => (ours.push(t), t);
    let probs: Tensor | null = null;
    tf.tidy(() => {
      const L = this.layers - 1;
      let a: tf.Tensor2D = x;
      for (let l = 0; l <= L; l++) {
        const m = wrap(tf.matMul(a, this.params[2 * l]));
        const y = keep(
          biasAct(
            act,
            l < L ? op : 'identity',
            m,
            wrap(this.params[2 * l + 1]),
            opParams(l < L ? op : 'identity'),
          ),
        );
        if (l === L) probs = keep(act.forward('softmax', y));
        else a = toTfTensor(tf, y) as tf.Tensor2D;
      }
    });
    // read() submits our work at once, before TF can reuse the buffers tidy() released.
    try {
      return await (probs as unknown as Tensor).read();
    } finally {
      submitTf(this.#backend);
      for (const t of ours) t.destroy();
    }
  }

  /** Fraction of points whose most probable class is their label. */
  async accuracy(data: Dataset): Promise<number> {
    const x = tf.tensor2d(data.x, [data.n, 2]);
    try {
      const p = await this.probabilities(x);
      let right = 0;
      for (let i = 0; i < data.n; i++) if ((p[2 * i + 1] > p[2 * i] ? 1 : 0) === data.y[i]) right++;
      return right / data.n;
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    tf.dispose(this.params);
    this.#optimizer.dispose();
  }
}

/** A one-hot [n, classes] float32 array of integer labels. */
export function oneHot(labels: Int32Array, classes: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}

export interface TrainOptions extends MlpOptions {
  steps: number;
  /** Called every `every` steps with the step number and the loss (read to the CPU). */
  onLoss?: (step: number, loss: number) => void | Promise<void>;
  every?: number;
}

/** Trains a fresh network on `train`; resolves with it and the loss curve. */
export async function train(
  act: Activations,
  backend: WebGPUBackend,
  data: Dataset,
  options: TrainOptions,
): Promise<{ mlp: Mlp; losses: { step: number; loss: number }[] }> {
  const mlp = new Mlp(act, backend, options);
  const x = tf.tensor2d(data.x, [data.n, 2]);
  const target = act.tensor(oneHot(data.y, 2), [data.n, 2]);
  const losses: { step: number; loss: number }[] = [];
  const every = options.every ?? 10;
  try {
    for (let s = 0; s < options.steps; s++) {
      const loss = mlp.step(x, target);
      if (s % every === 0 || s === options.steps - 1) {
        const v = (await loss.read())[0];
        losses.push({ step: s, loss: v });
        await options.onLoss?.(s, v);
      }
      loss.destroy();
    }
  } finally {
    x.dispose();
    target.destroy();
  }
  return { mlp, losses };
}
