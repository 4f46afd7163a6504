/**
 * Fused ops on real WebGPU (Node and Chromium) against the float64 reference
 * of src/fused-reference.ts: biasAct for every activation of the table
 * (forward, fused backward with dbias, backward from y), the GLU family
 * (one tensor and two), scaledMaskedSoftmax (masks, causal, fully masked
 * rows), float16 storage, bad input, and the reference's gradients against
 * central finite differences. Outputs are NaN-poisoned or freshly allocated
 * and every result element is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsY, activationNames, type ActivationName } from '../../src/elementwise/table.js';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning, gluKinds, type GluKind } from '../../src/fused/table.js';
import type { Activations, Tensor } from '../../src/index.js';
import { InvalidArgumentError } from '../../src/index.js';
import { paramCases } from '../helpers/cases.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { SPECIAL, uniform } from '../helpers/inputs.js';
import {
  close,
  ELEMENTWISE,
  halfMismatches,
  mismatches,
  report,
  SOFTMAX,
  halfRounded,
} from '../helpers/tolerance.js';
import {
  applyBiasAct,
  applyGlu,
  applyScaledMaskedSoftmax,
  biasAct,
  biasActBackward,
  glu,
  gluBackward,
  gradBiasAct,
  gradGlu,
  gradScaledMaskedSoftmax,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';

const tuning = { ...fusedTuning };
afterEach(() => Object.assign(fusedTuning, tuning));

/** rows x c values in [-lo, hi] with the special values (and NaN) first. */
function withSpecials(n: number, seed: number, range = 100): Float32Array {
  const x = uniform(n, -range, range, seed);
  const specials = [...SPECIAL, NaN];
  for (let i = 0; i < Math.min(n, specials.length); i++) x[i] = specials[i];
  return x;
}

/** Upstream gradients in [-2, 2] with a NaN and a zero. */
function gradients(n: number, seed: number, nan = true): Float32Array {
  const dy = uniform(n, -2, 2, seed);
  if (nan && n > 40) dy[40] = NaN;
  if (n > 7) dy[7] = 0;
  return dy;
}

/** Column sums are checked against the float64 sum with a bound scaled by sum |dx| (cancellation-safe). */
function sumMismatches(got: ArrayLike<number>, dx: Float64Array, c: number, rtol = 1e-5): string[] {
  const want = new Float64Array(c);
  const abs = new Float64Array(c);
  dx.forEach((v, i) => {
    want[i % c] += v;
    abs[i % c] += Math.abs(v);
  });
  const bad: string[] = [];
  for (let j = 0; j < c; j++) {
    const ok = Number.isNaN(want[j])
      ? Number.isNaN(got[j])
      : close(got[j], want[j], { atol: 1e-6 + rtol * abs[j], rtol: 0 });
    if (!ok) bad.push(`[${j}] got ${got[j]} want ${want[j]}`);
  }
  return bad;
}

async function run<T>(act: Activations, work: () => Promise<T>): Promise<T> {
  return noGpuErrors(act.device, work);
}

function destroy(...ts: (Tensor | undefined)[]): void {
  for (const t of ts) t?.destroy();
}

// ---- biasAct ---------------------------------------------------------------------

describe('biasAct', () => {
  const R = 41;
  const C = 12;

  describe.each(activationNames)('%s', (op: ActivationName) => {
    const cases = paramCases(op);
    it('float32 forward and fused backward (dx, dbias) match the float64 reference', async () => {
      const act = await sharedActivations();
      for (const params of cases) {
        const x = withSpecials(R * C, 1);
        const bias = uniform(C, -2, 2, 2);
        bias[3] = 0;
        const dy = gradients(R * C, 3);
        const xt = act.tensor(x, [R, C]);
        const bt = act.tensor(bias);
        const dyt = act.tensor(dy, [R, C]);
        const { y, dx, dbias } = await run(act, async () => {
          const yt = biasAct(act, op, xt, bt, params as never);
          const g = biasActBackward(act, op, { x: xt, bias: bt, dy: dyt }, params as never);
          const out = { y: await yt.read(), dx: await g.dx.read(), dbias: await g.dbias.read() };
          destroy(yt, g.dx, g.dbias);
          return out;
        });
        destroy(xt, bt, dyt);
        const wy = fref.biasActForward(op, x, bias, params);
        const w = fref.biasActBackward(op, x, bias, dy, params);
        const zs = Array.from(x, (v, i) => fref.biased(v, bias[i % C]));
        const ms = mismatches(y, wy, ELEMENTWISE, [zs]);
        expect(ms, `forward ${JSON.stringify(params)}\n${report(ms)}`).toEqual([]);
        const md = mismatches(dx, w.dx, ELEMENTWISE, [zs, dy]);
        expect(md, `dx ${JSON.stringify(params)}\n${report(md)}`).toEqual([]);
        expect(sumMismatches(dbias, w.dx, C)).toEqual([]);
      }
    });

    it('float16 storage: forward and dx within 1 ulp, dbias within 1 ulp of the rounded float64 sum', async () => {
      const act = await sharedActivations();
      const x = halfRounded(withSpecials(R * C, 4));
      const bias = halfRounded(uniform(C, -2, 2, 5));
      const dy = halfRounded(gradients(R * C, 6, false));
      const xt = act.tensor(x, [R, C], { dtype: 'float16' });
      const bt = act.tensor(bias, [C], { dtype: 'float16' });
      const dyt = act.tensor(dy, [R, C], { dtype: 'float16' });
      const { y, dx, dbias } = await run(act, async () => {
        const yt = biasAct(act, op, xt, bt);
        const g = biasActBackward(act, op, { x: xt, bias: bt, dy: dyt });
        const out = {
          y: (await yt.readRaw()) as Uint16Array,
          dx: (await g.dx.readRaw()) as Uint16Array,
          dbias: (await g.dbias.readRaw()) as Uint16Array,
        };
        destroy(yt, g.dx, g.dbias);
        return out;
      });
      destroy(xt, bt, dyt);
      const ms = halfMismatches(y, toHalfArray(fref.biasActForward(op, x, bias)), 1, [x]);
      expect(ms, report(ms)).toEqual([]);
      const w = fref.biasActBackward(op, x, bias, dy);
      const md = halfMismatches(dx, toHalfArray(w.dx), 1, [x, dy]);
      expect(md, report(md)).toEqual([]);
      const mb = halfMismatches(dbias, toHalfArray(w.dbias), 1);
      expect(mb, report(mb)).toEqual([]);
    });
  });

  it.each(['sigmoid', 'tanh'] as const)(
    '%s backward from the saved output y (no bias needed)',
    async (op) => {
      expect(acceptsY(op)).toBe(true);
      const act = await sharedActivations();
      const x = withSpecials(R * C, 7);
      const bias = uniform(C, -1, 1, 8);
      const dy = gradients(R * C, 9);
      const xt = act.tensor(x, [R, C]);
      const bt = act.tensor(bias);
      const dyt = act.tensor(dy, [R, C]);
      const { y, dx, dbias } = await run(act, async () => {
        const yt = biasAct(act, op, xt, bt);
        const g = biasActBackward(act, op, { y: yt, dy: dyt });
        const out = { y: await yt.read(), dx: await g.dx.read(), dbias: await g.dbias.read() };
        destroy(yt, g.dx, g.dbias);
        return out;
      });
      destroy(xt, bt, dyt);
      const w = fref.biasActBackward(op, y, bias, dy, {}, { fromY: true });
      const md = mismatches(dx, w.dx, ELEMENTWISE, [y, dy]);
      expect(md, report(md)).toEqual([]);
      expect(sumMismatches(dbias, w.dx, C)).toEqual([]);
    },
  );

  it.each(['float32', 'float16'] as const)(
    'C not a multiple of 4 (element path, %s): forward tail word, dx and dbias',
    async (dtype) => {
      const act = await sharedActivations();
      for (const [rows, c] of [
        [9, 7],
        [5, 1],
        [3, 6],
      ]) {
        const round = dtype === 'float16' ? halfRounded : (a: Float32Array) => a;
        const x = round(uniform(rows * c, -5, 5, rows));
        const bias = round(uniform(c, -1, 1, c));
        const dy = round(uniform(rows * c, -2, 2, 11));
        const xt = act.tensor(x, [rows, c], { dtype });
        const bt = act.tensor(bias, [c], { dtype });
        const dyt = act.tensor(dy, [rows, c], { dtype });
        const { y, dx, dbias } = await run(act, async () => {
          const yt = biasAct(act, 'gelu', xt, bt);
          const g = biasActBackward(act, 'gelu', { x: xt, bias: bt, dy: dyt });
          const out = { y: await yt.read(), dx: await g.dx.read(), dbias: await g.dbias.read() };
          destroy(yt, g.dx, g.dbias);
          return out;
        });
        destroy(xt, bt, dyt);
        const tol = dtype === 'float16' ? { atol: 1e-3, rtol: 1e-3 } : ELEMENTWISE;
        const w = fref.biasActBackward('gelu', x, bias, dy);
        const ms = [
          ...mismatches(y, fref.biasActForward('gelu', x, bias), tol),
          ...mismatches(dx, w.dx, tol),
        ];
        expect(ms, `[${rows}, ${c}]\n${report(ms)}`).toEqual([]);
        expect(sumMismatches(dbias, w.dx, c, dtype === 'float16' ? 1e-3 : 1e-5)).toEqual([]);
      }
    },
  );

  it('dbias is bitwise identical run to run, through several merge passes', async () => {
    fusedTuning.targetThreads = 4096;
    fusedTuning.minRowsPerSlice = 1;
    const act = await sharedActivations();
    const rows = 5000;
    const c = 8;
    const x = uniform(rows * c, -3, 3, 12);
    const bias = uniform(c, -1, 1, 13);
    const dy = uniform(rows * c, 0.5, 1.5, 14);
    const xt = act.tensor(x, [rows, c]);
    const bt = act.tensor(bias);
    const dyt = act.tensor(dy, [rows, c]);
    const sums = await run(act, async () => {
      const out: Float32Array[] = [];
      for (let k = 0; k < 3; k++) {
        const g = biasActBackward(act, 'silu', { x: xt, bias: bt, dy: dyt });
        out.push(await g.dbias.read());
        destroy(g.dx, g.dbias);
      }
      return out;
    });
    destroy(xt, bt, dyt);
    const bits = sums.map((s) => Array.from(new Uint32Array(s.buffer)));
    expect(bits[1]).toEqual(bits[0]);
    expect(bits[2]).toEqual(bits[0]);
    const w = fref.biasActBackward('silu', x, bias, dy);
    expect(sumMismatches(sums[0], w.dx, c)).toEqual([]);
  });

  it('empty inputs: no rows gives a zero dbias; C = 0 gives empty results', async () => {
    const act = await sharedActivations();
    const xt = act.tensor(new Float32Array(0), [0, 4]);
    const bt = act.tensor(new Float32Array([1, 2, 3, 4]));
    const g = biasActBackward(act, 'relu', { x: xt, bias: bt, dy: xt });
    expect(Array.from(await g.dbias.read())).toEqual([0, 0, 0, 0]);
    const y = biasAct(act, 'relu', xt, bt);
    expect((await y.read()).length).toBe(0);
    destroy(xt, bt, g.dx, g.dbias, y);
  });

  it('one-call forms on arrays', async () => {
    const act = await sharedActivations();
    const x = uniform(24, -3, 3, 15);
    const bias = new Float32Array([0.5, -0.25, 1]);
    const dy = uniform(24, -1, 1, 16);
    const y = await applyBiasAct(act, 'leakyRelu', x, bias, { shape: [8, 3], alpha: 0.2 });
    const ms = mismatches(
      y,
      fref.biasActForward('leakyRelu', x, bias, { alpha: 0.2 }),
      ELEMENTWISE,
    );
    expect(ms, report(ms)).toEqual([]);
    const g = await gradBiasAct(act, 'leakyRelu', x, bias, dy, { shape: [8, 3], alpha: 0.2 });
    const w = fref.biasActBackward('leakyRelu', x, bias, dy, { alpha: 0.2 });
    expect(mismatches(g.dx, w.dx, ELEMENTWISE)).toEqual([]);
    expect(sumMismatches(g.dbias, w.dx, 3)).toEqual([]);
  });
});

// ---- GLU family ------------------------------------------------------------------

/** Pairs (a, b) as random values plus hand-picked special pairs, for H columns per row. */
function gluInputs(rows: number, h: number, seed: number): { a: Float32Array; b: Float32Array } {
  const a = uniform(rows * h, -20, 20, seed);
  const b = uniform(rows * h, -20, 20, seed + 1);
  const pairs = [
    [NaN, 1],
    [1, NaN],
    [0, 0],
    [-0, 5],
    [Infinity, 2],
    [-Infinity, 2],
    [2, Infinity],
    [2, -Infinity],
    [1e-40, 3],
    [3, 1e-40],
  ];
  pairs.forEach(([pa, pb], i) => {
    if (i < a.length) {
      a[i] = pa;
      b[i] = pb;
    }
  });
  return { a, b };
}

const gluParams = (kind: GluKind) =>
  kind === 'geglu' ? [{}, { approximate: 'tanh' as const }] : [{}];

describe('GLU family', () => {
  describe.each(gluKinds)('%s', (kind) => {
    it.each([
      [8, 'float32'],
      [5, 'float32'],
      [8, 'float16'],
      [3, 'float16'],
    ] as const)(
      'H = %i, %s: forward and backward, one tensor [..., 2H] and two tensors',
      async (h, dtype) => {
        const act = await sharedActivations();
        const rows = 6;
        for (const params of gluParams(kind)) {
          let { a, b } = gluInputs(rows, h, h * 7);
          let dy = gradients(rows * h, 21, false);
          if (dtype === 'float16') [a, b, dy] = [halfRounded(a), halfRounded(b), halfRounded(dy)];
          const x = Float32Array.from(fref.joinHalves(a, b, h));
          const xt = act.tensor(x, [2, 3, 2 * h], { dtype });
          const at = act.tensor(a, [2, 3, h], { dtype });
          const bt = act.tensor(b, [2, 3, h], { dtype });
          const dyt = act.tensor(dy, [2, 3, h], { dtype });
          const got = await run(act, async () => {
            const y1 = glu(act, kind, xt, params);
            const y2 = glu(act, kind, { a: at, b: bt }, params);
            const dx = gluBackward(act, kind, { x: xt, dy: dyt }, params);
            const d2 = gluBackward(act, kind, { a: at, b: bt, dy: dyt }, params);
            expect(y1.shape).toEqual([2, 3, h]);
            expect(dx.shape).toEqual([2, 3, 2 * h]);
            const out = {
              y1: await y1.readRaw(),
              y2: await y2.readRaw(),
              dx: await dx.readRaw(),
              da: await d2.da.readRaw(),
              db: await d2.db.readRaw(),
            };
            destroy(y1, y2, dx, d2.da, d2.db);
            return out;
          });
          destroy(xt, at, bt, dyt);
          const wy = fref.gluForward(kind, a, b, params);
          const wg = fref.gluBackward(kind, a, b, dy, params);
          const wdx = fref.joinHalves(wg.da, wg.db, h);
          const check = (g: Uint16Array | Float32Array, w: Float64Array, what: string) => {
            const ms =
              dtype === 'float16'
                ? halfMismatches(g as Uint16Array, toHalfArray(w), 1, [a, b])
                : mismatches(g as Float32Array, w, ELEMENTWISE, [a, b]);
            expect(ms, `${what} ${JSON.stringify(params)}\n${report(ms)}`).toEqual([]);
          };
          check(got.y1, wy, 'forward (one tensor)');
          check(got.y2, wy, 'forward (a, b)');
          check(got.dx, wdx, 'dx [..., 2H]');
          check(got.da, wg.da, 'da');
          check(got.db, wg.db, 'db');
        }
      },
    );
  });

  it('one-call forms on arrays', async () => {
    const act = await sharedActivations();
    const x = uniform(16, -3, 3, 30);
    const dy = uniform(8, -1, 1, 31);
    const y = await applyGlu(act, 'swiglu', x, { shape: [2, 8] });
    const { a, b } = fref.splitHalves(x, 4);
    expect(mismatches(y, fref.gluForward('swiglu', a, b), ELEMENTWISE)).toEqual([]);
    const dx = await gradGlu(act, 'swiglu', x, dy, { shape: [2, 8] });
    const g = fref.gluBackward('swiglu', a, b, dy);
    expect(mismatches(dx, fref.joinHalves(g.da, g.db, 4), ELEMENTWISE)).toEqual([]);
  });
});

// ---- scaledMaskedSoftmax -----------------------------------------------------------

describe('scaledMaskedSoftmax', () => {
  interface Case {
    name: string;
    shape: number[];
    options: fref.RefMaskOptions;
  }
  const boolMask = (n: number, seed: number) => {
    const r = uniform(n, 0, 1, seed);
    return Uint8Array.from(r, (v) => (v < 0.3 ? 0 : 1));
  };
  const cases: Case[] = [
    { name: 'scale only', shape: [3, 5, 37], options: { scale: 0.125 } },
    { name: 'negative scale', shape: [4, 9], options: { scale: -2 } },
    { name: 'causal', shape: [2, 6, 6], options: { scale: 0.5, causal: true } },
    {
      name: 'causal with offset (kv cache)',
      shape: [2, 3, 7],
      options: { causal: true, offset: 4 },
    },
    {
      name: 'additive mask [B, 1, 1, S] (padding)',
      shape: [2, 3, 4, 10],
      options: {
        scale: 0.3,
        mask: {
          data: Float32Array.from({ length: 20 }, (_, i) => (i % 10 > 6 ? -Infinity : -(i % 3))),
          shape: [2, 1, 1, 10],
        },
      },
    },
    {
      name: 'additive mask [S, S] with causal',
      shape: [2, 5, 5],
      options: { causal: true, mask: { data: uniform(25, -3, 3, 40), shape: [5, 5] } },
    },
    {
      name: 'boolean mask [B, 1, S, 1] broadcast along the last axis',
      shape: [2, 2, 3, 11],
      options: {
        mask: { data: Uint8Array.from([1, 0, 1, 1, 1, 0]), shape: [2, 1, 3, 1], boolean: true },
      },
    },
    // Rows of a multiple of 4 take the vector (4 columns per word) kernel.
    { name: 'causal, 12 columns (vector words)', shape: [2, 12, 12], options: { causal: true } },
    {
      name: 'causal with offset, boolean mask [S], 16 columns (vector words)',
      shape: [3, 5, 16],
      options: {
        scale: 0.8,
        causal: true,
        offset: 6,
        mask: {
          data: Uint8Array.from({ length: 16 }, (_, i) => (i % 5 === 2 ? 0 : 1)),
          shape: [16],
          boolean: true,
        },
      },
    },
    {
      name: 'additive mask [B, 1, S, S], 8 columns (vector words)',
      shape: [2, 3, 8, 8],
      options: { mask: { data: uniform(128, -3, 3, 44), shape: [2, 1, 8, 8] } },
    },
    {
      name: 'boolean mask, full shape, with fully masked rows, 32 columns (vector words)',
      shape: [4, 32],
      options: {
        mask: {
          data: (() => {
            const m = boolMask(128, 45);
            m.fill(0, 64, 96);
            return m;
          })(),
          shape: [4, 32],
          boolean: true,
        },
      },
    },
    {
      name: 'boolean mask, full shape, with fully masked rows',
      shape: [4, 33],
      options: {
        scale: 2,
        mask: {
          data: (() => {
            const m = boolMask(132, 41);
            m.fill(0, 33, 66);
            return m;
          })(),
          shape: [4, 33],
          boolean: true,
        },
      },
    },
  ];

  function maskOption(act: Activations, c: Case, dtype: 'float32' | 'float16' = 'float32') {
    const m = c.options.mask;
    if (!m) return { options: { ...c.options, mask: undefined }, owned: undefined };
    if (m.boolean) {
      return {
        options: { ...c.options, mask: { data: m.data as Uint8Array, shape: m.shape } },
        owned: undefined,
      };
    }
    // Additive masks go in as tensors (in x's dtype) so that path is covered too.
    const t = act.tensor(Float32Array.from(m.data), m.shape as number[], { dtype });
    return { options: { ...c.options, mask: t }, owned: t };
  }

  it.each(cases)('$name: forward and backward (float32)', async (c) => {
    const act = await sharedActivations();
    const n = c.shape.reduce((a, b) => a * b, 1);
    const x = uniform(n, -6, 6, 42);
    x[1] = -Infinity;
    const dy = uniform(n, -1, 1, 43);
    const xt = act.tensor(x, c.shape);
    const dyt = act.tensor(dy, c.shape);
    const { options, owned } = maskOption(act, c);
    const { y, dx } = await run(act, async () => {
      const yt = scaledMaskedSoftmax(act, xt, options);
      const dxt = scaledMaskedSoftmaxBackward(act, { y: yt, dy: dyt }, options);
      const out = { y: await yt.read(), dx: await dxt.read() };
      destroy(yt, dxt);
      return out;
    });
    destroy(xt, dyt, owned);
    const wy = fref.maskedSoftmaxForward(x, c.shape, c.options);
    const ms = mismatches(y, wy, SOFTMAX, [x]);
    expect(ms, report(ms)).toEqual([]);
    const md = mismatches(dx, fref.maskedSoftmaxBackward(wy, dy, c.shape, c.options), SOFTMAX);
    expect(md, report(md)).toEqual([]);
    // Each row sums to 1, or is all zeros when fully masked.
    const cols = c.shape[c.shape.length - 1];
    for (let r = 0; r < n / cols; r++) {
      const s = y.subarray(r * cols, (r + 1) * cols).reduce((p, v) => p + v, 0);
      if (s !== 0) expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
  });

  it('row rules: NaN row, +Inf entries share the mass, masked NaN is left out', async () => {
    const act = await sharedActivations();
    const x = new Float32Array([1, NaN, 2, 3, Infinity, 0, Infinity, 1, NaN, 1, 2, 3]);
    const mask = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1]);
    const shape = [3, 4];
    const y = await applyScaledMaskedSoftmax(act, x, { shape, mask: { data: mask, shape } });
    const want = fref.maskedSoftmaxForward(x, shape, {
      mask: { data: mask, shape, boolean: true },
    });
    expect(mismatches(y, want, SOFTMAX)).toEqual([]);
    expect(Array.from(y.subarray(0, 4)).every(Number.isNaN)).toBe(true);
    expect(Array.from(y.subarray(4, 8))).toEqual([0.5, 0, 0.5, 0]);
    expect(Number.isNaN(y[8])).toBe(false);
  });

  it.each([9, 8])(
    'float16 storage, causal with an additive float16 mask, within 1 ulp (%i columns)',
    async (cols) => {
      const act = await sharedActivations();
      const shape = [2, 4, cols];
      const n = 8 * cols;
      const x = halfRounded(uniform(n, -4, 4, 50));
      const dy = halfRounded(uniform(n, -1, 1, 51));
      const maskData = halfRounded(uniform(4 * cols, -2, 0, 52));
      const c: Case = {
        name: '',
        shape,
        options: { scale: 0.7, causal: true, mask: { data: maskData, shape: [4, cols] } },
      };
      const xt = act.tensor(x, shape, { dtype: 'float16' });
      const dyt = act.tensor(dy, shape, { dtype: 'float16' });
      const { options, owned } = maskOption(act, c, 'float16');
      const { y, yv, dx } = await run(act, async () => {
        const yt = scaledMaskedSoftmax(act, xt, options);
        const dxt = scaledMaskedSoftmaxBackward(act, { y: yt, dy: dyt }, options);
        const out = {
          y: (await yt.readRaw()) as Uint16Array,
          yv: await yt.read(),
          dx: (await dxt.readRaw()) as Uint16Array,
        };
        destroy(yt, dxt);
        return out;
      });
      destroy(xt, dyt, owned);
      const wy = fref.maskedSoftmaxForward(x, shape, c.options);
      const ms = halfMismatches(y, toHalfArray(wy), 1, [x]);
      expect(ms, report(ms)).toEqual([]);
      // The backward sees the stored (rounded) y.
      const wd = fref.maskedSoftmaxBackward(yv, dy, shape, c.options);
      const md = halfMismatches(dx, toHalfArray(wd), 1);
      expect(md, report(md)).toEqual([]);
    },
  );

  it.each([19, 20])(
    'one invocation per row where subgroups are off (fallback path, %i columns)',
    async (cols) => {
      fusedTuning.useSubgroups = false;
      const act = await sharedActivations();
      const shape = [3, 5, cols];
      const x = uniform(15 * cols, -5, 5, 60);
      const dy = uniform(15 * cols, -1, 1, 61);
      const o = { scale: 0.25, causal: true, offset: 2 };
      const y = await applyScaledMaskedSoftmax(act, x, { ...o, shape });
      const wy = fref.maskedSoftmaxForward(x, shape, o);
      expect(mismatches(y, wy, SOFTMAX)).toEqual([]);
      const dx = await gradScaledMaskedSoftmax(act, x, dy, { ...o, shape });
      const wd = fref.maskedSoftmaxBackward(Float32Array.from(wy), dy, shape, o);
      expect(mismatches(dx, wd, SOFTMAX)).toEqual([]);
    },
  );
});

// ---- bad input ------------------------------------------------------------------

describe('bad input throws before any GPU work, naming the op and the argument', () => {
  it('biasAct', async () => {
    const act = await sharedActivations();
    const x = act.tensor(new Float32Array(12), [3, 4]);
    const b5 = act.tensor(new Float32Array(5));
    const b4 = act.tensor(new Float32Array(4));
    const h = act.tensor(new Float32Array(4), [4], { dtype: 'float16' });
    const before = act.stats().recordedDispatches;
    const bad = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(re);
    };
    bad(() => biasAct(act, 'relu', x, b5), /biasAct\(relu\): bias must have shape \[4\]/);
    bad(() => biasAct(act, 'nope' as never, x, b4), /biasAct: unknown op "nope"/);
    bad(
      () => biasAct(act, 'elu', x, b4, { alpha: NaN }),
      /biasAct\(elu\): elu: alpha must be a finite/,
    );
    bad(() => biasAct(act, 'relu', x, h), /bias is float16 but x is float32/);
    bad(
      () => biasActBackward(act, 'relu', { y: x, dy: x }),
      /biasAct\(relu\): backward from y is not available/,
    );
    bad(() => biasActBackward(act, 'relu', { x, dy: x }), /needs bias/);
    bad(() => biasActBackward(act, 'sigmoid', { y: x, dy: x, bias: b5 }), /bias must have shape/);
    expect(act.stats().recordedDispatches).toBe(before);
    destroy(x, b5, b4, h);
  });

  it('GLU', async () => {
    const act = await sharedActivations();
    const x = act.tensor(new Float32Array(10), [2, 5]);
    const a = act.tensor(new Float32Array(4), [2, 2]);
    const b = act.tensor(new Float32Array(6), [2, 3]);
    const before = act.stats().recordedDispatches;
    expect(() => glu(act, 'swiglu', x)).toThrow(/swiglu: x's last dimension must be even/);
    expect(() => glu(act, 'glu', { a, b })).toThrow(
      /glu: b has shape \[2, 3\] but a has shape \[2, 2\]/,
    );
    expect(() => glu(act, 'bad' as never, a)).toThrow(/glu: unknown kind "bad"/);
    expect(() => glu(act, 'reglu', a, { approximate: 'tanh' })).toThrow(
      /reglu: .*unknown option "approximate"/,
    );
    expect(() => glu(act, 'geglu', a, { approximate: 'x' as never })).toThrow(
      /geglu: .*approximate must be one of/,
    );
    expect(() => gluBackward(act, 'glu', { x: a, dy: a })).toThrow(
      /glu: dy must have the output's shape \[2, 1\]/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    destroy(x, a, b);
  });

  it('scaledMaskedSoftmax', async () => {
    const act = await sharedActivations();
    const x = act.tensor(new Float32Array(24), [2, 3, 4]);
    const before = act.stats().recordedDispatches;
    const bad = (o: unknown, re: RegExp) => {
      expect(() => scaledMaskedSoftmax(act, x, o as never)).toThrow(InvalidArgumentError);
      expect(() => scaledMaskedSoftmax(act, x, o as never)).toThrow(re);
    };
    bad({ scale: NaN }, /scaledMaskedSoftmax: scale must be a finite number/);
    bad({ scale: Infinity }, /scale must be a finite number/);
    bad({ scale: 1e39 }, /scale must be a finite number/);
    bad(
      { causal: true, offset: -1 },
      /offset \(the causal offset\) must be a non-negative integer, got -1/,
    );
    bad({ causal: true, offset: 1.5 }, /offset .* got 1.5/);
    bad({ causal: 'yes' }, /causal must be a boolean/);
    bad(
      { mask: { data: new Float32Array(3), shape: [3] } },
      /mask of shape \[3\] cannot broadcast to x's shape \[2, 3, 4\]/,
    );
    bad({ mask: { data: new Float32Array(4), shape: [2, 2] } }, /cannot broadcast/);
    bad(
      { mask: { data: new Uint8Array(4), shape: [5] } },
      /mask.shape \[5\] holds 5 elements but mask.data has 4/,
    );
    bad({ mask: { data: [1, 2], shape: [2] } }, /mask must be a Tensor or \{ data, shape \}/);
    bad({ scal: 1 }, /unknown option "scal"/);
    expect(() => scaledMaskedSoftmaxBackward(act, { y: x, dy: x }, { scale: NaN })).toThrow(
      /scale/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    destroy(x);
  });
});

// ---- the reference against central finite differences ----------------------------

describe('float64 reference: gradients against central finite differences', () => {
  const fd = (f: (v: number) => number, v: number, h = 1e-6) => (f(v + h) - f(v - h)) / (2 * h);
  const near = (got: number, want: number, tol = 1e-5) =>
    expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * (1 + Math.abs(want)));
  // Points away from every op's kinks (0, +-3, 6, thresholds 1 and 20).
  const points = [-2.3, -0.7, 0.4, 1.7, 2.6];

  it.each(activationNames)('biasAct(%s): dx and dbias', (op) => {
    const bias = [0.13, -0.29];
    const dy = [0.7, -1.1];
    for (const x0 of points) {
      const x = [x0, x0 * 0.5];
      const { dx, dbias } = fref.biasActBackward(op, x, bias, dy);
      // L = sum dy * y: dL/dx_i and dL/dbias_j by differences of the forward (bias exact in float64).
      const loss = (xs: number[], bs: number[]) =>
        xs.reduce((s, v, i) => s + dy[i] * fref.biasActForward(op, [v + bs[i]], [0])[0], 0);
      near(
        dx[0],
        fd((v) => loss([v, x[1]], bias), x[0]),
      );
      near(
        dbias[1],
        fd((v) => loss(x, [bias[0], v]), bias[1]),
      );
    }
  });

  it.each(gluKinds)('%s: da and db', (kind: GluKind) => {
    for (const params of gluParams(kind)) {
      for (const a0 of points) {
        const b0 = -a0 * 0.8 + 0.3;
        const g = fref.gluBackward(kind, [a0], [b0], [1.3], params);
        const f = (a: number, b: number) => 1.3 * fref.gluForward(kind, [a], [b], params)[0];
        near(
          g.da[0],
          fd((v) => f(v, b0), a0),
        );
        near(
          g.db[0],
          fd((v) => f(a0, v), b0),
        );
      }
    }
  });

  it('scaledMaskedSoftmax: dx of sum(dy * y) with scale, mask and causal', () => {
    const shape = [2, 3, 4];
    const x = Array.from(uniform(24, -2, 2, 70));
    const dy = Array.from(uniform(24, -1, 1, 71));
    const o: fref.RefMaskOptions = {
      scale: 0.6,
      causal: true,
      offset: 1,
      mask: { data: [0, -1, 0.5, 0], shape: [4] },
    };
    // Unrounded logits: the float32 rounding of the reference is below the difference step's reach.
    const y = fref.maskedSoftmaxForward(x, shape, o);
    const dx = fref.maskedSoftmaxBackward(y, dy, shape, o);
    for (let i = 0; i < 24; i++) {
      const f = (v: number) => {
        const xs = x.slice();
        xs[i] = v;
        return fref.maskedSoftmaxForward(xs, shape, o).reduce((s, yv, k) => s + dy[k] * yv, 0);
      };
      near(dx[i], fd(f, x[i], 3e-3), 2e-4);
    }
  });
});
