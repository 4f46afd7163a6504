/**
 * TensorFlow.js's WebGPU backend as a peer, constructed on our GPUDevice (its
 * WebGPUBackend takes a device), so one queue wait covers its work too.
 * Backward is what a TF.js user gets: tf.grad(f)(x, dy).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { INPUTS } from './timing.js';
import type { Case, PeerImpl } from './types.js';

type Unary = (x: tf.Tensor) => tf.Tensor;

const OPS: Record<string, Unary> = {
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  leakyRelu: (x) => tf.leakyRelu(x, 0.01),
  prelu: (x) => tf.prelu(x, tf.scalar(0.25)),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  softmax: (x) => tf.softmax(x, -1),
  logSoftmax: (x) => tf.logSoftmax(x, -1),
};

/** Activations tfjs-core has no op for. */
const NOT_IN_TFJS = new Set([
  'gelu',
  'silu',
  'mish',
  'celu',
  'softsign',
  'hardSigmoid',
  'hardSwish',
  'thresholdedRelu',
  'softmin',
]);

export async function tfPeer(device: GPUDevice): Promise<PeerImpl> {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 10);
  tf.env().set('WEBGPU_CPU_FORWARD', false); // never hand small tensors to the CPU
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf: setBackend(webgpu) failed');
  await tf.ready();
  const backend = tf.backend() as WebGPUBackend;
  return {
    name: 'tf',
    lacks(op) {
      if (OPS[op]) return null;
      return NOT_IN_TFJS.has(op)
        ? 'TF.js has no such op'
        : 'TF.js: the bench does not call it for this op (bench/peer-tf.ts)';
    },
    make(op, dir, shape, data, dyData) {
      const f = OPS[op];
      const xs = data.map((d) => tf.tensor(d, shape));
      const dy = tf.tensor(dyData, shape);
      const g = dir === 'backward' ? tf.grad(f) : null;
      const pending: tf.Tensor[] = [];
      let last: tf.Tensor | null = null;
      const c: Case = {
        step(rep) {
          const x = xs[rep % INPUTS];
          pending.push(tf.tidy(() => (g ? g(x, dy) : f(x))));
        },
        async finish() {
          // TF keeps one compute pass open across ops: end it, then submit (what its own batching does).
          const b = backend as unknown as {
            commandEncoder: GPUCommandEncoder | null;
            endComputePassEncoder(): void;
          };
          if (b.commandEncoder) {
            b.endComputePassEncoder();
            backend.submitQueue();
          }
          await device.queue.onSubmittedWorkDone();
          last?.dispose();
          last = pending.pop() ?? null;
          for (const t of pending) t.dispose();
          pending.length = 0;
        },
        // tf.grad takes x and recomputes y; our softmax backward takes y: not the same inputs, so no check there.
        output:
          dir === 'backward' && (op === 'softmax' || op === 'logSoftmax')
            ? undefined
            : async () => new Float32Array((await last!.data()) as Float32Array),
        dispose() {
          last?.dispose();
          for (const t of [...xs, dy, ...pending]) t.dispose();
        },
      };
      return Promise.resolve(c);
    },
  };
}
