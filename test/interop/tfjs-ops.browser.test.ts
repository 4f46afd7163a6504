/**
 * registerTfjsKernels' new ops (those TF.js has no kernel for) in headless
 * Chromium: forward and tf.grad against TF compositions and the float64 reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/elementwise/reference.js';
import type { ActivationName } from '../../src/elementwise/table.js';
import { ELEMENTWISE } from '../helpers/tolerance.js';

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

describe('registerTfjsKernels: new ops', () => {
  const newOps: { op: ActivationName; params?: Record<string, unknown> }[] = [
    { op: 'gelu' },
    { op: 'gelu', params: { approximate: 'tanh' } },
    { op: 'silu' },
    { op: 'mish' },
    { op: 'hardSwish' },
    { op: 'hardSigmoid', params: { alpha: 0.2, beta: 0.5 } },
    { op: 'softsign' },
    { op: 'logSigmoid' },
    { op: 'celu', params: { alpha: 0.7 } },
  ];
  for (const { op, params } of newOps) {
    it(`${op}${params ? ' ' + JSON.stringify(params) : ''}: forward and tf.grad vs the float64 reference`, async () => {
      const shape = [17, 31];
      const data = uniform(17 * 31, -5, 5, 21);
      const dyData = uniform(17 * 31, -1, 1, 22);
      const x = gpuTensor(data, shape);
      const dy = gpuTensor(dyData, shape);
      const { result, stats } = await withProvider((h) => {
        const f = (v: tf.Tensor) =>
          (h.ops as unknown as Record<string, (v: tf.Tensor, p?: object) => tf.Tensor>)[op](
            v,
            params,
          );
        return fAndGrad(f, x, dy);
      });
      expect(stats[`WebGPUActivations.${op}`]).toEqual({ ours: 2, delegated: 0 });
      expect(stats[`WebGPUActivations.${op}Grad`]).toEqual({ ours: 1, delegated: 0 });
      expectClose(`${op} vs f64`, result.y, ref.forward(op, data, params), ELEMENTWISE);
      expectClose(
        `${op} grad vs f64`,
        result.dx,
        ref.backward(op, data, dyData, params),
        ELEMENTWISE,
      );
      tf.dispose([x, dy]);
    });
  }

  it('gelu matches a TF composition of erf; glu family, biasAct and scaledMaskedSoftmax match TF compositions', async () => {
    const data = uniform(8 * 64, -4, 4, 31);
    const x = gpuTensor(data, [8, 64]);
    const bias = gpuTensor(uniform(64, -1, 1, 32), [64]);
    const dy = gpuTensor(uniform(8 * 64, -1, 1, 33), [8, 64]);
    const dyHalf = gpuTensor(uniform(8 * 32, -1, 1, 34), [8, 32]);
    const mask = gpuTensor(
      Float32Array.from({ length: 64 }, (_, j) => (j % 5 === 0 ? -1e9 : 0)),
      [1, 64],
    );
    const geluTf = (v: tf.Tensor) =>
      tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.div(v, Math.SQRT2))));
    const sigm = (v: tf.Tensor) => tf.sigmoid(v);
    const swigluTf = (v: tf.Tensor) => {
      const [a, b] = tf.split(v, 2, -1);
      return tf.mul(tf.mul(a, sigm(a)), b);
    };
    const biasGeluTf = (v: tf.Tensor, b: tf.Tensor) => geluTf(tf.add(v, b));
    const smsTf = (v: tf.Tensor) => tf.softmax(tf.add(tf.mul(v, 0.125), mask));
    const read = async (ts: tf.Tensor[]) => {
      const out = (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
      tf.dispose(ts);
      return out;
    };
    const stock = await read(
      tf.tidy(() => [
        geluTf(x),
        tf.grad(geluTf)(x, dy),
        swigluTf(x),
        tf.grad(swigluTf)(x, dyHalf),
        biasGeluTf(x, bias),
        ...tf.grads(biasGeluTf)([x, bias], dy),
        smsTf(x),
        tf.grad(smsTf)(x, dy),
      ]),
    );
    const { result: ours, stats } = await withProvider(async (h) => {
      const gelu = (v: tf.Tensor) => h.ops.gelu(v);
      const swiglu = (v: tf.Tensor) => h.ops.swiglu(v);
      const ba = (v: tf.Tensor, b: tf.Tensor) => h.ops.biasAct(v, b, 'gelu');
      const sms = (v: tf.Tensor) => h.ops.scaledMaskedSoftmax(v, { scale: 0.125, mask });
      return read(
        tf.tidy(() => [
          gelu(x),
          tf.grad(gelu)(x, dy),
          swiglu(x),
          tf.grad(swiglu)(x, dyHalf),
          ba(x, bias),
          ...tf.grads(ba)([x, bias], dy),
          sms(x),
          tf.grad(sms)(x, dy),
        ]),
      );
    });
    const names = [
      'gelu',
      'gelu grad',
      'swiglu',
      'swiglu grad',
      'biasAct',
      'biasAct dx',
      'biasAct dbias',
      'sms',
      'sms grad',
    ];
    names.forEach((name, k) => {
      diff(`op ${name}`, ours[k], stock[k]);
      expectClose(
        `${name} vs TF`,
        ours[k],
        stock[k],
        name === 'biasAct dbias' ? { atol: 1e-3, rtol: 1e-4 } : TF_TOL,
      );
    });
    for (const k of [
      'swigluGrad',
      'biasActGrad',
      'biasActGradBias',
      'scaledMaskedSoftmaxWithMaskGrad',
    ])
      expect(stats[`WebGPUActivations.${k}`], k).toEqual({ ours: 1, delegated: 0 });
    for (const k of ['swiglu', 'biasAct', 'scaledMaskedSoftmaxWithMask'])
      expect(stats[`WebGPUActivations.${k}`], k).toEqual({ ours: 2, delegated: 0 });
    tf.dispose([x, bias, dy, dyHalf, mask]);
  });
});
