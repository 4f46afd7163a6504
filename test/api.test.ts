/**
 * The host API: bad input (specific errors before any GPU work, inputs left
 * untouched), prelu's broadcast slope and its gradient, wrapped buffers,
 * recording and submission, and device loss.
 */
import { describe, expect, it } from 'vitest';
import {
  ActivationsError,
  createActivations,
  type Activations,
  type Tensor,
} from '../src/index.js';
import { fromHalfArray, toHalfArray } from '../src/core/f16.js';
import * as ref from '../src/elementwise/reference.js';
import * as sref from '../src/softmax/reference.js';
import { limitedView, noGpuErrors, sharedActivations, testGPU } from './helpers/gpu.js';
import { elementwiseInputs, uniform } from './helpers/inputs.js';
import { ELEMENTWISE, halfMismatches, mismatches, report, SOFTMAX } from './helpers/tolerance.js';

/** Runs fn and returns the ActivationsError it throws (failing if it throws anything else or nothing). */
function thrown(fn: () => unknown): ActivationsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ActivationsError);
    return e as ActivationsError;
  }
  throw new Error('expected an ActivationsError, nothing was thrown');
}

async function rejected(p: Promise<unknown>): Promise<ActivationsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ActivationsError);
    return e as ActivationsError;
  }
  throw new Error('expected a rejection with an ActivationsError');
}

describe('bad input', () => {
  it('throws specific errors naming the op and argument, queues nothing, and leaves inputs untouched', async () => {
    const act = await sharedActivations();
    const xData = uniform(64, -5, 5, 1);
    const x = act.tensor(xData, [8, 8]);
    const dy = act.tensor(uniform(64, -1, 1, 2), [8, 8]);
    const other = act.tensor(new Float32Array(10), [10]);
    const half = act.tensor(new Float32Array(64), [8, 8], { dtype: 'float16' });
    const dead = act.tensor(new Float32Array(64), [8, 8]);
    dead.destroy();
    await act.flush();
    const before = act.stats().recordedDispatches;
    const cases: [string, () => unknown, string, RegExp][] = [
      [
        'unknown op',
        () => act.forward('relu7' as never, x),
        'UNKNOWN_OP',
        /unknown op "relu7".*relu, relu6/,
      ],
      [
        'non-finite alpha',
        () => act.forward('leakyRelu', x, { alpha: NaN }),
        'INVALID_PARAMETER',
        /leakyRelu: alpha must be a finite number, got NaN/,
      ],
      [
        'beta <= 0',
        () => act.forward('softplus', x, { beta: 0 }),
        'INVALID_PARAMETER',
        /softplus: beta must be a finite number > 0, got 0/,
      ],
      [
        'min > max',
        () => act.forward('hardTanh', x, { min: 2, max: 1 }),
        'INVALID_PARAMETER',
        /hardTanh: min must be <= max/,
      ],
      [
        'celu alpha 0',
        () => act.forward('celu', x, { alpha: 0 }),
        'INVALID_PARAMETER',
        /celu: alpha must be a finite number > 0/,
      ],
      [
        'bad enum',
        () => act.forward('gelu', x, { approximate: 'fast' as never }),
        'INVALID_PARAMETER',
        /gelu: approximate must be one of 'none', 'tanh'/,
      ],
      [
        'misspelt option',
        () => act.forward('elu', x, { alpah: 1 } as never),
        'INVALID_ARGUMENT',
        /elu: unknown option "alpah"/,
      ],
      [
        'string param',
        () => act.forward('elu', x, { alpha: '1' as never }),
        'INVALID_PARAMETER',
        /elu: alpha must be a finite number, got "1"/,
      ],
      [
        'x not a tensor',
        () => act.forward('relu', new Float32Array(4) as never),
        'INVALID_ARGUMENT',
        /relu: x must be a Tensor/,
      ],
      [
        'shape mismatch x/dy',
        () => act.backward('relu', { x, dy: other }),
        'SHAPE_MISMATCH',
        /relu: dy has shape \[10\] but x has shape \[8, 8\]/,
      ],
      [
        'dtype mismatch',
        () => act.backward('relu', { x, dy: half }),
        'DTYPE_MISMATCH',
        /relu: dy is float16 but x is float32/,
      ],
      [
        'out shape mismatch',
        () => act.forward('relu', x, { out: other }),
        'SHAPE_MISMATCH',
        /relu: out has shape/,
      ],
      [
        'destroyed tensor',
        () => act.forward('relu', dead),
        'TENSOR_DESTROYED',
        /relu: x was destroyed/,
      ],
      [
        'y for relu',
        () => act.backward('relu', { y: x, dy }),
        'INVALID_ARGUMENT',
        /relu: backward from y is not available/,
      ],
      [
        'both x and y',
        () => act.backward('sigmoid', { x, y: x, dy }),
        'INVALID_ARGUMENT',
        /exactly one of x or y/,
      ],
      [
        'tensor shape/data',
        () => act.tensor(new Float32Array(5), [2, 2]),
        'SHAPE_MISMATCH',
        /tensor: shape \[2, 2\] holds 4 elements but data has 5/,
      ],
      [
        'fractional shape',
        () => act.tensor(new Float32Array(4), [1.5, 2]),
        'INVALID_ARGUMENT',
        /tensor: shape\[0\] must be a non-negative integer, got 1.5/,
      ],
      [
        'negative shape',
        () => act.empty([-1]),
        'INVALID_ARGUMENT',
        /shape\[0\] must be a non-negative integer, got -1/,
      ],
      [
        'bad dtype',
        () => act.tensor(new Float32Array(4), [4], { dtype: 'float64' as never }),
        'DTYPE_MISMATCH',
        /tensor: options.dtype must be 'float32' or 'float16', got "float64"/,
      ],
      [
        'slope not broadcastable',
        () => act.forward('prelu', x, { slope: other }),
        'SHAPE_MISMATCH',
        /prelu: slope of shape \[10\] cannot broadcast/,
      ],
      [
        'BigInt param',
        () => act.forward('elu', x, { alpha: 1n as never }),
        'INVALID_PARAMETER',
        /elu: alpha must be a finite number, got 1n/,
      ],
    ];
    for (const [name, fn, code, message] of cases) {
      const e = thrown(fn);
      expect(e.code, name).toBe(code);
      expect(e.message, name).toMatch(message);
    }
    expect(act.stats().recordedDispatches).toBe(before);
    expect(Array.from(await x.read())).toEqual(Array.from(xData));
    for (const t of [x, dy, other, half]) t.destroy();
  });

  it('rejects async forms with the same errors', async () => {
    const act = await sharedActivations();
    const e = await rejected(act.apply('elu', new Float32Array(4), { alpha: Infinity }));
    expect(e.message).toMatch(/elu: alpha must be a finite number, got Infinity/);
    const e2 = await rejected(act.grad('relu', new Float32Array(4), new Float32Array(3)));
    expect(e2.code).toBe('SHAPE_MISMATCH');
    const e3 = await rejected(act.apply('relu', [1, 2] as never));
    expect(e3.message).toMatch(/relu: x must be a Float32Array, got an Array of length 2/);
  });

  it('refuses a tensor from another device', async () => {
    const act = await sharedActivations();
    const other = await createActivations({ gpu: testGPU() });
    const t = other.tensor(new Float32Array(4));
    const e = thrown(() => act.forward('relu', t));
    expect(e.code).toBe('DEVICE_MISMATCH');
    t.destroy();
    other.device.destroy();
  });

  it('refuses wrapped buffers without STORAGE, misaligned, or too small', async () => {
    const act = await sharedActivations();
    const noStorage = act.device.createBuffer({ size: 64, usage: GPUBufferUsage.COPY_SRC });
    expect(thrown(() => act.wrap(noStorage, [4])).code).toBe('BUFFER_USAGE');
    const b = act.device.createBuffer({
      size: 1024,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    expect(thrown(() => act.wrap(b, [4], { byteOffset: 4 })).message).toMatch(/multiple of 256/);
    expect(thrown(() => act.wrap(b, [300])).message).toMatch(
      /needs 1200 bytes but the buffer has 1024/,
    );
    noStorage.destroy();
    b.destroy();
  });

  it('an adapterless WebGPU says how to get one', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const e = await rejected(createActivations({ gpu: noAdapter }));
    expect(e.code).toBe('WEBGPU_UNAVAILABLE');
    expect(e.message).toMatch(/enable-unsafe-swiftshader|VK_ICD_FILENAMES/);
  });
});

describe('prelu with a broadcast slope', () => {
  const shapes: [number[], number[]][] = [
    [
      [2, 3, 4, 5],
      [3, 1, 1],
    ],
    [[2, 3, 4, 5], [5]],
    [
      [2, 3, 4, 5],
      [2, 1, 4, 1],
    ],
    [[6, 7], []],
    [
      [6, 7],
      [6, 7],
    ],
  ];
  it.each(shapes)(
    'x %j, slope %j: forward, backward and dslope match the reference',
    async (xshape, sshape) => {
      const act = await sharedActivations();
      const n = xshape.reduce((a, b) => a * b, 1);
      const ns = sshape.reduce((a, b) => a * b, 1);
      const x = elementwiseInputs(n, 3).subarray(0, n);
      const dy = uniform(n, -1, 1, 4);
      const slope = uniform(ns, -0.5, 0.5, 5);
      const slopeAt = (i: number) => slope[ref.broadcastIndex(xshape, sshape, i)];
      const params = { slope: { data: slope, shape: sshape }, shape: xshape };
      const y = await act.apply('prelu', x, params);
      const dx = await act.grad('prelu', x, dy, params);
      const { slope: ds } = await act.gradParams('prelu', x, dy, params);
      const m1 = mismatches(y, ref.forward('prelu', x, {}, slopeAt), ELEMENTWISE, [x]);
      const m2 = mismatches(dx, ref.backward('prelu', x, dy, {}, { slopeAt }), ELEMENTWISE, [
        x,
        dy,
      ]);
      // The slope gradient is a sum of n / ns terms in f32: allow for its accumulated rounding.
      const m3 = mismatches(ds, ref.preluSlopeGrad(x, dy, xshape, sshape), {
        atol: 1e-4,
        rtol: 1e-5,
      });
      expect(m1, report(m1)).toEqual([]);
      expect(m2, report(m2)).toEqual([]);
      expect(m3, report(m3)).toEqual([]);
      expect(ds.length).toBe(ns);
    },
  );
});

describe('wrapped buffers and recording', () => {
  it('runs on a user buffer at a byteOffset without touching its neighbours', async () => {
    const act = await sharedActivations();
    const n = 7;
    const buffer = act.device.createBuffer({
      size: 512 + 64,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const all = new Float32Array(144).fill(-42);
    const x = uniform(n, -3, 3, 9);
    all.set(x, 64);
    act.device.queue.writeBuffer(buffer, 0, all);
    const t = act.wrap(buffer, [n], { byteOffset: 256 });
    act.forward('relu', t, { out: t });
    const whole = act.wrap(buffer, [144]);
    const got = await whole.read();
    const want = Array.from(all);
    for (let i = 0; i < n; i++) want[64 + i] = Math.max(0, x[i]);
    expect(Array.from(got)).toEqual(want);
    t.destroy();
    whole.destroy();
    buffer.destroy();
  });

  it("refuses out at another range of an input's buffer before any GPU work", async () => {
    // WebGPU cannot bind one buffer read-only and writable in one dispatch: left
    // to the device, this would be a validation error at submission.
    const act = await sharedActivations();
    const buffer = act.device.createBuffer({
      size: 1024,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const all = uniform(256, -3, 3, 11);
    act.device.queue.writeBuffer(buffer, 0, all);
    const x = act.wrap(buffer, [4, 16]);
    const out = act.wrap(buffer, [4, 16], { byteOffset: 512 });
    await act.flush();
    const before = act.stats().recordedDispatches;
    const calls: [string, () => unknown][] = [
      ['forward', () => act.forward('relu', x, { out })],
      ['backward', () => act.backward('relu', { x, dy: x }, { out })],
      ['softmax', () => act.forward('softmax', x, { out })],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow(/out shares an input's buffer at another range/);
    }
    expect(act.stats().recordedDispatches).toBe(before);
    const whole = act.wrap(buffer, [256]);
    expect(Array.from(await noGpuErrors(act.device, () => whole.read()))).toEqual(Array.from(all));
    for (const t of [x, out, whole]) t.destroy();
    buffer.destroy();
  });

  it('records a long chain, submitting every 16 dispatches, and reads the last', async () => {
    // Every op changes the result (a different alpha on the negative entries,
    // a different threshold), so a dropped dispatch or a uniform slot reused
    // across an automatic submission shows in the last tensor.
    const act = await sharedActivations();
    const data = new Float32Array([-2, -1, -0.5, 0.25, 1, 2, -3, 4]);
    const x = act.tensor(data);
    let h: Tensor = x;
    const made: Tensor[] = [];
    const want = Float64Array.from(data);
    for (let i = 0; i < 100; i++) {
      const alpha = 0.9 + (i % 7) * 0.03;
      h = act.forward('leakyRelu', h, { alpha });
      for (let j = 0; j < want.length; j++) want[j] = want[j] > 0 ? want[j] : alpha * want[j];
      made.push(h);
    }
    // The runtime submitted on its own as the chain grew, so the GPU started early.
    expect(act.stats().recordedDispatches).toBeLessThan(16);
    const got = await noGpuErrors(act.device, () => h.read());
    const ms = mismatches(got, Float32Array.from(want), { atol: 1e-6, rtol: 2e-5 });
    expect(ms, report(ms)).toEqual([]);
    for (const t of [x, ...made]) t.destroy();
  });

  it('a freed buffer handed out again is written only after the work recorded on it', async () => {
    // y = relu(x) is recorded, x freed, and a new tensor of x's size takes x's
    // buffer from the pool and uploads other data: the upload must not reach
    // the queue ahead of the recorded relu.
    const act = await sharedActivations();
    const n = 4096;
    const a = uniform(n, -3, 3, 41);
    const b = uniform(n, -3, 3, 42);
    const x = act.tensor(a);
    await act.flush();
    const y = act.forward('relu', x);
    x.destroy();
    const z = act.tensor(b);
    expect(z.buffer).toBe(x.buffer); // the case under test: the pool gave x's buffer back
    const [gy, gz] = await Promise.all([y.read(), z.read()]);
    expect(mismatches(gy, ref.forward('relu', a), ELEMENTWISE)).toEqual([]);
    expect(Array.from(gz)).toEqual(Array.from(b));
    for (const t of [y, z]) t.destroy();
  });

  it('a chain recorded again reuses its bindings and computes from the new data', async () => {
    // The second and third rounds get the first round's pooled buffers and
    // uniform slots back, so their bind groups come from the cache: a stale
    // binding would give the previous round's numbers (different inputs, and a
    // different alpha per round) or leave the output unwritten.
    const act = await sharedActivations();
    const n = 1000;
    for (let round = 0; round < 3; round++) {
      const data = uniform(n, -10, 10, 100 + round);
      const alpha = 0.1 * (round + 1);
      const x = act.tensor(data);
      const h1 = act.forward('leakyRelu', x, { alpha });
      const h2 = act.forward('tanh', h1);
      const h3 = act.backward('sigmoid', { x: h2, dy: h1 });
      const got = await noGpuErrors(act.device, () => h3.read());
      // Each stage's input rounded to float32, as the GPU stores it between kernels.
      const a = Float32Array.from(ref.forward('leakyRelu', data, { alpha }));
      const t = Float32Array.from(ref.forward('tanh', a));
      const want = ref.backward('sigmoid', t, a);
      const ms = mismatches(got, want, ELEMENTWISE);
      expect(ms, `round ${round}: ${report(ms)}`).toEqual([]);
      for (const t of [x, h1, h2, h3]) t.destroy();
    }
  });

  it('processes a tensor larger than the binding limit in sub-ranges', async () => {
    // A smaller requested limit would be raised to the default (128 MiB): the instance sees the
    // device through a 64 KiB limit instead, and a binding over it (or misaligned) throws.
    const LIMIT = 1 << 16;
    const device = await (await testGPU().requestAdapter())!.requestDevice();
    const bound: number[] = [];
    const act = await createActivations({ device: limitedView(device, LIMIT, bound) });
    expect(act.device.limits.maxStorageBufferBindingSize).toBe(LIMIT);
    // 100,009 elements: 400 KB of float32 (six 64 KiB sub-ranges and a tail), 200 KB of float16.
    const shape = [14_287, 7];
    const n = 14_287 * 7;
    const slope = uniform(7, -0.5, 0.5, 14);
    const slopeAt = (i: number) => slope[i % 7];
    await noGpuErrors(device, async () => {
      const st = act.tensor(slope, [7]);
      // float16 is stored as u32 words (pack2x16float): no device feature needed.
      for (const dtype of ['float32', 'float16'] as const) {
        const round = (v: Float32Array) =>
          dtype === 'float16' ? fromHalfArray(toHalfArray(v)) : v;
        const x = round(uniform(n, -10, 10, 11));
        const dy = round(uniform(n, -1, 1, 12));
        const y = round(uniform(n, -1, 1, 13)); // a tanh output
        const [xt, dyt, yt] = [x, dy, y].map((v) => act.tensor(v, shape, { dtype }));
        const cases: [string, (out: Tensor) => Tensor, Float64Array, Float32Array[]][] = [
          [
            'sigmoid forward',
            (out) => act.forward('sigmoid', xt, { out }),
            ref.forward('sigmoid', x),
            [x],
          ],
          [
            'elu backward',
            (out) => act.backward('elu', { x: xt, dy: dyt }, { out }),
            ref.backward('elu', x, dy),
            [x, dy],
          ],
          [
            'tanh backward from y',
            (out) => act.backward('tanh', { y: yt, dy: dyt }, { out }),
            ref.backward('tanh', y, dy, {}, { fromY: true }),
            [y, dy],
          ],
          [
            'prelu forward, slope [7]',
            (out) => act.forward('prelu', xt, { slope: st, out }),
            ref.forward('prelu', x, {}, slopeAt),
            [x],
          ],
          [
            'prelu backward, slope [7]',
            (out) => act.backward('prelu', { x: xt, dy: dyt }, { slope: st, out }),
            ref.backward('prelu', x, dy, {}, { slopeAt }),
            [x, dy],
          ],
        ];
        const ranges = Math.ceil(xt.byteLength / LIMIT);
        expect(ranges).toBeGreaterThanOrEqual(4);
        // recordedDispatches restarts at each automatic submission (every 16).
        expect(ranges).toBeLessThan(16);
        for (const [what, run, want, inputs] of cases) {
          const label = `${dtype} ${what}`;
          // Poisoned: an element no sub-range writes reads back NaN.
          const out =
            dtype === 'float32'
              ? act.tensor(new Float32Array(n).fill(NaN), shape)
              : act.tensor(new Uint16Array(n).fill(0x7e00), shape, { dtype });
          const before = act.stats().recordedDispatches;
          bound.length = 0;
          expect(run(out)).toBe(out);
          expect(act.stats().recordedDispatches - before, label).toBe(ranges);
          expect(bound, label).toContain(LIMIT);
          const ms =
            dtype === 'float32'
              ? mismatches(await out.read(), want, ELEMENTWISE, inputs)
              : halfMismatches((await out.readRaw()) as Uint16Array, toHalfArray(want), 1, inputs);
          expect(ms, `${label}\n${report(ms)}`).toEqual([]);
          out.destroy();
        }
        // The softmax family binds the whole tensor (no sub-ranges): over the limit it is refused.
        const before = act.stats().recordedDispatches;
        expect(thrown(() => act.forward('softmax', xt)).code).toBe('UNSUPPORTED');
        expect(act.stats().recordedDispatches).toBe(before);
        for (const t of [xt, dyt, yt]) t.destroy();
      }
      st.destroy();
      await act.flush();
    });
    device.destroy();
  });
});

describe('device loss', () => {
  it('pending reads reject with DeviceLost, and a new instance works', async () => {
    const act: Activations = await createActivations({ gpu: testGPU() });
    const x = act.tensor(uniform(1 << 16, -1, 1, 13));
    const y = act.forward('gelu', x);
    const pending = y.read();
    act.device.destroy();
    const e = await rejected(pending);
    expect(e.code).toBe('DEVICE_LOST');
    expect(() => act.forward('relu', x)).toThrow(/device was lost|destroyed/);
    const fresh = await createActivations({ gpu: testGPU() });
    expect(Array.from(await fresh.apply('relu', new Float32Array([-1, 3])))).toEqual([0, 3]);
    fresh.device.destroy();
  });
});

describe("encode into the caller's encoder", () => {
  it("records between the caller's own passes and submits nothing itself", async () => {
    const act = await sharedActivations();
    const n = 1000;
    const x = uniform(n, -3, 3, 31);
    const xt = act.tensor(x);
    const yt = act.empty([n]);
    const staging = act.device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = act.device.createCommandEncoder();
    const back = act.encode(encoder, (a) => {
      const h = a.forward('silu', xt);
      a.forward('tanh', h, { out: yt });
      return h;
    });
    encoder.copyBufferToBuffer(yt.buffer, 0, staging, 0, n * 4);
    // Nothing ran yet: the staging buffer is still empty until the caller submits.
    act.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    const want = ref.forward('tanh', new Float32Array(ref.forward('silu', x)));
    const ms = mismatches(got, want, { atol: 2e-6, rtol: 1e-5 });
    expect(ms, report(ms)).toEqual([]);
    for (const t of [xt, yt, back]) t.destroy();
    staging.destroy();
  });

  it("keeps the buffers of the caller's unsubmitted encoder out of its own later work", async () => {
    // In-place softmax into the caller's encoder uses a scratch tensor that is
    // freed at once; the library's own later work (16 dispatches, so it is
    // submitted) must not get that buffer while the caller has not submitted.
    const act = await sharedActivations();
    const n = 4096;
    const w0 = uniform(n, -4, 4, 51);
    const x0 = uniform(n, -3, 3, 52);
    const w = act.tensor(w0, [4, n / 4]);
    const x = act.tensor(x0, [4, n / 4]);
    await act.flush();
    const encoder = act.device.createCommandEncoder();
    act.encode(encoder, (a) => a.forward('softmax', w, { out: w }));
    const ys = Array.from({ length: 20 }, () => act.forward('relu', x));
    await act.flush();
    act.device.queue.submit([encoder.finish()]);
    const [gw, ...gys] = await Promise.all([w.read(), ...ys.map((y) => y.read())]);
    const ws = mismatches(
      gw,
      new Float32Array(sref.softmaxForward('softmax', w0, [4, n / 4])),
      SOFTMAX,
    );
    expect(ws, report(ws)).toEqual([]);
    const want = ref.forward('relu', x0);
    for (const g of gys) expect(mismatches(g, want, ELEMENTWISE)).toEqual([]);
    for (const t of [w, x, ...ys]) t.destroy();
  });
});

describe('pipelines', () => {
  it('warmup() compiles every op forward and backward ahead of time', async () => {
    const act = await createActivations({ gpu: testGPU() });
    const before = act.stats().pipelines;
    await act.warmup();
    const { activationNames } = await import('../src/elementwise/table.js');
    expect(act.stats().pipelines - before).toBe(activationNames.length * 2);
    act.device.destroy();
  });

  it('a kernel that fails to compile surfaces its message and the op name on the next flush', async () => {
    const act = await createActivations({ gpu: testGPU() });
    act.runtime.pipeline('broken', 'relu forward (deliberately broken)', () => 'fn main( {');
    await expect(act.flush()).rejects.toMatchObject({
      code: 'GPU_ERROR',
      message: expect.stringContaining('relu forward (deliberately broken)'),
    });
    act.device.destroy();
  });
});
