/**
 * The GLU family on real WebGPU (Node and Chromium) against the float64
 * reference (src/fused/reference.ts): glu, swiglu, geglu and reglu from one
 * tensor and from two, forward and backward, float16 storage, the one-call
 * forms, and bad input. Every result element is checked.
 */
import { describe, expect, it } from 'vitest';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { gluKinds } from '../../src/fused/table.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import {
  ELEMENTWISE,
  halfMismatches,
  mismatches,
  report,
  halfRounded,
} from '../helpers/tolerance.js';
import { applyGlu, glu, gluBackward, gradGlu } from '../../src/fused/index.js';
import { destroy, gluParams, gradients, run } from './common.js';

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

describe('bad input throws before any GPU work, naming the op and the argument', () => {
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
});
