/**
 * The fused ops on tensors larger than the binding limit: each op runs in
 * sub-ranges of whole rows (several dispatches per call, checked), against
 * the float64 reference (src/fused/reference.ts); dbias summed across
 * sub-ranges stays bitwise identical run to run. Rows too wide for an aligned
 * sub-range, and masks over the limit, are refused with UNSUPPORTED before
 * any GPU work.
 *
 * WebGPU raises a requested limit below its default to the default (Dawn
 * gives 128 MiB for a request of 64 KiB), so the instance here runs on the
 * real device seen through a 64 KiB maxStorageBufferBindingSize (limitedView
 * in test/helpers/gpu.ts), and every bind group it creates is checked
 * against that limit and the 256-byte offset alignment (an oversized or
 * misaligned binding throws). The real 128 MiB limit is crossed in
 * test/fused/fused.node.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fromHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning } from '../../src/fused/table.js';
import { createActivations, type Activations, type Tensor } from '../../src/index.js';
import { limitedView, noGpuErrors, testGPU } from '../helpers/gpu.js';
import { uniformAs } from '../helpers/inputs.js';
import { ELEMENTWISE, SOFTMAX, expectClose } from '../helpers/tolerance.js';
import {
  biasAct,
  biasActBackward,
  glu,
  gluBackward,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';

const LIMIT = 1 << 16;
const dtypes = ['float32', 'float16'] as const;

let device: GPUDevice | undefined;
let shared: Promise<Activations> | undefined;
/** Buffer bindings the instance made, by size. */
const bound: number[] = [];

function limited(): Promise<Activations> {
  shared ??= (async () => {
    const adapter = (await testGPU().requestAdapter())!;
    const requiredFeatures = (['subgroups', 'shader-f16'] as GPUFeatureName[]).filter((f) =>
      adapter.features.has(f),
    );
    device = await adapter.requestDevice({ requiredFeatures });
    return createActivations({ device: limitedView(device, LIMIT, bound) });
  })();
  return shared;
}

afterAll(() => device?.destroy());

type Raw = Float32Array | Uint16Array;
const raw = (t: Tensor) => t.readRaw() as Promise<Raw>;

/** Runs record() and returns how many dispatches it recorded (no submission in between). */
function dispatches(act: Activations, record: () => void): number {
  const before = act.stats().recordedDispatches;
  record();
  return act.stats().recordedDispatches - before;
}

it('the instance sees 64 KiB bindings, and its bind groups are held to them', async () => {
  const act = await limited();
  expect(act.device.limits.maxStorageBufferBindingSize).toBe(LIMIT);
  const x = act.tensor(new Float32Array(20_000), [20_000]);
  bound.length = 0;
  // The core's elementwise path binds sub-ranges too: x and y in 64 KiB, then the tail.
  const y = act.forward('relu', x);
  expect(bound.filter((b) => b > 256)).toEqual([65536, 65536, 14464, 14464]);
  expect(() =>
    act.device.createBindGroup({
      layout: act.device.createBindGroupLayout({ entries: [] }),
      entries: [{ binding: 0, resource: { buffer: x.buffer, offset: 0, size: LIMIT + 4 } }],
    }),
  ).toThrow(/binding 0 of 65540 bytes/);
  x.destroy();
  y.destroy();
});

describe('biasAct over the binding limit', () => {
  describe.each(dtypes)('%s', (dtype) => {
    // [rows, C]: C 96 the rows kernel, C 13 the flat kernel (odd rows: sub-ranges of 64 or 128 rows).
    it.each([
      [1500, 96],
      [16003, 13],
    ])('[%i, %i]: forward, and backward with dbias bitwise repeatable', async (rows, c) => {
      const act = await limited();
      const tuning = { ...fusedTuning };
      // Several rows per forward invocation, with a short last run.
      fusedTuning.targetThreads = 4096;
      try {
        const shape = [rows, c];
        const x = uniformAs(rows * c, 1, dtype);
        const bias = uniformAs(c, 2, dtype, -1, 1);
        const dy = uniformAs(rows * c, 3, dtype, -2, 2);
        const xt = act.tensor(x, shape, { dtype });
        const bt = act.tensor(bias, [c], { dtype });
        const dyt = act.tensor(dy, shape, { dtype });
        expect(xt.byteLength).toBeGreaterThan(3 * LIMIT);
        const got = await noGpuErrors(act.device, async () => {
          let y!: Tensor;
          expect(dispatches(act, () => (y = biasAct(act, 'silu', xt, bt)))).toBeGreaterThan(3);
          const r = { y: await raw(y), dx: [] as Raw[], db: [] as Raw[] };
          for (let k = 0; k < 2; k++) {
            const g = biasActBackward(act, 'silu', { x: xt, bias: bt, dy: dyt });
            r.dx.push(await raw(g.dx));
            r.db.push(await raw(g.dbias));
            g.dx.destroy();
            g.dbias.destroy();
          }
          y.destroy();
          return r;
        });
        for (const t of [xt, bt, dyt]) t.destroy();
        expectClose(got.y, fref.biasActForward('silu', x, bias), dtype, ELEMENTWISE, 'forward');
        const w = fref.biasActBackward('silu', x, bias, dy);
        expectClose(got.dx[0], w.dx, dtype, ELEMENTWISE, 'dx');
        // The same partial sums in the same order: identical bits.
        const bits = (a: Raw) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        expect(bits(got.db[1])).toEqual(bits(got.db[0]));
        const dbias = got.db[0] instanceof Uint16Array ? fromHalfArray(got.db[0]) : got.db[0];
        // Column sums of `rows` values: float32 within 1e-5 of sum |dx| (cancellation-safe);
        // float16 also within its rounding (2^-10 relative covers one ulp).
        const abs = new Float64Array(c);
        w.dx.forEach((v, i) => (abs[i % c] += Math.abs(v)));
        for (let j = 0; j < c; j++) {
          const round = dtype === 'float16' ? 2 ** -10 * Math.abs(w.dbias[j]) : 0;
          const bound = 1e-6 + 1e-5 * abs[j] + round;
          expect(Math.abs(dbias[j] - w.dbias[j]), `dbias[${j}]`).toBeLessThanOrEqual(bound);
        }
      } finally {
        Object.assign(fusedTuning, tuning);
      }
    });
  });

  it('in place (out: x) and into out over the limit', async () => {
    const act = await limited();
    const [rows, c] = [900, 40];
    const x = uniformAs(rows * c, 4, 'float32');
    const bias = uniformAs(c, 5, 'float32', -1, 1);
    const xt = act.tensor(x, [rows, c]);
    const bt = act.tensor(bias, [c]);
    const out = act.tensor(new Float32Array(rows * c).fill(NaN), [rows, c]);
    const got = await noGpuErrors(act.device, async () => {
      biasAct(act, 'gelu', xt, bt, { out });
      biasAct(act, 'gelu', xt, bt, { out: xt });
      return { out: await out.read(), inPlace: await xt.read() };
    });
    for (const t of [xt, bt, out]) t.destroy();
    const want = fref.biasActForward('gelu', x, bias);
    expectClose(got.out, want, 'float32', ELEMENTWISE, 'into out');
    expectClose(got.inPlace, want, 'float32', ELEMENTWISE, 'in place');
  });
});

describe('GLU family over the binding limit', () => {
  it.each(dtypes)('%s: one tensor and (a, b), forward and backward', async (dtype) => {
    const act = await limited();
    for (const h of [48, 7]) {
      const rows = 2500;
      const a = uniformAs(rows * h, 10, dtype);
      const b = uniformAs(rows * h, 11, dtype);
      const dy = uniformAs(rows * h, 12, dtype, -1, 1);
      const x = Float32Array.from(fref.joinHalves(a, b, h));
      const xt = act.tensor(x, [rows, 2 * h], { dtype });
      const at = act.tensor(a, [rows, h], { dtype });
      const bt = act.tensor(b, [rows, h], { dtype });
      const dyt = act.tensor(dy, [rows, h], { dtype });
      expect(xt.byteLength).toBeGreaterThan(LIMIT);
      const got = await noGpuErrors(act.device, async () => {
        let y!: Tensor;
        expect(dispatches(act, () => (y = glu(act, 'swiglu', xt)))).toBeGreaterThan(1);
        const y2 = glu(act, 'swiglu', { a: at, b: bt });
        const dx = gluBackward(act, 'swiglu', { x: xt, dy: dyt });
        const d2 = gluBackward(act, 'swiglu', { a: at, b: bt, dy: dyt });
        const r = {
          y: await raw(y),
          y2: await raw(y2),
          dx: await raw(dx),
          da: await raw(d2.da),
          db: await raw(d2.db),
        };
        for (const t of [y, y2, dx, d2.da, d2.db]) t.destroy();
        return r;
      });
      for (const t of [xt, at, bt, dyt]) t.destroy();
      const wy = fref.gluForward('swiglu', a, b);
      const wg = fref.gluBackward('swiglu', a, b, dy);
      expectClose(got.y, wy, dtype, ELEMENTWISE, `forward H ${h}`);
      expectClose(got.y2, wy, dtype, ELEMENTWISE, `forward (a, b) H ${h}`);
      expectClose(got.dx, fref.joinHalves(wg.da, wg.db, h), dtype, ELEMENTWISE, `dx H ${h}`);
      expectClose(got.da, wg.da, dtype, ELEMENTWISE, `da H ${h}`);
      expectClose(got.db, wg.db, dtype, ELEMENTWISE, `db H ${h}`);
    }
  });
});

describe('scaledMaskedSoftmax over the binding limit', () => {
  it.each([
    ['float32', 33],
    ['float16', 33],
    ['float32', 32],
    ['float16', 32],
  ] as const)(
    '%s, %i columns: causal with offset and broadcast masks (the mask rows follow the sub-range), forward and backward',
    async (dtype, cols) => {
      const act = await limited();
      const shape = [6, 4, 50, cols];
      const n = shape.reduce((p, d) => p * d, 1);
      const x = uniformAs(n, 20, dtype);
      const dy = uniformAs(n, 21, dtype, -1, 1);
      // Additive [4, 50, cols] (a per-head bias, 26 KB): distinct per row, so a wrong row base shows.
      const add = uniformAs(4 * 50 * cols, 22, dtype, -3, 0);
      // Boolean [6, 1, 1, cols] padding mask, distinct per batch.
      const pad = Uint8Array.from({ length: 6 * cols }, (_, i) =>
        i % cols < cols - ((i / cols) | 0) * 3 ? 1 : 0,
      );
      const xt = act.tensor(x, shape, { dtype });
      const dyt = act.tensor(dy, shape, { dtype });
      const mt = act.tensor(add, [4, 50, cols], { dtype });
      expect(xt.byteLength).toBeGreaterThan(LIMIT);
      const base = { scale: 0.4, causal: true, offset: 3 };
      const got = await noGpuErrors(act.device, async () => {
        let y1!: Tensor;
        expect(
          dispatches(act, () => (y1 = scaledMaskedSoftmax(act, xt, { ...base, mask: mt }))),
        ).toBeGreaterThan(1);
        const y2 = scaledMaskedSoftmax(act, xt, {
          ...base,
          mask: { data: pad, shape: [6, 1, 1, cols] },
        });
        const dx = scaledMaskedSoftmaxBackward(act, { y: y1, dy: dyt }, base);
        const r = { y1: await raw(y1), y1v: await y1.read(), y2: await raw(y2), dx: await raw(dx) };
        for (const t of [y1, y2, dx]) t.destroy();
        return r;
      });
      for (const t of [xt, dyt, mt]) t.destroy();
      const w1 = fref.maskedSoftmaxForward(x, shape, {
        ...base,
        mask: { data: add, shape: [4, 50, cols] },
      });
      const w2 = fref.maskedSoftmaxForward(x, shape, {
        ...base,
        mask: { data: pad, shape: [6, 1, 1, cols], boolean: true },
      });
      expectClose(got.y1, w1, dtype, SOFTMAX, 'additive mask');
      expectClose(got.y2, w2, dtype, SOFTMAX, 'boolean mask');
      const wd = fref.maskedSoftmaxBackward(got.y1v, dy, shape, base);
      expectClose(got.dx, wd, dtype, SOFTMAX, 'backward');
    },
  );
});

describe('scaledMaskedSoftmax attention options over the binding limit', () => {
  it.each([
    ['float32', 33],
    ['float16', 32],
  ] as const)(
    '%s, %i columns: softcap, ALiBi, per-batch offsets, key lengths and sinks follow the sub-range (batch and head from the global row)',
    async (dtype, cols) => {
      const act = await limited();
      const shape = [6, 4, 50, cols];
      const n = shape.reduce((p, d) => p * d, 1);
      const x = uniformAs(n, 23, dtype, -30, 30);
      const dy = uniformAs(n, 24, dtype, -1, 1);
      const o = {
        scale: 0.4,
        softcap: 5,
        alibi: [0.5, 0.25, 0.125, 0.0625],
        causal: true,
        offset: [0, 3, 7, 1, 40, 2],
        keyLengths: [cols, 0, 1, cols - 5, 20, 9],
        sinks: [0.5, -1, 2, 0],
      };
      const xt = act.tensor(x, shape, { dtype });
      const dyt = act.tensor(dy, shape, { dtype });
      expect(xt.byteLength).toBeGreaterThan(LIMIT);
      const got = await noGpuErrors(act.device, async () => {
        let y!: Tensor;
        expect(dispatches(act, () => (y = scaledMaskedSoftmax(act, xt, o)))).toBeGreaterThan(1);
        const { dx, dsinks } = scaledMaskedSoftmaxBackward(act, { y, dy: dyt, x: xt }, o);
        const r = {
          y: await raw(y),
          yv: await y.read(),
          dx: await raw(dx),
          ds: await dsinks.read(),
        };
        for (const t of [y, dx, dsinks]) t.destroy();
        return r;
      });
      for (const t of [xt, dyt]) t.destroy();
      const wy = fref.maskedSoftmaxForward(x, shape, o);
      expectClose(got.y, wy, dtype, SOFTMAX, 'forward');
      expectClose(
        got.dx,
        fref.maskedSoftmaxBackward(got.yv, dy, shape, o, x),
        dtype,
        SOFTMAX,
        'backward',
      );
      const wds = fref.maskedSoftmaxSinkGrad(got.yv, dy, shape, 4);
      expectClose(got.ds, wds, 'float32', SOFTMAX, 'dsinks');
    },
  );
});

describe('refused over the limit, before any GPU work', () => {
  it('a row too wide for an aligned sub-range, and a mask over the limit', async () => {
    const act = await limited();
    // One row of 20,000 float32 (80 KB): no sub-range of whole rows fits 64 KiB.
    const wide = act.tensor(new Float32Array(40_000), [2, 20_000]);
    const bias = act.tensor(new Float32Array(20_000));
    // Rows of 8200 (32.8 KB; half rows of 16.4 KB): 16 rows keep both 256-byte aligned, 525 KB.
    const odd = act.tensor(new Float32Array(8200 * 16), [16, 8200]);
    const bigMask = act.tensor(new Float32Array(20_000), [20_000]);
    const x = act.tensor(new Float32Array(20_000), [20_000]);
    const before = act.stats().recordedDispatches;
    expect(() => biasAct(act, 'relu', wide, bias)).toThrow(
      /biasAct\(relu\): rows of 80000 bytes are too wide for sub-ranges \(2 rows, 256-byte aligned\)/,
    );
    expect(() => glu(act, 'glu', odd)).toThrow(/glu: rows of 32800 bytes are too wide/);
    expect(() => scaledMaskedSoftmax(act, x, { mask: bigMask })).toThrow(
      /mask \(80000 bytes\) is over maxStorageBufferBindingSize \(65536\)/,
    );
    for (const f of [
      () => biasActBackward(act, 'relu', { x: wide, bias, dy: wide }),
      () => scaledMaskedSoftmax(act, wide),
    ]) {
      expect(f).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    }
    expect(act.stats().recordedDispatches).toBe(before);
    for (const t of [wide, bias, odd, bigMask, x]) t.destroy();
  });

  it('biasAct backward whose dbias partials cannot fit one binding (it used to loop forever)', async () => {
    const act = await limited();
    // Rows of 96 float32 go 170 to a sub-range: 29,000 rows are 171 sub-ranges, and one
    // slice each is 171 x 384 bytes of partials, over 64 KiB.
    const x = act.tensor(new Float32Array(29_000 * 96), [29_000, 96]);
    const bias = act.tensor(new Float32Array(96));
    const before = act.stats().recordedDispatches;
    expect(() => biasActBackward(act, 'relu', { x, bias, dy: x })).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED',
        message: expect.stringMatching(/dbias's partial sums \(171 sub-ranges/),
      }),
    );
    expect(act.stats().recordedDispatches).toBe(before);
    for (const t of [x, bias]) t.destroy();
  });
});
