/**
 * biasAct on real WebGPU (Node and Chromium) against the float64 reference
 * (src/fused/reference.ts), for every activation of the table: forward,
 * fused backward with dbias, backward from y, float16 storage, a dbias
 * bitwise repeatable through several merge passes, empty inputs, the
 * one-call forms, and bad input. Outputs are NaN-poisoned or freshly
 * allocated and every result element is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsY, activationNames, type ActivationName } from '../../src/elementwise/table.js';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning } from '../../src/fused/table.js';
import { InvalidArgumentError } from '../../src/index.js';
import { paramCases } from '../helpers/cases.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import {
  close,
  ELEMENTWISE,
  halfMismatches,
  mismatches,
  report,
  halfRounded,
} from '../helpers/tolerance.js';
import { applyBiasAct, biasAct, biasActBackward, gradBiasAct } from '../../src/fused/index.js';
import { destroy, gradients, run, withSpecials } from './common.js';

const tuning = { ...fusedTuning };
afterEach(() => Object.assign(fusedTuning, tuning));

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
        const p = paramCases(op)[0] as never; // prelu's required slope; {} for the rest
        const yt = biasAct(act, op, xt, bt, p);
        const g = biasActBackward(act, op, { x: xt, bias: bt, dy: dyt }, p);
        const out = {
          y: (await yt.readRaw()) as Uint16Array,
          dx: (await g.dx.readRaw()) as Uint16Array,
          dbias: (await g.dbias.readRaw()) as Uint16Array,
        };
        destroy(yt, g.dx, g.dbias);
        return out;
      });
      destroy(xt, bt, dyt);
      const ms = halfMismatches(
        y,
        toHalfArray(fref.biasActForward(op, x, bias, paramCases(op)[0])),
        1,
        [x],
      );
      expect(ms, report(ms)).toEqual([]);
      const w = fref.biasActBackward(op, x, bias, dy, paramCases(op)[0]);
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
});
