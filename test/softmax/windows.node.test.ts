/**
 * Windows of the softmax family over the binding limit: the arithmetic
 * (every unit in exactly one window, each window's binding aligned and within
 * the limit, holding every element its units touch), and once for real past
 * the default 128 MiB binding limit (the backward and whole-row windows are
 * tested on 64 KiB bindings in windows.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActivations } from '../../src/index.js';
import { planRows } from '../../src/softmax/plan.js';
import { unitsOf, windowsOf } from '../../src/softmax/windows.js';
import { testGPU } from '../helpers/gpu.js';

import { checkForward } from './common.js';

describe('windowsOf', () => {
  it('covers every unit once, in aligned bindings within the limit', () => {
    fc.assert(
      fc.property(
        // WebGPU guarantees 128 MiB bindings; 64 KiB and 1 MiB stand in for it, as in the GPU tests.
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 50_000 }),
        fc.constantFrom(1, 2, 7, 64),
        fc.constantFrom(2, 4),
        fc.constantFrom(65536, 1 << 20),
        fc.boolean(),
        (rows, len, inner, bytes, limit, rowsKernel) => {
          const bindElems = limit / bytes;
          if (rows * inner * len <= bindElems) return;
          const plan = planRows(rows * inner, len, inner, {
            split: true,
            subgroups: rowsKernel,
            rows: rowsKernel,
            bindElems,
          });
          const job = { rows: rows * inner, len, inner, plan };
          const { count, span } = unitsOf(job);
          const windows = windowsOf('softmax', job, bytes, limit);
          // Plain comparisons per unit, one expect at the end: a run may have 10^5 units.
          const bad: string[] = [];
          let next = 0;
          for (const w of windows) {
            if (w.first !== next || w.end <= w.first) bad.push(`window ${JSON.stringify(w)}`);
            if ((w.elem0 * bytes) % 256 !== 0) bad.push(`unaligned ${w.elem0}`);
            if (Math.ceil((w.elems * bytes) / 4) * 4 > limit) bad.push(`${w.elems} elements`);
            for (let u = w.first; u < w.end; u++) {
              const [s, e] = span(u);
              if (s < w.elem0 || e > w.elem0 + w.elems) bad.push(`unit ${u}: [${s}, ${e})`);
            }
            next = w.end;
          }
          if (next !== count) bad.push(`covered ${next} of ${count} units`);
          expect(bad.slice(0, 5), JSON.stringify({ rows, len, inner, bytes, limit })).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the op, the row and the limit when one unit cannot fit', () => {
    const plan = planRows(2, 5000, 1, { split: false, bindElems: 1024 });
    expect(() =>
      windowsOf('softmaxCrossEntropy', { rows: 2, len: 5000, inner: 1, plan }, 4, 4096),
    ).toThrow(
      /^softmaxCrossEntropy: rows of 5000 elements take 20000 bytes per dispatch unit, more than maxStorageBufferBindingSize \(4096\) allows$/,
    );
  });
});

describe('past the default 128 MiB binding limit', () => {
  it('one row of 34,000,000 float32 (136 MB), split across windows', async () => {
    const adapter = await testGPU().requestAdapter();
    // Default maxStorageBufferBindingSize (128 MiB); only the buffer size limit is raised.
    const device = await adapter!.requestDevice({
      requiredLimits: { maxBufferSize: adapter!.limits.maxBufferSize },
    });
    expect(device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    const act = await createActivations({ device });
    const shape = [1, 34_000_000];
    const n = shape[1];
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 2003) / 100 - 10;
    x[n - 1] = 30;
    const xt = act.tensor(x, shape);
    expect(xt.byteLength).toBeGreaterThan(device.limits.maxStorageBufferBindingSize);
    const y = act.forward('logSoftmax', xt);
    checkForward('logSoftmax', x, shape, await y.read());
    for (const t of [xt, y]) t.destroy();
    device.destroy();
  }, 600_000);
});
