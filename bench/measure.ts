/**
 * The measuring code shared by the browser page (bench/main.ts) and the Node
 * runner (bench/node.ts). No DOM here: everything that differs between the
 * two environments comes in through BenchEnv.
 *
 * Method (also shown on the page):
 * - One sample = `reps` ops recorded (ours: into the library's one encoder,
 *   one submission), then submit, then wait for onSubmittedWorkDone; the
 *   sample's time is the wall-clock time from before the first op to the
 *   end of the wait, divided by `reps`. `reps` is calibrated once so a sample
 *   lasts about TARGET_SAMPLE_MS (1 to MAX_REPS ops).
 * - Inputs rotate among INPUTS buffers so no cache holds the input.
 * - One warm-up sample (pipeline compilation, uploads) is thrown away; the
 *   median and the spread (max-min over median) of `samples` samples
 *   (default 7) are reported. A row whose op takes over SLOW_OP_MS keeps at
 *   least MIN_SAMPLES samples and stops once it has used ROW_BUDGET_MS.
 * - Effective GB/s = the minimum bytes the op must move (each input read
 *   once, the output written once) / median time. The ratio divides it by
 *   the ceiling of the same bytes measured in the same run: the vectorised
 *   WGSL copy kernel for one-input ops, the two-input copy kernel for
 *   backward (two reads, one write).
 */
import {
  activationNames,
  activations,
  softmaxOps,
  type Activations,
  type ActivationName,
  type DType,
  type Tensor,
} from '../src/index.js';
import { softmaxRows } from './cpu.js';
import {
  compareFused,
  FUSED_GROUP,
  FUSED_OPS,
  fusedPair,
  fusedWorkloads,
  type FusedWorkload,
} from './fused.js';
import { copyKernels, type CopyKind } from './kernels.js';

export const SIZES: Record<string, number> = {
  '1K': 1 << 10,
  '64K': 1 << 16,
  '1M': 1 << 20,
  '16M': 1 << 24,
};
/** The softmax shapes of the benchmark issue (16M elements each). */
export const SOFTMAX_SHAPES_16M: number[][] = [
  [4096, 4096],
  [65536, 256],
  [256, 65536],
  [32, 262144],
  [8, 2097152],
];
export const ALL_PEERS = ['tf', 'ort', 'naive', 'cpu'] as const;
export type PeerName = (typeof ALL_PEERS)[number];

export const INPUTS = 3;
export const TARGET_SAMPLE_MS = 40;
export const MAX_REPS = 100;
export const MIN_SAMPLES = 3;
export const SLOW_OP_MS = 400;
export const ROW_BUDGET_MS = 8000;

export type Direction = 'forward' | 'backward';

export interface BenchOptions {
  ops: string[];
  sizes: string[];
  dtypes: DType[];
  peers: PeerName[];
  /** Softmax shapes; default derived from sizes (the five shapes at 16M). */
  shapes: number[][] | null;
  samples: number;
  /** Skip the small-work latency section. */
  latency: boolean;
}

export interface Row {
  /** 'ours' | 'ceiling' | a peer name. */
  impl: string;
  op: string;
  dir: Direction;
  dtype: DType;
  shape: number[];
  size: number;
  /** Minimum bytes read + written. */
  bytes: number;
  ms: number | null;
  spreadPct: number | null;
  samples: number;
  reps: number;
  gbps: number | null;
  /** Which ceiling the ratio is against ('copy-kernel' or 'copy2-kernel'). */
  ceiling: string | null;
  ratio: number | null;
  /** Peer check against our output: 'ok', 'mismatch ...', or null (not checked). */
  check: string | null;
  error: string | null;
  /** Fused rows (impl 'fused'): fused median time / unfused median time, same run. */
  vsUnfused?: number | null;
  /** Fused rows: the floor on vsUnfused. */
  floor?: number | null;
  /** Fused and unfused rows: what the unfused sequence is. */
  note?: string;
}

export interface LatencyRow {
  name: string;
  /** Milliseconds per op (median). */
  msPerOp: number | null;
  spreadPct: number | null;
  samples: number;
  note: string;
  error: string | null;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean | null;
  features: string[];
  timestampQuery: boolean;
}

export interface Results {
  env: string;
  adapter: AdapterSummary;
  options: BenchOptions;
  method: string;
  rows: Row[];
  latency: LatencyRow[];
  startedAt: string;
  durationMs: number;
}

/** What differs between the browser and Node. */
export interface BenchEnv {
  name: string;
  now(): number;
  /** Called before a sample with the expected wall time of its wait (Node sleeps instead of spinning). */
  expect?(ms: number): void;
  progress(line: string): void;
  /** Lets the page repaint between rows. */
  breathe?(): Promise<void>;
}

/** One op under measurement: record `rep`, then finish() submits and waits. */
export interface Case {
  /** Records (or runs) one op on input number rep % INPUTS. */
  step(rep: number): void | Promise<void>;
  /** Submits what was recorded and resolves when the device has finished it. */
  finish(): Promise<void>;
  /** The output of the last step, as float32, for the cross-check. */
  output?(): Promise<Float32Array>;
  dispose(): void;
}

export const METHOD =
  'One sample = reps ops recorded back to back (ours: into the library encoder, one submission), then submit and ' +
  'wait for onSubmittedWorkDone; time = wall clock / reps. reps calibrated so a sample lasts ~' +
  `${TARGET_SAMPLE_MS} ms (max ${MAX_REPS}). Inputs rotate among ${INPUTS} buffers. One warm-up sample discarded; ` +
  `median and spread (max-min)/median of 7 samples (at least ${MIN_SAMPLES} for ops over ${SLOW_OP_MS} ms, ` +
  `${ROW_BUDGET_MS / 1000} s per row). GB/s = minimum bytes read+written / median. Ratio = GB/s over the same-run ` +
  'vectorised WGSL copy kernel of the same bytes (forward, softmax forward) or the two-input copy kernel ' +
  '(backward). Peers are checked against our float32 output: |a-b| <= 1e-6 + 4e-6|b|, NaN only where NaN.';

// ---- options ---------------------------------------------------------------

export function parseOptions(get: (key: string) => string | null): BenchOptions {
  const list = (key: string) =>
    (get(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const allOps = [...activationNames, ...softmaxOps, ...FUSED_OPS] as string[];
  const ops = list('ops');
  for (const op of ops)
    if (!allOps.includes(op) && op !== FUSED_GROUP)
      throw new Error(`bench: unknown op ${op}; valid: ${allOps.join(', ')}, ${FUSED_GROUP}`);
  const sizes = list('sizes');
  for (const s of sizes)
    if (!(s in SIZES))
      throw new Error(`bench: unknown size ${s}; valid: ${Object.keys(SIZES).join(', ')}`);
  const dtypes = list('dtypes') as DType[];
  for (const d of dtypes)
    if (d !== 'float32' && d !== 'float16') throw new Error(`bench: unknown dtype ${d}`);
  const peers = (
    get('peers') === null ? [...ALL_PEERS] : list('peers').filter((p) => p !== 'none')
  ) as PeerName[];
  for (const p of peers)
    if (!ALL_PEERS.includes(p))
      throw new Error(`bench: unknown peer ${p}; valid: ${ALL_PEERS.join(', ')}`);
  const shapesArg = list('shapes');
  const shapes = shapesArg.length
    ? shapesArg.map((s) => {
        const dims = s.split('x').map(Number);
        if (dims.length !== 2 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
          throw new Error(`bench: a softmax shape is ROWSxCOLS, got ${s}`);
        }
        return dims;
      })
    : null;
  const samples = Number(get('samples') ?? 7);
  if (!Number.isInteger(samples) || samples < 1)
    throw new Error(`bench: samples must be a positive integer`);
  return {
    ops: ops.length ? ops : allOps,
    sizes: sizes.length ? sizes : Object.keys(SIZES),
    dtypes: dtypes.length ? dtypes : ['float32', 'float16'],
    peers,
    shapes,
    samples,
    latency: get('latency') !== '0',
  };
}

/** Softmax shapes for the chosen sizes: the five at 16M, the same aspect kinds scaled down otherwise. */
export function softmaxShapes(o: BenchOptions): number[][] {
  if (o.shapes) return o.shapes;
  const out: number[][] = [];
  for (const s of o.sizes) {
    const n = SIZES[s];
    if (n === 1 << 24) {
      out.push(...SOFTMAX_SHAPES_16M);
      continue;
    }
    // Below 16M, one square shape keeps a quick run quick (use --shapes for more).
    const side = 2 ** Math.round(Math.log2(n) / 2);
    for (const shape of [[n / side, side]]) {
      if (
        shape.every((d) => Number.isInteger(d) && d >= 1) &&
        !out.some((o2) => o2.join() === shape.join())
      ) {
        out.push(shape);
      }
    }
  }
  return out;
}

// ---- data ----------------------------------------------------------------

/** Deterministic inputs in [-lo, hi) (a small LCG: fast for 16M elements). */
export function makeData(n: number, seed: number, scale = 4): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return a;
}

/** The float32 tolerance of the project: NaN only matches NaN, infinities must be equal. */
export function close(got: number, want: number, atol = 1e-6, rtol = 4e-6): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

/** 'ok' or a description of the first mismatches. */
export function compare(got: Float32Array, want: Float32Array): string {
  if (got.length !== want.length) return `mismatch: length ${got.length} vs ${want.length}`;
  let bad = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i], want[i])) {
      if (first < 0) first = i;
      bad++;
      worst = Math.max(worst, Math.abs(got[i] - want[i]) || Infinity);
    }
  }
  if (bad === 0) return 'ok';
  return `mismatch: ${bad}/${got.length} elements, first at ${first} (${got[first]} vs ours ${want[first]}), max |diff| ${worst.toExponential(2)}`;
}

// ---- timing ----------------------------------------------------------------

export interface Timed {
  ms: number;
  spreadPct: number;
  samples: number;
  reps: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function sample(
  env: BenchEnv,
  c: Case,
  reps: number,
  start: number,
  expectMs: number,
): Promise<number> {
  env.expect?.(expectMs);
  const t0 = env.now();
  for (let r = 0; r < reps; r++) await c.step(start + r);
  await c.finish();
  return (env.now() - t0) / reps;
}

/** Warm-up, calibration, then the samples. */
export async function time(env: BenchEnv, c: Case, wanted: number): Promise<Timed> {
  let rep = 0;
  const one = await sample(env, c, 1, rep++, 0); // warm-up: compiles, uploads
  // A slow op needs no calibration sample: one op per sample is already long enough.
  const again = one > SLOW_OP_MS ? one : await sample(env, c, 1, rep++, one);
  const reps = Math.max(
    1,
    Math.min(MAX_REPS, Math.round(TARGET_SAMPLE_MS / Math.max(again, 1e-3))),
  );
  const times: number[] = [];
  const started = env.now();
  let expect = again * reps;
  while (times.length < wanted) {
    const t = await sample(env, c, reps, rep, expect);
    rep += reps;
    times.push(t);
    expect = median(times) * reps;
    const slow = median(times) > SLOW_OP_MS;
    if (slow && times.length >= MIN_SAMPLES && env.now() - started > ROW_BUDGET_MS) break;
  }
  const m = median(times);
  return {
    ms: m,
    spreadPct: ((Math.max(...times) - Math.min(...times)) / m) * 100,
    samples: times.length,
    reps,
  };
}

function describeError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  return err?.code ? `${err.code}: ${msg}` : msg;
}

/** Pops the row's validation scope: a GPU validation error fails the row (and its figures are dropped). */
async function scoped(device: GPUDevice, row: Row): Promise<void> {
  const err = await device.popErrorScope();
  if (!err || row.error) return;
  row.error = `GPU validation error: ${err.message.split('\n')[0]}`;
  Object.assign(row, { ms: null, spreadPct: null, gbps: null, ratio: null, check: null });
}

// ---- the runs ---------------------------------------------------------------

export interface PeerImpl {
  name: string;
  /** Null when the peer has no such op (no row is made). */
  make(
    op: string,
    dir: Direction,
    shape: number[],
    data: Float32Array[],
    dy: Float32Array,
  ): Promise<Case> | null;
  dispose?(): void;
}

interface Workload {
  op: string;
  dir: Direction;
  dtype: DType;
  shape: number[];
}

const bytesPer = (dtype: DType) => (dtype === 'float32' ? 4 : 2);

export function minBytes(w: { dir: Direction; dtype: DType; shape: number[] }): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * bytesPer(w.dtype) * (w.dir === 'forward' ? 2 : 3);
}

const isSoftmax = (op: string) => (softmaxOps as readonly string[]).includes(op);
const isFused = (op: string) => op === FUSED_GROUP || (FUSED_OPS as readonly string[]).includes(op);

/** A row with no measurement yet (every figure null). */
export function emptyRow(impl: string, w: Workload): Row {
  const size = w.shape.reduce((a, b) => a * b, 1);
  return {
    impl,
    op: w.op,
    dir: w.dir,
    dtype: w.dtype,
    shape: w.shape,
    size,
    bytes: minBytes(w),
    ms: null,
    spreadPct: null,
    samples: 0,
    reps: 0,
    gbps: null,
    ceiling: null,
    ratio: null,
    check: null,
    error: null,
  };
}

/** Our op as a Case: rotating inputs, one preallocated output, recorded into the library's encoder. */
export function ourCase(
  act: Activations,
  w: Workload,
  data: Float32Array[],
  dyData: Float32Array,
): Case {
  const opts = { dtype: w.dtype };
  const xs = data.map((d) => act.tensor(d, w.shape, opts));
  const dy = w.dir === 'backward' ? act.tensor(dyData, w.shape, opts) : null;
  // Softmax backward takes the forward output y; it is fed our x buffers (the timing does not depend on values).
  const out = act.empty(w.shape, opts);
  const softmax = isSoftmax(w.op);
  const params = softmax ? { axis: -1, out } : { out };
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

export interface RunContext {
  env: BenchEnv;
  act: Activations;
  options: BenchOptions;
  peers: PeerImpl[];
  onRow?(row: Row): void;
}

/** Every workload of the options, in run order. */
export function workloads(o: BenchOptions): Workload[] {
  const out: Workload[] = [];
  const elementwise = o.ops.filter((op) => !isSoftmax(op) && !isFused(op));
  const softmax = o.ops.filter(isSoftmax);
  for (const dtype of o.dtypes) {
    for (const s of o.sizes) {
      for (const op of elementwise) {
        for (const dir of ['forward', 'backward'] as const)
          out.push({ op, dir, dtype, shape: [SIZES[s]] });
      }
    }
    for (const shape of softmax.length ? softmaxShapes(o) : []) {
      for (const op of softmax)
        for (const dir of ['forward', 'backward'] as const) out.push({ op, dir, dtype, shape });
    }
  }
  return out;
}

/** Runs everything: ceilings per (bytes), ours, then each peer on the same data. */
export async function runAll(ctx: RunContext): Promise<Row[]> {
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
    const n = w.shape.reduce((a, b) => a * b, 1);
    const bytesEach = n * bytesPer(w.dtype);
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
        if (kind === 'exp-kernel' && result?.gbps && row.gbps) {
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

  const finishRow = (row: Row, t: Timed, ceiling: Row) => {
    Object.assign(row, { ms: t.ms, spreadPct: t.spreadPct, samples: t.samples, reps: t.reps });
    row.gbps = row.bytes / (t.ms * 1e6);
    row.ceiling = ceiling.op;
    row.ratio = ceiling.gbps ? row.gbps / ceiling.gbps : null;
  };

  for (const w of all) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    env.progress(`[${++done}/${all.length}] ${w.op} ${w.dir} ${w.dtype} [${w.shape.join('x')}]`);
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
      let made: Promise<Case> | null;
      try {
        made = peer.make(w.op, w.dir, w.shape, data, dyData);
      } catch (e) {
        made = Promise.reject(e);
      }
      if (!made) continue;
      const row = emptyRow(peer.name, w);
      device.pushErrorScope('validation');
      try {
        const c = await made;
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

  const fusedAll = fusedWorkloads(options.ops, options.dtypes, options.sizes);
  for (const [i, fw] of fusedAll.entries()) {
    env.progress(
      `[fused ${i + 1}/${fusedAll.length}] ${fw.name} ${fw.dtype} [${fw.shape.join('x')}]`,
    );
    await env.breathe?.();
    const ceiling = await ceilingFor(fw, fw.inputs);
    for (const r of await runFusedPair(ctx, fw, (r, t) => finishRow(r, t, ceiling))) push(r);
  }
  return rows;
}

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
  let pair: ReturnType<typeof fusedPair> | null = null;
  const outs: Float32Array[][] = [];
  try {
    pair = fusedPair(act, w);
    fused.note = unfused.note = `unfused: ${pair.sequence}`;
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

// ---- small-work latency -------------------------------------------------------

/**
 * First calls, which create pipelines, timed apart from the steady state:
 * each op's first float16 backward (a pipeline the run has not made yet; only
 * calls that did make one count), then one warmup() of every pipeline left.
 */
async function firstCalls(env: BenchEnv, act: Activations, n: number): Promise<LatencyRow[]> {
  env.progress('latency: first calls (pipeline creation)');
  const first: LatencyRow = {
    name: 'first call of an op (pipeline made)',
    msPerOp: null,
    spreadPct: null,
    samples: 0,
    note: 'backward + flush of a float16 op never compiled before; median over ops',
    error: null,
  };
  const warm: LatencyRow = {
    name: 'warmup() of every op, per pipeline',
    msPerOp: null,
    spreadPct: null,
    samples: 0,
    note: '',
    error: null,
  };
  try {
    const x = act.tensor(makeData(n, 9), [n], { dtype: 'float16' });
    const times: number[] = [];
    for (const op of Object.keys(activations) as ActivationName[]) {
      const before = act.stats().pipelines;
      const t0 = env.now();
      const dx = act.backward(op, { x, dy: x });
      await act.flush();
      const t = env.now() - t0;
      dx.destroy();
      if (act.stats().pipelines > before) times.push(t);
    }
    x.destroy();
    if (!times.length) first.error = 'not measured: every op was compiled earlier in this run';
    if (times.length) {
      const m = median(times);
      Object.assign(first, {
        msPerOp: m,
        spreadPct: ((Math.max(...times) - Math.min(...times)) / m) * 100,
        samples: times.length,
      });
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

export async function runLatency(
  env: BenchEnv,
  act: Activations,
  samples: number,
): Promise<LatencyRow[]> {
  const out: LatencyRow[] = [];
  const n = 1024;
  const x = act.tensor(makeData(n, 7), [n]);
  const device = act.device;
  const kernels = copyKernels(device);
  const measure = async (
    name: string,
    note: string,
    opsPerSample: number,
    body: () => Promise<void>,
  ) => {
    env.progress(`latency: ${name}`);
    const row: LatencyRow = { name, msPerOp: null, spreadPct: null, samples: 0, note, error: null };
    try {
      await body(); // warm-up
      const times: number[] = [];
      for (let i = 0; i < Math.max(samples * 3, 21); i++) {
        env.expect?.(0);
        const t0 = env.now();
        await body();
        times.push((env.now() - t0) / opsPerSample);
      }
      const m = median(times);
      Object.assign(row, {
        msPerOp: m,
        spreadPct: ((Math.max(...times) - Math.min(...times)) / m) * 100,
        samples: times.length,
      });
    } catch (e) {
      row.error = describeError(e);
    }
    out.push(row);
  };
  out.push(...(await firstCalls(env, act, n)));
  act.warmup(['relu'], ['float32']);

  await measure(
    '1K relu: forward + flush',
    'one op end to end: record, submit, wait',
    1,
    async () => {
      const y = act.forward('relu', x);
      await act.flush();
      y.destroy();
    },
  );
  await measure(
    '1K relu: forward + read()',
    'one op end to end with readback to the CPU',
    1,
    async () => {
      const y = act.forward('relu', x);
      await y.read();
      y.destroy();
    },
  );
  await measure(
    '100 chained 1K relu, one flush',
    'y = relu(y) x100 recorded, one flush (the runtime submits every 16); per op',
    100,
    async () => {
      const made: Tensor[] = [];
      let y = x;
      for (let i = 0; i < 100; i++) made.push((y = act.forward('relu', y)));
      await act.flush();
      for (const t of made) t.destroy();
    },
  );
  await measure(
    '100 awaited 1K relu calls',
    'forward + await flush, 100 times; per op',
    100,
    async () => {
      let y = x;
      for (let i = 0; i < 100; i++) {
        const next = act.forward('relu', y);
        await act.flush();
        if (y !== x) y.destroy();
        y = next;
      }
      if (y !== x) y.destroy();
    },
  );
  const raw = kernels.make('copy-kernel', n * 4);
  await measure(
    'raw: 100 1K copy-kernel dispatches, one submission',
    'the floor: our own encoder, no library; per op',
    100,
    async () => {
      for (let i = 0; i < 100; i++) await raw.step(i);
      await raw.finish();
    },
  );
  raw.dispose();
  x.destroy();
  void device;
  return out;
}

// ---- adapter and formatting ---------------------------------------------------------

export function adapterSummary(device: GPUDevice, adapter: GPUAdapter | null): AdapterSummary {
  const info = (adapter?.info ??
    (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  const fallback =
    info?.isFallbackAdapter ??
    (adapter as (GPUAdapter & { isFallbackAdapter?: boolean }) | null)?.isFallbackAdapter ??
    null;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: fallback,
    features: [...device.features].map(String).sort(),
    timestampQuery: device.features.has('timestamp-query'),
  };
}

/** Default parameters of an elementwise op (for peers that need them spelled out). */
export function defaults(op: ActivationName): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, spec] of Object.entries(
    activations[op].params as Record<string, { default: number | string }>,
  )) {
    out[k] = spec.default;
  }
  return out;
}
