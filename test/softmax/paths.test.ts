/** The softmax kernels' paths at their boundaries, and temperature and softmin. */
import { describe, expect, it } from 'vitest';
import { planRows } from '../../src/softmax/plan.js';
import * as ref from '../../src/softmax/reference.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { mismatches, report } from '../helpers/tolerance.js';

import {
  backward,
  BACKWARD,
  checkForward,
  forward,
  resetTuningAfterEach,
  sizeOf,
  withTuning,
} from './common.js';

resetTuningAfterEach();

describe('kernel paths at their boundaries', () => {
  it('the automatic choice', () => {
    expect(planRows(10, 1, 1)).toMatchObject({ reduce: 'single', w: 1, k: 0, chunks: 1 });
    expect(planRows(10, 8, 1)).toMatchObject({ reduce: 'single', w: 1 });
    expect(planRows(10, 9, 1)).toMatchObject({ reduce: 'workgroup', w: 4, k: 4 });
    expect(planRows(10, 9, 1, { subgroups: true })).toMatchObject({ reduce: 'subgroup', k: 4 });
    expect(planRows(10, 17, 1, { subgroups: true })).toMatchObject({ reduce: 'subgroup', k: 0 });
    expect(planRows(10, 1024, 1, { subgroups: true })).toMatchObject({ reduce: 'subgroup', k: 0 });
    expect(planRows(10, 1025, 1, { subgroups: true })).toMatchObject({
      reduce: 'workgroup',
      w: 256,
      k: 16,
    });
    expect(planRows(10, 256, 1)).toMatchObject({ w: 64, k: 4 });
    expect(planRows(10, 1024, 1)).toMatchObject({ w: 256, k: 4 });
    expect(planRows(10, 1025, 1)).toMatchObject({ w: 256, k: 16 });
    expect(planRows(10, 4096, 1)).toMatchObject({ w: 256, k: 16 });
    expect(planRows(10, 4097, 1)).toMatchObject({ w: 256, k: 0, chunks: 1 });
    expect(planRows(127, 65536, 1)).toMatchObject({ w: 256, k: 0, chunks: 4 });
    expect(planRows(128, 65536, 1)).toMatchObject({ chunks: 1 });
    expect(planRows(1, 65535, 1)).toMatchObject({ chunks: 1 });
    expect(planRows(1, 65536, 1, { split: false })).toMatchObject({ chunks: 1 });
    expect(planRows(1, 16777216, 1)).toMatchObject({ chunks: 1024 });
    expect(planRows(2048, 20, 2)).toMatchObject({ reduce: 'single', w: 1, k: 0 });
    expect(planRows(2048, 16, 2)).toMatchObject({ reduce: 'single', w: 1, k: 0 });
    expect(planRows(2047, 20, 2, { subgroups: true })).toMatchObject({ reduce: 'workgroup', w: 8 });
  });

  it('the rows kernel splits long rows up to rowsSplitMaxRows', () => {
    const rows = { subgroups: true, rows: true };
    expect(planRows(8, 2097152, 1, rows)).toMatchObject({ reduce: 'rows', chunks: 128 });
    expect(planRows(256, 65536, 1, rows)).toMatchObject({ reduce: 'rows', chunks: 4 });
    expect(planRows(1023, 65536, 1, rows)).toMatchObject({ chunks: 4 });
    expect(planRows(1024, 65536, 1, rows)).toMatchObject({ chunks: 1 });
    expect(planRows(256, 65535, 1, rows)).toMatchObject({ chunks: 1 });
    expect(planRows(256, 65536, 1, { ...rows, split: false })).toMatchObject({ chunks: 1 });
  });

  const lengths = [4095, 4096, 4097, 5000];
  it.each(lengths)('register / streaming boundary: 3 rows of %i', async (len) => {
    const act = await sharedActivations();
    const x = uniform(3 * len, -30, 30, len);
    x[len - 1] = 40;
    x[len] = 40;
    for (const op of ['softmax', 'logSoftmax'] as const) {
      checkForward(op, x, [3, len], await forward(act, op, x, [3, len]));
    }
    const y = new Float32Array(ref.softmaxForward('logSoftmax', x, [3, len]));
    const dy = uniform(3 * len, -1, 1, 7);
    const dx = await backward(act, 'logSoftmax', y, dy, [3, len]);
    const ms = mismatches(dx, ref.softmaxBackward('logSoftmax', y, dy, [3, len]), BACKWARD, [
      y,
      dy,
    ]);
    expect(ms, report(ms)).toEqual([]);
  });

  it.each([65535, 65536])('one row of %i (the real split threshold)', async (len) => {
    const act = await sharedActivations();
    const x = uniform(len, -50, 50, 3);
    x[len - 1] = 60;
    checkForward('softmax', x, [1, len], await forward(act, 'softmax', x, [1, len]));
  });

  // Split rows with the threshold moved down: chunk edges, a ragged last chunk,
  // -Inf / +Inf / NaN rows and a max in the last chunk.
  it.each([
    [3, 2048],
    [3, 2049],
    [5, 3000],
  ])('split rows (chunks of 512): %i x %i, forward and backward', async (rows, len) => {
    withTuning({ cacheMax: 256, splitMinLen: 2048, splitMaxRows: 4, chunkLen: 512 });
    const act = await sharedActivations();
    const shape = [rows, len];
    const x = uniform(rows * len, -20, 20, len);
    x[len - 1] = 30;
    x.fill(-Infinity, len, 2 * len);
    x[2 * len + 700] = Infinity;
    x[2 * len + len - 1] = Infinity;
    if (rows > 3) x[3 * len + 5] = NaN;
    const ops =
      len === 2048 ? (['softmax', 'logSoftmax', 'softmin'] as const) : (['logSoftmax'] as const);
    for (const op of ops) {
      checkForward(op, x, shape, await forward(act, op, x, shape, { temperature: 1.5 }), {
        temperature: 1.5,
      });
      const y = new Float32Array(ref.softmaxForward(op, x, shape, { temperature: 1.5 }));
      const dy = uniform(rows * len, -1, 1, 9);
      const dx = await backward(act, op, y, dy, shape, { temperature: 1.5 });
      const ms = mismatches(
        dx,
        ref.softmaxBackward(op, y, dy, shape, { temperature: 1.5 }),
        BACKWARD,
        [y, dy],
      );
      expect(ms, `${op}: ${report(ms)}`).toEqual([]);
    }
  });

  it('strided (non-last) axes: group path and one-thread-per-row path', async () => {
    const act = await sharedActivations();
    const cases: [number[], number][] = [
      [[3, 5, 7], 0],
      [[3, 5, 7], 1],
      [[3, 5, 7], -1],
      [[2, 3, 4, 5], 0],
      [[2, 3, 4, 5], 1],
      [[2, 3, 4, 5], 2],
      [[2, 3, 4, 5], -1],
      [[4, 10, 600], 1], // 2400 rows, len 10: one thread per row, in registers
      [[4, 40, 600], 1], // len 40: one thread per row, streamed
      [[2, 300, 3], 1], // few rows: a group per row, strided
      [[1, 5000, 2], 1], // strided and streamed
    ];
    for (const [shape, axis] of cases) {
      const x = uniform(sizeOf(shape), -10, 10, shape.length * 31 + axis);
      for (const op of ['softmax', 'logSoftmax'] as const) {
        checkForward(op, x, shape, await forward(act, op, x, shape, { axis }), { axis });
      }
      const y = new Float32Array(ref.softmaxForward('softmax', x, shape, { axis }));
      const dy = uniform(sizeOf(shape), -1, 1, 5);
      const dx = await backward(act, 'softmax', y, dy, shape, { axis });
      const ms = mismatches(dx, ref.softmaxBackward('softmax', y, dy, shape, { axis }), BACKWARD, [
        y,
        dy,
      ]);
      expect(ms, `${JSON.stringify(shape)} axis ${axis}: ${report(ms)}`).toEqual([]);
    }
  });
});

describe('temperature and softmin', () => {
  it.each([0.05, 0.5, 1, 3, 1e6])('T = %d', async (temperature) => {
    const act = await sharedActivations();
    const shape = [6, 37];
    const x = uniform(sizeOf(shape), -20, 20, 11);
    x[3] = 3.4e38;
    x[40] = -3.4e38;
    for (const op of ['softmax', 'logSoftmax', 'softmin'] as const) {
      checkForward(op, x, shape, await forward(act, op, x, shape, { temperature }), {
        temperature,
      });
      const y = new Float32Array(ref.softmaxForward(op, x, shape, { temperature }));
      const dy = uniform(sizeOf(shape), -1, 1, 12);
      const dx = await backward(act, op, y, dy, shape, { temperature });
      const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, shape, { temperature }), BACKWARD, [
        y,
        dy,
      ]);
      expect(ms, `${op}: ${report(ms)}`).toEqual([]);
    }
  });

  it('grad() from x equals backward from y', async () => {
    const act = await sharedActivations();
    const x = uniform(60, -3, 3, 13);
    const dy = uniform(60, -1, 1, 14);
    const got = await act.grad('softmin', x, dy, { shape: [5, 12], temperature: 2 });
    const y = ref.softmaxForward('softmin', x, [5, 12], { temperature: 2 });
    const ms = mismatches(
      got,
      ref.softmaxBackward('softmin', y, dy, [5, 12], { temperature: 2 }),
      BACKWARD,
    );
    expect(ms, report(ms)).toEqual([]);
  });
});
