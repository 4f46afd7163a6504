/**
 * The shapes the measuring code, the page, the Node runner and the text and
 * chart forms share: a result row, a latency row, the results file
 * (bench/results/latest.json), and the two interfaces an implementation
 * under test meets (Case, PeerImpl). Types only.
 */
import type { DType } from '../src/index.js';
import type { BenchOptions } from './options.js';

export type Direction = 'forward' | 'backward';

/** One op at one dtype and shape. */
export interface Workload {
  op: string;
  dir: Direction;
  dtype: DType;
  shape: number[];
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
  /** GB/s over the ceiling's; null for a per-call row. */
  ratio: number | null;
  /**
   * A row below THROUGHPUT_MIN elements (bench/options.ts): one call takes
   * about what the timer resolves or a dispatch costs, so it is read as time
   * per call (ms), never as a ratio or against a floor.
   */
  perCall: boolean;
  /** Why this implementation does not run this op (a peer without the op); no figures then. */
  skipped: string | null;
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

/** A tfjs-model row (bench/tfjs-model.ts): one model's training step, TF's kernels and ours. */
export interface ModelRow {
  name: string;
  /** Median step time (ms) with TF's own kernels. */
  tfMs: number | null;
  /** Median step time (ms) after registerTfjsKernels. */
  oursMs: number | null;
  /** Timed steps per side (all rounds, warm-up steps left out). */
  steps: number;
  /** tfMs / oursMs: above 1, the provider's step is faster. */
  speedup: number | null;
  /** Worst |loss(ours) - loss(TF)| / |loss(TF)| over the steps (same seed). */
  worstRelativeLossDiff: number | null;
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
  /** The tfjs-model rows (empty unless the options name tfjs-model). */
  models: ModelRow[];
  startedAt: string;
  durationMs: number;
}

/** What differs between the browser and Node. */
export interface BenchEnv {
  name: string;
  now(): number;
  /** Called before a sample with the expected wall time of its wait (Node sleeps instead of spinning). */
  expect?(ms: number): void;
  /** What runs now, and the share of the run's estimated work done before it (0 to 1). */
  progress(line: string, done?: number): void;
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

export interface PeerImpl {
  name: string;
  /**
   * Why the peer cannot run this op, or null when it can: a sentence that
   * names the peer ("ORT Web's WebGPU EP has no LogSoftmax kernel"), worded
   * without the op where it holds for many ops, so the summary says it once.
   */
  lacks(op: string, dir: Direction, shape: number[]): string | null;
  /** Only called where lacks() gave null. */
  make(
    op: string,
    dir: Direction,
    shape: number[],
    data: Float32Array[],
    dy: Float32Array,
  ): Promise<Case>;
  dispose?(): void;
}
