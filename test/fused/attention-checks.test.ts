/**
 * scaledMaskedSoftmax's attention options: the float64 reference's
 * gradients (dx and dsinks) against central differences, and bad input
 * refused before any GPU work, naming the op and the argument.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as fref from '../../src/fused/reference.js';
import { fusedTuning } from '../../src/fused/table.js';
import { InvalidArgumentError } from '../../src/index.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { scaledMaskedSoftmax, scaledMaskedSoftmaxBackward } from '../../src/fused/index.js';
import { destroy } from './common.js';

import { SLOPES3, type Opts } from './attention-cases.js';

const tuning = { ...fusedTuning };
afterEach(() => Object.assign(fusedTuning, tuning));

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
