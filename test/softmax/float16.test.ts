/** The softmax family in float16 storage (f32 accumulation), in place, and the one-call forms. */
import { describe, expect, it } from 'vitest';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import * as ref from '../../src/softmax/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { halfMismatches, mismatches, report } from '../helpers/tolerance.js';

import { BACKWARD, checkForward, poisoned, resetTuningAfterEach, sizeOf } from './common.js';

resetTuningAfterEach();

describe('float16 storage (f32 accumulation)', () => {
  const cases: [number[], number][] = [
    [[7, 33], -1],
    [[5, 4100], -1],
    [[3, 9, 5], 1],
  ];
  it.each(cases)(
    'shape %j axis %i, forward and backward within 1 half ulp',
    async (shape, axis) => {
      const act = await sharedActivations();
      const n = sizeOf(shape);
      const x = fromHalfArray(toHalfArray(uniform(n, -8, 8, n)));
      x[2] = -Infinity;
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const raw = await noGpuErrors(act.device, async () => {
          const xt = act.tensor(x, shape, { dtype: 'float16' });
          const out = poisoned(act, shape, 'float16');
          act.forward(op, xt, { axis, out });
          const bits = (await out.readRaw()) as Uint16Array;
          xt.destroy();
          out.destroy();
          return bits;
        });
        const want = toHalfArray(ref.softmaxForward(op, x, shape, { axis }));
        const ms = halfMismatches(raw, want, 1, [x]);
        expect(ms, `${op}: ${report(ms)}`).toEqual([]);
        const y = fromHalfArray(want);
        const dy = fromHalfArray(toHalfArray(uniform(n, -1, 1, 3)));
        const dxRaw = await noGpuErrors(act.device, async () => {
          const yt = act.tensor(y, shape, { dtype: 'float16' });
          const dyt = act.tensor(dy, shape, { dtype: 'float16' });
          const dx = act.backward(op, { y: yt, dy: dyt }, { axis });
          const bits = (await dx.readRaw()) as Uint16Array;
          for (const t of [yt, dyt, dx]) t.destroy();
          return bits;
        });
        const dms = halfMismatches(
          dxRaw,
          toHalfArray(ref.softmaxBackward(op, y, dy, shape, { axis })),
          1,
          [y, dy],
        );
        expect(dms, `${op} backward: ${report(dms)}`).toEqual([]);
      }
    },
  );

  it('in place (out: x) on an odd float16 length keeps the bytes past the end', async () => {
    const act = await sharedActivations();
    const buffer = act.device.createBuffer({
      size: 256 + 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const x = fromHalfArray(toHalfArray(uniform(63, -4, 4, 21)));
    const bits = new Uint16Array(64);
    bits.set(toHalfArray(x));
    bits[63] = 0x1234; // a neighbour's half, sharing the last word
    act.device.queue.writeBuffer(buffer, 0, bits);
    const t = act.wrap(buffer, [9, 7], { dtype: 'float16' });
    act.forward('softmax', t, { out: t });
    await act.flush();
    const after = act.wrap(buffer, [64], { dtype: 'float16' });
    const raw = (await after.readRaw()) as Uint16Array;
    expect(raw[63]).toBe(0x1234);
    const ms = halfMismatches(
      raw.slice(0, 63),
      toHalfArray(ref.softmaxForward('softmax', x, [9, 7])),
      1,
    );
    expect(ms, report(ms)).toEqual([]);
    t.destroy();
    after.destroy();
    buffer.destroy();
  });
});

describe('in place and the one-call forms', () => {
  it('forward with out: x and backward with out: dy (float32)', async () => {
    const act = await sharedActivations();
    const x = uniform(5 * 300, -5, 5, 31);
    const xt = act.tensor(x, [5, 300]);
    act.forward('logSoftmax', xt, { out: xt });
    const y = await xt.read();
    checkForward('logSoftmax', x, [5, 300], y);
    const dy = uniform(5 * 300, -1, 1, 32);
    const dyt = act.tensor(dy, [5, 300]);
    act.backward('logSoftmax', { y: xt, dy: dyt }, { out: dyt });
    const ms = mismatches(
      await dyt.read(),
      ref.softmaxBackward('logSoftmax', y, dy, [5, 300]),
      BACKWARD,
    );
    expect(ms, report(ms)).toEqual([]);
    xt.destroy();
    dyt.destroy();
  });

  it('apply on a plain array', async () => {
    const act = await sharedActivations();
    const got = await act.apply('softmax', new Float32Array([1000, 1000, -1000, 1000]), {
      shape: [2, 2],
      axis: 0,
    });
    expect(Array.from(got)).toEqual([1, 0.5, 0, 0.5]);
  });
});
