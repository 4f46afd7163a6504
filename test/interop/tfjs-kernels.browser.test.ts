/**
 * registerTfjsKernels in headless Chromium with the real TF.js WebGPU backend:
 * every replaced kernel and every new op, forward and tf.grad, against TF's
 * own result (TF's tolerance, 1e-3 absolute) and against the float64
 * reference (ours); stats prove which kernels ran; restore() puts TF's
 * registry back exactly; a re-created backend is followed; no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerTfjsKernels,
  type TfjsKernelsHandle,
  type TfNamespaceLike,
} from '../../src/interop/tfjs-kernels/index.js';
import * as ref from '../../src/elementwise/reference.js';
import * as sref from '../../src/softmax/reference.js';
import type { ActivationName } from '../../src/elementwise/table.js';
import { testGPU } from '../helpers/gpu.js';
import { ELEMENTWISE, mismatches, report, SOFTMAX, type Tolerance } from '../helpers/tolerance.js';

/** TF's own test tolerance for float32 on WebGPU (tf.test_util.expectArraysClose). */
const TF_TOL: Tolerance = { atol: 1e-3, rtol: 0 };
const TFNS = tf as unknown as TfNamespaceLike;

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** A tf.Tensor whose values are on the GPU (the output of a GPU op), as in a model. */
function gpuTensor(data: Float32Array, shape: number[]): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.tensor(data, shape), tf.scalar(1)));
}

let device: GPUDevice;
const maxDiff: Record<string, number> = {};

function diff(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  maxDiff[name] = Math.max(maxDiff[name] ?? 0, m);
}

function expectClose(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
): void {
  const ms = mismatches(got, want, tol);
  expect(ms, `${name}: ${report(ms)}`).toEqual([]);
}

async function makeBackend(): Promise<GPUDevice> {
  const adapter = await testGPU().requestAdapter();
  const d = await adapter!.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter!.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter!.limits.maxBufferSize,
    },
  });
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(d), 10);
  expect(await tf.setBackend('webgpu')).toBe(true);
  return d;
}

beforeAll(async () => {
  device = await makeBackend();
});
afterAll(() => {
  console.log(`max |ours - TF| per case: ${JSON.stringify(maxDiff, null, 1)}`);
});

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

/** Runs fn with the provider registered (restored after), returning fn's result and the stats. */
async function withProvider<T>(
  fn: (h: TfjsKernelsHandle) => Promise<T> | T,
  options?: Parameters<typeof registerTfjsKernels>[1],
): Promise<{ result: T; stats: ReturnType<TfjsKernelsHandle['stats']> }> {
  const h = await registerTfjsKernels(TFNS, options);
  try {
    const result = await fn(h);
    return { result, stats: h.stats() };
  } finally {
    h.restore();
  }
}

/** Forward and gradient values of f at x (upstream dy), read back. */
async function fAndGrad(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  dy: tf.Tensor,
): Promise<{ y: Float32Array; dx: Float32Array }> {
  const [y, dx] = tf.tidy(() => [f(x), tf.grad(f)(x, dy)]);
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([y, dx]);
  return out;
}

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

describe('registerTfjsKernels: registry, delegation, backends, leaks', () => {
  it('restore() puts back exactly the kernels and gradients TF had', async () => {
    const names = [
      'Relu',
      'Relu6',
      'LeakyRelu',
      'Prelu',
      'Elu',
      'Selu',
      'Sigmoid',
      'Tanh',
      'Softplus',
      'Softmax',
      'LogSoftmax',
    ];
    const kernels = names.map((n) => tf.getKernel(n, 'webgpu'));
    const grads = names.map((n) => tf.getGradient(n));
    const h = await registerTfjsKernels(TFNS);
    expect(tf.getKernel('Relu', 'webgpu')).not.toBe(kernels[0]);
    expect(tf.getGradient('Relu')).not.toBe(grads[0]);
    expect(tf.getKernel('WebGPUActivations.gelu', 'webgpu')).toBeDefined();
    h.restore();
    names.forEach((n, i) => {
      expect(tf.getKernel(n, 'webgpu')).toBe(kernels[i]);
      expect(tf.getGradient(n)).toBe(grads[i]);
    });
    expect(tf.getKernel('LogSoftmax', 'webgpu')).toBeUndefined();
    expect(tf.getKernel('WebGPUActivations.gelu', 'webgpu')).toBeUndefined();
    expect(tf.getKernel('WebGPUActivations.ReluGrad', 'webgpu')).toBeUndefined();
    expect(tf.getGradient('WebGPUActivations.gelu')).toBeUndefined();
  });

  it('options.ops and gradients: false replace only what was asked', async () => {
    const grad = tf.getGradient('Relu');
    const { stats } = await withProvider(
      async () => {
        const x = gpuTensor(uniform(4096, -1, 1, 1), [4096]);
        const [y, s] = tf.tidy(() => [tf.relu(x), tf.sigmoid(x)]);
        expect(tf.getGradient('Relu')).toBe(grad);
        await Promise.all([y.data(), s.data()]);
        tf.dispose([x, y, s]);
      },
      { ops: ['Relu'], gradients: false },
    );
    expect(stats.Relu).toEqual({ ours: 1, delegated: 0 });
    expect(stats.Sigmoid).toBeUndefined();
  });

  it('refuses clearly when the active backend is not webgpu', async () => {
    const fake = { ...TFNS, getBackend: () => 'cpu', backend: () => ({}) } as TfNamespaceLike;
    await expect(registerTfjsKernels(fake)).rejects.toThrow(/not 'webgpu'/);
  });

  it('hands int32 inputs and small CPU-resident tensors to TF, counted', async () => {
    const { stats } = await withProvider(async () => {
      const i = tf.tensor1d([-2, 3, -1, 4], 'int32');
      const r = tf.relu(i);
      expect(Array.from(await r.data())).toEqual([0, 3, 0, 4]);
      const small = tf.tensor1d([-1, 0.5]);
      const s = tf.sigmoid(small);
      const got = (await s.data()) as Float32Array;
      expect(got[1]).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 5);
      tf.dispose([i, r, small, s]);
    });
    expect(stats.Relu).toEqual({ ours: 0, delegated: 1 });
    expect(stats.Sigmoid).toEqual({ ours: 0, delegated: 1 });
  });

  it('hands a Prelu whose alpha is larger than x (TF broadcasts both ways; we refuse) to TF', async () => {
    const xData = uniform(4096, -2, 2, 61);
    const aData = uniform(2 * 4096, 0, 0.5, 62);
    const run = async () => {
      const x = gpuTensor(xData, [4096]);
      const a = gpuTensor(aData, [2, 4096]);
      const y = tf.prelu(x, a);
      expect(y.shape).toEqual([2, 4096]);
      const out = (await y.data()) as Float32Array;
      tf.dispose([x, a, y]);
      return out;
    };
    const stock = await run();
    const ids = tf.backend().numDataIds();
    const { result, stats } = await withProvider(run);
    // The output we had allocated before refusing went back to TF.
    expect(tf.backend().numDataIds()).toBe(ids);
    expect(stats.Prelu).toEqual({ ours: 0, delegated: 1 });
    expect(Array.from(result)).toEqual(Array.from(stock));
  });

  it('follows a backend TF disposes and re-creates on a new device, never touching the old one', async () => {
    const h = await registerTfjsKernels(TFNS);
    try {
      const data = uniform(4096, -3, 3, 41);
      const run = async () => {
        const x = gpuTensor(data, [4096]);
        const y = tf.relu(x);
        const out = (await y.data()) as Float32Array;
        tf.dispose([x, y]);
        return out;
      };
      const before = await run();
      const old = device;
      device = await makeBackend();
      expect(device).not.toBe(old);
      old.destroy();
      const after = await run();
      expect(Array.from(after)).toEqual(Array.from(before));
      expect(h.stats().Relu).toEqual({ ours: 2, delegated: 0 });
      expect((tf.backend() as WebGPUBackend).device).toBe(device);
    } finally {
      h.restore();
    }
  });

  it('keeps working across tf.engine().reset() (a new backend object, the same device)', async () => {
    const h = await registerTfjsKernels(TFNS);
    try {
      const data = uniform(4096, -3, 3, 43);
      const run = async () => {
        const x = gpuTensor(data, [4096]);
        const [y, dx] = tf.tidy(() => [tf.relu(x), tf.grad((v: tf.Tensor) => tf.relu(v))(x)]);
        const out = [...((await y.data()) as Float32Array), ...((await dx.data()) as Float32Array)];
        tf.dispose([x, y, dx]);
        return out;
      };
      const before = await run();
      const old = tf.backend();
      tf.engine().reset();
      expect(await tf.setBackend('webgpu')).toBe(true);
      expect(tf.backend()).not.toBe(old);
      expect(await run()).toEqual(before);
      expect(h.stats().Relu).toEqual({ ours: 4, delegated: 0 });
      expect(h.stats()['WebGPUActivations.ReluGrad']).toEqual({ ours: 2, delegated: 0 });
    } finally {
      h.restore();
    }
  });

  it('no leaks: tf.memory() and our live bytes return to baseline over 1000 training steps', async () => {
    const h = await registerTfjsKernels(TFNS);
    try {
      const w = tf.variable(gpuTensor(uniform(32 * 16, -0.3, 0.3, 51), [32, 16]));
      const xb = gpuTensor(uniform(64 * 32, -1, 1, 52), [64, 32]);
      const labels = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => i % 16),
          'int32',
        ),
        16,
      );
      const step = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const hdn = tf.relu(tf.matMul(xb, w));
            const p = tf.softmax(tf.sigmoid(hdn));
            return tf.mean(
              tf.sum(tf.mul(labels, tf.neg(tf.log(tf.add(p, 1e-7)))), -1),
            ) as tf.Scalar;
          });
          w.assign(tf.sub(w, tf.mul(grads[w.name], 0.01)));
        });
      step();
      await w.data();
      const m0 = tf.memory();
      const s0 = h.act.stats().liveBytes;
      for (let i = 0; i < 1000; i++) step();
      await w.data();
      const m1 = tf.memory();
      expect(m1.numTensors).toBe(m0.numTensors);
      expect(m1.numBytes).toBe(m0.numBytes);
      expect(h.act.stats().liveBytes).toBe(s0);
      expect(h.stats().Relu.ours).toBeGreaterThanOrEqual(1001);
      tf.dispose([w, xb, labels]);
    } finally {
      h.restore();
    }
  });
});
