/**
 * scaledMaskedSoftmax's attention options (issue 15) on real WebGPU against
 * the float64 reference: softcap (Gemma 2), ALiBi slopes, per-batch key
 * lengths and per-batch offsets, each alone and in pairs with each other and
 * with scale, causal and the masks; forward and backward, float32 and
 * float16, out and in place, the fallback (no subgroups) path; the
 * reference's gradient against central differences; and bad input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning } from '../../src/fused/table.js';
import { InvalidArgumentError, type Tensor } from '../../src/index.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { halfMismatches, halfRounded, mismatches, report, SOFTMAX } from '../helpers/tolerance.js';
import {
  applyScaledMaskedSoftmax,
  gradScaledMaskedSoftmax,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';
import { destroy, run } from './common.js';

/** Options as the library takes them (without sinks: the backward returns dx alone). */
type Opts = { out?: Tensor } & Record<string, unknown> & { sinks?: undefined };

const tuning = { ...fusedTuning };
afterEach(() => Object.assign(fusedTuning, tuning));

interface Case {
  name: string;
  shape: number[];
  options: fref.RefMaskOptions;
  /** |x| range (soft-capping is tested far out). */
  range?: number;
}

const SLOPES3 = [0.5, 0.25, 0.125];
const boolMask = (n: number, seed: number) =>
  Uint8Array.from(uniform(n, 0, 1, seed), (v) => (v < 0.3 ? 0 : 1));

const cases: Case[] = [
  // softcap alone, far out (|x| up to 1e4) and down to c = 1
  { name: 'softcap c = 1, |x| up to 1e4', shape: [2, 3, 9], options: { softcap: 1 }, range: 1e4 },
  {
    name: 'softcap c = 50, scale',
    shape: [2, 4, 13],
    options: { softcap: 50, scale: 0.125 },
    range: 1e3,
  },
  // ALiBi alone, causal or not, with offsets
  { name: 'alibi', shape: [2, 3, 4, 7], options: { alibi: SLOPES3 } },
  { name: 'alibi + causal', shape: [1, 3, 5, 8], options: { alibi: SLOPES3, causal: true } },
  {
    name: 'alibi + causal + offset',
    shape: [2, 3, 3, 9],
    options: { alibi: SLOPES3, causal: true, offset: 4 },
  },
  // key lengths of 0, 1 and cols
  { name: 'keyLengths 0, 1, cols', shape: [3, 2, 4, 6], options: { keyLengths: [0, 1, 6] } },
  { name: 'keyLengths, vector words', shape: [3, 2, 8], options: { keyLengths: [8, 3, 5] } },
  // per-batch offsets
  {
    name: 'per-batch offsets + causal',
    shape: [3, 2, 3, 9],
    options: { causal: true, offset: [0, 2, 20] },
  },
  // pairs
  {
    name: 'softcap + alibi',
    shape: [2, 3, 4, 8],
    options: { softcap: 5, alibi: SLOPES3 },
    range: 30,
  },
  { name: 'softcap + causal', shape: [2, 5, 5], options: { softcap: 2, causal: true }, range: 30 },
  {
    name: 'softcap + additive mask',
    shape: [2, 3, 7],
    options: { softcap: 3, mask: { data: uniform(21, -3, 0, 70), shape: [3, 7] } },
    range: 30,
  },
  {
    name: 'softcap + keyLengths',
    shape: [2, 3, 9],
    options: { softcap: 4, keyLengths: [9, 2] },
    range: 30,
  },
  {
    name: 'softcap + per-batch offsets',
    shape: [2, 1, 4, 6],
    options: { softcap: 4, causal: true, offset: [1, 0] },
    range: 30,
  },
  {
    name: 'alibi + boolean mask',
    shape: [2, 3, 4, 10],
    options: {
      alibi: SLOPES3,
      mask: { data: boolMask(40, 71), shape: [1, 1, 4, 10], boolean: true },
    },
  },
  {
    name: 'alibi + keyLengths',
    shape: [2, 3, 2, 12],
    options: { alibi: SLOPES3, keyLengths: [5, 12] },
  },
  {
    name: 'alibi + per-batch offsets',
    shape: [2, 3, 2, 7],
    options: { alibi: SLOPES3, causal: true, offset: [3, 0] },
  },
  {
    // ALiBi takes the true offset even past cols (a causal row then sees every column).
    name: 'alibi + per-batch offsets past cols, causal and not',
    shape: [2, 3, 2, 7],
    options: { alibi: SLOPES3, offset: [30, 2] },
  },
  {
    name: 'alibi + causal + per-batch offsets past cols',
    shape: [2, 3, 2, 7],
    options: { alibi: SLOPES3, causal: true, offset: [30, 9] },
  },
  {
    name: 'keyLengths + causal',
    shape: [2, 1, 5, 5],
    options: { keyLengths: [3, 0], causal: true },
  },
  {
    name: 'keyLengths + additive mask',
    shape: [2, 2, 3, 11],
    options: { keyLengths: [7, 11], mask: { data: uniform(33, -2, 0, 72), shape: [3, 11] } },
  },
  {
    name: 'keyLengths + per-batch offsets',
    shape: [2, 2, 4, 8],
    options: { causal: true, offset: [0, 5], keyLengths: [6, 2] },
  },
  {
    name: 'per-batch offsets + boolean mask',
    shape: [2, 2, 3, 5],
    options: {
      causal: true,
      offset: [1, 2],
      mask: { data: boolMask(5, 73), shape: [5], boolean: true },
    },
  },
  // sinks alone, with fully masked rows (the row's mass goes to the sink: zeros, no NaN), in pairs
  { name: 'sinks', shape: [2, 3, 4, 7], options: { sinks: [0.5, -1, 3] } },
  {
    name: 'sinks + fully masked rows (boolean mask, keyLengths 0)',
    shape: [2, 3, 2, 8],
    options: {
      sinks: [1, 0, -2],
      keyLengths: [0, 8],
      mask: {
        data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        shape: [2, 8],
        boolean: true,
      },
    },
  },
  {
    name: 'sinks + softcap',
    shape: [2, 3, 3, 9],
    options: { sinks: [2, 1, 0], softcap: 3 },
    range: 30,
  },
  {
    name: 'sinks + alibi + causal',
    shape: [1, 3, 4, 8],
    options: { sinks: [2, 1, 0], alibi: SLOPES3, causal: true },
  },
  {
    name: 'sinks + per-batch offsets',
    shape: [2, 3, 3, 6],
    options: { sinks: [0, 0, 5], causal: true, offset: [0, 2] },
  },
  {
    name: 'sinks + additive mask',
    shape: [2, 3, 2, 5],
    options: { sinks: [1, 2, 3], mask: { data: uniform(10, -3, 0, 75), shape: [2, 5] } },
  },
  { name: 'sinks, rank 2 (one head)', shape: [5, 6], options: { sinks: [0.25], causal: true } },
  // everything at once
  {
    name: 'scale, softcap, alibi, mask, causal, per-batch offsets, keyLengths',
    shape: [2, 3, 4, 12],
    options: {
      scale: 0.5,
      softcap: 8,
      alibi: SLOPES3,
      mask: { data: uniform(48, -1, 0, 74), shape: [4, 12] },
      causal: true,
      offset: [2, 7],
      keyLengths: [10, 4],
      sinks: [0.5, 1.5, -0.5],
    },
    range: 40,
  },
];

/** The library's options for a case: masks as data (boolean) or a tensor (additive). */
function libOptions(
  act: Awaited<ReturnType<typeof sharedActivations>>,
  c: Case,
  dtype: 'float32' | 'float16' = 'float32',
) {
  const m = c.options.mask;
  const o = { ...c.options } as Record<string, unknown>;
  if (!m) return { options: o, owned: undefined };
  if (m.boolean) {
    o.mask = { data: m.data as Uint8Array, shape: m.shape };
    return { options: o, owned: undefined };
  }
  const t = act.tensor(Float32Array.from(m.data), m.shape as number[], { dtype });
  o.mask = t;
  return { options: o, owned: t };
}

describe('scaledMaskedSoftmax attention options', () => {
  it.each(cases)('$name: forward and backward (float32)', async (c) => {
    const act = await sharedActivations();
    const n = c.shape.reduce((a, b) => a * b, 1);
    const x = uniform(n, -(c.range ?? 6), c.range ?? 6, 42);
    const dy = uniform(n, -1, 1, 43);
    const xt = act.tensor(x, c.shape);
    const dyt = act.tensor(dy, c.shape);
    const { options, owned } = libOptions(act, c);
    const { y, dx, ds } = await run(act, async () => {
      const yt = scaledMaskedSoftmax(act, xt, options);
      const inputs = c.options.softcap ? { y: yt, dy: dyt, x: xt } : { y: yt, dy: dyt };
      const r = scaledMaskedSoftmaxBackward(act, inputs, options as Opts) as
        Tensor | { dx: Tensor; dsinks: Tensor };
      const dxt = 'dx' in r ? r.dx : r;
      const dst = 'dx' in r ? r.dsinks : undefined;
      expect(dst === undefined).toBe(!c.options.sinks);
      const out = { y: await yt.read(), dx: await dxt.read(), ds: await dst?.read() };
      destroy(yt, dxt, dst);
      return out;
    });
    destroy(xt, dyt, owned);
    const wy = fref.maskedSoftmaxForward(x, c.shape, c.options);
    const ms = mismatches(y, wy, SOFTMAX, [x]);
    expect(ms, report(ms)).toEqual([]);
    const wd = fref.maskedSoftmaxBackward(wy, dy, c.shape, c.options, x);
    const md = mismatches(dx, wd, SOFTMAX);
    expect(md, report(md)).toEqual([]);
    if (c.options.sinks) {
      const wds = fref.maskedSoftmaxSinkGrad(wy, dy, c.shape, c.options.sinks.length);
      const mds = mismatches(ds!, wds, SOFTMAX);
      expect(mds, report(mds)).toEqual([]);
      expect(y.every((v) => !Number.isNaN(v))).toBe(true);
    }
    // Rows sum to 1 (less the sink's share), or are all zeros where no column is left.
    const cols = c.shape[c.shape.length - 1];
    for (let r = 0; r < n / cols; r++) {
      const s = y.subarray(r * cols, (r + 1) * cols).reduce((p, v) => p + v, 0);
      if (s !== 0) expect(c.options.sinks ? s < 1 + 1e-5 : Math.abs(s - 1) < 1e-5).toBe(true);
      else expect(y.subarray(r * cols, (r + 1) * cols).every((v) => v === 0)).toBe(true);
    }
  });

  it('keyLengths of 0 give zero rows and zero gradients (no NaN)', async () => {
    const act = await sharedActivations();
    const shape = [2, 2, 5];
    const x = uniform(20, -3, 3, 80);
    const o = { keyLengths: [0, 5], shape };
    const y = await applyScaledMaskedSoftmax(act, x, o);
    const dx = await gradScaledMaskedSoftmax(act, x, uniform(20, -1, 1, 81), o);
    // Batch entry 0 (the first 10 values) has no key: zeros (+-0), no NaN.
    expect(Array.from(y.subarray(0, 10)).every((v) => v === 0)).toBe(true);
    expect(Array.from(dx.subarray(0, 10)).every((v) => v === 0)).toBe(true);
    expect(y.subarray(10).every((v) => v > 0)).toBe(true);
  });

  it('the one-call gradient with softcap takes x itself (no x argument needed)', async () => {
    const act = await sharedActivations();
    const shape = [3, 7];
    const x = uniform(21, -50, 50, 82);
    const dy = uniform(21, -1, 1, 83);
    const o = { softcap: 2, scale: 0.5 };
    const dx = await gradScaledMaskedSoftmax(act, x, dy, { ...o, shape });
    const wy = fref.maskedSoftmaxForward(x, shape, o);
    const md = mismatches(dx, fref.maskedSoftmaxBackward(wy, dy, shape, o, x), SOFTMAX);
    expect(md, report(md)).toEqual([]);
  });

  it.each([9, 8])('fallback path without subgroups (%i columns): all options', async (cols) => {
    fusedTuning.useSubgroups = false;
    const c = { ...cases[cases.length - 1], shape: [2, 3, 4, cols] };
    c.options = { ...c.options, mask: undefined, keyLengths: [cols - 1, 3] };
    const act = await sharedActivations();
    const n = 24 * cols;
    const x = uniform(n, -20, 20, 84);
    const dy = uniform(n, -1, 1, 85);
    const xt = act.tensor(x, c.shape);
    const dyt = act.tensor(dy, c.shape);
    const sinks = c.options.sinks!;
    const { y, dx, ds } = await run(act, async () => {
      const o = c.options as Opts & { sinks: number[] };
      const yt = scaledMaskedSoftmax(act, xt, o);
      const r = scaledMaskedSoftmaxBackward(act, { y: yt, dy: dyt, x: xt }, o);
      const out = { y: await yt.read(), dx: await r.dx.read(), ds: await r.dsinks.read() };
      destroy(yt, r.dx, r.dsinks);
      return out;
    });
    destroy(xt, dyt);
    const wy = fref.maskedSoftmaxForward(x, c.shape, c.options);
    expect(mismatches(y, wy, SOFTMAX, [x])).toEqual([]);
    expect(
      mismatches(dx, fref.maskedSoftmaxBackward(wy, dy, c.shape, c.options, x), SOFTMAX),
    ).toEqual([]);
    const wds = fref.maskedSoftmaxSinkGrad(wy, dy, c.shape, sinks.length);
    expect(mismatches(ds, wds, SOFTMAX)).toEqual([]);
  });

  it.each([9, 8])(
    'float16 storage within 1 half ulp: softcap, alibi, keyLengths, per-batch offsets, sinks (%i columns)',
    async (cols) => {
      const act = await sharedActivations();
      const shape = [2, 3, 4, cols];
      const n = 24 * cols;
      const x = halfRounded(uniform(n, -20, 20, 86));
      const dy = halfRounded(uniform(n, -1, 1, 87));
      const o: fref.RefMaskOptions = {
        scale: 0.5,
        softcap: 6,
        alibi: SLOPES3,
        causal: true,
        offset: [1, 3],
        keyLengths: [cols, 2],
        sinks: [1, -1, 0.5],
      };
      const xt = act.tensor(x, shape, { dtype: 'float16' });
      const dyt = act.tensor(dy, shape, { dtype: 'float16' });
      const { y, yv, dx, ds } = await run(act, async () => {
        const lo = o as Opts & { sinks: number[] };
        const yt = scaledMaskedSoftmax(act, xt, lo);
        const r = scaledMaskedSoftmaxBackward(act, { y: yt, dy: dyt, x: xt }, lo);
        const out = {
          y: (await yt.readRaw()) as Uint16Array,
          yv: await yt.read(),
          dx: (await r.dx.readRaw()) as Uint16Array,
          ds: await r.dsinks.read(),
        };
        destroy(yt, r.dx, r.dsinks);
        return out;
      });
      destroy(xt, dyt);
      const wy = fref.maskedSoftmaxForward(x, shape, o);
      const ms = halfMismatches(y, toHalfArray(wy), 1, [x]);
      expect(ms, report(ms)).toEqual([]);
      const md = halfMismatches(
        dx,
        toHalfArray(fref.maskedSoftmaxBackward(yv, dy, shape, o, x)),
        1,
      );
      expect(md, report(md)).toEqual([]);
      // dsinks is float32, from the stored (rounded) y.
      const mds = mismatches(ds, fref.maskedSoftmaxSinkGrad(yv, dy, shape, 3), SOFTMAX);
      expect(mds, report(mds)).toEqual([]);
    },
  );

  it('out: forward in place over x, backward (softcap) in place over dy', async () => {
    const act = await sharedActivations();
    const shape = [2, 3, 2, 6];
    const o: fref.RefMaskOptions = {
      softcap: 3,
      alibi: SLOPES3,
      keyLengths: [4, 6],
      offset: [1, 0],
      causal: true,
    };
    const x = uniform(72, -10, 10, 88);
    const dy = uniform(72, -1, 1, 89);
    const xt = act.tensor(x, shape);
    const x2 = act.tensor(x, shape);
    const dyt = act.tensor(dy, shape);
    const { y, dx } = await run(act, async () => {
      const yt = scaledMaskedSoftmax(act, xt, { ...(o as object), out: xt } as Opts);
      expect(yt).toBe(xt);
      const dxt = scaledMaskedSoftmaxBackward(act, { y: yt, dy: dyt, x: x2 }, {
        ...(o as object),
        out: dyt,
      } as Opts);
      expect(dxt).toBe(dyt);
      return { y: await yt.read(), dx: await dxt.read() };
    });
    destroy(xt, x2, dyt);
    const wy = fref.maskedSoftmaxForward(x, shape, o);
    expect(mismatches(y, wy, SOFTMAX, [x])).toEqual([]);
    expect(mismatches(dx, fref.maskedSoftmaxBackward(wy, dy, shape, o, x), SOFTMAX)).toEqual([]);
  });
});

describe('the reference gradient against central differences', () => {
  // L = sum(dy * y); dL/dx from the reference backward vs (L(x + h) - L(x - h)) / 2h of the
  // reference forward, for options whose logits depend on x (softcap) or not (the rest).
  it.each([
    ['softcap', { softcap: 2, scale: 0.7 }],
    [
      'softcap + alibi + causal + per-batch offsets + keyLengths',
      { softcap: 3, alibi: [0.5, 0.25], causal: true, offset: [1, 0], keyLengths: [5, 3] },
    ],
  ] as [string, fref.RefMaskOptions][])('%s', (_name, o) => {
    const shape = [2, 2, 3, 5];
    const n = 60;
    const x = Array.from(uniform(n, -4, 4, 90));
    const dy = Array.from(uniform(n, -1, 1, 91));
    const loss = (xs: number[]) => {
      const y = fref.maskedSoftmaxForward(xs, shape, o);
      return y.reduce((s, v, i) => s + v * dy[i], 0);
    };
    const y = fref.maskedSoftmaxForward(x, shape, o);
    const g = fref.maskedSoftmaxBackward(y, dy, shape, o, x);
    const h = 1e-2;
    for (let i = 0; i < n; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const cd = (loss(xp) - loss(xm)) / (2 * h);
      expect(Math.abs(cd - g[i]), `x[${i}]: ${cd} vs ${g[i]}`).toBeLessThan(
        2e-4 + 2e-3 * Math.abs(g[i]),
      );
    }
  });
});

describe('the reference sink gradient against central differences', () => {
  it('dsinks: softcap, alibi, causal, key lengths with an empty row', () => {
    const shape = [2, 3, 2, 4];
    const x = Array.from(uniform(48, -3, 3, 93));
    const dy = Array.from(uniform(48, -1, 1, 94));
    const base: fref.RefMaskOptions = {
      softcap: 4,
      alibi: SLOPES3,
      causal: true,
      keyLengths: [0, 3],
    };
    const sinks = [0.3, -0.7, 1.1];
    const loss = (sk: number[]) =>
      fref
        .maskedSoftmaxForward(x, shape, { ...base, sinks: sk })
        .reduce((s, v, i) => s + v * dy[i], 0);
    const y = fref.maskedSoftmaxForward(x, shape, { ...base, sinks });
    const g = fref.maskedSoftmaxSinkGrad(y, dy, shape, 3);
    const h = 1e-3;
    for (let k = 0; k < 3; k++) {
      const p = sinks.slice();
      const m = sinks.slice();
      p[k] += h;
      m[k] -= h;
      const cd = (loss(p) - loss(m)) / (2 * h);
      expect(Math.abs(cd - g[k]), `dsinks[${k}]: ${cd} vs ${g[k]}`).toBeLessThan(
        1e-5 + 1e-3 * Math.abs(g[k]),
      );
    }
  });
});

describe('attention options: bad input throws before any GPU work, naming the op and the argument', () => {
  it('scaledMaskedSoftmax and its backward', async () => {
    const act = await sharedActivations();
    const data = uniform(2 * 3 * 2 * 4, -1, 1, 92);
    const x = act.tensor(data, [2, 3, 2, 4]);
    await act.flush();
    const before = act.stats().recordedDispatches;
    const bad = (o: unknown, re: RegExp) => {
      expect(() => scaledMaskedSoftmax(act, x, o as Opts)).toThrow(InvalidArgumentError);
      expect(() => scaledMaskedSoftmax(act, x, o as Opts)).toThrow(re);
      expect(() => scaledMaskedSoftmaxBackward(act, { y: x, dy: x, x }, o as Opts)).toThrow(re);
    };
    bad(
      { alibi: [1, 2] },
      /scaledMaskedSoftmax: alibi must be an array of 3 numbers \(one per head, x.shape\[-3\]\).* of length 2/,
    );
    bad({ alibi: [1, NaN, 2] }, /scaledMaskedSoftmax: alibi\[1\] must be a finite number, got NaN/);
    bad({ alibi: 'x' }, /scaledMaskedSoftmax: alibi must be an array of 3 numbers/);
    bad(
      { sinks: [1, 2] },
      /scaledMaskedSoftmax: sinks must be an array of 3 numbers \(one per head/,
    );
    bad(
      { sinks: [1, Infinity, 2] },
      /scaledMaskedSoftmax: sinks\[1\] must be a finite number, got Infinity/,
    );
    bad({ softcap: 0 }, /scaledMaskedSoftmax: softcap must be a finite number > 0, got 0/);
    bad({ softcap: -1 }, /softcap must be a finite number > 0, got -1/);
    bad({ softcap: Infinity }, /softcap must be a finite number > 0, got Infinity/);
    bad({ softcap: NaN }, /softcap must be a finite number > 0, got NaN/);
    bad(
      { keyLengths: [1] },
      /scaledMaskedSoftmax: keyLengths must be an array of 2 numbers \(one per batch entry/,
    );
    bad(
      { keyLengths: [1, -1] },
      /scaledMaskedSoftmax: keyLengths\[1\] must be an integer in \[0, 4\] \(cols\), got -1/,
    );
    bad({ keyLengths: [1.5, 1] }, /keyLengths\[0\] must be an integer in \[0, 4\].*got 1.5/);
    bad({ keyLengths: [5, 1] }, /keyLengths\[0\] must be an integer in \[0, 4\].*got 5/);
    bad(
      { causal: true, offset: [1, 2, 3] },
      /scaledMaskedSoftmax: offset must be an array of 2 numbers/,
    );
    bad(
      { causal: true, offset: [1, -2] },
      /scaledMaskedSoftmax: offset\[1\] must be a non-negative integer, got -2/,
    );
    bad({ causal: true, offset: 'a' }, /offset must be an array of 2 numbers/);
    // softcap's backward needs x; x without softcap is refused.
    expect(() => scaledMaskedSoftmaxBackward(act, { y: x, dy: x }, { softcap: 2 })).toThrow(
      /scaledMaskedSoftmax: backward with softcap takes \{ y, dy, x \}/,
    );
    expect(() => scaledMaskedSoftmaxBackward(act, { y: x, dy: x, x }, {})).toThrow(
      /backward takes x only with softcap/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    expect(Array.from(await x.read())).toEqual(Array.from(data));
    destroy(x);
  });
});
