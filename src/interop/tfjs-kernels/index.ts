/**
 * `webgpu-activations/tfjs`: one call, and TF.js models on the WebGPU backend
 * (inference, tf.grad, model.fit) run their activations, softmax and the
 * gradients of both on this library's kernels.
 *
 * No runtime import of TF.js: it is taken through structural types (checked
 * against @tensorflow/tfjs-core and tfjs-backend-webgpu 4.22).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-webgpu';
 * import { registerTfjsKernels } from 'webgpu-activations/tfjs';
 *
 * await tf.setBackend('webgpu');
 * const handle = await registerTfjsKernels(tf);
 * const y = handle.ops.gelu(tf.matMul(x, w));   // new ops, with gradients
 * console.log(handle.stats());                  // { Relu: { ours: 12, delegated: 0 }, ... }
 * handle.restore();                             // TF's own kernels back
 * ```
 */
export {
  registerTfjsKernels,
  type TfjsKernelName,
  type TfjsKernelsHandle,
  type TfjsKernelsOptions,
  type TfjsKernelStats,
} from './register.js';
export type { TfjsOps, TfMaskedSoftmaxOptions } from './op-functions.js';
export type {
  TfGradConfig,
  TfKernelArgs,
  TfKernelConfig,
  TfKernelFunc,
  TfNamespaceLike,
  TfTensorInfo,
} from './types.js';
