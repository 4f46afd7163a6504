/**
 * The two large shapes (node only: the browser's device has the
 * default binding limits, and these take seconds on SwiftShader).
 */
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/softmax/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { mismatches, report, SOFTMAX } from '../helpers/tolerance.js';

describe('large shapes', () => {
  it.each([
    [65536, 256],
    [1, 16777216],
  ])('softmax of [%i, %i] (grids past 65535 workgroups; a split row)', async (rows, len) => {
    const act = await sharedActivations();
    const x = uniform(rows * len, -20, 20, rows);
    x[len - 1] = 25;
    const got = await noGpuErrors(act.device, async () => {
      const xt = act.tensor(x, [rows, len]);
      const out = act.tensor(new Float32Array(rows * len).fill(NaN), [rows, len]);
      act.forward('softmax', xt, { out });
      const y = await out.read();
      xt.destroy();
      out.destroy();
      return y;
    });
    const want = ref.softmaxForward('softmax', x, [rows, len]);
    const ms = mismatches(got, want, SOFTMAX);
    expect(ms.length, report(ms)).toBe(0);
    let s = 0;
    for (let j = 0; j < len; j++) s += got[(rows - 1) * len + j];
    expect(Math.abs(s - 1)).toBeLessThanOrEqual(1e-5);
  });
});
