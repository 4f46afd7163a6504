/**
 * The softmax family over the binding limit, on a device seen through a 64
 * KiB maxStorageBufferBindingSize (test/helpers/gpu.ts limitedView: a binding
 * over it, or misaligned, throws): tensors of many rows run in windows of
 * whole rows, a row longer than one binding runs split (partial max and sum
 * per chunk, then merged), each against the float64 reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivations, type Activations } from '../../src/index.js';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import * as ref from '../../src/softmax/reference.js';
import { softmaxTuning } from '../../src/softmax/plan.js';
import { thrown } from '../helpers/errors.js';
import { limitedView, noGpuErrors, testGPU } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { halfMismatches, mismatches, report, SOFTMAX } from '../helpers/tolerance.js';

import {
  backward,
  BACKWARD,
  checkForward,
  forward,
  LOSS,
  poisoned,
  resetTuningAfterEach,
  sizeOf,
  withTuning,
} from './common.js';

resetTuningAfterEach();

const LIMIT = 1 << 16;
const bound: number[] = [];
let device: GPUDevice;
let act: Activations;

beforeAll(async () => {
  const adapter = (await testGPU().requestAdapter())!;
  // With subgroups where the adapter has them, so contiguous rows take rows.wgsl.
  const features: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  device = await adapter.requestDevice({ requiredFeatures: features });
  act = await createActivations({ device: limitedView(device, LIMIT, bound) });
});
afterAll(() => device.destroy());

/** x with a row's max in its last element, a -Inf, and (rows >= 3) a row of -Inf. */
function logits(shape: number[], seed: number): Float32Array {
  const n = sizeOf(shape);
  const x = uniform(n, -30, 30, seed);
  x[n - 1] = 45;
  x[3] = -Infinity;
  const len = shape[shape.length - 1];
  if (n / len >= 3) x.fill(-Infinity, len, 2 * len);
  return x;
}

/**
 * Runs `what` on `bytes` of tensor, more than one binding: limitedView throws on a binding
 * over the limit, so it must have run in windows.
 */
async function windowed<T>(bytes: number, what: () => Promise<T>): Promise<T> {
  expect(bytes).toBeGreaterThan(LIMIT);
  bound.length = 0;
  const got = await what();
  // Bind groups may come from the cache (nothing new bound): those passed the check when made.
  for (const b of bound) expect(b).toBeLessThanOrEqual(LIMIT);
  return got;
}

// [40, 1000]: 156 KB of rows; [3, 40000]: rows of 156 KB (split). Strided: [520, 40] on
// axis 0, rows spanning 81 KB (split); [12, 50, 30] on axis 1, rows spanning 6 KB.
const contiguous: [number[], number][] = [
  [[40, 1000], -1],
  [[3, 40_000], -1],
  [[3, 40_001], -1],
];
const strided: [number[], number][] = [
  [[520, 40], 0],
  [[12, 50, 30], 1],
];

describe('the softmax family over the binding limit (64 KiB bindings)', () => {
  // The rows kernel (where the adapter has subgroups) takes contiguous rows; strided ones and
  // rowsKernel: false take the workgroup kernels.
  const runs = [
    ...contiguous.map(([shape, axis]) => [shape, axis, true] as const),
    ...[...contiguous, ...strided].map(([shape, axis]) => [shape, axis, false] as const),
  ];
  it.each(runs)(
    '%j axis %i (rows kernel: %s): forward and backward',
    async (shape, axis, rowsKernel) => {
      withTuning({ rowsKernel });
      const x = logits(shape, shape[1]);
      for (const op of ['softmax', 'logSoftmax', 'softmin'] as const) {
        const params = { axis, temperature: op === 'softmin' ? 2 : 1 };
        const got = await windowed(x.byteLength, () => forward(act, op, x, shape, params));
        checkForward(op, x, shape, got, params);
      }
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const y = new Float32Array(ref.softmaxForward(op, x, shape, { axis }));
        const dy = uniform(sizeOf(shape), -1, 1, 5);
        const dx = await windowed(y.byteLength, () => backward(act, op, y, dy, shape, { axis }));
        const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, shape, { axis }), BACKWARD, [
          y,
          dy,
        ]);
        expect(ms, `${op} backward ${JSON.stringify(shape)}: ${report(ms)}`).toEqual([]);
      }
    },
  );

  it('a split row of NaN, +Inf and all -Inf chunks, with the chunk size at its default', async () => {
    // 3 rows of 20000: each row over the 16384-element binding, so split in 8192-element chunks.
    const shape = [3, 20_000];
    const x = uniform(60_000, -5, 5, 9);
    x[12_345] = NaN;
    x[20_000 + 19_999] = Infinity;
    x.fill(-Infinity, 40_000, 40_000 + 16_384);
    expect(softmaxTuning.chunkLen).toBe(16_384);
    for (const op of ['softmax', 'logSoftmax'] as const) {
      checkForward(op, x, shape, await windowed(x.byteLength, () => forward(act, op, x, shape)));
    }
  });

  it('float16: whole rows and split rows within 1 half ulp', async () => {
    for (const shape of [
      [60, 1000],
      [2, 40_000],
    ]) {
      const n = sizeOf(shape);
      const x = fromHalfArray(toHalfArray(uniform(n, -8, 8, n)));
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const raw = await windowed(n * 2, () =>
          noGpuErrors(device, async () => {
            const xt = act.tensor(x, shape, { dtype: 'float16' });
            const out = poisoned(act, shape, 'float16');
            act.forward(op, xt, { out });
            const bits = (await out.readRaw()) as Uint16Array;
            for (const t of [xt, out]) t.destroy();
            return bits;
          }),
        );
        const want = toHalfArray(ref.softmaxForward(op, x, shape));
        const ms = halfMismatches(raw, want, 1, [x]);
        expect(ms, `${op} ${JSON.stringify(shape)}: ${report(ms)}`).toEqual([]);
      }
    }
  });

  it('in place (out: x) over the limit', async () => {
    const shape = [3, 40_000];
    const x = logits(shape, 4);
    const got = await windowed(x.byteLength, () =>
      noGpuErrors(device, async () => {
        const xt = act.tensor(x, shape);
        act.forward('softmax', xt, { out: xt });
        const y = await xt.read();
        xt.destroy();
        return y;
      }),
    );
    checkForward('softmax', x, shape, got);
  });

  it('softmaxCrossEntropy: logits over the limit in windows of whole rows', async () => {
    const [rows, classes] = [200, 300];
    const x = logits([rows, classes], 6);
    const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % classes);
    labels[5] = -100;
    const options = { reduction: 'mean' as const, ignoreIndex: -100, labelSmoothing: 0.1 };
    const got = await windowed(x.byteLength, () =>
      noGpuErrors(device, async () => {
        const lt = act.tensor(x, [rows, classes]);
        const { loss, dlogits } = act.softmaxCrossEntropy(lt, labels, options);
        const out = { loss: await loss.read(), dlogits: await dlogits.read() };
        for (const t of [lt, loss, dlogits]) t.destroy();
        return out;
      }),
    );
    const want = ref.crossEntropy(x, rows, classes, labels, true, options);
    const lm = mismatches(got.loss, want.loss, LOSS);
    expect(lm, `loss: ${report(lm)}`).toEqual([]);
    const dm = mismatches(got.dlogits, want.dlogits, SOFTMAX, [x]);
    expect(dm, `dlogits: ${report(dm)}`).toEqual([]);
  });

  it('refuses a cross-entropy row longer than one binding, before any GPU work', async () => {
    const lt = act.tensor(new Float32Array(20_000), [1, 20_000]);
    await act.flush();
    const before = act.stats().recordedDispatches;
    const e = thrown(() => act.softmaxCrossEntropy(lt, new Int32Array([0])));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(
      /^softmaxCrossEntropy: rows of 20000 elements take 80000 bytes per dispatch unit, more than maxStorageBufferBindingSize \(65536\)/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    expect(Array.from(await lt.read()).every((v) => v === 0)).toBe(true);
    lt.destroy();
  });
});
