/** prelu's broadcast slope (NumPy rules) and its gradient. */
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/elementwise/reference.js';
import { sharedActivations } from '../helpers/gpu.js';
import { elementwiseInputs, uniform } from '../helpers/inputs.js';
import { ELEMENTWISE, mismatches, report } from '../helpers/tolerance.js';

describe('prelu with a broadcast slope', () => {
  const shapes: [number[], number[]][] = [
    [
      [2, 3, 4, 5],
      [3, 1, 1],
    ],
    [[2, 3, 4, 5], [5]],
    [
      [2, 3, 4, 5],
      [2, 1, 4, 1],
    ],
    [[6, 7], []],
    [
      [6, 7],
      [6, 7],
    ],
  ];
  it.each(shapes)(
    'x %j, slope %j: forward, backward and dslope match the reference',
    async (xshape, sshape) => {
      const act = await sharedActivations();
      const n = xshape.reduce((a, b) => a * b, 1);
      const ns = sshape.reduce((a, b) => a * b, 1);
      const x = elementwiseInputs(n, 3).subarray(0, n);
      const dy = uniform(n, -1, 1, 4);
      const slope = uniform(ns, -0.5, 0.5, 5);
      const slopeAt = (i: number) => slope[ref.broadcastIndex(xshape, sshape, i)];
      const params = { slope: { data: slope, shape: sshape }, shape: xshape };
      const y = await act.apply('prelu', x, params);
      const dx = await act.grad('prelu', x, dy, params);
      const { slope: ds } = await act.gradParams('prelu', x, dy, params);
      const m1 = mismatches(y, ref.forward('prelu', x, {}, slopeAt), ELEMENTWISE, [x]);
      const m2 = mismatches(dx, ref.backward('prelu', x, dy, {}, { slopeAt }), ELEMENTWISE, [
        x,
        dy,
      ]);
      // The slope gradient is a sum of n / ns terms in f32: allow for its accumulated rounding.
      const m3 = mismatches(ds, ref.preluSlopeGrad(x, dy, xshape, sshape), {
        atol: 1e-4,
        rtol: 1e-5,
      });
      expect(m1, report(m1)).toEqual([]);
      expect(m2, report(m2)).toEqual([]);
      expect(m3, report(m3)).toEqual([]);
      expect(ds.length).toBe(ns);
    },
  );
});
