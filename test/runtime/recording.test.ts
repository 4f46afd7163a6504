/**
 * Wrapped buffers, recording and submission: work on a user's buffer at an
 * offset, out at another range refused, long chains submitted in growing
 * batches, freed buffers reused only after the work on them, bindings
 * reused, and tensors over the binding limit in sub-ranges (elementwise and softmax).
 */
import { describe, expect, it } from 'vitest';
import { createActivations, type Tensor } from '../../src/index.js';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import * as ref from '../../src/elementwise/reference.js';
import * as smRef from '../../src/softmax/reference.js';
import { limitedView, noGpuErrors, sharedActivations, testGPU } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { ELEMENTWISE, halfMismatches, mismatches, report, SOFTMAX } from '../helpers/tolerance.js';

describe('wrapped buffers and recording', () => {
  it('runs on a user buffer at a byteOffset without touching its neighbours', async () => {
    const act = await sharedActivations();
    const n = 7;
    const buffer = act.device.createBuffer({
      size: 512 + 64,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const all = new Float32Array(144).fill(-42);
    const x = uniform(n, -3, 3, 9);
    all.set(x, 64);
    act.device.queue.writeBuffer(buffer, 0, all);
    const t = act.wrap(buffer, [n], { byteOffset: 256 });
    act.forward('relu', t, { out: t });
    const whole = act.wrap(buffer, [144]);
    const got = await whole.read();
    const want = Array.from(all);
    for (let i = 0; i < n; i++) want[64 + i] = Math.max(0, x[i]);
    expect(Array.from(got)).toEqual(want);
    t.destroy();
    whole.destroy();
    buffer.destroy();
  });

  it("refuses out at another range of an input's buffer before any GPU work", async () => {
    // WebGPU cannot bind one buffer read-only and writable in one dispatch: left
    // to the device, this would be a validation error at submission.
    const act = await sharedActivations();
    const buffer = act.device.createBuffer({
      size: 1024,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const all = uniform(256, -3, 3, 11);
    act.device.queue.writeBuffer(buffer, 0, all);
    const x = act.wrap(buffer, [4, 16]);
    const out = act.wrap(buffer, [4, 16], { byteOffset: 512 });
    await act.flush();
    const before = act.stats().recordedDispatches;
    const calls: [string, () => unknown][] = [
      ['forward', () => act.forward('relu', x, { out })],
      ['backward', () => act.backward('relu', { x, dy: x }, { out })],
      ['softmax', () => act.forward('softmax', x, { out })],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow(/out shares an input's buffer at another range/);
    }
    expect(act.stats().recordedDispatches).toBe(before);
    const whole = act.wrap(buffer, [256]);
    expect(Array.from(await noGpuErrors(act.device, () => whole.read()))).toEqual(Array.from(all));
    for (const t of [x, out, whole]) t.destroy();
    buffer.destroy();
  });

  it('records a long chain, submitting on its own after 16 dispatches and 32 more, and reads the last', async () => {
    // Every op changes the result (a different alpha on the negative entries,
    // a different threshold), so a dropped dispatch or a uniform slot reused
    // across an automatic submission shows in the last tensor.
    const act = await sharedActivations();
    const data = new Float32Array([-2, -1, -0.5, 0.25, 1, 2, -3, 4]);
    const x = act.tensor(data);
    let h: Tensor = x;
    const made: Tensor[] = [];
    const want = Float64Array.from(data);
    for (let i = 0; i < 100; i++) {
      const alpha = 0.9 + (i % 7) * 0.03;
      h = act.forward('leakyRelu', h, { alpha });
      for (let j = 0; j < want.length; j++) want[j] = want[j] > 0 ? want[j] : alpha * want[j];
      made.push(h);
    }
    // The runtime submitted on its own as the chain grew (after 16, then 32 more;
    // act.tensor's upload submitted before), so the GPU started early.
    expect(act.stats().recordedDispatches).toBe(100 - 16 - 32);
    const got = await noGpuErrors(act.device, () => h.read());
    const ms = mismatches(got, Float32Array.from(want), { atol: 1e-6, rtol: 2e-5 });
    expect(ms, report(ms)).toEqual([]);
    for (const t of [x, ...made]) t.destroy();
  });

  it('a freed buffer handed out again is written only after the work recorded on it', async () => {
    // y = relu(x) is recorded, x freed, and a new tensor of x's size takes x's
    // buffer from the pool and uploads other data: the upload must not reach
    // the queue ahead of the recorded relu.
    const act = await sharedActivations();
    const n = 4096;
    const a = uniform(n, -3, 3, 41);
    const b = uniform(n, -3, 3, 42);
    const x = act.tensor(a);
    await act.flush();
    const y = act.forward('relu', x);
    x.destroy();
    const z = act.tensor(b);
    expect(z.buffer).toBe(x.buffer); // the case under test: the pool gave x's buffer back
    const [gy, gz] = await Promise.all([y.read(), z.read()]);
    expect(mismatches(gy, ref.forward('relu', a), ELEMENTWISE)).toEqual([]);
    expect(Array.from(gz)).toEqual(Array.from(b));
    for (const t of [y, z]) t.destroy();
  });

  it('a chain recorded again reuses its bindings and computes from the new data', async () => {
    // The second and third rounds get the first round's pooled buffers and
    // uniform slots back, so their bind groups come from the cache: a stale
    // binding would give the previous round's numbers (different inputs, and a
    // different alpha per round) or leave the output unwritten.
    const act = await sharedActivations();
    const n = 1000;
    for (let round = 0; round < 3; round++) {
      const data = uniform(n, -10, 10, 100 + round);
      const alpha = 0.1 * (round + 1);
      const x = act.tensor(data);
      const h1 = act.forward('leakyRelu', x, { alpha });
      const h2 = act.forward('tanh', h1);
      const h3 = act.backward('sigmoid', { x: h2, dy: h1 });
      const got = await noGpuErrors(act.device, () => h3.read());
      // Each stage's input rounded to float32, as the GPU stores it between kernels.
      const a = Float32Array.from(ref.forward('leakyRelu', data, { alpha }));
      const t = Float32Array.from(ref.forward('tanh', a));
      const want = ref.backward('sigmoid', t, a);
      const ms = mismatches(got, want, ELEMENTWISE);
      expect(ms, `round ${round}: ${report(ms)}`).toEqual([]);
      for (const t of [x, h1, h2, h3]) t.destroy();
    }
  });

  it('processes a tensor larger than the binding limit in sub-ranges', async () => {
    // A smaller requested limit would be raised to the default (128 MiB): the instance sees the
    // device through a 64 KiB limit instead, and a binding over it (or misaligned) throws.
    const LIMIT = 1 << 16;
    const device = await (await testGPU().requestAdapter())!.requestDevice();
    const bound: number[] = [];
    const act = await createActivations({ device: limitedView(device, LIMIT, bound) });
    expect(act.device.limits.maxStorageBufferBindingSize).toBe(LIMIT);
    // 100,009 elements: 400 KB of float32 (six 64 KiB sub-ranges and a tail), 200 KB of float16.
    const shape = [14_287, 7];
    const n = 14_287 * 7;
    const slope = uniform(7, -0.5, 0.5, 14);
    const slopeAt = (i: number) => slope[i % 7];
    await noGpuErrors(device, async () => {
      const st = act.tensor(slope, [7]);
      // float16 is stored as u32 words (pack2x16float): no device feature needed.
      for (const dtype of ['float32', 'float16'] as const) {
        const round = (v: Float32Array) =>
          dtype === 'float16' ? fromHalfArray(toHalfArray(v)) : v;
        const x = round(uniform(n, -10, 10, 11));
        const dy = round(uniform(n, -1, 1, 12));
        const y = round(uniform(n, -1, 1, 13)); // a tanh output
        const [xt, dyt, yt] = [x, dy, y].map((v) => act.tensor(v, shape, { dtype }));
        const cases: [string, (out: Tensor) => Tensor, Float64Array, Float32Array[]][] = [
          [
            'sigmoid forward',
            (out) => act.forward('sigmoid', xt, { out }),
            ref.forward('sigmoid', x),
            [x],
          ],
          [
            'elu backward',
            (out) => act.backward('elu', { x: xt, dy: dyt }, { out }),
            ref.backward('elu', x, dy),
            [x, dy],
          ],
          [
            'tanh backward from y',
            (out) => act.backward('tanh', { y: yt, dy: dyt }, { out }),
            ref.backward('tanh', y, dy, {}, { fromY: true }),
            [y, dy],
          ],
          [
            'prelu forward, slope [7]',
            (out) => act.forward('prelu', xt, { slope: st, out }),
            ref.forward('prelu', x, {}, slopeAt),
            [x],
          ],
          [
            'prelu backward, slope [7]',
            (out) => act.backward('prelu', { x: xt, dy: dyt }, { slope: st, out }),
            ref.backward('prelu', x, dy, {}, { slopeAt }),
            [x, dy],
          ],
        ];
        const ranges = Math.ceil(xt.byteLength / LIMIT);
        expect(ranges).toBeGreaterThanOrEqual(4);
        // recordedDispatches restarts at each automatic submission (the first after 16).
        expect(ranges).toBeLessThan(16);
        for (const [what, run, want, inputs] of cases) {
          const label = `${dtype} ${what}`;
          // Poisoned: an element no sub-range writes reads back NaN.
          const out =
            dtype === 'float32'
              ? act.tensor(new Float32Array(n).fill(NaN), shape)
              : act.tensor(new Uint16Array(n).fill(0x7e00), shape, { dtype });
          const before = act.stats().recordedDispatches;
          bound.length = 0;
          expect(run(out)).toBe(out);
          expect(act.stats().recordedDispatches - before, label).toBe(ranges);
          expect(bound, label).toContain(LIMIT);
          const ms =
            dtype === 'float32'
              ? mismatches(await out.read(), want, ELEMENTWISE, inputs)
              : halfMismatches((await out.readRaw()) as Uint16Array, toHalfArray(want), 1, inputs);
          expect(ms, `${label}\n${report(ms)}`).toEqual([]);
          out.destroy();
        }
        // The softmax family runs over the limit too, in windows of whole rows (it was refused
        // with UNSUPPORTED before issue 15; test/softmax/windows.test.ts covers it).
        bound.length = 0;
        const sm = act.forward('softmax', xt);
        const want = smRef.softmaxForward('softmax', x, shape);
        const ms =
          dtype === 'float32'
            ? mismatches(await sm.read(), want, SOFTMAX, [x])
            : halfMismatches((await sm.readRaw()) as Uint16Array, toHalfArray(want), 1, [x]);
        expect(ms, `${dtype} softmax\n${report(ms)}`).toEqual([]);
        expect(Math.max(...bound)).toBeLessThanOrEqual(LIMIT);
        sm.destroy();
        for (const t of [xt, dyt, yt]) t.destroy();
      }
      st.destroy();
      await act.flush();
    });
    device.destroy();
  });
});
