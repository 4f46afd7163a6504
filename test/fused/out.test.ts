/**
 * The fused ops' `out` option on real WebGPU (Node and Chromium): results
 * written into a NaN-poisoned tensor, in place over an input, and into a
 * range of an input's own buffer, each checked against the float64
 * reference (src/fused/reference.ts); bad `out` refused before any dispatch
 * with the inputs unchanged.
 */
import { describe, expect, it } from 'vitest';
import * as fref from '../../src/fused/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { uniform, uniformAs } from '../helpers/inputs.js';
import { ELEMENTWISE, SOFTMAX, expectClose } from '../helpers/tolerance.js';
import {
  biasAct,
  biasActBackward,
  glu,
  gluBackward,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';

import { destroy, dtypes, poisoned, raw, size } from './common.js';

describe('biasAct with out', () => {
  // C 12: the rows kernel; C 7: the flat kernel with a tail word.
  describe.each(dtypes)('%s', (dtype) => {
    it.each([
      [9, 12],
      [5, 7],
    ])('[%i, %i] forward into a poisoned out and in place (out: x)', async (rows, c) => {
      const act = await sharedActivations();
      const shape = [rows, c];
      for (const [op, params] of [
        ['gelu', { approximate: 'tanh' }],
        ['silu', {}],
        ['leakyRelu', { alpha: 0.3 }],
      ] as const) {
        const x = uniformAs(rows * c, 1, dtype);
        const bias = uniformAs(c, 2, dtype, -1, 1);
        const want = fref.biasActForward(op, x, bias, params);
        const xt = act.tensor(x, shape, { dtype });
        const bt = act.tensor(bias, [c], { dtype });
        const out = poisoned(act, shape, dtype);
        const { y, inPlace } = await noGpuErrors(act.device, async () => {
          const r = biasAct(act, op, xt, bt, { ...params, out } as never);
          expect(r).toBe(out);
          const y = await raw(out);
          expect(biasAct(act, op, xt, bt, { ...params, out: xt } as never)).toBe(xt);
          return { y, inPlace: await raw(xt) };
        });
        destroy(xt, bt, out);
        expectClose(y, want, dtype, ELEMENTWISE, `${op} into out`);
        expectClose(inPlace, want, dtype, ELEMENTWISE, `${op} in place`);
      }
    });

    it('backward: dx into a poisoned out, over dy and over x (in place); dbias as without out', async () => {
      const act = await sharedActivations();
      const [rows, c] = [11, 8];
      const shape = [rows, c];
      const x = uniformAs(rows * c, 3, dtype);
      const bias = uniformAs(c, 4, dtype, -1, 1);
      const dy = uniformAs(rows * c, 5, dtype, -2, 2);
      const want = fref.biasActBackward('gelu', x, bias, dy);
      for (const target of ['poisoned', 'dy', 'x'] as const) {
        const xt = act.tensor(x, shape, { dtype });
        const bt = act.tensor(bias, [c], { dtype });
        const dyt = act.tensor(dy, shape, { dtype });
        const out =
          target === 'poisoned' ? poisoned(act, shape, dtype) : target === 'dy' ? dyt : xt;
        const got = await noGpuErrors(act.device, async () => {
          const g = biasActBackward(act, 'gelu', { x: xt, bias: bt, dy: dyt }, { out });
          expect(g.dx).toBe(out);
          const r = { dx: await raw(out), dbias: await raw(g.dbias) };
          g.dbias.destroy();
          return r;
        });
        destroy(xt, bt, dyt, out);
        expectClose(got.dx, want.dx, dtype, ELEMENTWISE, `dx over ${target}`);
        // 11 rows of |dx| < 3: float32 sums within 1e-5; float16 within 1 ulp of the rounded sum.
        expectClose(
          got.dbias,
          want.dbias,
          dtype,
          { atol: 1e-5, rtol: 1e-5 },
          `dbias, dx over ${target}`,
        );
      }
    });
  });

  it('backward from y with out: y (sigmoid, in place)', async () => {
    const act = await sharedActivations();
    const shape = [6, 5];
    const y = Float32Array.from(uniform(30, 0.01, 0.99, 6));
    const dy = uniform(30, -1, 1, 7);
    const yt = act.tensor(y, shape);
    const dyt = act.tensor(dy, shape);
    const got = await noGpuErrors(act.device, async () => {
      const g = biasActBackward(act, 'sigmoid', { y: yt, dy: dyt }, { out: yt });
      g.dbias.destroy();
      return yt.read();
    });
    destroy(yt, dyt);
    const want = fref.biasActBackward('sigmoid', y, new Float32Array(5), dy, {}, { fromY: true });
    expectClose(got, want.dx, 'float32', ELEMENTWISE, 'dx over y');
  });
});

describe('GLU with out', () => {
  it.each(dtypes)(
    '%s: forward into a poisoned out, (a, b) in place over a and over b; backward dx into out and over x',
    async (dtype) => {
      const act = await sharedActivations();
      for (const h of [8, 5]) {
        const rows = 6;
        const a = uniformAs(rows * h, 10, dtype);
        const b = uniformAs(rows * h, 11, dtype);
        const dy = uniformAs(rows * h, 12, dtype, -1, 1);
        const x = Float32Array.from(fref.joinHalves(a, b, h));
        const half = [rows, h];
        const full = [rows, 2 * h];
        const wy = fref.gluForward('geglu', a, b, { approximate: 'tanh' });
        const wg = fref.gluBackward('geglu', a, b, dy, { approximate: 'tanh' });
        const wdx = fref.joinHalves(wg.da, wg.db, h);
        const p = { approximate: 'tanh' } as const;
        const xt = act.tensor(x, full, { dtype });
        const dyt = act.tensor(dy, half, { dtype });
        const got = await noGpuErrors(act.device, async () => {
          const r: Record<string, Float32Array | Uint16Array> = {};
          const out = poisoned(act, half, dtype);
          expect(glu(act, 'geglu', xt, { ...p, out })).toBe(out);
          r.y = await raw(out);
          for (const over of ['a', 'b'] as const) {
            const at = act.tensor(a, half, { dtype });
            const bt = act.tensor(b, half, { dtype });
            glu(act, 'geglu', { a: at, b: bt }, { ...p, out: over === 'a' ? at : bt });
            r[`over ${over}`] = await raw(over === 'a' ? at : bt);
            destroy(at, bt);
          }
          const dxOut = poisoned(act, full, dtype);
          expect(gluBackward(act, 'geglu', { x: xt, dy: dyt }, { ...p, out: dxOut })).toBe(dxOut);
          r.dx = await raw(dxOut);
          gluBackward(act, 'geglu', { x: xt, dy: dyt }, { ...p, out: xt });
          r.dxInPlace = await raw(xt);
          destroy(out, dxOut);
          return r;
        });
        destroy(xt, dyt);
        const tol = ELEMENTWISE;
        expectClose(got.y, wy, dtype, tol, `forward H ${h}`);
        expectClose(got['over a'], wy, dtype, tol, `forward over a, H ${h}`);
        expectClose(got['over b'], wy, dtype, tol, `forward over b, H ${h}`);
        expectClose(got.dx, wdx, dtype, tol, `dx H ${h}`);
        expectClose(got.dxInPlace, wdx, dtype, tol, `dx over x, H ${h}`);
      }
    },
  );
});

describe('scaledMaskedSoftmax with out', () => {
  it.each([
    ['float32', 9],
    ['float16', 9],
    ['float32', 12],
    ['float16', 12],
  ] as const)(
    '%s, %i columns: forward into a poisoned out and over x; backward into a poisoned out, over dy and over y',
    async (dtype, cols) => {
      const act = await sharedActivations();
      const shape = [2, 5, cols];
      const n = size(shape);
      const x = uniformAs(n, 20, dtype);
      const dy = uniformAs(n, 21, dtype, -1, 1);
      const maskData = new Uint8Array(5 * cols).map((_, i) => (i % 7 === 3 ? 0 : 1));
      const options = { scale: 0.6, causal: true, offset: 1 };
      const refOptions = { ...options, mask: { data: maskData, shape: [5, cols], boolean: true } };
      const mask = { data: maskData, shape: [5, cols] };
      const wy = fref.maskedSoftmaxForward(x, shape, refOptions);
      const tol = SOFTMAX;
      const got = await noGpuErrors(act.device, async () => {
        const r: Record<string, Float32Array | Uint16Array> = {};
        const xt = act.tensor(x, shape, { dtype });
        const out = poisoned(act, shape, dtype);
        expect(scaledMaskedSoftmax(act, xt, { ...options, mask, out })).toBe(out);
        r.y = await raw(out);
        r.yv = await out.read();
        scaledMaskedSoftmax(act, xt, { ...options, mask, out: xt });
        r.inPlace = await raw(xt);
        for (const over of ['poisoned', 'dy', 'y'] as const) {
          const yt = act.tensor(r.yv as Float32Array, shape, { dtype });
          const dyt = act.tensor(dy, shape, { dtype });
          const dxOut =
            over === 'poisoned' ? poisoned(act, shape, dtype) : over === 'dy' ? dyt : yt;
          const dx = scaledMaskedSoftmaxBackward(
            act,
            { y: yt, dy: dyt },
            { ...options, out: dxOut },
          );
          expect(dx).toBe(dxOut);
          r[`dx ${over}`] = await raw(dxOut);
          destroy(yt, dyt, dxOut);
        }
        destroy(xt, out);
        return r;
      });
      expectClose(got.y, wy, dtype, tol, 'forward');
      expectClose(got.inPlace, wy, dtype, tol, 'forward over x');
      // The backward sees the stored (rounded) y.
      const wdx = fref.maskedSoftmaxBackward(got.yv as Float32Array, dy, shape, refOptions);
      for (const over of ['poisoned', 'dy', 'y'])
        expectClose(got[`dx ${over}`], wdx, dtype, tol, over);
    },
  );
});
