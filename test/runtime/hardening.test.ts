/**
 * Hardening: concurrency, ordering of reads and writes, memory returning to
 * its baseline under a soak of mixed calls, and dispose(). Counts are reduced
 * in CI; `npm run test:stress` runs the full ones (STRESS=1).
 */
import { describe, expect, it } from 'vitest';
import { activationNames } from '../../src/elementwise/table.js';
import { createActivations } from '../../src/index.js';
import * as ref from '../../src/elementwise/reference.js';
import { sharedActivations } from '../helpers/gpu.js';
import { rng, uniform } from '../helpers/inputs.js';
import { ELEMENTWISE, mismatches, report } from '../helpers/tolerance.js';

const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const STRESS = env.STRESS === '1';

describe('concurrency', () => {
  it(`${STRESS ? 1000 : 200} concurrent apply/grad calls each get their own correct result`, async () => {
    const act = await sharedActivations();
    const count = STRESS ? 1000 : 200;
    const r = rng(41);
    const jobs = Array.from({ length: count }, (_, i) => {
      const op = activationNames[i % activationNames.length];
      const n = 1 + Math.floor(r() * 300);
      const x = uniform(n, -10, 10, 1000 + i);
      const dy = uniform(n, -1, 1, 5000 + i);
      const backward = i % 3 === 0;
      return { op, x, dy, backward };
    });
    const results = await Promise.all(
      jobs.map(async (j, i) => {
        // Interleave: some tasks yield before calling, so calls from different tasks mix.
        if (i % 2) await Promise.resolve();
        const p = (j.op === 'prelu' ? { slope: 0.25 } : {}) as never;
        return j.backward ? act.grad(j.op, j.x, j.dy, p) : act.apply(j.op, j.x, p);
      }),
    );
    jobs.forEach((j, i) => {
      const p = j.op === 'prelu' ? { slope: 0.25 } : {};
      const want = j.backward ? ref.backward(j.op, j.x, j.dy, p) : ref.forward(j.op, j.x, p);
      const ms = mismatches(results[i], want, ELEMENTWISE, [j.x]);
      expect(ms, `${j.op} job ${i}: ${report(ms)}`).toEqual([]);
    });
  });

  it('two instances on one device interleave without mixing results', async () => {
    const act = await sharedActivations();
    const second = await createActivations({ device: act.device });
    const x = uniform(1000, -4, 4, 42);
    const [a, b, c, d] = await Promise.all([
      act.apply('relu', x),
      second.apply('sigmoid', x),
      second.grad('tanh', x, x),
      act.apply('elu', x),
    ]);
    for (const [got, want] of [
      [a, ref.forward('relu', x)],
      [b, ref.forward('sigmoid', x)],
      [c, ref.backward('tanh', x, x)],
      [d, ref.forward('elu', x)],
    ] as const) {
      const ms = mismatches(got, want, ELEMENTWISE, [x]);
      expect(ms, report(ms)).toEqual([]);
    }
    second.dispose();
  });

  it('a read sees the last write recorded before it, not a later one', async () => {
    const act = await sharedActivations();
    const x = act.tensor(new Float32Array([-1, 2, -3, 4]));
    const y = act.empty([4]);
    act.forward('relu', x, { out: y });
    const first = y.read();
    act.forward('leakyRelu', x, { alpha: 0.5, out: y });
    const second = y.read();
    expect(Array.from(await second)).toEqual([-0.5, 2, -1.5, 4]);
    expect(Array.from(await first)).toEqual([0, 2, 0, 4]);
    x.destroy();
    y.destroy();
  });
});

describe('memory', () => {
  it(`soak: ${STRESS ? '100,000' : '3,000'} mixed calls with random shapes return live bytes to the baseline`, async () => {
    const act = await sharedActivations();
    await act.flush();
    const base = act.stats();
    const r = rng(43);
    const calls = STRESS ? 100_000 : 3_000;
    for (let i = 0; i < calls; i++) {
      const op = activationNames[Math.floor(r() * activationNames.length)];
      const n = 1 + Math.floor(r() * 2000);
      const dtype = r() < 0.3 ? 'float16' : 'float32';
      const x = act.tensor(new Float32Array(n).fill(0.5), [n], { dtype });
      const kind = r();
      const made =
        kind < 0.4
          ? [act.forward(op, x, (op === 'prelu' ? { slope: 0.25 } : {}) as never)]
          : kind < 0.8
            ? [act.backward(op, { x, dy: x }, (op === 'prelu' ? { slope: 0.25 } : {}) as never)]
            : [act.forward('softmax', x), act.forward('logSoftmax', x)];
      if (i % 500 === 499) await made[0].read();
      for (const t of [x, ...made]) t.destroy();
    }
    await act.flush();
    const after = act.stats();
    expect(after.liveBytes).toBe(base.liveBytes);
    expect(after.liveTensors).toBe(base.liveTensors);
    // The documented cap: 256 MiB of freed tensor buffers, 64 uniform arenas (4 MiB), 1 MiB of encode() uniforms.
    expect(after.pooledBytes).toBeLessThanOrEqual(261 * 2 ** 20);
  }, 600_000);

  it('dispose() frees every buffer the instance owns', async () => {
    const act = await sharedActivations();
    const other = await createActivations({ device: act.device });
    const kept = [
      other.tensor(new Float32Array(100)),
      other.forward('relu', other.tensor(new Float32Array(10))),
    ];
    expect(other.stats().liveBytes).toBeGreaterThan(0);
    other.dispose();
    expect(other.stats()).toMatchObject({ liveBytes: 0, liveTensors: 0, pooledBytes: 0 });
    expect(kept[0].destroyed).toBe(true);
  });
});
