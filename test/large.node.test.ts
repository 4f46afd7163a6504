/** Large tensors: 20M elements, and a grid of more than 65,535 workgroups. */
import { describe, expect, it } from 'vitest';
import * as ref from '../src/reference.js';
import { sharedActivations } from './gpu.js';
import { uniform } from './inputs.js';
import { ELEMENTWISE, mismatches, report } from './tolerance.js';

describe('large tensors', () => {
  it('20,000,000 elements through relu and sigmoid backward', async () => {
    const act = await sharedActivations();
    const n = 20_000_000;
    const x = uniform(n, -50, 50, 21);
    const y = await act.apply('relu', x);
    let bad = 0;
    for (let i = 0; i < n; i++) if (y[i] !== (x[i] > 0 ? x[i] : 0)) bad++;
    expect(bad).toBe(0);
    const dy = uniform(n, -1, 1, 22);
    const dx = await act.grad('sigmoid', x, dy);
    const ms = mismatches(dx, ref.backward('sigmoid', x, dy), ELEMENTWISE);
    expect(ms, report(ms)).toEqual([]);
  });

  it('folds a grid of more than 65,535 workgroups into two dimensions (scalar layout, 20,000,001 elements)', async () => {
    const act = await sharedActivations();
    const n = 20_000_001;
    // An unpadded user buffer forces one element per invocation: 78,126 workgroups of 256.
    const buffer = act.device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const x = uniform(n, -5, 5, 23);
    act.device.queue.writeBuffer(buffer, 0, x);
    const t = act.wrap(buffer, [n]);
    const out = act.tensor(new Float32Array(n).fill(NaN));
    act.forward('hardSwish', t, { out });
    const got = await out.read();
    const ms = mismatches(got, ref.forward('hardSwish', x), ELEMENTWISE);
    expect(ms.length, report(ms)).toBe(0);
    t.destroy();
    out.destroy();
    buffer.destroy();
  });

  it.each([65535 * 256 - 1, 65535 * 256, 65535 * 256 + 1])(
    '%i elements at the one-dimensional grid limit (scalar layout) are all written',
    async (n) => {
      const act = await sharedActivations();
      const buffer = act.device.createBuffer({
        size: n * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      const x = uniform(n, -3, 3, n);
      act.device.queue.writeBuffer(buffer, 0, x);
      const t = act.wrap(buffer, [n]);
      act.forward('relu6', t, { out: t });
      const got = await t.read();
      let bad = 0;
      for (let i = 0; i < n; i++) if (got[i] !== Math.min(Math.max(x[i], 0), 6)) bad++;
      expect(bad).toBe(0);
      t.destroy();
      buffer.destroy();
    },
  );
});
