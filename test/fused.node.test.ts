/**
 * Node-only (too slow for the browser project on SwiftShader): biasAct's dbias
 * over 1,000,000 rows is within 1e-5 relative of the float64 sum, and
 * bitwise identical from run to run.
 */
import { expect, it } from 'vitest';
import * as fref from '../src/fused-reference.js';
import { noGpuErrors, sharedActivations } from './gpu.js';
import { uniform } from './inputs.js';
import { biasActBackward } from '../src/fused-entry.js';

it('dbias over 1,000,000 rows: within 1e-5 relative of the float64 sum, bitwise repeatable', async () => {
  const act = await sharedActivations();
  const rows = 1_000_000;
  const c = 8;
  const x = uniform(rows * c, -4, 4, 1);
  const bias = uniform(c, -1, 1, 2);
  // Same-sign upstream gradients and a monotone activation: no cancellation, so the
  // relative bound measures the summation itself.
  const dy = uniform(rows * c, 0.5, 1.5, 3);
  const xt = act.tensor(x, [rows, c]);
  const bt = act.tensor(bias);
  const dyt = act.tensor(dy, [rows, c]);
  const sums = await noGpuErrors(act.device, async () => {
    const out: Float32Array[] = [];
    for (let k = 0; k < 2; k++) {
      const g = biasActBackward(act, 'sigmoid', { x: xt, bias: bt, dy: dyt });
      out.push(await g.dbias.read());
      g.dx.destroy();
      g.dbias.destroy();
    }
    return out;
  });
  for (const t of [xt, bt, dyt]) t.destroy();
  const want = fref.biasActBackward('sigmoid', x, bias, dy).dbias;
  for (let j = 0; j < c; j++) {
    expect(Math.abs(sums[0][j] - want[j])).toBeLessThanOrEqual(1e-5 * Math.abs(want[j]));
  }
  expect(Array.from(new Uint32Array(sums[1].buffer))).toEqual(
    Array.from(new Uint32Array(sums[0].buffer)),
  );
});
