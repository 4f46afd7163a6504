/**
 * The benchmark's options: which ops, sizes, dtypes, peers and softmax
 * shapes, read from the page's URL query or the Node runner's flags (both
 * come in as key -> value, see bench/flags.ts). With no selection the run
 * is the headline (HEADLINE, a few minutes at most on a 2-core SwiftShader
 * machine); `full` makes every op, size, dtype, fused and tfjs-model row the default
 * instead. A flag given always wins over either default.
 */
import { activationNames, softmaxOps, type DType } from '../src/index.js';

export const SIZES: Record<string, number> = {
  '1K': 1 << 10,
  '64K': 1 << 16,
  '1M': 1 << 20,
  '16M': 1 << 24,
};
/** The softmax shapes of the benchmark issue (16M elements each). */
const SOFTMAX_SHAPES_16M: number[][] = [
  [4096, 4096],
  [65536, 256],
  [256, 65536],
  [32, 262144],
  [8, 2097152],
];
const ALL_PEERS = ['tf', 'ort', 'naive', 'cpu'] as const;
export type PeerName = (typeof ALL_PEERS)[number];

/** The fused ops the bench measures beside their unfused sequences (bench/fused.ts). */
export const FUSED_OPS = [
  'biasAct',
  'biasActBackward',
  'swiglu',
  'causalSoftmax',
  'attention',
] as const;
export type FusedOp = (typeof FUSED_OPS)[number];
/**
 * scaledMaskedSoftmax's attention options each beside plain causal (bench/attention.ts),
 * forward and backward: named in --ops, and in --full; not in the fused group.
 */
export const ATTENTION = 'attention';
/** Selects every fused op but the attention options. */
export const FUSED_GROUP = 'fused';
/**
 * Training steps of two TF.js models with TF's kernels and with our
 * provider (bench/tfjs-model.ts; page only): named in --ops, and in --full.
 */
export const TFJS_MODEL = 'tfjs-model';
/** The activations biasAct and biasActBackward are measured with. */
export const BIAS_ACTS = ['relu', 'gelu'] as const;
export type BiasAct = (typeof BIAS_ACTS)[number];

/**
 * What `npm run bench` measures with no flags: five elementwise ops forward
 * and backward and the softmax family on a short-row and a long-row shape
 * (headlineShapes), at one size large enough to be a throughput row and
 * small enough for the CPU loop, float32 (the peers' dtype), two fused rows.
 */
const HEADLINE = {
  ops: [
    'relu',
    'sigmoid',
    'gelu',
    'tanh',
    'silu',
    'softmax',
    'logSoftmax',
    'biasAct',
    'causalSoftmax',
  ],
  biasActs: ['gelu'] as BiasAct[],
  sizes: ['1M'],
  dtypes: ['float32'] as DType[],
};
/** Softmax rows that fit in workgroup memory, and rows that do not. */
const SHORT_ROW = 256;
const LONG_ROW = 65536;

export interface BenchOptions {
  /** Every op, size, dtype and fused row unless selected (--full); else the headline. */
  full: boolean;
  ops: string[];
  sizes: string[];
  dtypes: DType[];
  peers: PeerName[];
  /** Softmax shapes; default derived from sizes (softmaxShapes). */
  shapes: number[][] | null;
  /** The activations of the biasAct rows. */
  biasActs: BiasAct[];
  samples: number;
  /** Skip the small-work latency section. */
  latency: boolean;
}

export function parseOptions(get: (key: string) => string | null): BenchOptions {
  const full = get('full') !== null && get('full') !== '0';
  const list = (key: string) =>
    (get(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const allOps = [...activationNames, ...softmaxOps, ...FUSED_OPS, TFJS_MODEL] as string[];
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
    full,
    ops: ops.length ? ops : full ? allOps : HEADLINE.ops,
    sizes: sizes.length ? sizes : full ? Object.keys(SIZES) : HEADLINE.sizes,
    dtypes: dtypes.length ? dtypes : full ? ['float32', 'float16'] : HEADLINE.dtypes,
    peers,
    shapes,
    biasActs: ops.length || full ? [...BIAS_ACTS] : HEADLINE.biasActs,
    samples,
    latency: get('latency') !== '0',
  };
}

/**
 * Softmax shapes for the chosen sizes. Headline (no --full): a short-row
 * and a long-row shape per size ([4096 x 256] and [16 x 65536] at 1M).
 * --full: the five at 16M, one square shape below.
 */
export function softmaxShapes(o: BenchOptions): number[][] {
  if (o.shapes) return o.shapes;
  if (!o.full) {
    const shapes = o.sizes.flatMap((s) =>
      [SHORT_ROW, LONG_ROW].filter((c) => c <= SIZES[s]).map((c) => [SIZES[s] / c, c]),
    );
    return shapes.filter((a, i) => shapes.findIndex((b) => b.join() === a.join()) === i);
  }
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
