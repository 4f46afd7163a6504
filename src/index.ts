/**
 * webgpu-activations: WGSL activation kernels, forward and backward, with a
 * float64 CPU reference. Public exports only.
 */
export { createActivations, Activations } from './api.js';
export type {
  CallOptions,
  ArrayOptions,
  OpName,
  OpParams,
  SlopeValue,
  CreateOptions,
  Stats,
} from './api.js';
export { softmaxOps } from './softmax/table.js';
export type { SoftmaxOp, SoftmaxParams, CrossEntropyOptions } from './softmax/table.js';
export { Tensor } from './core/tensor.js';
export { activations, activationNames } from './elementwise/table.js';
export type { ActivationName, ActivationParams } from './elementwise/table.js';
export type { ActivationDef, ParamSpec } from './elementwise/spec.js';
export type { DType } from './core/tensor.js';
export {
  ActivationsError,
  InvalidArgumentError,
  WebGPUUnavailableError,
  DeviceLostError,
  OutOfMemoryError,
  GPUError,
} from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export { toHalfBits, fromHalfBits } from './core/f16.js';
// The fused ops (biasAct, the GLU family, scaledMaskedSoftmax) live in
// 'webgpu-activations/fused', the float64 references in
// 'webgpu-activations/reference', the TF.js / ONNX Runtime helpers in
// 'webgpu-activations/interop': a page pays only for what it imports.
