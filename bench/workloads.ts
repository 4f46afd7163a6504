/**
 * What one run measures, in run order: the elementwise and softmax workloads
 * of the options, the fused workloads beside their unfused sequences, and
 * the deterministic data they run on.
 */
import { activations, softmaxOps, type ActivationName, type DType } from '../src/index.js';
import {
  ATTENTION_CASES,
  ATTENTION_FLOOR,
  attentionName,
  attentionShape,
  type AttentionCase,
} from './attention.js';
import {
  ATTENTION,
  BIAS_ACTS,
  FUSED_GROUP,
  FUSED_OPS,
  SIZES,
  softmaxShapes,
  TFJS_MODEL,
  type BenchOptions,
  type BiasAct,
  type FusedOp,
} from './options.js';
import type { Direction, Workload } from './types.js';

export const isSoftmax = (op: string) => (softmaxOps as readonly string[]).includes(op);
const isFused = (op: string) => op === FUSED_GROUP || (FUSED_OPS as readonly string[]).includes(op);

/** Every elementwise and softmax workload of the options, in run order. */
export function workloads(o: BenchOptions): Workload[] {
  const out: Workload[] = [];
  const elementwise = o.ops.filter((op) => !isSoftmax(op) && !isFused(op) && op !== TFJS_MODEL);
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

/**
 * The parameters every implementation runs an elementwise op with: the
 * table's values, spelt out, since the library requires some (prelu's slope:
 * 0.25, PyTorch's initial value, as the TF.js peer and the naive kernel use).
 */
export function opParams(op: ActivationName): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  const specs = activations[op].params as Record<string, { default: number | string }>;
  for (const [k, spec] of Object.entries(specs)) out[k] = spec.default;
  return out;
}

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

// ---- fused ops beside their unfused sequences ---------------------------------

/** Issue 8's floors on fused time / unfused time. */
const FUSED_FLOORS: Record<FusedOp, number> = {
  biasAct: 0.6,
  biasActBackward: 0.6,
  swiglu: 0.6,
  causalSoftmax: 0.75,
  // Issue 15: option time / plain causal time.
  attention: ATTENTION_FLOOR,
};
/** Columns of the [rows, C] shapes (the issue's [65536 x 256] at 16M elements). */
const FUSED_COLS = 256;

export interface FusedWorkload {
  op: FusedOp;
  /** The row's op name: biasAct(relu), biasActBackward(gelu)+dbias, swiglu, causalSoftmax. */
  name: string;
  act: BiasAct | null;
  /** The attention rows' option set (compared with plain causal, not with an unfused sequence). */
  attention?: AttentionCase;
  dir: Direction;
  dtype: DType;
  shape: number[];
  /** Full-size inputs read (1 or 2): picks the copy ceiling. */
  inputs: 1 | 2;
  /** Minimum bytes read + written by the fused op. */
  bytes: number;
  floor: number;
}

/** The causal shape of n elements: [n / s^2, s, s] with s <= 256 (256 matrices of 256 x 256 at 16M). */
function causalShape(n: number): number[] {
  const s = Math.min(FUSED_COLS, 2 ** Math.floor(Math.log2(n) / 2));
  return [n / (s * s), s, s];
}

/** The fused workloads of the selected ops, dtypes and sizes (shape [n / 256, 256]); biasAct with `acts`. */
export function fusedWorkloads(
  ops: string[],
  dtypes: DType[],
  sizes: string[],
  acts: readonly BiasAct[] = BIAS_ACTS,
): FusedWorkload[] {
  const out: FusedWorkload[] = [];
  const chosen = FUSED_OPS.filter(
    (op) => ops.includes(op) || (ops.includes(FUSED_GROUP) && op !== ATTENTION),
  );
  for (const dtype of dtypes) {
    const b = dtype === 'float32' ? 4 : 2;
    for (const s of sizes) {
      const n = SIZES[s];
      if (n < 4 * FUSED_COLS) continue;
      const rows = n / FUSED_COLS;
      const flat = [rows, FUSED_COLS];
      const base = { dtype, act: null, dir: 'forward' as Direction, inputs: 1 as const };
      for (const op of chosen) {
        const floor = FUSED_FLOORS[op];
        if (op === 'biasAct' || op === 'biasActBackward') {
          // The backward reads x and dy, writes dx, and reads the bias and writes dbias ([C] each).
          const backward = op === 'biasActBackward';
          for (const act of acts)
            out.push({
              ...base,
              op,
              floor,
              act,
              name: backward ? `biasActBackward(${act})+dbias` : `biasAct(${act})`,
              ...(backward ? { dir: 'backward' as const, inputs: 2 as const } : {}),
              shape: flat,
              bytes: (backward ? 3 * n + 2 * FUSED_COLS : 2 * n + FUSED_COLS) * b,
            });
        }
        if (op === 'swiglu')
          out.push({
            ...base,
            op,
            floor,
            name: 'swiglu',
            inputs: 2,
            shape: flat,
            bytes: 3 * n * b,
          });
        if (op === 'causalSoftmax')
          out.push({
            ...base,
            op,
            floor,
            name: 'causalSoftmax',
            shape: causalShape(n),
            bytes: 2 * n * b,
          });
        if (op === 'attention')
          for (const dir of ['forward', 'backward'] as const)
            for (const c of ATTENTION_CASES) {
              // The backward reads y and dy (and x with softcap) and writes dx.
              const reads = dir === 'forward' ? 1 : c === 'softcap' || c === 'all' ? 3 : 2;
              out.push({
                ...base,
                op,
                floor,
                dir,
                attention: c,
                name: `${attentionName(c)} ${dir}`,
                inputs: dir === 'forward' ? 1 : 2,
                shape: attentionShape(n),
                bytes: (reads + 1) * n * b,
              });
            }
      }
    }
  }
  return out;
}
