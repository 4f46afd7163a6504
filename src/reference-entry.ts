/**
 * `webgpu-activations/reference`: the float64 CPU references of every kernel
 * and the tolerance rule, for tests and checks (kept out of the core entry).
 */
export * as reference from './elementwise/reference.js';
export * as softmaxReference from './softmax/reference.js';
export * as fusedReference from './fused/reference.js';
export { close, ELEMENTWISE, type Tolerance } from './core/tolerance.js';
