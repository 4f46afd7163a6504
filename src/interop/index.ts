/**
 * Interop with the GPU tensors of other libraries, with no copy through the
 * CPU: TensorFlow.js's WebGPU backend and ONNX Runtime Web's WebGPU EP.
 *
 * This module imports neither library: it takes them through the small
 * structural types below, so it adds no runtime dependency and works with
 * whichever version the caller bundles (checked with @tensorflow/tfjs-core
 * 4.22 and onnxruntime-web 1.30).
 *
 * The one rule for every recipe: both libraries must run on the same
 * GPUDevice. With TF.js, give ours to TF (`new WebGPUBackend(act.device)`)
 * or TF's to us (`createActivations({ device: backend.device })`); ORT Web
 * keeps its own device, so take it from ORT (`await ort.env.webgpu.device`
 * after a session exists) and create the instance on it.
 *
 * @example
 * ```ts
 * const x = tf.matMul(a, w);                 // on TF's WebGPU backend
 * const xt = fromTfTensor(act, x);           // our Tensor on a GPU buffer, no CPU read
 * const yt = act.forward('gelu', xt);
 * const y = toTfTensor(tf, yt);              // back to TF, sharing yt's buffer
 * ```
 */
export {
  fromTfTensor,
  toTfTensor,
  type FromTfOptions,
  type TfLike,
  type TfTensorLike,
  type TfWebGPUBackendLike,
  type ToTfOptions,
} from './tfjs.js';
export {
  fromOrtTensor,
  toOrtTensor,
  type OrtFromGpuBufferOptions,
  type OrtLike,
  type OrtTensorLike,
} from './ort.js';
