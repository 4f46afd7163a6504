/**
 * Node-only (too slow for the browser project on SwiftShader): biasAct's dbias
 * over 1,000,000 rows is within 1e-5 relative of the float64 sum, and
 * bitwise identical from run to run; fused ops on a tensor over the default
 * 128 MiB binding limit, in sub-ranges, against the float64 reference.
 */
import { expect, it } from 'vitest';
import * as fref from '../../src/fused/reference.js';
import { createActivations } from '../../src/index.js';
import { noGpuErrors, sharedActivations, testGPU } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { ELEMENTWISE, mismatches, report } from '../helpers/tolerance.js';
import { biasAct, biasActBackward, scaledMaskedSoftmax } from '../../src/fused/index.js';

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

it('over 128 MiB on a device with the default binding limit: biasAct forward and backward, scaledMaskedSoftmax, in sub-ranges', async () => {
  const adapter = await testGPU().requestAdapter();
  // Default maxStorageBufferBindingSize (128 MiB); only the buffer size limit is raised.
  const device = await adapter!.requestDevice({
    requiredFeatures: adapter!.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [],
    requiredLimits: { maxBufferSize: adapter!.limits.maxBufferSize },
  });
  const limit = device.limits.maxStorageBufferBindingSize;
  expect(limit).toBe(128 * 2 ** 20);
  const act = await createActivations({ device });
  // [513 x 256, 256] float32: 134.5 MB, two sub-ranges of whole rows.
  const shape = [513, 256, 256];
  const c = 256;
  const n = 513 * 256 * 256;
  const x = uniform(n, -4, 4, 4);
  const bias = uniform(c, -1, 1, 5);
  const dy = uniform(n, -1, 1, 6);
  const xt = act.tensor(x, shape);
  expect(xt.byteLength).toBeGreaterThan(limit);
  const bt = act.tensor(bias);
  const dyt = act.tensor(dy, shape);
  const got = await noGpuErrors(device, async () => {
    const y = biasAct(act, 'leakyRelu', xt, bt, { alpha: 0.1 });
    const g = biasActBackward(act, 'leakyRelu', { x: xt, bias: bt, dy: dyt }, { alpha: 0.1 });
    const s = scaledMaskedSoftmax(act, xt, { causal: true, scale: 0.5 });
    return {
      y: await y.read(),
      dx: await g.dx.read(),
      dbias: await g.dbias.read(),
      s: await s.read(),
    };
  });
  device.destroy();
  const ms = mismatches(
    got.y,
    fref.biasActForward('leakyRelu', x, bias, { alpha: 0.1 }),
    ELEMENTWISE,
  );
  expect(ms, report(ms)).toEqual([]);
  const w = fref.biasActBackward('leakyRelu', x, bias, dy, { alpha: 0.1 });
  const md = mismatches(got.dx, w.dx, ELEMENTWISE);
  expect(md, report(md)).toEqual([]);
  const abs = new Float64Array(c);
  w.dx.forEach((v, i) => (abs[i % c] += Math.abs(v)));
  for (let j = 0; j < c; j++)
    expect(Math.abs(got.dbias[j] - w.dbias[j])).toBeLessThanOrEqual(1e-6 * abs[j]);
  const mw = mismatches(got.s, fref.maskedSoftmaxForward(x, shape, { causal: true, scale: 0.5 }), {
    atol: 1e-6,
    rtol: 1e-5,
  });
  expect(mw, report(mw)).toEqual([]);
}, 600_000);
