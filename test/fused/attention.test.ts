/**
 * scaledMaskedSoftmax's attention options (issue 15) on real WebGPU against
 * the float64 reference: softcap (Gemma 2), ALiBi slopes, per-batch key
 * lengths and per-batch offsets, each alone and in pairs with each other and
 * with scale, causal and the masks; forward and backward, float32 and
 * float16, out and in place, the fallback (no subgroups) path. The
 * reference's gradients and bad input are in attention-checks.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning } from '../../src/fused/table.js';
import { type Tensor } from '../../src/index.js';
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

import { cases, libOptions, SLOPES3, type Opts } from './attention-cases.js';

const tuning = { ...fusedTuning };
afterEach(() => Object.assign(fusedTuning, tuning));

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
