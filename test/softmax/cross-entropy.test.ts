/** The fused softmax cross-entropy against the float64 reference. */
import { describe, expect, it } from 'vitest';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import * as ref from '../../src/softmax/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { rng, uniform } from '../helpers/inputs.js';
import { halfMismatches, mismatches, report, SOFTMAX } from '../helpers/tolerance.js';

import { LOSS, resetTuningAfterEach, type DType } from './common.js';

resetTuningAfterEach();

describe('softmaxCrossEntropy', () => {
  const rows = 37;
  const classes = 53;
  const logits = () => {
    const x = uniform(rows * classes, -6, 6, 41);
    x[5] = 3.4e38; // a huge logit in row 0
    x.fill(-Infinity, classes, 2 * classes); // row 1 fully masked
    x[2 * classes + 7] = -Infinity; // one masked class in row 2 (not its label)
    return x;
  };
  const labelsOf = () => {
    const r = rng(42);
    return Int32Array.from({ length: rows }, (_, i) => (i === 2 ? 8 : Math.floor(r() * classes)));
  };

  async function run(
    x: Float32Array,
    target: Int32Array | Uint32Array | Float32Array,
    options: Record<string, unknown>,
    dtype: DType = 'float32',
  ) {
    const act = await sharedActivations();
    return noGpuErrors(act.device, async () => {
      const lt = act.tensor(x, [rows, classes], { dtype });
      const tt =
        target instanceof Float32Array ? act.tensor(target, [rows, classes], { dtype }) : target;
      const { loss, dlogits } = act.softmaxCrossEntropy(lt, tt, options);
      const out = { loss: await loss.read(), dlogits: await dlogits.read(), lossShape: loss.shape };
      for (const t of [lt, loss, dlogits]) t.destroy();
      if (tt instanceof Object && 'destroy' in tt) tt.destroy();
      return out;
    });
  }

  function check(
    got: { loss: Float32Array; dlogits: Float32Array; lossShape: readonly number[] },
    x: Float32Array,
    target: ArrayLike<number>,
    labels: boolean,
    options: ref.RefCrossEntropyOptions,
  ) {
    const want = ref.crossEntropy(x, rows, classes, target, labels, options);
    expect(got.lossShape).toEqual(options.reduction === 'none' ? [rows] : []);
    const lm = mismatches(got.loss, want.loss, LOSS);
    expect(lm, `loss: ${report(lm)}`).toEqual([]);
    const dm = mismatches(got.dlogits, want.dlogits, SOFTMAX, [x]);
    expect(dm, `dlogits: ${report(dm)}`).toEqual([]);
  }

  const reductions = ['none', 'mean', 'sum'] as const;
  it.each(reductions)(
    'labels, reduction %s, with and without ignoreIndex and smoothing',
    async (reduction) => {
      const x = logits();
      const labels = labelsOf();
      labels[4] = -100;
      labels[9] = -100;
      const options = { reduction, ignoreIndex: -100, labelSmoothing: 0.1 };
      check(await run(x, labels, options), x, labels, true, options);
      const plain = labelsOf();
      check(await run(x, plain, { reduction }), x, plain, true, { reduction });
      const u = Uint32Array.from(plain);
      check(await run(x, u, { reduction, labelSmoothing: 0.3 }), x, u, true, {
        reduction,
        labelSmoothing: 0.3,
      });
    },
  );

  it.each(reductions)('probability targets, reduction %s', async (reduction) => {
    const x = logits();
    const t = uniform(rows * classes, 0, 1, 43);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < classes; c++) s += t[r * classes + c];
      for (let c = 0; c < classes; c++) t[r * classes + c] /= s;
    }
    t.fill(0, 2 * classes, 3 * classes); // row 2: all mass on one class beside the masked one
    t[2 * classes + 8] = 1;
    check(await run(x, t, { reduction }), x, t, false, { reduction });
    const o = { reduction, labelSmoothing: 0.2 };
    check(await run(x, t, o), x, t, false, o);
  });

  it('a NaN logit makes its row and the mean NaN; all rows ignored gives 0', async () => {
    const x = logits();
    x[3 * classes + 1] = NaN;
    const labels = labelsOf();
    check(await run(x, labels, { reduction: 'none' }), x, labels, true, { reduction: 'none' });
    const mean = await run(x, labels, {});
    expect(Number.isNaN(mean.loss[0])).toBe(true);
    const none = new Int32Array(rows).fill(7);
    const all = await run(logits(), none, { ignoreIndex: 7 });
    expect(Array.from(all.loss)).toEqual([0]);
    expect(all.dlogits.every((v) => v === 0)).toBe(true);
  });

  it('float16 logits (loss in float32)', async () => {
    const x = fromHalfArray(toHalfArray(uniform(rows * classes, -4, 4, 44)));
    const labels = labelsOf();
    const got = await run(x, labels, { reduction: 'sum' }, 'float16');
    const want = ref.crossEntropy(x, rows, classes, labels, true, { reduction: 'sum' });
    expect(Math.abs(got.loss[0] - want.loss[0])).toBeLessThanOrEqual(1e-5 * Math.abs(want.loss[0]));
    const ms = halfMismatches(toHalfArray(got.dlogits), toHalfArray(want.dlogits), 1);
    expect(ms, report(ms)).toEqual([]);
  });
});
