/**
 * The fused ops in one call on plain arrays: the arrays become tensors, the
 * op runs, the result is read back, and every tensor made is destroyed
 * (core/arrays.ts), whether the call succeeds or throws.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { DType, Tensor } from '../core/tensor.js';
import { checkArray, splitArrayOptions, withTensors } from '../core/arrays.js';
import { checkObject } from '../core/validate.js';
import type { Runtime } from '../runtime/runtime.js';
import { biasActBackward, biasActForward } from './bias-act/host.js';
import { gluBackward, gluForward, type GluParams } from './glu/host.js';
import { maskedSoftmaxBackward, maskedSoftmaxForward } from './masked-softmax/host.js';
import { SMS, type MaskedSoftmaxOptions } from './masked-softmax/options.js';

/** What the one-call forms need from the instance (Activations). */
interface Host {
  readonly runtime: Runtime;
  tensor(data: Float32Array, shape?: readonly number[], options?: { dtype?: DType }): Tensor;
}

/**
 * The one-call forms' options: x, then the shape and dtype options; `out`
 * is refused (the result is read back and returned).
 */
function arrayOptions(op: string, x: unknown, params: unknown) {
  checkArray(op, 'x', x);
  const p = checkObject(op, 'params', params);
  if (p.out !== undefined) {
    throw new InvalidArgumentError(`${op}: the one-call forms on arrays take no out`);
  }
  // A null dtype reads as the default here, as it always has for the fused forms.
  return splitArrayOptions(op, x, 'x', { ...p, dtype: p.dtype ?? undefined });
}

export function applyBiasAct(
  act: Host,
  op: unknown,
  x: Float32Array,
  bias: Float32Array,
  params?: unknown,
): Promise<Float32Array> {
  const name = `biasAct(${String(op)})`;
  const o = arrayOptions(name, x, params);
  checkArray(name, 'bias', bias, o.shape[o.shape.length - 1] ?? 0);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const bt = act.tensor(bias, [bias.length], { dtype: o.dtype });
    made.push(bt);
    const y = biasActForward(act.runtime, op, xt, bt, o.rest);
    made.push(y);
    return y.read();
  });
}

export function gradBiasAct(
  act: Host,
  op: unknown,
  x: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  params?: unknown,
): Promise<{ dx: Float32Array; dbias: Float32Array }> {
  const name = `biasAct(${String(op)})`;
  const o = arrayOptions(name, x, params);
  checkArray(name, 'bias', bias, o.shape[o.shape.length - 1] ?? 0);
  checkArray(name, 'dy', dy, x.length);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const bt = act.tensor(bias, [bias.length], { dtype: o.dtype });
    made.push(bt);
    const dyt = act.tensor(dy, o.shape, { dtype: o.dtype });
    made.push(dyt);
    const r = biasActBackward(act.runtime, op, { x: xt, bias: bt, dy: dyt }, o.rest);
    made.push(r.dx, r.dbias);
    return { dx: await r.dx.read(), dbias: await r.dbias.read() };
  });
}

export function applyGlu(
  act: Host,
  kind: unknown,
  x: Float32Array,
  params?: unknown,
): Promise<Float32Array> {
  const o = arrayOptions(String(kind), x, params);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const y = gluForward(act.runtime, kind, xt, o.rest as GluParams);
    made.push(y);
    return y.read();
  });
}

export function gradGlu(
  act: Host,
  kind: unknown,
  x: Float32Array,
  dy: Float32Array,
  params?: unknown,
): Promise<Float32Array> {
  const o = arrayOptions(String(kind), x, params);
  checkArray(String(kind), 'dy', dy, x.length / 2);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const half = [...o.shape.slice(0, -1), (o.shape[o.shape.length - 1] ?? 0) / 2];
    const dyt = act.tensor(dy, Number.isInteger(half[half.length - 1]) ? half : [dy.length], {
      dtype: o.dtype,
    });
    made.push(dyt);
    const dx = gluBackward(act.runtime, kind, { x: xt, dy: dyt }, o.rest as GluParams) as Tensor;
    made.push(dx);
    return dx.read();
  });
}

/** scaledMaskedSoftmax (dy null) or its gradient (forward, then backward) on plain arrays. */
export function applyMaskedSoftmax(
  act: Host,
  x: Float32Array,
  dy: Float32Array | null,
  options?: unknown,
): Promise<Float32Array> {
  const o = arrayOptions(SMS, x, options);
  if (dy !== null) checkArray(SMS, 'dy', dy, x.length);
  return withTensors(async (made) => {
    const xt = act.tensor(x, o.shape, { dtype: o.dtype });
    made.push(xt);
    const y = maskedSoftmaxForward(act.runtime, xt, o.rest as MaskedSoftmaxOptions);
    made.push(y);
    if (dy === null) return y.read();
    const dyt = act.tensor(dy, o.shape, { dtype: o.dtype });
    made.push(dyt);
    const mo = o.rest as MaskedSoftmaxOptions;
    const inputs = mo.softcap === undefined ? { y, dy: dyt } : { y, dy: dyt, x: xt };
    const r = maskedSoftmaxBackward(act.runtime, inputs, mo);
    // With sinks the one-call gradient is dx alone (dsinks: the tensor backward).
    const dx = 'dx' in r ? (made.push(r.dsinks), r.dx) : r;
    made.push(dx);
    return dx.read();
  });
}
