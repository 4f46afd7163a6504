/**
 * What the softmax family's tests share: the tolerances, NaN-poisoned
 * outputs, forward/backward runners that check against the float64
 * reference, and the kernel tuning a test may lower (reset after each test).
 */
import { afterEach, expect } from 'vitest';
import { type Activations, type Tensor } from '../../src/index.js';
import { softmaxTuning } from '../../src/softmax/plan.js';
import * as ref from '../../src/softmax/reference.js';
import { noGpuErrors } from '../helpers/gpu.js';
import { mismatches, report, type Tolerance, SOFTMAX } from '../helpers/tolerance.js';

/** The bounds: softmax |gpu - ref| <= 1e-6 + 1e-5 |ref|; logSoftmax 1e-5 abs + 1e-6 rel. */
const LOG_SOFTMAX: Tolerance = { atol: 1e-5, rtol: 1e-6 };
/** Gradients: the softmax bound, applied to dx. */
export const BACKWARD: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Cross-entropy loss: 1e-5 relative. */
export const LOSS: Tolerance = { atol: 0, rtol: 1e-5 };

export type Op = 'softmax' | 'logSoftmax' | 'softmin';
export type DType = 'float32' | 'float16';

const tolOf = (op: Op) => (op === 'logSoftmax' ? LOG_SOFTMAX : SOFTMAX);
export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function poisoned(
  act: Activations,
  shape: readonly number[],
  dtype: DType = 'float32',
): Tensor {
  const n = sizeOf(shape);
  return dtype === 'float32'
    ? act.tensor(new Float32Array(n).fill(NaN), shape)
    : act.tensor(new Uint16Array(n).fill(0x7e00), shape, { dtype });
}

export async function forward(
  act: Activations,
  op: Op,
  x: Float32Array,
  shape: readonly number[],
  params: { axis?: number; temperature?: number } = {},
): Promise<Float32Array> {
  return noGpuErrors(act.device, async () => {
    const xt = act.tensor(x, shape);
    const out = poisoned(act, shape);
    act.forward(op, xt, { ...params, out });
    const got = await out.read();
    xt.destroy();
    out.destroy();
    return got;
  });
}

export async function backward(
  act: Activations,
  op: Op,
  y: Float32Array,
  dy: Float32Array,
  shape: readonly number[],
  params: { axis?: number; temperature?: number } = {},
): Promise<Float32Array> {
  return noGpuErrors(act.device, async () => {
    const yt = act.tensor(y, shape);
    const dyt = act.tensor(dy, shape);
    const out = poisoned(act, shape);
    act.backward(op, { y: yt, dy: dyt }, { ...params, out });
    const got = await out.read();
    for (const t of [yt, dyt, out]) t.destroy();
    return got;
  });
}

/** Checks y against the reference and, for softmax, that each row sums to 1 within 1e-5. */
export function checkForward(
  op: Op,
  x: Float32Array,
  shape: readonly number[],
  got: Float32Array,
  params: { axis?: number; temperature?: number } = {},
): void {
  const want = ref.softmaxForward(op, x, shape, params);
  const ms = mismatches(got, want, tolOf(op), [x]);
  expect(ms, `${op} ${JSON.stringify(shape)} ${JSON.stringify(params)}:\n${report(ms)}`).toEqual(
    [],
  );
  if (op === 'logSoftmax') return;
  const axis = params.axis ?? -1;
  const len = shape[axis < 0 ? shape.length + axis : axis];
  ref.forEachRow(shape, axis, (at) => {
    let s = 0;
    let finite = true;
    for (let j = 0; j < len; j++) s += got[at(j)];
    for (let j = 0; j < len; j++) finite &&= Number.isFinite(x[at(j)]);
    if (finite && len > 0) expect(Math.abs(s - 1), `row sum ${s}`).toBeLessThanOrEqual(1e-5);
  });
}

/** Moves each path's boundary down for one test, so small shapes reach it. */
export function withTuning(t: Partial<typeof softmaxTuning>): void {
  Object.assign(softmaxTuning, t);
}
const defaults = { ...softmaxTuning };

/** Puts the tuning back after each test of the calling file. */
export function resetTuningAfterEach(): void {
  afterEach(() => {
    Object.assign(softmaxTuning, defaults);
  });
}
