/**
 * scaledMaskedSoftmax on real WebGPU (Node and Chromium) against the float64
 * reference (src/fused/reference.ts): scale, additive and boolean masks,
 * causal masking with an offset, fully masked rows, row rules for NaN and
 * Inf, float16 storage, subgroups on and off, and bad input. Every result
 * element is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning } from '../../src/fused/table.js';
import type { Activations } from '../../src/index.js';
import { InvalidArgumentError } from '../../src/index.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { halfMismatches, mismatches, report, SOFTMAX, halfRounded } from '../helpers/tolerance.js';
import {
  applyScaledMaskedSoftmax,
  gradScaledMaskedSoftmax,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';
import { destroy, run } from './common.js';

const tuning = { ...fusedTuning };
afterEach(() => Object.assign(fusedTuning, tuning));

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

describe('bad input throws before any GPU work, naming the op and the argument', () => {
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
