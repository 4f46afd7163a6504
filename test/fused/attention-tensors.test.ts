/**
 * scaledMaskedSoftmax's ALiBi slopes and attention sinks given as float32
 * tensors (one value per head) instead of arrays: against the float64
 * reference and the array form, forward and backward, float32 and float16
 * x, out and in place; bad tensors (length, dtype, destroyed) and integer
 * per-batch values given as a tensor (key lengths, offsets: arrays only,
 * tensors are float32 or float16) refused before any GPU work, naming the op
 * and the argument, inputs unchanged.
 */
import { describe, expect, it } from 'vitest';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { InvalidArgumentError, type Tensor } from '../../src/index.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { halfMismatches, halfRounded, mismatches, report, SOFTMAX } from '../helpers/tolerance.js';
import { scaledMaskedSoftmax, scaledMaskedSoftmaxBackward } from '../../src/fused/index.js';
import { destroy, run } from './common.js';
import type { Opts } from './attention-cases.js';

const SLOPES = [0.5, 0.25, 0.125];
const SINKS = [1.5, -0.5, 0.25];

/** x [2, 3, 4, 8] with each option set: ALiBi, sinks, or both with softcap, causal, offsets, key lengths. */
const cases: { name: string; options: fref.RefMaskOptions }[] = [
  { name: 'alibi tensor, causal', options: { alibi: SLOPES, causal: true } },
  { name: 'sinks tensor, key lengths', options: { sinks: SINKS, keyLengths: [8, 3] } },
  {
    name: 'alibi and sinks tensors, softcap, causal, per-batch offsets, key lengths',
    options: {
      alibi: SLOPES,
      sinks: SINKS,
      softcap: 4,
      causal: true,
      offset: [2, 0],
      keyLengths: [6, 8],
    },
  },
];
const shape = [2, 3, 4, 8];
const n = 192;

describe('scaledMaskedSoftmax: alibi and sinks as float32 tensors', () => {
  it.each(cases)('$name: forward and backward, float32 and float16 x', async (c) => {
    const act = await sharedActivations();
    const x = uniform(n, -6, 6, 61);
    const dy = uniform(n, -1, 1, 62);
    const slopes = act.tensor(Float32Array.from(SLOPES), [3]);
    const sinks = act.tensor(Float32Array.from(SINKS), [3]);
    const o = {
      ...c.options,
      ...(c.options.alibi ? { alibi: slopes } : {}),
      ...(c.options.sinks ? { sinks } : {}),
    } as Opts;
    for (const dtype of ['float32', 'float16'] as const) {
      const xv = dtype === 'float32' ? x : halfRounded(x);
      const xt = act.tensor(xv, shape, { dtype });
      const dyt = act.tensor(dy, shape, { dtype });
      const { y, yArr, yIn, dx, ds } = await run(act, async () => {
        const yt = scaledMaskedSoftmax(act, xt, o);
        const ya = scaledMaskedSoftmax(act, xt, c.options as Opts);
        // In place: into a copy of x.
        const xin = act.tensor(xv, shape, { dtype });
        scaledMaskedSoftmax(act, xin, { ...o, out: xin });
        const inputs = c.options.softcap ? { y: yt, dy: dyt, x: xt } : { y: yt, dy: dyt };
        const r = scaledMaskedSoftmaxBackward(act, inputs, o) as
          Tensor | { dx: Tensor; dsinks: Tensor };
        const dxt = 'dx' in r ? r.dx : r;
        const dst = 'dx' in r ? r.dsinks : undefined;
        const out = {
          y: await yt.read(),
          yArr: await ya.read(),
          yIn: await xin.read(),
          dx: await dxt.read(),
          ds: await dst?.read(),
        };
        destroy(yt, ya, xin, dxt, dst);
        return out;
      });
      destroy(xt, dyt);
      // The tensor form is the array form, bit for bit, in place too.
      expect(Array.from(y)).toEqual(Array.from(yArr));
      expect(Array.from(yIn)).toEqual(Array.from(yArr));
      const wy = fref.maskedSoftmaxForward(xv, shape, c.options);
      const wd = fref.maskedSoftmaxBackward(wy, dy, shape, c.options, xv);
      if (dtype === 'float32') {
        const ms = mismatches(y, wy, SOFTMAX, [xv]);
        expect(ms, report(ms)).toEqual([]);
        const md = mismatches(dx, wd, SOFTMAX);
        expect(md, report(md)).toEqual([]);
      } else {
        // Within 1 half ulp of the correctly rounded reference.
        const ms = halfMismatches(toHalfArray(y), toHalfArray(wy), 1, [xv]);
        expect(ms, report(ms)).toEqual([]);
      }
      expect(ds === undefined).toBe(!c.options.sinks);
      if (ds && dtype === 'float32') {
        const wds = fref.maskedSoftmaxSinkGrad(wy, dy, shape, 3);
        const mds = mismatches(ds, wds, SOFTMAX);
        expect(mds, report(mds)).toEqual([]);
      }
    }
    // The tensors are read, never written.
    expect(Array.from(await slopes.read())).toEqual(SLOPES);
    expect(Array.from(await sinks.read())).toEqual(SINKS);
    destroy(slopes, sinks);
  });

  it('bad tensors and integer per-batch tensors throw before any GPU work, inputs unchanged', async () => {
    const act = await sharedActivations();
    const data = uniform(n, -1, 1, 63);
    const x = act.tensor(data, shape);
    const short = act.tensor(Float32Array.from([1, 2]), [2]);
    const half = act.tensor(Float32Array.from(SLOPES), [3], { dtype: 'float16' });
    const gone = act.tensor(Float32Array.from(SLOPES), [3]);
    gone.destroy();
    const lens = act.tensor(Float32Array.from([8, 3]), [2]);
    await act.flush();
    const before = act.stats().recordedDispatches;
    const bad = (o: unknown, re: RegExp) => {
      expect(() => scaledMaskedSoftmax(act, x, o as Opts)).toThrow(InvalidArgumentError);
      expect(() => scaledMaskedSoftmax(act, x, o as Opts)).toThrow(re);
      expect(() => scaledMaskedSoftmaxBackward(act, { y: x, dy: x }, o as Opts)).toThrow(re);
    };
    bad(
      { alibi: short },
      /scaledMaskedSoftmax: alibi as a Tensor must be float32 with 3 elements \(one per head, x.shape\[-3\]\), got float32 of shape \[2\]/,
    );
    bad({ sinks: short }, /scaledMaskedSoftmax: sinks as a Tensor must be float32 with 3 elements/);
    bad({ alibi: half }, /alibi as a Tensor must be float32 with 3 elements.*got float16/);
    bad({ sinks: gone }, /scaledMaskedSoftmax: sinks/);
    bad(
      { keyLengths: lens },
      /scaledMaskedSoftmax: keyLengths must be an array of 2 integers \(number\[\], Int32Array or Uint32Array\), got a float32 Tensor: tensors are float32 or float16 only/,
    );
    bad(
      { causal: true, offset: lens },
      /scaledMaskedSoftmax: offset must be an array of 2 integers/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    expect(Array.from(await x.read())).toEqual(Array.from(data));
    destroy(x, short, half, lens);
  });
});
