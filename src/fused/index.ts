/**
 * webgpu-activations/fused: bias + activation, the GLU family and attention's
 * scaled, masked softmax, each forward and backward.
 *
 * These are free functions that take the instance first, not methods of
 * Activations, so that a page which never calls them never ships them: the
 * fused kernels' generators are about a third of the library, and the core
 * entry stays within its size budget without them.
 *
 * @example
 * ```ts
 * import { createActivations } from 'webgpu-activations';
 * import { biasAct, biasActBackward } from 'webgpu-activations/fused';
 * const act = await createActivations();
 * const y = biasAct(act, 'gelu', x, bias);                 // gelu(x + bias), one pass
 * const { dx, dbias } = biasActBackward(act, 'gelu', { x, bias, dy });
 * ```
 */
import type { ActivationName, ActivationParams } from '../elementwise/table.js';
import { Activations, type ArrayOptions, type CallOptions } from '../api.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Tensor } from '../core/tensor.js';
import { describe } from '../core/validate.js';
import type { GluKind } from './table.js';
import * as biasActHost from './bias-act/host.js';
import * as gluHost from './glu/host.js';
import * as maskedSoftmaxHost from './masked-softmax/host.js';
import type { BiasActBackwardInputs } from './bias-act/host.js';
import type { GluInput, GluParams } from './glu/host.js';
import type { MaskedSoftmaxOptions } from './masked-softmax/options.js';
import * as arrays from './arrays.js';

export { gluKinds, fusedTuning, type GluKind } from './table.js';
export type { BiasActBackwardInputs } from './bias-act/host.js';
export type { GluParams, GluInput } from './glu/host.js';
export type { MaskedSoftmaxOptions, MaskValue } from './masked-softmax/options.js';

/** The instance's runtime; a wrong first argument is named as such, not met later as a TypeError. */
function runtimeOf(fn: string, act: unknown): Runtime {
  if (!(act instanceof Activations)) {
    throw new InvalidArgumentError(
      `${fn}: act must be an Activations instance (from createActivations), got ${describe(act)}`,
    );
  }
  return act.runtime;
}

function hostOf(fn: string, act: unknown): Activations {
  runtimeOf(fn, act);
  return act as Activations;
}

/**
 * y = act(x + bias) for x [..., C] and bias [C], in one pass (no separate
 * bias-add kernel). The sum x + bias is formed in float32. `params.out`
 * takes the result (same shape and dtype as x); `out: x` runs in place.
 */
export function biasAct<Op extends ActivationName>(
  act: Activations,
  op: Op,
  x: Tensor,
  bias: Tensor,
  params?: ActivationParams<Op> & CallOptions,
): Tensor {
  return biasActHost.biasActForward(runtimeOf('biasAct', act), op, x, bias, params);
}

/**
 * Fused backward of biasAct in one pass over x and dy: dx = dy * act'(x + bias)
 * and dbias = the sum of dx over all rows (deterministic, bitwise). Give
 * { x, bias, dy }, or { y, dy } for ops whose derivative is a function of the
 * output (sigmoid, tanh), so x need not be kept. `params.out` takes dx (it
 * may be x, y or dy: in place); dbias is always a new [C] tensor.
 */
export function biasActBackward<Op extends ActivationName>(
  act: Activations,
  op: Op,
  inputs: BiasActBackwardInputs,
  params?: ActivationParams<Op> & CallOptions,
): { dx: Tensor; dbias: Tensor } {
  return biasActHost.biasActBackward(runtimeOf('biasActBackward', act), op, inputs, params);
}

/**
 * Gated linear unit over x [..., 2H] split into halves a and b (or { a, b }
 * given apart): glu a * sigmoid(b), swiglu silu(a) * b, geglu gelu(a) * b
 * (params.approximate 'none' | 'tanh'), reglu relu(a) * b. Returns [..., H];
 * `params.out` takes it (from { a, b } it may be a or b: in place).
 */
export function glu(act: Activations, kind: GluKind, input: GluInput, params?: GluParams): Tensor {
  return gluHost.gluForward(runtimeOf('glu', act), kind, input, params);
}

/**
 * GLU backward: { x, dy } gives dx [..., 2H] (da and db side by side;
 * `params.out` takes it, and may be x); { a, b, dy } gives new { da, db }.
 */
export function gluBackward(
  act: Activations,
  kind: GluKind,
  inputs: { x: Tensor; dy: Tensor },
  params?: GluParams,
): Tensor;
export function gluBackward(
  act: Activations,
  kind: GluKind,
  inputs: { a: Tensor; b: Tensor; dy: Tensor },
  params?: GluParams,
): { da: Tensor; db: Tensor };
export function gluBackward(
  act: Activations,
  kind: GluKind,
  inputs: { x: Tensor; dy: Tensor } | { a: Tensor; b: Tensor; dy: Tensor },
  params?: GluParams,
): Tensor | { da: Tensor; db: Tensor } {
  return gluHost.gluBackward(runtimeOf('gluBackward', act), kind, inputs, params);
}

/**
 * Attention's softmax along the last axis of x [..., rows, cols]:
 * softmax(scale * x + mask), mask additive (a tensor or { data: Float32Array,
 * shape }) or boolean ({ data: Uint8Array, shape }, 0 = masked), broadcast
 * with NumPy rules; causal: true masks column j > row i + offset. Fully
 * masked rows give zeros. `options.out` takes the result (`out: x`: in place).
 */
export function scaledMaskedSoftmax(
  act: Activations,
  x: Tensor,
  options?: MaskedSoftmaxOptions,
): Tensor {
  return maskedSoftmaxHost.maskedSoftmaxForward(runtimeOf('scaledMaskedSoftmax', act), x, options);
}

/**
 * dx = scale * y * (dy - sum(dy * y)) from the forward output y (same options
 * as the forward); `options.out` takes dx and may be y or dy (in place). With
 * `softcap` it also takes x (dx gains the factor sech^2(scale * x / c)); with
 * `sinks` it returns { dx, dsinks } (dsinks [H], summed over each head's rows).
 */
export function scaledMaskedSoftmaxBackward(
  act: Activations,
  inputs: { y: Tensor; dy: Tensor; x?: Tensor },
  options: MaskedSoftmaxOptions & { sinks: readonly number[] | Float32Array },
): { dx: Tensor; dsinks: Tensor };
export function scaledMaskedSoftmaxBackward(
  act: Activations,
  inputs: { y: Tensor; dy: Tensor; x?: Tensor },
  options?: MaskedSoftmaxOptions,
): Tensor;
export function scaledMaskedSoftmaxBackward(
  act: Activations,
  inputs: { y: Tensor; dy: Tensor; x?: Tensor },
  options?: MaskedSoftmaxOptions,
): Tensor | { dx: Tensor; dsinks: Tensor } {
  return maskedSoftmaxHost.maskedSoftmaxBackward(
    runtimeOf('scaledMaskedSoftmaxBackward', act),
    inputs,
    options,
  );
}

/** biasAct on plain arrays: y = act(x + bias), x of params.shape (default [x.length]). */
export function applyBiasAct<Op extends ActivationName>(
  act: Activations,
  op: Op,
  x: Float32Array,
  bias: Float32Array,
  params?: ActivationParams<Op> & ArrayOptions,
): Promise<Float32Array> {
  return arrays.applyBiasAct(hostOf('applyBiasAct', act), op, x, bias, params);
}

/** biasAct's gradients on plain arrays: { dx, dbias }. */
export function gradBiasAct<Op extends ActivationName>(
  act: Activations,
  op: Op,
  x: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  params?: ActivationParams<Op> & ArrayOptions,
): Promise<{ dx: Float32Array; dbias: Float32Array }> {
  return arrays.gradBiasAct(hostOf('gradBiasAct', act), op, x, bias, dy, params);
}

/** A GLU on a plain array x of params.shape [..., 2H]: returns [..., H]. */
export function applyGlu(
  act: Activations,
  kind: GluKind,
  x: Float32Array,
  params?: GluParams & ArrayOptions,
): Promise<Float32Array> {
  return arrays.applyGlu(hostOf('applyGlu', act), kind, x, params);
}

/** A GLU's gradient on plain arrays: dx [..., 2H] from x [..., 2H] and dy [..., H]. */
export function gradGlu(
  act: Activations,
  kind: GluKind,
  x: Float32Array,
  dy: Float32Array,
  params?: GluParams & ArrayOptions,
): Promise<Float32Array> {
  return arrays.gradGlu(hostOf('gradGlu', act), kind, x, dy, params);
}

/** scaledMaskedSoftmax on a plain array x of options.shape. */
export function applyScaledMaskedSoftmax(
  act: Activations,
  x: Float32Array,
  options?: MaskedSoftmaxOptions & ArrayOptions,
): Promise<Float32Array> {
  return arrays.applyMaskedSoftmax(hostOf('applyScaledMaskedSoftmax', act), x, null, options);
}

/** scaledMaskedSoftmax's gradient dx on plain arrays (runs the forward, then the backward). */
export function gradScaledMaskedSoftmax(
  act: Activations,
  x: Float32Array,
  dy: Float32Array,
  options?: MaskedSoftmaxOptions & ArrayOptions,
): Promise<Float32Array> {
  return arrays.applyMaskedSoftmax(hostOf('gradScaledMaskedSoftmax', act), x, dy, options);
}
