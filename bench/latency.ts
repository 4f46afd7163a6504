/**
 * Small work: first calls (pipeline creation) apart from the steady state,
 * then 1K-element ops end to end, chained and awaited, beside the floor of
 * 100 raw copy-kernel dispatches on our own encoder (no library).
 */
import { activations, type Activations, type ActivationName, type Tensor } from '../src/index.js';
import { copyKernels } from './kernels.js';
import { describeError } from './rows.js';
import { summarize } from './timing.js';
import type { BenchEnv, LatencyRow } from './types.js';
import { makeData, opParams } from './workloads.js';

/** A row with no measurement yet. */
const latencyRow = (name: string, note: string): LatencyRow => ({
  name,
  msPerOp: null,
  spreadPct: null,
  samples: 0,
  note,
  error: null,
});

/**
 * First calls, which create pipelines, timed apart from the steady state:
 * each op's first float16 backward (a pipeline the run has not made yet; only
 * calls that did make one count), then one warmup() of every pipeline left.
 */
async function firstCalls(env: BenchEnv, act: Activations, n: number): Promise<LatencyRow[]> {
  env.progress('latency: first calls (pipeline creation)');
  const first = latencyRow(
    'first call of an op (pipeline made)',
    'backward + flush of a float16 op never compiled before; median over ops',
  );
  const warm = latencyRow('warmup() of every op, per pipeline', '');
  try {
    const x = act.tensor(makeData(n, 9), [n], { dtype: 'float16' });
    const times: number[] = [];
    for (const op of Object.keys(activations) as ActivationName[]) {
      const before = act.stats().pipelines;
      const t0 = env.now();
      const dx = act.backward(op, { x, dy: x }, opParams(op) as never);
      await act.flush();
      const t = env.now() - t0;
      dx.destroy();
      if (act.stats().pipelines > before) times.push(t);
    }
    x.destroy();
    if (!times.length) first.error = 'not measured: every op was compiled earlier in this run';
    if (times.length) {
      const t = summarize(times);
      Object.assign(first, { msPerOp: t.ms, spreadPct: t.spreadPct, samples: t.samples });
    }
    const before = act.stats().pipelines;
    const t0 = env.now();
    await act.warmup(undefined, ['float32', 'float16']);
    const made = act.stats().pipelines - before;
    const ms = env.now() - t0;
    if (!made) warm.error = 'not measured: every pipeline was compiled earlier in this run';
    Object.assign(warm, {
      msPerOp: made ? ms / made : null,
      samples: 1,
      note: `one call made ${made} pipelines in ${ms.toFixed(0)} ms`,
    });
  } catch (e) {
    first.error ??= describeError(e);
  }
  return [first, warm];
}

/** One latency row: `ops` ops per run of body (the row is per op). */
interface Probe {
  name: string;
  note: string;
  ops: number;
  body(): Promise<void>;
}

export async function runLatency(
  env: BenchEnv,
  act: Activations,
  samples: number,
): Promise<LatencyRow[]> {
  const out: LatencyRow[] = [];
  const n = 1024;
  const x = act.tensor(makeData(n, 7), [n]);
  const measure = async ({ name, note, ops, body }: Probe) => {
    env.progress(`latency: ${name}`);
    const row = latencyRow(name, note);
    try {
      await body(); // warm-up
      const times: number[] = [];
      for (let i = 0; i < Math.max(samples * 3, 21); i++) {
        env.expect?.(0);
        const t0 = env.now();
        await body();
        times.push((env.now() - t0) / ops);
      }
      const t = summarize(times);
      Object.assign(row, { msPerOp: t.ms, spreadPct: t.spreadPct, samples: t.samples });
    } catch (e) {
      row.error = describeError(e);
    }
    out.push(row);
  };
  out.push(...(await firstCalls(env, act, n)));
  act.warmup(['relu'], ['float32']);

  const raw = copyKernels(act.device).make('copy-kernel', n * 4);
  const probes: Probe[] = [
    {
      name: '1K relu: forward + flush',
      note: 'one op end to end: record, submit, wait',
      ops: 1,
      async body() {
        const y = act.forward('relu', x);
        await act.flush();
        y.destroy();
      },
    },
    {
      name: '1K relu: forward + read()',
      note: 'one op end to end with readback to the CPU',
      ops: 1,
      async body() {
        const y = act.forward('relu', x);
        await y.read();
        y.destroy();
      },
    },
    {
      name: '100 chained 1K relu, one flush',
      note: 'y = relu(y) x100 recorded, one flush (the runtime submits every 16); per op',
      ops: 100,
      async body() {
        const made: Tensor[] = [];
        let y = x;
        for (let i = 0; i < 100; i++) made.push((y = act.forward('relu', y)));
        await act.flush();
        for (const t of made) t.destroy();
      },
    },
    {
      name: '100 awaited 1K relu calls',
      note: 'forward + await flush, 100 times; per op',
      ops: 100,
      async body() {
        let y = x;
        for (let i = 0; i < 100; i++) {
          const next = act.forward('relu', y);
          await act.flush();
          if (y !== x) y.destroy();
          y = next;
        }
        if (y !== x) y.destroy();
      },
    },
    {
      name: 'raw: 100 1K copy-kernel dispatches, one submission',
      note: 'the floor: our own encoder, no library; per op',
      ops: 100,
      async body() {
        for (let i = 0; i < 100; i++) await raw.step(i);
        await raw.finish();
      },
    },
  ];
  for (const p of probes) await measure(p);
  raw.dispose();
  x.destroy();
  return out;
}
