/**
 * An instance's life: device loss, recording into the caller's encoder, and
 * pipelines (warmup, compile failures).
 */
import { describe, expect, it } from 'vitest';
import { createActivations, type Activations } from '../../src/index.js';
import * as ref from '../../src/elementwise/reference.js';
import * as sref from '../../src/softmax/reference.js';
import { sharedActivations, testGPU } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { ELEMENTWISE, mismatches, report, SOFTMAX } from '../helpers/tolerance.js';

import { rejected } from '../helpers/errors.js';

describe('device loss', () => {
  it('pending reads reject with DeviceLost, and a new instance works', async () => {
    const act: Activations = await createActivations({ gpu: testGPU() });
    const x = act.tensor(uniform(1 << 16, -1, 1, 13));
    const y = act.forward('gelu', x);
    const pending = y.read();
    act.device.destroy();
    const e = await rejected(pending);
    expect(e.code).toBe('DEVICE_LOST');
    expect(() => act.forward('relu', x)).toThrow(/device was lost|destroyed/);
    const fresh = await createActivations({ gpu: testGPU() });
    expect(Array.from(await fresh.apply('relu', new Float32Array([-1, 3])))).toEqual([0, 3]);
    fresh.device.destroy();
  });
});

describe("encode into the caller's encoder", () => {
  it("records between the caller's own passes and submits nothing itself", async () => {
    const act = await sharedActivations();
    const n = 1000;
    const x = uniform(n, -3, 3, 31);
    const xt = act.tensor(x);
    const yt = act.empty([n]);
    const staging = act.device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = act.device.createCommandEncoder();
    const back = act.encode(encoder, (a) => {
      const h = a.forward('silu', xt);
      a.forward('tanh', h, { out: yt });
      return h;
    });
    encoder.copyBufferToBuffer(yt.buffer, 0, staging, 0, n * 4);
    // Nothing ran yet: the staging buffer is still empty until the caller submits.
    act.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    const want = ref.forward('tanh', new Float32Array(ref.forward('silu', x)));
    const ms = mismatches(got, want, { atol: 2e-6, rtol: 1e-5 });
    expect(ms, report(ms)).toEqual([]);
    for (const t of [xt, yt, back]) t.destroy();
    staging.destroy();
  });

  it("keeps the buffers of the caller's unsubmitted encoder out of its own later work", async () => {
    // In-place softmax into the caller's encoder uses a scratch tensor that is
    // freed at once; the library's own later work (16 dispatches, so it is
    // submitted) must not get that buffer while the caller has not submitted.
    const act = await sharedActivations();
    const n = 4096;
    const w0 = uniform(n, -4, 4, 51);
    const x0 = uniform(n, -3, 3, 52);
    const w = act.tensor(w0, [4, n / 4]);
    const x = act.tensor(x0, [4, n / 4]);
    await act.flush();
    const encoder = act.device.createCommandEncoder();
    act.encode(encoder, (a) => a.forward('softmax', w, { out: w }));
    const ys = Array.from({ length: 20 }, () => act.forward('relu', x));
    await act.flush();
    act.device.queue.submit([encoder.finish()]);
    const [gw, ...gys] = await Promise.all([w.read(), ...ys.map((y) => y.read())]);
    const ws = mismatches(
      gw,
      new Float32Array(sref.softmaxForward('softmax', w0, [4, n / 4])),
      SOFTMAX,
    );
    expect(ws, report(ws)).toEqual([]);
    const want = ref.forward('relu', x0);
    for (const g of gys) expect(mismatches(g, want, ELEMENTWISE)).toEqual([]);
    for (const t of [w, x, ...ys]) t.destroy();
  });
});

describe('pipelines', () => {
  it('warmup() compiles every op forward and backward ahead of time', async () => {
    const act = await createActivations({ gpu: testGPU() });
    const before = act.stats().pipelines;
    await act.warmup();
    const { activationNames } = await import('../../src/elementwise/table.js');
    expect(act.stats().pipelines - before).toBe(activationNames.length * 2);
    act.device.destroy();
  });

  it('a kernel that fails to compile surfaces its message and the op name on the next flush', async () => {
    const act = await createActivations({ gpu: testGPU() });
    act.runtime.pipeline('broken', 'relu forward (deliberately broken)', () => 'fn main( {');
    await expect(act.flush()).rejects.toMatchObject({
      code: 'GPU_ERROR',
      message: expect.stringContaining('relu forward (deliberately broken)'),
    });
    act.device.destroy();
  });
});
