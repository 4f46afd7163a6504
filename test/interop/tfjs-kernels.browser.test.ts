/**
 * registerTfjsKernels in headless Chromium with the real TF.js WebGPU backend:
 * every replaced kernel, forward and tf.grad, against TF's own result (TF's
 * tolerance, 1e-3 absolute) and the float64 reference, with stats proving
 * ours ran; and our documented NaN/Inf rules through them.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/elementwise/reference.js';
import * as sref from '../../src/softmax/reference.js';
import type { ActivationName } from '../../src/elementwise/table.js';
import { ELEMENTWISE, SOFTMAX } from '../helpers/tolerance.js';

import {
  diff,
  expectClose,
  fAndGrad,
  gpuTensor,
  TF_TOL,
  uniform,
  useTfBackend,
  withProvider,
} from './tfjs-harness.js';

useTfBackend();

interface Case {
  kernel: string;
  op: ActivationName;
  params?: Record<string, number>;
  tfOp: (x: tf.Tensor) => tf.Tensor;
  lo?: number;
  hi?: number;
}

const cases: Case[] = [
  { kernel: 'Relu', op: 'relu', tfOp: (x) => tf.relu(x) },
  {
    kernel: 'Relu6',
    op: 'hardTanh',
    params: { min: 0, max: 6 },
    tfOp: (x) => tf.relu6(x),
    lo: -9,
    hi: 9,
  },
  { kernel: 'LeakyRelu', op: 'leakyRelu', params: { alpha: 0.2 }, tfOp: (x) => tf.leakyRelu(x) },
  {
    kernel: 'LeakyRelu',
    op: 'leakyRelu',
    params: { alpha: 0.05 },
    tfOp: (x) => tf.leakyRelu(x, 0.05),
  },
  { kernel: 'Elu', op: 'elu', tfOp: (x) => tf.elu(x) },
  { kernel: 'Selu', op: 'selu', tfOp: (x) => tf.selu(x) },
  { kernel: 'Sigmoid', op: 'sigmoid', tfOp: (x) => tf.sigmoid(x) },
  { kernel: 'Tanh', op: 'tanh', tfOp: (x) => tf.tanh(x) },
  { kernel: 'Softplus', op: 'softplus', tfOp: (x) => tf.softplus(x), lo: -30, hi: 30 },
];

describe('registerTfjsKernels: replaced kernels', () => {
  for (const c of cases) {
    const tag = `${c.kernel}${c.params ? ' ' + JSON.stringify(c.params) : ''}`;
    it(`${tag}: forward and tf.grad match TF's kernels and the float64 reference; ours ran`, async () => {
      const shape = [37, 29];
      const n = 37 * 29;
      const data = uniform(n, c.lo ?? -6, c.hi ?? 6, 7);
      const dyData = uniform(n, -1, 1, 8);
      const x = gpuTensor(data, shape);
      const dy = gpuTensor(dyData, shape);
      const stock = await fAndGrad(c.tfOp, x, dy);
      const { result: ours, stats } = await withProvider(() => fAndGrad(c.tfOp, x, dy));
      // f runs twice: once for y, once inside tf.grad.
      expect(stats[c.kernel]).toEqual({ ours: 2, delegated: 0 });
      expect(stats[`WebGPUActivations.${c.kernel}Grad`]?.ours).toBe(1);
      diff(`${tag} forward`, ours.y, stock.y);
      diff(`${tag} grad`, ours.dx, stock.dx);
      expectClose(`${tag} vs TF forward`, ours.y, stock.y, TF_TOL);
      expectClose(`${tag} vs TF grad`, ours.dx, stock.dx, TF_TOL);
      // TF's input buffers are read, never written.
      expect(Array.from((await x.data()) as Float32Array)).toEqual(Array.from(data));
      expect(Array.from((await dy.data()) as Float32Array)).toEqual(Array.from(dyData));
      expectClose(`${tag} vs f64`, ours.y, ref.forward(c.op, data, c.params), ELEMENTWISE);
      expectClose(
        `${tag} grad vs f64`,
        ours.dx,
        ref.backward(c.op, data, dyData, c.params),
        ELEMENTWISE,
      );
      tf.dispose([x, dy]);
    });
  }

  for (const alphaShape of [[29], [1, 29], [37, 29], [1]]) {
    it(`Prelu (alpha ${JSON.stringify(alphaShape)}): forward, dx and dalpha; ours ran`, async () => {
      const shape = [37, 29];
      const data = uniform(37 * 29, -4, 4, 3);
      const dyData = uniform(37 * 29, -1, 1, 4);
      const aData = uniform(
        alphaShape.reduce((p, q) => p * q, 1),
        0,
        0.5,
        5,
      );
      const x = gpuTensor(data, shape);
      const dy = gpuTensor(dyData, shape);
      const alpha = gpuTensor(aData, alphaShape);
      const run = async () => {
        const [y, dx, da] = tf.tidy(() => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.prelu(a, b))([x, alpha], dy);
          return [tf.prelu(x, alpha), g[0], g[1]];
        });
        const out = await Promise.all([y.data(), dx.data(), da.data()]);
        tf.dispose([y, dx, da]);
        return out as Float32Array[];
      };
      const stock = await run();
      const { result: ours, stats } = await withProvider(run);
      expect(stats.Prelu).toEqual({ ours: 2, delegated: 0 });
      expect(stats['WebGPUActivations.PreluGrad']?.ours).toBe(1);
      expect(stats['WebGPUActivations.PreluAlphaGrad']?.ours).toBe(1);
      for (let k = 0; k < 3; k++) {
        diff(`Prelu ${['forward', 'dx', 'dalpha'][k]}`, ours[k], stock[k]);
        // dalpha sums up to 37*29 terms: TF's tolerance, scaled by the count summed.
        const tol = k === 2 ? { atol: 1e-3, rtol: 1e-4 } : TF_TOL;
        expectClose(`Prelu ${k} vs TF`, ours[k], stock[k], tol);
      }
      const slopeAt = (i: number) =>
        aData[alphaShape.length === 1 && alphaShape[0] === 1 ? 0 : i % aData.length];
      expectClose('Prelu vs f64', ours[0], ref.forward('prelu', data, {}, slopeAt), ELEMENTWISE);
      tf.dispose([x, dy, alpha]);
    });
  }

  for (const [shape, dim] of [
    [[9, 33], -1],
    [[3, 4, 130], -1],
    [[5, 1000], 1],
  ] as [number[], number][]) {
    it(`Softmax ${JSON.stringify(shape)} dim ${dim} and LogSoftmax: forward and grad`, async () => {
      const n = shape.reduce((p, q) => p * q, 1);
      const data = uniform(n, -8, 8, 13);
      const dyData = uniform(n, -1, 1, 14);
      const x = gpuTensor(data, shape);
      const dy = gpuTensor(dyData, shape);
      const stock = await fAndGrad((v) => tf.softmax(v, dim), x, dy);
      const stockLog = await fAndGrad((v) => tf.logSoftmax(v, dim), x, dy);
      const { result, stats } = await withProvider(async (h) => ({
        sm: await fAndGrad((v) => tf.softmax(v, dim), x, dy),
        lsm: await fAndGrad((v) => h.ops.logSoftmax(v, dim), x, dy),
      }));
      expect(stats.Softmax).toEqual({ ours: 2, delegated: 0 });
      expect(stats['WebGPUActivations.SoftmaxGrad']?.ours).toBe(1);
      expect(stats.LogSoftmax).toEqual({ ours: 2, delegated: 0 });
      expect(stats['WebGPUActivations.LogSoftmaxGrad']?.ours).toBe(1);
      diff('Softmax forward', result.sm.y, stock.y);
      diff('Softmax grad', result.sm.dx, stock.dx);
      diff('LogSoftmax forward', result.lsm.y, stockLog.y);
      diff('LogSoftmax grad', result.lsm.dx, stockLog.dx);
      expectClose('softmax vs TF', result.sm.y, stock.y, TF_TOL);
      expectClose('softmax grad vs TF', result.sm.dx, stock.dx, TF_TOL);
      expectClose('logSoftmax vs TF', result.lsm.y, stockLog.y, TF_TOL);
      expectClose('logSoftmax grad vs TF', result.lsm.dx, stockLog.dx, TF_TOL);
      const want = sref.softmaxForward('softmax', data, shape, { axis: dim });
      expectClose('softmax vs f64', result.sm.y, want, SOFTMAX);
      const wantDx = sref.softmaxBackward('softmax', want, dyData, shape, { axis: dim });
      expectClose('softmax grad vs f64', result.sm.dx, wantDx, SOFTMAX);
      tf.dispose([x, dy]);
    });
  }
});

describe('registerTfjsKernels: NaN and Inf (our documented rules)', () => {
  it('a softmax row of all -Inf gives zeros, +Inf entries share the mass (TF: NaN for both)', async () => {
    const cols = 1024;
    const rows = [
      new Array<number>(cols).fill(-Infinity),
      Array.from({ length: cols }, (_, j) => (j === 3 || j === 700 ? Infinity : j / cols)),
      Array.from({ length: cols }, (_, j) => (j === 5 ? NaN : j / cols)),
      Array.from({ length: cols }, (_, j) => (j % 2 ? -Infinity : j / cols)),
    ];
    const data = Float32Array.from(rows.flat());
    const x = gpuTensor(data, [rows.length, cols]);
    const run = async () => {
      const y = tf.softmax(x);
      const out = (await y.data()) as Float32Array;
      y.dispose();
      return out;
    };
    const stock = await run();
    const { result: ours, stats } = await withProvider(run);
    expect(stats.Softmax).toEqual({ ours: 1, delegated: 0 });
    const row = (a: Float32Array, r: number) => Array.from(a.subarray(r * cols, (r + 1) * cols));
    expect(row(stock, 0).every(Number.isNaN)).toBe(true);
    expect(row(ours, 0).every((v) => v === 0)).toBe(true);
    // +Inf entries share the mass evenly; the rest get 0 (TF: NaN, from Inf - Inf).
    expect(row(stock, 1).some(Number.isNaN)).toBe(true);
    expect(row(ours, 1).filter((v) => v === 0.5).length).toBe(2);
    expect(row(ours, 1).filter((v) => v === 0).length).toBe(cols - 2);
    expect(row(ours, 2).every(Number.isNaN)).toBe(true);
    // -Inf entries get exactly 0, as TF's do; the finite rest agree within TF's tolerance.
    const want = sref.softmaxForward('softmax', Float32Array.from(rows[3]), [1, cols]);
    expectClose('masked row vs f64', row(ours, 3), want, SOFTMAX);
    expectClose('masked row vs TF', row(ours, 3), row(stock, 3), TF_TOL);
    x.dispose();
  });
});
