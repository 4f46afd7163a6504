/**
 * The runs: per workload the same-run ceiling, ours, then each peer on the
 * same data (checked against ours), then the fused workloads beside their
 * unfused sequences; runBench adds the small-work latency and wraps it all
 * as the results file. Shared by the page (bench/main.ts) and the Node
 * runner (bench/node-main.ts); no DOM here, what differs comes in through
 * BenchEnv. How one row is timed: bench/timing.ts.
 */
import type { Activations, ActivationName, Tensor } from '../src/index.js';
import { compare, compareFused } from './check.js';
import { softmaxRows } from './cpu.js';
import { attentionPair, fusedPair, type FusedPair } from './fused.js';
import { copyKernels, type CopyKind } from './kernels.js';
import { runLatency } from './latency.js';
import { TFJS_MODEL, type BenchOptions } from './options.js';
import { bytesPer, describeError, elements, emptyRow, scoped } from './rows.js';
import { INPUTS, time, type Timed } from './timing.js';
import type {
  AdapterSummary,
  BenchEnv,
  Case,
  ModelRow,
  PeerImpl,
  Results,
  Row,
  Workload,
} from './types.js';
import {
  fusedWorkloads,
  isSoftmax,
  makeData,
  opParams,
  workloads,
  type FusedWorkload,
} from './workloads.js';

/** Our op as a Case: rotating inputs, one preallocated output, recorded into the library's encoder. */
function ourCase(act: Activations, w: Workload, data: Float32Array[], dyData: Float32Array): Case {
  const opts = { dtype: w.dtype };
  const xs = data.map((d) => act.tensor(d, w.shape, opts));
  const dy = w.dir === 'backward' ? act.tensor(dyData, w.shape, opts) : null;
  // Softmax backward takes the forward output y; it is fed our x buffers (the timing does not depend on values).
  const out = act.empty(w.shape, opts);
  const softmax = isSoftmax(w.op);
  const params = softmax ? { axis: -1, out } : { ...opParams(w.op as ActivationName), out };
  const run = (t: Tensor) => {
    if (w.dir === 'forward') act.forward(w.op as ActivationName, t, params as never);
    else if (softmax) act.backward(w.op as ActivationName, { y: t, dy: dy! }, params as never);
    else act.backward(w.op as ActivationName, { x: t, dy: dy! }, params as never);
  };
  return {
    step: (rep) => run(xs[rep % INPUTS]),
    finish: () => act.flush(),
    output: () => out.read(),
    dispose: () => {
      for (const t of [...xs, out, ...(dy ? [dy] : [])]) t.destroy();
    },
  };
}

/**
 * Rough weights of the run's parts, for the progress line's estimate of the
 * time left: a workload weighs (0.5 + its elements in M)^0.8 (a row costs
 * at least its ~40 ms samples, and the slowest rows stop early) per
 * implementation that runs it, 2.5x for the softmax family (its peers are
 * the slowest rows); a fused pair weighs two implementations; the latency
 * section a fixed share. Fitted to a --full run on SwiftShader (2026-12-05).
 * The tfjs-model rows weigh MODELS_WEIGHT (about a minute and a half there).
 */
const LATENCY_SHARE = 0.06;
const MODELS_WEIGHT = 150;
function progressPlan(
  options: BenchOptions,
  peers: PeerImpl[],
  all: Workload[],
  fused: FusedWorkload[],
): { workload: number[]; fused: number[]; models: number; total: number } {
  const size = (shape: number[]) => (0.5 + elements(shape) / (1 << 20)) ** 0.8;
  const workload = all.map((w) => {
    const impls =
      2 + (w.dtype === 'float32' ? peers.filter((p) => !p.lacks(w.op, w.dir, w.shape)).length : 0);
    return size(w.shape) * impls * (isSoftmax(w.op) ? 2.5 : 1);
  });
  const pairs = fused.map((f) => 2 * size(f.shape));
  const models = options.ops.includes(TFJS_MODEL) ? MODELS_WEIGHT : 0;
  const measured = [...workload, ...pairs, models].reduce((a, b) => a + b, 0);
  const total = options.latency ? measured / (1 - LATENCY_SHARE) : measured;
  return { workload, fused: pairs, models, total: Math.max(total, 1e-9) };
}

interface RunContext {
  env: BenchEnv;
  act: Activations;
  options: BenchOptions;
  peers: PeerImpl[];
  onRow?(row: Row): void;
  /**
   * Measures the tfjs-model rows (the page: bench/tfjs-model.ts); progress
   * takes the share of that part done. Absent (Node), a selected tfjs-model
   * gives one row that says so.
   */
  models?(progress: (line: string, share: number) => void): Promise<ModelRow[]>;
}

/** Runs everything: ceilings per (bytes), ours, then each peer on the same data; fused pairs; the models. */
async function runAll(ctx: RunContext): Promise<{ rows: Row[]; models: ModelRow[] }> {
  const { env, act, options } = ctx;
  const rows: Row[] = [];
  const push = (r: Row) => {
    rows.push(r);
    ctx.onRow?.(r);
  };
  const all = workloads(options);
  const ceilings = new Map<string, Row>();
  const device = act.device;
  const kernels = copyKernels(device);
  let done = 0;

  const ceilingFor = async (w: Workload, inputs = w.dir === 'forward' ? 1 : 2): Promise<Row> => {
    const bytesEach = elements(w.shape) * bytesPer(w.dtype);
    const kinds: CopyKind[] =
      inputs === 1 ? ['copyBufferToBuffer', 'copy-kernel', 'exp-kernel'] : ['copy2-kernel'];
    let result: Row | null = null;
    for (const kind of kinds) {
      const key = `${kind}|${bytesEach}`;
      let row = ceilings.get(key);
      if (!row) {
        row = emptyRow('ceiling', {
          op: kind,
          dir: kind === 'copy2-kernel' ? 'backward' : 'forward',
          dtype: w.dtype,
          shape: w.shape,
        });
        try {
          const c = kernels.make(kind, bytesEach);
          try {
            const t = await time(env, c, options.samples);
            Object.assign(row, {
              ms: t.ms,
              spreadPct: t.spreadPct,
              samples: t.samples,
              reps: t.reps,
            });
            row.gbps = row.bytes / (t.ms * 1e6);
          } finally {
            c.dispose();
          }
        } catch (e) {
          row.error = describeError(e);
        }
        // The exp kernel is read against the copy kernel, as our rows are.
        if (kind === 'exp-kernel' && result?.gbps && row.gbps && !row.perCall) {
          row.ceiling = result.op;
          row.ratio = row.gbps / result.gbps;
        }
        ceilings.set(key, row);
        push(row);
      }
      if (kind === 'copy-kernel' || kind === 'copy2-kernel') result = row;
    }
    return result!;
  };

  // A per-call row keeps its ceiling's name but no ratio: at that size the ratio is one dispatch over another.
  const finishRow = (row: Row, t: Timed, ceiling: Row) => {
    Object.assign(row, { ms: t.ms, spreadPct: t.spreadPct, samples: t.samples, reps: t.reps });
    row.gbps = row.bytes / (t.ms * 1e6);
    row.ceiling = ceiling.op;
    row.ratio = ceiling.gbps && !row.perCall ? row.gbps / ceiling.gbps : null;
  };

  const fusedAll = fusedWorkloads(options.ops, options.dtypes, options.sizes, options.biasActs);
  const plan = progressPlan(options, ctx.peers, all, fusedAll);
  let planned = 0;
  const step = (line: string, weight: number) => {
    env.progress(line, planned / plan.total);
    planned += weight;
  };

  for (const [wi, w] of all.entries()) {
    const n = elements(w.shape);
    step(
      `[${++done}/${all.length}] ${w.op} ${w.dir} ${w.dtype} [${w.shape.join('x')}]`,
      plan.workload[wi],
    );
    await env.breathe?.();
    const ceiling = await ceilingFor(w);
    const data = Array.from({ length: INPUTS }, (_, i) =>
      makeData(n, i + 1, isSoftmax(w.op) ? 8 : 4),
    );
    if (isSoftmax(w.op) && w.dir === 'backward') {
      // Softmax backward takes the forward output y: give it a real one, so sums have their real size.
      const cols = w.shape[w.shape.length - 1];
      for (let i = 0; i < INPUTS; i++) {
        const y = new Float32Array(n);
        softmaxRows(w.op, 'forward', data[i], data[i], y, cols);
        data[i] = y;
      }
    }
    const dyData = makeData(n, 99, 1);
    let reference: Float32Array | null = null;

    const ours = emptyRow('ours', w);
    device.pushErrorScope('validation');
    try {
      const c = ourCase(act, w, data, dyData);
      try {
        finishRow(ours, await time(env, c, options.samples), ceiling);
        if (w.dtype === 'float32' && ctx.peers.length) {
          // Recompute on input 0 so peers (which also end on some input) can be compared: peers check rep 0.
          await c.step(0);
          await c.finish();
          reference = await c.output!();
        }
      } finally {
        c.dispose();
      }
    } catch (e) {
      ours.error = describeError(e);
    }
    await scoped(device, ours);
    if (ours.error) reference = null;
    push(ours);

    if (w.dtype !== 'float32') continue; // peers run float32 only
    for (const peer of ctx.peers) {
      const row = emptyRow(peer.name, w);
      row.skipped = peer.lacks(w.op, w.dir, w.shape);
      if (row.skipped) {
        push(row);
        continue;
      }
      device.pushErrorScope('validation');
      try {
        const c = await peer.make(w.op, w.dir, w.shape, data, dyData);
        try {
          finishRow(row, await time(env, c, options.samples), ceiling);
          if (c.output) {
            await c.step(0);
            await c.finish();
            const got = await c.output();
            row.check = reference ? compare(got, reference) : 'not checked (ours failed)';
          }
        } finally {
          c.dispose();
        }
      } catch (e) {
        row.error = describeError(e);
      }
      await scoped(device, row);
      push(row);
    }
  }

  for (const [i, fw] of fusedAll.entries()) {
    step(
      `[fused ${i + 1}/${fusedAll.length}] ${fw.name} ${fw.dtype} [${fw.shape.join('x')}]`,
      plan.fused[i],
    );
    await env.breathe?.();
    const ceiling = await ceilingFor(fw, fw.inputs);
    for (const r of await runFusedPair(ctx, fw, (r, t) => finishRow(r, t, ceiling))) push(r);
  }

  let models: ModelRow[] = [];
  if (plan.models) {
    const base = planned;
    step('[tfjs-model] training steps, TF.js kernels and ours', plan.models);
    await env.breathe?.();
    const progress = (line: string, share: number) =>
      env.progress(line, (base + share * plan.models) / plan.total);
    try {
      models = ctx.models
        ? await ctx.models(progress)
        : [modelError('tfjs-model runs in the page only (npm run bench), not in Node')];
    } catch (e) {
      models = [modelError(describeError(e))];
    }
  }
  return { rows, models };
}

const modelError = (error: string): ModelRow => ({
  name: TFJS_MODEL,
  tfMs: null,
  oursMs: null,
  steps: 0,
  speedup: null,
  worstRelativeLossDiff: null,
  error,
});

/** One fused workload: the fused op, then the unfused sequence, on the same tensors; fused/unfused on the fused row. */
async function runFusedPair(
  ctx: RunContext,
  w: FusedWorkload,
  finish: (row: Row, t: Timed) => void,
): Promise<Row[]> {
  const { env, act, options } = ctx;
  const device = act.device;
  const make = (impl: string): Row => ({
    ...emptyRow(impl, { op: w.name, dir: w.dir, dtype: w.dtype, shape: w.shape }),
    bytes: w.bytes,
  });
  const fused = make('fused');
  const unfused = make('unfused');
  fused.floor = w.floor;
  fused.vsUnfused = null;
  let pair: FusedPair | null = null;
  const outs: Float32Array[][] = [];
  try {
    pair = fusedPair(act, w);
    fused.note = unfused.note = `unfused: ${pair.sequence}`;
    if (w.attention)
      return await attentionPair(env, device, options.samples, pair, [fused, unfused], finish);
    for (const [row, c] of [
      [fused, pair.fused],
      [unfused, pair.unfused],
    ] as const) {
      device.pushErrorScope('validation');
      try {
        finish(row, await time(env, c, options.samples));
        await c.step(0);
        await c.finish();
        outs.push(await c.outputs());
      } catch (e) {
        row.error = describeError(e);
      } finally {
        c.dispose();
      }
      await scoped(device, row);
    }
  } catch (e) {
    fused.error ??= describeError(e);
  } finally {
    pair?.dispose();
  }
  if (outs.length === 2 && !fused.error && !unfused.error) {
    fused.check = compareFused(w, outs[0], outs[1]);
    fused.vsUnfused = fused.ms! / unfused.ms!;
  }
  return [fused, unfused];
}

/** What one page or Node run adds to the measuring context for its results file. */
export interface BenchRun extends RunContext {
  /** Results.env: 'browser' or the Node runtime. */
  envName: string;
  adapter: AdapterSummary;
  method: string;
  /** Rows placed ahead of the measured ones (a peer whose setup failed). */
  leading?: Row[];
}

/** Every workload, then (unless --latency 0) the small-work latency, as the results file. */
export async function runBench(run: BenchRun): Promise<Results> {
  const { env, act, options } = run;
  const startedAt = new Date().toISOString();
  const started = env.now();
  const { rows, models } = await runAll(run);
  const latency = options.latency
    ? await runLatency(
        { ...env, progress: (line) => env.progress(line, 1 - LATENCY_SHARE) },
        act,
        options.samples,
      )
    : [];
  return {
    env: run.envName,
    adapter: run.adapter,
    options,
    method: run.method,
    rows: [...(run.leading ?? []), ...rows],
    latency,
    models,
    startedAt,
    durationMs: env.now() - started,
  };
}
