/**
 * Scale: a 200,000,000-element tensor (800 MB) on a device with the default
 * 128 MiB binding limit, processed in bound sub-ranges (15 s here).
 */
import { describe, expect, it } from 'vitest';
import { createActivations } from '../../src/index.js';
import { testGPU } from '../helpers/gpu.js';

describe('scale', () => {
  it('200,000,000 elements on a device with default binding limits', async () => {
    const adapter = await testGPU().requestAdapter();
    // Default maxStorageBufferBindingSize (128 MiB); only the buffer size limit is raised.
    const device = await adapter!.requestDevice({
      requiredLimits: { maxBufferSize: adapter!.limits.maxBufferSize },
    });
    expect(device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    const act = await createActivations({ device });
    const n = 200_000_000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = ((i % 2001) - 1000) / 10;
    const y = await act.apply('leakyRelu', x, { alpha: 0.5 });
    let bad = 0;
    for (let i = 0; i < n; i++) if (y[i] !== (x[i] > 0 ? x[i] : Math.fround(0.5 * x[i]))) bad++;
    expect(bad).toBe(0);
    device.destroy();
  }, 600_000);
});
