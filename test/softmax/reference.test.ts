/** The softmax family's float64 reference itself. */
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/softmax/reference.js';
import { uniform } from '../helpers/inputs.js';

import { resetTuningAfterEach } from './common.js';

resetTuningAfterEach();

describe('the float64 reference', () => {
  it('its backward matches central finite differences of its forward', () => {
    const shape = [3, 4, 5];
    const x = Array.from(uniform(60, -3, 3, 51));
    const dy = Array.from(uniform(60, -1, 1, 52));
    for (const op of ['softmax', 'logSoftmax', 'softmin'] as const) {
      for (const params of [{}, { axis: 1, temperature: 0.7 }, { axis: 0, temperature: 2 }]) {
        const y = ref.softmaxForward(op, x, shape, params);
        const dx = ref.softmaxBackward(op, y, dy, shape, params);
        const h = 1e-6;
        const loss = (xs: number[]) =>
          ref.softmaxForward(op, xs, shape, params).reduce((a, v, i) => a + v * dy[i], 0);
        for (let i = 0; i < x.length; i++) {
          const xp = [...x];
          const xm = [...x];
          xp[i] += h;
          xm[i] -= h;
          const fd = (loss(xp) - loss(xm)) / (2 * h);
          expect(
            Math.abs(fd - dx[i]),
            `${op} ${JSON.stringify(params)} [${i}]`,
          ).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
        }
      }
    }
  });

  it('the cross-entropy gradient matches finite differences of its loss', () => {
    const rows = 3;
    const classes = 4;
    const x = Array.from(uniform(12, -2, 2, 53));
    const labels = [1, 3, 0];
    for (const options of [
      { reduction: 'mean' as const, labelSmoothing: 0.2 },
      { reduction: 'sum' as const },
    ]) {
      const { dlogits } = ref.crossEntropy(x, rows, classes, labels, true, options);
      for (let i = 0; i < x.length; i++) {
        const h = 1e-6;
        const xp = [...x];
        const xm = [...x];
        xp[i] += h;
        xm[i] -= h;
        const lp = ref.crossEntropy(xp, rows, classes, labels, true, options).loss[0];
        const lm = ref.crossEntropy(xm, rows, classes, labels, true, options).loss[0];
        const fd = (lp - lm) / (2 * h);
        expect(Math.abs(fd - dlogits[i])).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
      }
    }
  });
});
