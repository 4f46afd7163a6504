/**
 * The softmax family on real WebGPU against the float64 reference
 * (src/softmax/reference.ts): every row length with the maximum at each
 * index, the workgroup-memory kernels, and the cases the issue named.
 * Outputs are poisoned with NaN first, so an element no kernel wrote fails.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor } from '../../src/index.js';
import * as ref from '../../src/softmax/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { mismatches, report } from '../helpers/tolerance.js';

import {
  backward,
  BACKWARD,
  checkForward,
  forward,
  poisoned,
  resetTuningAfterEach,
  withTuning,
} from './common.js';

resetTuningAfterEach();

describe('every row length 1..300, the row maximum at each index in turn', () => {
  // One [L, L] tensor per length: row i has its largest value at index i.
  const lengths = Array.from({ length: 300 }, (_, i) => i + 1);
  const data = (len: number) => {
    const x = uniform(len * len, -8, 8, len);
    for (let i = 0; i < len; i++) x[i * len + i] = 9 + (i % 3);
    return x;
  };

  it.each(['softmax', 'logSoftmax'] as const)('%s forward', async (op) => {
    const act = await sharedActivations();
    const outs = await noGpuErrors(act.device, async () => {
      const made: Tensor[] = [];
      const ys = lengths.map((len) => {
        const xt = act.tensor(data(len), [len, len]);
        const out = poisoned(act, [len, len]);
        made.push(xt, out);
        return act.forward(op, xt, { out });
      });
      const got = await Promise.all(ys.map((y) => y.read()));
      for (const t of made) t.destroy();
      return got;
    });
    lengths.forEach((len, i) => checkForward(op, data(len), [len, len], outs[i]));
  });

  it('softmax backward', async () => {
    const act = await sharedActivations();
    const ys = lengths.map(
      (len) => new Float32Array(ref.softmaxForward('softmax', data(len), [len, len])),
    );
    const dys = lengths.map((len) => uniform(len * len, -2, 2, len + 1000));
    const outs = await noGpuErrors(act.device, async () => {
      const made: Tensor[] = [];
      const dxs = lengths.map((len, i) => {
        const yt = act.tensor(ys[i], [len, len]);
        const dyt = act.tensor(dys[i], [len, len]);
        made.push(yt, dyt);
        return act.backward('softmax', { y: yt, dy: dyt });
      });
      const got = await Promise.all(dxs.map((t) => t.read()));
      for (const t of [...made, ...dxs]) t.destroy();
      return got;
    });
    lengths.forEach((len, i) => {
      const want = ref.softmaxBackward('softmax', ys[i], dys[i], [len, len]);
      const ms = mismatches(outs[i], want, BACKWARD, [ys[i], dys[i]]);
      expect(ms, `length ${len}:\n${report(ms)}`).toEqual([]);
    });
  });
});

describe('the workgroup-memory kernels (what an adapter without subgroups runs)', () => {
  // The fast rows kernel needs 'subgroups'; force the fallback on this adapter.
  const fallback = { rowsKernel: false, subgroupMaxLen: 0 };
  const lengths = [3, 65, 300, 1025, 4097];
  const data = (len: number) => {
    // 4 rows: the max at the start, the middle and the end, and one row of -Inf with a +Inf.
    const x = uniform(4 * len, -8, 8, len + 3);
    x[0] = 9;
    x[len + (len >> 1)] = 9;
    x[3 * len - 1] = 9;
    x.fill(-Infinity, 3 * len, 4 * len);
    x[4 * len - 1 - (len >> 2)] = Infinity;
    return x;
  };

  it('softmax and logSoftmax forward, softmax and logSoftmax backward', async () => {
    withTuning(fallback);
    const act = await sharedActivations();
    for (const len of lengths) {
      const x = data(len);
      const shape = [4, len];
      for (const op of ['softmax', 'logSoftmax'] as const) {
        checkForward(op, x, shape, await forward(act, op, x, shape));
        const y = new Float32Array(ref.softmaxForward(op, x, shape));
        const dy = uniform(4 * len, -1, 1, len);
        const dx = await backward(act, op, y, dy, shape);
        const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, shape), BACKWARD, [y, dy]);
        expect(ms, `${op} length ${len}: ${report(ms)}`).toEqual([]);
      }
    }
  });

  it('split rows', async () => {
    withTuning({ ...fallback, cacheMax: 256, splitMinLen: 2048, splitMaxRows: 4, chunkLen: 512 });
    const act = await sharedActivations();
    const x = data(2049);
    checkForward('softmax', x, [4, 2049], await forward(act, 'softmax', x, [4, 2049]));
  });
});

describe('the issue named cases', () => {
  const F = 3.4e38;
  const rows: [string, number[], number[]][] = [
    ['[1000, 1000]', [1000, 1000], [0.5, 0.5]],
    ['[-1000, 1000]', [-1000, 1000], [0, 1]],
    ['+-3.4e38', [F, -F], [1, 0]],
    ['-+3.4e38', [-F, F, -F], [0, 1, 0]],
    ['3.4e38 twice', [F, F], [0.5, 0.5]],
    ['-3.4e38 everywhere', [-F, -F, -F, -F], [0.25, 0.25, 0.25, 0.25]],
    ['-Inf entries get exactly 0', [-Infinity, 0, -Infinity, 0], [0, 0.5, 0, 0.5]],
    ['fully masked', [-Infinity, -Infinity, -Infinity], [0, 0, 0]],
    ['+Inf splits evenly', [Infinity, 5, Infinity, -Infinity], [0.5, 0, 0.5, 0]],
    ['one +Inf', [1, Infinity, F], [0, 1, 0]],
    ['NaN poisons the row', [1, NaN, 3], [NaN, NaN, NaN]],
    ['NaN beside +Inf', [Infinity, NaN], [NaN, NaN]],
  ];
  it.each(rows)('softmax %s', async (_name, x, want) => {
    const act = await sharedActivations();
    const got = await forward(act, 'softmax', new Float32Array(x), [1, x.length]);
    expect(Array.from(got)).toEqual(want);
    const lgot = await forward(act, 'logSoftmax', new Float32Array(x), [1, x.length]);
    checkForward('logSoftmax', new Float32Array(x), [1, x.length], lgot);
  });

  it('a NaN row leaves its neighbours alone', async () => {
    const act = await sharedActivations();
    const x = new Float32Array([1, 2, 3, NaN, 0, 0, -Infinity, -Infinity, -Infinity]);
    const got = await forward(act, 'softmax', x, [3, 3]);
    checkForward('softmax', x, [3, 3], got);
    expect(Array.from(got.slice(6))).toEqual([0, 0, 0]);
  });

  it('a fully masked row has zero gradient (softmax and logSoftmax)', async () => {
    const act = await sharedActivations();
    const x = new Float32Array([-Infinity, -Infinity, -Infinity, 0.5, -Infinity, 2]);
    const dy = new Float32Array([1, -2, 3, 0.25, 7, -1]);
    for (const op of ['softmax', 'logSoftmax'] as const) {
      const y = await forward(act, op, x, [2, 3]);
      const dx = await backward(act, op, y, dy, [2, 3]);
      expect(
        Array.from(dx.slice(0, 3)).every((v) => v === 0),
        `${op}: ${dx}`,
      ).toBe(true);
      const ms = mismatches(dx, ref.softmaxBackward(op, y, dy, [2, 3]), BACKWARD, [y, dy]);
      expect(ms, report(ms)).toEqual([]);
    }
  });
});
