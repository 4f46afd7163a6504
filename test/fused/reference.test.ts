/**
 * The fused ops' float64 reference (src/fused/reference.ts) against central
 * finite differences of its own forward: biasAct's dx and dbias for every
 * activation, each GLU's da and db, and scaledMaskedSoftmax's dx.
 */
import { describe, expect, it } from 'vitest';
import { activationNames } from '../../src/elementwise/table.js';
import * as fref from '../../src/fused/reference.js';
import { gluKinds, type GluKind } from '../../src/fused/table.js';
import { uniform } from '../helpers/inputs.js';
import { gluParams } from './common.js';

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
