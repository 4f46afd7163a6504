/**
 * The softmax family and the fused cross-entropy on real WebGPU, against the
 * float64 reference (src/softmax/reference.ts). Outputs are poisoned with NaN
 * first, so an element no kernel wrote fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Activations, type Tensor } from '../../src/index.js';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import { planRows, softmaxTuning } from '../../src/softmax/plan.js';
import * as ref from '../../src/softmax/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { rng, uniform } from '../helpers/inputs.js';
import {
  halfMismatches,
  mismatches,
  report,
  type Tolerance,
  SOFTMAX,
} from '../helpers/tolerance.js';

/** The bounds: softmax |gpu - ref| <= 1e-6 + 1e-5 |ref|; logSoftmax 1e-5 abs + 1e-6 rel. */
const LOG_SOFTMAX: Tolerance = { atol: 1e-5, rtol: 1e-6 };
/** Gradients: the softmax bound, applied to dx. */
const BACKWARD: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Cross-entropy loss: 1e-5 relative. */
const LOSS: Tolerance = { atol: 0, rtol: 1e-5 };

type Op = 'softmax' | 'logSoftmax' | 'softmin';
type DType = 'float32' | 'float16';

const tolOf = (op: Op) => (op === 'logSoftmax' ? LOG_SOFTMAX : SOFTMAX);
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function poisoned(act: Activations, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const n = sizeOf(shape);
  return dtype === 'float32'
    ? act.tensor(new Float32Array(n).fill(NaN), shape)
    : act.tensor(new Uint16Array(n).fill(0x7e00), shape, { dtype });
}

async function forward(
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

async function backward(
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
function checkForward(
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
function withTuning(t: Partial<typeof softmaxTuning>): void {
  Object.assign(softmaxTuning, t);
}
const defaults = { ...softmaxTuning };
afterEach(() => {
  Object.assign(softmaxTuning, defaults);
});

describe('every row length 1..300, the row maximum at each index in turn', () => {
  // One [L, L] tensor per length: row i has its largest value at index i.
  const lengths = Array.from({ length: 300 }, (_, i) => i + 1);
  const data = (len: number) => {
    const x = uniform(len * len, -8, 8, len);
    for (let i = 0; i < len; i++) x[i * len + i] = 9 + (i % 3);
    return x;
  };

  it.each(['softmax', 'logSoftmax'] as const)('%s forward', async (op) => {
    const act = await sharedActivations();
    const outs = await noGpuErrors(act.device, async () => {
      const made: Tensor[] = [];
      const ys = lengths.map((len) => {
        const xt = act.tensor(data(len), [len, len]);
        const out = poisoned(act, [len, len]);
        made.push(xt, out);
        return act.forward(op, xt, { out });
      });
      const got = await Promise.all(ys.map((y) => y.read()));
      for (const t of made) t.destroy();
      return got;
    });
    lengths.forEach((len, i) => checkForward(op, data(len), [len, len], outs[i]));
  });

  it('softmax backward', async () => {
    const act = await sharedActivations();
    const ys = lengths.map(
      (len) => new Float32Array(ref.softmaxForward('softmax', data(len), [len, len])),
    );
    const dys = lengths.map((len) => uniform(len * len, -2, 2, len + 1000));
    const outs = await noGpuErrors(act.device, async () => {
      const made: Tensor[] = [];
      const dxs = lengths.map((len, i) => {
        const yt = act.tensor(ys[i], [len, len]);
        const dyt = act.tensor(dys[i], [len, len]);
        made.push(yt, dyt);
        return act.backward('softmax', { y: yt, dy: dyt });
      });
      const got = await Promise.all(dxs.map((t) => t.read()));
      for (const t of [...made, ...dxs]) t.destroy();
      return got;
    });
    lengths.forEach((len, i) => {
      const want = ref.softmaxBackward('softmax', ys[i], dys[i], [len, len]);
      const ms = mismatches(outs[i], want, BACKWARD, [ys[i], dys[i]]);
      expect(ms, `length ${len}:\n${report(ms)}`).toEqual([]);
    });
  });
});

describe('the workgroup-memory kernels (what an adapter without subgroups runs)', () => {
  // The fast rows kernel needs 'subgroups'; force the fallback on this adapter.
  const fallback = { rowsKernel: false, subgroupMaxLen: 0 };
  const lengths = [3, 65, 300, 1025, 4097];
  const data = (len: number) => {
    // 4 rows: the max at the start, the middle and the end, and one row of -Inf with a +Inf.
    const x = uniform(4 * len, -8, 8, len + 3);
    x[0] = 9;
    x[len + (len >> 1)] = 9;
    x[3 * len - 1] = 9;
    x.fill(-Infinity, 3 * len, 4 * len);
    x[4 * len - 1 - (len >> 2)] = Infinity;
    return x;
  };

  it('softmax and logSoftmax forward, softmax and logSoftmax backward', async () => {
    withTuning(fallback);
    const act = await sharedActivations();
    for (const len of lengths) {
      const x = data(len);
      const shape = [4, len];
      for (const op of ['softmax', 'logSoftmax'] as const) {
        checkForward(op, x, shape, await forward(act, op, x, shape));
        const y = new Float32Array(ref.softmaxForward(op, x, shape));
        const dy = uniform(4 * len, -1, 1, len);
        const dx = await backward(act, op, y, dy, shape);
        const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, shape), BACKWARD, [y, dy]);
        expect(ms, `${op} length ${len}: ${report(ms)}`).toEqual([]);
      }
    }
  });

  it('split rows', async () => {
    withTuning({ ...fallback, cacheMax: 256, splitMinLen: 2048, splitMaxRows: 4, chunkLen: 512 });
    const act = await sharedActivations();
    const x = data(2049);
    checkForward('softmax', x, [4, 2049], await forward(act, 'softmax', x, [4, 2049]));
  });
});

describe('the issue named cases', () => {
  const F = 3.4e38;
  const rows: [string, number[], number[]][] = [
    ['[1000, 1000]', [1000, 1000], [0.5, 0.5]],
    ['[-1000, 1000]', [-1000, 1000], [0, 1]],
    ['+-3.4e38', [F, -F], [1, 0]],
    ['-+3.4e38', [-F, F, -F], [0, 1, 0]],
    ['3.4e38 twice', [F, F], [0.5, 0.5]],
    ['-3.4e38 everywhere', [-F, -F, -F, -F], [0.25, 0.25, 0.25, 0.25]],
    ['-Inf entries get exactly 0', [-Infinity, 0, -Infinity, 0], [0, 0.5, 0, 0.5]],
    ['fully masked', [-Infinity, -Infinity, -Infinity], [0, 0, 0]],
    ['+Inf splits evenly', [Infinity, 5, Infinity, -Infinity], [0.5, 0, 0.5, 0]],
    ['one +Inf', [1, Infinity, F], [0, 1, 0]],
    ['NaN poisons the row', [1, NaN, 3], [NaN, NaN, NaN]],
    ['NaN beside +Inf', [Infinity, NaN], [NaN, NaN]],
  ];
  it.each(rows)('softmax %s', async (_name, x, want) => {
    const act = await sharedActivations();
    const got = await forward(act, 'softmax', new Float32Array(x), [1, x.length]);
    expect(Array.from(got)).toEqual(want);
    const lgot = await forward(act, 'logSoftmax', new Float32Array(x), [1, x.length]);
    checkForward('logSoftmax', new Float32Array(x), [1, x.length], lgot);
  });

  it('a NaN row leaves its neighbours alone', async () => {
    const act = await sharedActivations();
    const x = new Float32Array([1, 2, 3, NaN, 0, 0, -Infinity, -Infinity, -Infinity]);
    const got = await forward(act, 'softmax', x, [3, 3]);
    checkForward('softmax', x, [3, 3], got);
    expect(Array.from(got.slice(6))).toEqual([0, 0, 0]);
  });

  it('a fully masked row has zero gradient (softmax and logSoftmax)', async () => {
    const act = await sharedActivations();
    const x = new Float32Array([-Infinity, -Infinity, -Infinity, 0.5, -Infinity, 2]);
    const dy = new Float32Array([1, -2, 3, 0.25, 7, -1]);
    for (const op of ['softmax', 'logSoftmax'] as const) {
      const y = await forward(act, op, x, [2, 3]);
      const dx = await backward(act, op, y, dy, [2, 3]);
      expect(
        Array.from(dx.slice(0, 3)).every((v) => v === 0),
        `${op}: ${dx}`,
      ).toBe(true);
      const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, [2, 3]), BACKWARD, [y, dy]);
      expect(ms, report(ms)).toEqual([]);
    }
  });
});

describe('kernel paths at their boundaries', () => {
  it('the automatic choice', () => {
    expect(planRows(10, 1, 1)).toMatchObject({ reduce: 'single', w: 1, k: 0, chunks: 1 });
    expect(planRows(10, 8, 1)).toMatchObject({ reduce: 'single', w: 1 });
    expect(planRows(10, 9, 1)).toMatchObject({ reduce: 'workgroup', w: 4, k: 4 });
    expect(planRows(10, 9, 1, { subgroups: true })).toMatchObject({ reduce: 'subgroup', k: 4 });
    expect(planRows(10, 17, 1, { subgroups: true })).toMatchObject({ reduce: 'subgroup', k: 0 });
    expect(planRows(10, 1024, 1, { subgroups: true })).toMatchObject({ reduce: 'subgroup', k: 0 });
    expect(planRows(10, 1025, 1, { subgroups: true })).toMatchObject({
      reduce: 'workgroup',
      w: 256,
      k: 16,
    });
    expect(planRows(10, 256, 1)).toMatchObject({ w: 64, k: 4 });
    expect(planRows(10, 1024, 1)).toMatchObject({ w: 256, k: 4 });
    expect(planRows(10, 1025, 1)).toMatchObject({ w: 256, k: 16 });
    expect(planRows(10, 4096, 1)).toMatchObject({ w: 256, k: 16 });
    expect(planRows(10, 4097, 1)).toMatchObject({ w: 256, k: 0, chunks: 1 });
    expect(planRows(127, 65536, 1)).toMatchObject({ w: 256, k: 0, chunks: 4 });
    expect(planRows(128, 65536, 1)).toMatchObject({ chunks: 1 });
    expect(planRows(1, 65535, 1)).toMatchObject({ chunks: 1 });
    expect(planRows(1, 65536, 1, { split: false })).toMatchObject({ chunks: 1 });
    expect(planRows(1, 16777216, 1)).toMatchObject({ chunks: 1024 });
    expect(planRows(2048, 20, 2)).toMatchObject({ reduce: 'single', w: 1, k: 0 });
    expect(planRows(2048, 16, 2)).toMatchObject({ reduce: 'single', w: 1, k: 0 });
    expect(planRows(2047, 20, 2, { subgroups: true })).toMatchObject({ reduce: 'workgroup', w: 8 });
  });

  const lengths = [4095, 4096, 4097, 5000];
  it.each(lengths)('register / streaming boundary: 3 rows of %i', async (len) => {
    const act = await sharedActivations();
    const x = uniform(3 * len, -30, 30, len);
    x[len - 1] = 40;
    x[len] = 40;
    for (const op of ['softmax', 'logSoftmax'] as const) {
      checkForward(op, x, [3, len], await forward(act, op, x, [3, len]));
    }
    const y = new Float32Array(ref.softmaxForward('logSoftmax', x, [3, len]));
    const dy = uniform(3 * len, -1, 1, 7);
    const dx = await backward(act, 'logSoftmax', y, dy, [3, len]);
    const ms = mismatches(dx, ref.softmaxBackward('logSoftmax', y, dy, [3, len]), BACKWARD, [
      y,
      dy,
    ]);
    expect(ms, report(ms)).toEqual([]);
  });

  it.each([65535, 65536])('one row of %i (the real split threshold)', async (len) => {
    const act = await sharedActivations();
    const x = uniform(len, -50, 50, 3);
    x[len - 1] = 60;
    checkForward('softmax', x, [1, len], await forward(act, 'softmax', x, [1, len]));
  });

  // Split rows with the threshold moved down: chunk edges, a ragged last chunk,
  // -Inf / +Inf / NaN rows and a max in the last chunk.
  it.each([
    [3, 2048],
    [3, 2049],
    [5, 3000],
  ])('split rows (chunks of 512): %i x %i, forward and backward', async (rows, len) => {
    withTuning({ cacheMax: 256, splitMinLen: 2048, splitMaxRows: 4, chunkLen: 512 });
    const act = await sharedActivations();
    const shape = [rows, len];
    const x = uniform(rows * len, -20, 20, len);
    x[len - 1] = 30;
    x.fill(-Infinity, len, 2 * len);
    x[2 * len + 700] = Infinity;
    x[2 * len + len - 1] = Infinity;
    if (rows > 3) x[3 * len + 5] = NaN;
    const ops =
      len === 2048 ? (['softmax', 'logSoftmax', 'softmin'] as const) : (['logSoftmax'] as const);
    for (const op of ops) {
      checkForward(op, x, shape, await forward(act, op, x, shape, { temperature: 1.5 }), {
        temperature: 1.5,
      });
      const y = new Float32Array(ref.softmaxForward(op, x, shape, { temperature: 1.5 }));
      const dy = uniform(rows * len, -1, 1, 9);
      const dx = await backward(act, op, y, dy, shape, { temperature: 1.5 });
      const ms = mismatches(
        dx,
        ref.softmaxBackward(op, y, dy, shape, { temperature: 1.5 }),
        BACKWARD,
        [y, dy],
      );
      expect(ms, `${op}: ${report(ms)}`).toEqual([]);
    }
  });

  it('strided (non-last) axes: group path and one-thread-per-row path', async () => {
    const act = await sharedActivations();
    const cases: [number[], number][] = [
      [[3, 5, 7], 0],
      [[3, 5, 7], 1],
      [[3, 5, 7], -1],
      [[2, 3, 4, 5], 0],
      [[2, 3, 4, 5], 1],
      [[2, 3, 4, 5], 2],
      [[2, 3, 4, 5], -1],
      [[4, 10, 600], 1], // 2400 rows, len 10: one thread per row, in registers
      [[4, 40, 600], 1], // len 40: one thread per row, streamed
      [[2, 300, 3], 1], // few rows: a group per row, strided
      [[1, 5000, 2], 1], // strided and streamed
    ];
    for (const [shape, axis] of cases) {
      const x = uniform(sizeOf(shape), -10, 10, shape.length * 31 + axis);
      for (const op of ['softmax', 'logSoftmax'] as const) {
        checkForward(op, x, shape, await forward(act, op, x, shape, { axis }), { axis });
      }
      const y = new Float32Array(ref.softmaxForward('softmax', x, shape, { axis }));
      const dy = uniform(sizeOf(shape), -1, 1, 5);
      const dx = await backward(act, 'softmax', y, dy, shape, { axis });
      const ms = mismatches(dx, ref.softmaxBackward('softmax', y, dy, shape, { axis }), BACKWARD, [
        y,
        dy,
      ]);
      expect(ms, `${JSON.stringify(shape)} axis ${axis}: ${report(ms)}`).toEqual([]);
    }
  });
});

describe('temperature and softmin', () => {
  it.each([0.05, 0.5, 1, 3, 1e6])('T = %d', async (temperature) => {
    const act = await sharedActivations();
    const shape = [6, 37];
    const x = uniform(sizeOf(shape), -20, 20, 11);
    x[3] = 3.4e38;
    x[40] = -3.4e38;
    for (const op of ['softmax', 'logSoftmax', 'softmin'] as const) {
      checkForward(op, x, shape, await forward(act, op, x, shape, { temperature }), {
        temperature,
      });
      const y = new Float32Array(ref.softmaxForward(op, x, shape, { temperature }));
      const dy = uniform(sizeOf(shape), -1, 1, 12);
      const dx = await backward(act, op, y, dy, shape, { temperature });
      const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, shape, { temperature }), BACKWARD, [
        y,
        dy,
      ]);
      expect(ms, `${op}: ${report(ms)}`).toEqual([]);
    }
  });

  it('grad() from x equals backward from y', async () => {
    const act = await sharedActivations();
    const x = uniform(60, -3, 3, 13);
    const dy = uniform(60, -1, 1, 14);
    const got = await act.grad('softmin', x, dy, { shape: [5, 12], temperature: 2 });
    const y = ref.softmaxForward('softmin', x, [5, 12], { temperature: 2 });
    const ms = mismatches(
      got,
      ref.softmaxBackward('softmin', y, dy, [5, 12], { temperature: 2 }),
      BACKWARD,
    );
    expect(ms, report(ms)).toEqual([]);
  });
});

describe('float16 storage (f32 accumulation)', () => {
  const cases: [number[], number][] = [
    [[7, 33], -1],
    [[5, 4100], -1],
    [[3, 9, 5], 1],
  ];
  it.each(cases)(
    'shape %j axis %i, forward and backward within 1 half ulp',
    async (shape, axis) => {
      const act = await sharedActivations();
      const n = sizeOf(shape);
      const x = fromHalfArray(toHalfArray(uniform(n, -8, 8, n)));
      x[2] = -Infinity;
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const raw = await noGpuErrors(act.device, async () => {
          const xt = act.tensor(x, shape, { dtype: 'float16' });
          const out = poisoned(act, shape, 'float16');
          act.forward(op, xt, { axis, out });
          const bits = (await out.readRaw()) as Uint16Array;
          xt.destroy();
          out.destroy();
          return bits;
        });
        const want = toHalfArray(ref.softmaxForward(op, x, shape, { axis }));
        const ms = halfMismatches(raw, want, 1, [x]);
        expect(ms, `${op}: ${report(ms)}`).toEqual([]);
        const y = fromHalfArray(want);
        const dy = fromHalfArray(toHalfArray(uniform(n, -1, 1, 3)));
        const dxRaw = await noGpuErrors(act.device, async () => {
          const yt = act.tensor(y, shape, { dtype: 'float16' });
          const dyt = act.tensor(dy, shape, { dtype: 'float16' });
          const dx = act.backward(op, { y: yt, dy: dyt }, { axis });
          const bits = (await dx.readRaw()) as Uint16Array;
          for (const t of [yt, dyt, dx]) t.destroy();
          return bits;
        });
        const dms = halfMismatches(
          dxRaw,
          toHalfArray(ref.softmaxBackward(op, y, dy, shape, { axis })),
          1,
          [y, dy],
        );
        expect(dms, `${op} backward: ${report(dms)}`).toEqual([]);
      }
    },
  );

  it('in place (out: x) on an odd float16 length keeps the bytes past the end', async () => {
    const act = await sharedActivations();
    const buffer = act.device.createBuffer({
      size: 256 + 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const x = fromHalfArray(toHalfArray(uniform(63, -4, 4, 21)));
    const bits = new Uint16Array(64);
    bits.set(toHalfArray(x));
    bits[63] = 0x1234; // a neighbour's half, sharing the last word
    act.device.queue.writeBuffer(buffer, 0, bits);
    const t = act.wrap(buffer, [9, 7], { dtype: 'float16' });
    act.forward('softmax', t, { out: t });
    await act.flush();
    const after = act.wrap(buffer, [64], { dtype: 'float16' });
    const raw = (await after.readRaw()) as Uint16Array;
    expect(raw[63]).toBe(0x1234);
    const ms = halfMismatches(
      raw.slice(0, 63),
      toHalfArray(ref.softmaxForward('softmax', x, [9, 7])),
      1,
    );
    expect(ms, report(ms)).toEqual([]);
    t.destroy();
    after.destroy();
    buffer.destroy();
  });
});

describe('in place and the one-call forms', () => {
  it('forward with out: x and backward with out: dy (float32)', async () => {
    const act = await sharedActivations();
    const x = uniform(5 * 300, -5, 5, 31);
    const xt = act.tensor(x, [5, 300]);
    act.forward('logSoftmax', xt, { out: xt });
    const y = await xt.read();
    checkForward('logSoftmax', x, [5, 300], y);
    const dy = uniform(5 * 300, -1, 1, 32);
    const dyt = act.tensor(dy, [5, 300]);
    act.backward('logSoftmax', { y: xt, dy: dyt }, { out: dyt });
    const ms = mismatches(
      await dyt.read(),
      ref.softmaxBackward('logSoftmax', y, dy, [5, 300]),
      BACKWARD,
    );
    expect(ms, report(ms)).toEqual([]);
    xt.destroy();
    dyt.destroy();
  });

  it('apply on a plain array', async () => {
    const act = await sharedActivations();
    const got = await act.apply('softmax', new Float32Array([1000, 1000, -1000, 1000]), {
      shape: [2, 2],
      axis: 0,
    });
    expect(Array.from(got)).toEqual([1, 0.5, 0, 0.5]);
  });
});

describe('softmaxCrossEntropy', () => {
  const rows = 37;
  const classes = 53;
  const logits = () => {
    const x = uniform(rows * classes, -6, 6, 41);
    x[5] = 3.4e38; // a huge logit in row 0
    x.fill(-Infinity, classes, 2 * classes); // row 1 fully masked
    x[2 * classes + 7] = -Infinity; // one masked class in row 2 (not its label)
    return x;
  };
  const labelsOf = () => {
    const r = rng(42);
    return Int32Array.from({ length: rows }, (_, i) => (i === 2 ? 8 : Math.floor(r() * classes)));
  };

  async function run(
    x: Float32Array,
    target: Int32Array | Uint32Array | Float32Array,
    options: Record<string, unknown>,
    dtype: DType = 'float32',
  ) {
    const act = await sharedActivations();
    return noGpuErrors(act.device, async () => {
      const lt = act.tensor(x, [rows, classes], { dtype });
      const tt =
        target instanceof Float32Array ? act.tensor(target, [rows, classes], { dtype }) : target;
      const { loss, dlogits } = act.softmaxCrossEntropy(lt, tt, options);
      const out = { loss: await loss.read(), dlogits: await dlogits.read(), lossShape: loss.shape };
      for (const t of [lt, loss, dlogits]) t.destroy();
      if (tt instanceof Object && 'destroy' in tt) tt.destroy();
      return out;
    });
  }

  function check(
    got: { loss: Float32Array; dlogits: Float32Array; lossShape: readonly number[] },
    x: Float32Array,
    target: ArrayLike<number>,
    labels: boolean,
    options: ref.RefCrossEntropyOptions,
  ) {
    const want = ref.crossEntropy(x, rows, classes, target, labels, options);
    expect(got.lossShape).toEqual(options.reduction === 'none' ? [rows] : []);
    const lm = mismatches(got.loss, want.loss, LOSS);
    expect(lm, `loss: ${report(lm)}`).toEqual([]);
    const dm = mismatches(got.dlogits, want.dlogits, SOFTMAX, [x]);
    expect(dm, `dlogits: ${report(dm)}`).toEqual([]);
  }

  const reductions = ['none', 'mean', 'sum'] as const;
  it.each(reductions)(
    'labels, reduction %s, with and without ignoreIndex and smoothing',
    async (reduction) => {
      const x = logits();
      const labels = labelsOf();
      labels[4] = -100;
      labels[9] = -100;
      const options = { reduction, ignoreIndex: -100, labelSmoothing: 0.1 };
      check(await run(x, labels, options), x, labels, true, options);
      const plain = labelsOf();
      check(await run(x, plain, { reduction }), x, plain, true, { reduction });
      const u = Uint32Array.from(plain);
      check(await run(x, u, { reduction, labelSmoothing: 0.3 }), x, u, true, {
        reduction,
        labelSmoothing: 0.3,
      });
    },
  );

  it.each(reductions)('probability targets, reduction %s', async (reduction) => {
    const x = logits();
    const t = uniform(rows * classes, 0, 1, 43);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < classes; c++) s += t[r * classes + c];
      for (let c = 0; c < classes; c++) t[r * classes + c] /= s;
    }
    t.fill(0, 2 * classes, 3 * classes); // row 2: all mass on one class beside the masked one
    t[2 * classes + 8] = 1;
    check(await run(x, t, { reduction }), x, t, false, { reduction });
    const o = { reduction, labelSmoothing: 0.2 };
    check(await run(x, t, o), x, t, false, o);
  });

  it('a NaN logit makes its row and the mean NaN; all rows ignored gives 0', async () => {
    const x = logits();
    x[3 * classes + 1] = NaN;
    const labels = labelsOf();
    check(await run(x, labels, { reduction: 'none' }), x, labels, true, { reduction: 'none' });
    const mean = await run(x, labels, {});
    expect(Number.isNaN(mean.loss[0])).toBe(true);
    const none = new Int32Array(rows).fill(7);
    const all = await run(logits(), none, { ignoreIndex: 7 });
    expect(Array.from(all.loss)).toEqual([0]);
    expect(all.dlogits.every((v) => v === 0)).toBe(true);
  });

  it('float16 logits (loss in float32)', async () => {
    const x = fromHalfArray(toHalfArray(uniform(rows * classes, -4, 4, 44)));
    const labels = labelsOf();
    const got = await run(x, labels, { reduction: 'sum' }, 'float16');
    const want = ref.crossEntropy(x, rows, classes, labels, true, { reduction: 'sum' });
    expect(Math.abs(got.loss[0] - want.loss[0])).toBeLessThanOrEqual(1e-5 * Math.abs(want.loss[0]));
    const ms = halfMismatches(toHalfArray(got.dlogits), toHalfArray(want.dlogits), 1);
    expect(ms, report(ms)).toEqual([]);
  });
});

describe('bad input throws before any GPU work', () => {
  it('names the op and the argument', async () => {
    const act = await sharedActivations();
    const x = act.tensor(new Float32Array(6), [2, 3]);
    const y = act.tensor(new Float32Array(6), [3, 2]);
    const h = act.tensor(new Float32Array(6), [2, 3], { dtype: 'float16' });
    const scalar = act.tensor(new Float32Array(1), []);
    await act.flush();
    const before = act.stats();
    const bad: [() => unknown, RegExp][] = [
      [() => act.forward('softmax', x, { axis: 2 }), /softmax: axis 2 is out of range/],
      [() => act.forward('softmax', x, { axis: -3 }), /softmax: axis -3/],
      [() => act.forward('softmax', x, { axis: 0.5 }), /softmax: axis must be an integer/],
      [() => act.forward('logSoftmax', x, { temperature: 0 }), /logSoftmax: temperature/],
      [() => act.forward('softmax', x, { temperature: -1 }), /softmax: temperature/],
      [() => act.forward('softmax', x, { temperature: Infinity }), /softmax: temperature/],
      [() => act.forward('softmax', x, { temperature: NaN }), /softmax: temperature/],
      [() => act.forward('softmax', x, { temperature: '2' as never }), /softmax: temperature/],
      [
        () => act.forward('softmax', x, { temprature: 2 } as never),
        /softmax: unknown option "temprature"/,
      ],
      [() => act.forward('softmax', scalar), /softmax: x has shape \[\]/],
      [() => act.forward('softmax', x, { out: y }), /softmax: out has shape/],
      [() => act.forward('softmax', x, { out: h }), /softmax: out is float16/],
      [() => act.forward('softmax', 'x' as never), /softmax: x must be a Tensor/],
      [() => act.backward('softmax', { y: x, dy: y }), /softmax: dy has shape/],
      [() => act.backward('logSoftmax', { y: x, dy: h }), /logSoftmax: dy is float16/],
      [() => act.backward('softmax', { x, dy: x } as never), /softmax: backward takes \{ y, dy \}/],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array([0, 3])),
        /softmaxCrossEntropy: target\[1\] = 3/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array([0, -1])),
        /softmaxCrossEntropy: target\[1\] = -1/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array([0])),
        /softmaxCrossEntropy: target has 1 labels/,
      ],
      [() => act.softmaxCrossEntropy(x, y), /softmaxCrossEntropy: target has shape/],
      [() => act.softmaxCrossEntropy(x, h), /softmaxCrossEntropy: target is float16/],
      [() => act.softmaxCrossEntropy(x, [0, 1] as never), /softmaxCrossEntropy: target must be/],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { labelSmoothing: 1 }),
        /labelSmoothing must be in \[0, 1\)/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { labelSmoothing: -0.1 }),
        /labelSmoothing/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { labelSmoothing: NaN }),
        /labelSmoothing/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { reduction: 'avg' as never }),
        /reduction must be/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { ignoreIndex: 1.5 }),
        /ignoreIndex must be an integer/,
      ],
      [
        () => act.softmaxCrossEntropy(x, x, { ignoreIndex: 0 }),
        /ignoreIndex applies to integer labels/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { ignore: 0 } as never),
        /unknown option "ignore"/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { out: x } as never),
        /unknown option "out"/,
      ],
      [
        () => act.softmaxCrossEntropy(y.shape.length ? x : x, new Int32Array(2), 3 as never),
        /options must be an object/,
      ],
      [
        () => act.softmaxCrossEntropy(act.tensor(new Float32Array(2), [2]), new Int32Array(2)),
        /logits must have shape/,
      ],
    ];
    for (const [call, message] of bad) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(message);
    }
    expect(act.stats().recordedDispatches).toBe(before.recordedDispatches);
    for (const t of [x, y, h, scalar]) t.destroy();
  });
});

describe('the float64 reference', () => {
  it('its backward matches central finite differences of its forward', () => {
    const shape = [3, 4, 5];
    const x = Array.from(uniform(60, -3, 3, 51));
    const dy = Array.from(uniform(60, -1, 1, 52));
    for (const op of ['softmax', 'logSoftmax', 'softmin'] as const) {
      for (const params of [{}, { axis: 1, temperature: 0.7 }, { axis: 0, temperature: 2 }]) {
        const y = ref.softmaxForward(op, x, shape, params);
        const dx = ref.softmaxBackward(op, y, dy, shape, params);
        const h = 1e-6;
        const loss = (xs: number[]) =>
          ref.softmaxForward(op, xs, shape, params).reduce((a, v, i) => a + v * dy[i], 0);
        for (let i = 0; i < x.length; i++) {
          const xp = [...x];
          const xm = [...x];
          xp[i] += h;
          xm[i] -= h;
          const fd = (loss(xp) - loss(xm)) / (2 * h);
          expect(
            Math.abs(fd - dx[i]),
            `${op} ${JSON.stringify(params)} [${i}]`,
          ).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
        }
      }
    }
  });

  it('the cross-entropy gradient matches finite differences of its loss', () => {
    const rows = 3;
    const classes = 4;
    const x = Array.from(uniform(12, -2, 2, 53));
    const labels = [1, 3, 0];
    for (const options of [
      { reduction: 'mean' as const, labelSmoothing: 0.2 },
      { reduction: 'sum' as const },
    ]) {
      const { dlogits } = ref.crossEntropy(x, rows, classes, labels, true, options);
      for (let i = 0; i < x.length; i++) {
        const h = 1e-6;
        const xp = [...x];
        const xm = [...x];
        xp[i] += h;
        xm[i] -= h;
        const lp = ref.crossEntropy(xp, rows, classes, labels, true, options).loss[0];
        const lm = ref.crossEntropy(xm, rows, classes, labels, true, options).loss[0];
        const fd = (lp - lm) / (2 * h);
        expect(Math.abs(fd - dlogits[i])).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
      }
    }
  });
});
