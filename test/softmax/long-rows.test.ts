/**
 * Rows longer than the rows kernel's register cache: the part past it is read
 * once, with a running maximum and a sum rescaled when the maximum grows. The
 * issue's named cases placed there (ascending rows that raise the maximum at
 * every block, -Inf rows, +-3.4e38, +Inf and NaN near the end), whole and
 * split into chunks, at temperatures that take each order of the scaled
 * difference, for softmax, logSoftmax and softmin.
 */
import { describe, expect, it } from 'vitest';
import { uniform } from '../helpers/inputs.js';
import { sharedActivations } from '../helpers/gpu.js';
import { checkForward, forward, resetTuningAfterEach, withTuning } from './common.js';

resetTuningAfterEach();

const F = 3.4e38;
function rows(len: number): Float32Array {
  const named: ((x: Float32Array) => void)[] = [
    (x) => x.forEach((_, i) => (x[i] = -30 + (60 * i) / len)), // the maximum grows at every block
    (x) => x.forEach((_, i) => (x[i] = 30 - (60 * i) / len)),
    (x) => (x.fill(-Infinity), (x[len - 1] = 1)), // one finite entry, the last
    (x) => x.fill(-Infinity), // fully masked
    (x) => x.fill(-F), // -3.4e38 everywhere: a finite row
    (x) => ((x[0] = -F), (x[len - 2] = F)),
    (x) => ((x[len - 3] = Infinity), x.fill(-Infinity, 100, 900)),
    (x) => (x[len - 1] = NaN),
  ];
  const x = uniform(named.length * len, -20, 20, 17);
  named.forEach((f, r) => f(x.subarray(r * len, (r + 1) * len)));
  return x;
}

// Past 16 vectors of 4 per lane on a 32-wide subgroup (2048); vectors of 4 and of 1.
describe.each([6000, 6001])('rows of %i past the register cache', (len) => {
  const x = rows(len);
  const shape = [x.length / len, len];
  it.each([
    ['whole rows', {}],
    ['split in chunks of 1024', { splitMinLen: 4096, splitMaxRows: 64, chunkLen: 1024 }],
  ])('%s, every op, T = 1, 0.05, 1e6', async (_name, tuning) => {
    withTuning(tuning);
    const act = await sharedActivations();
    for (const temperature of [1, 0.05, 1e6]) {
      for (const op of ['softmax', 'logSoftmax', 'softmin'] as const) {
        const got = await forward(act, op, x, shape, { temperature });
        checkForward(op, x, shape, got, { temperature });
        if (op === 'softmin') continue;
        // Every -Inf entry (the fully masked row's too): exactly 0 (softmax) or -Inf (logSoftmax).
        const want = op === 'softmax' ? 0 : -Infinity;
        const bad = x.findIndex((v, i) => v === -Infinity && got[i] !== want);
        expect(bad, `${op} T = ${temperature}: y[${bad}] = ${got[bad]}`).toBe(-1);
      }
    }
  });
});
