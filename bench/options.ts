/**
 * The benchmark's options: which ops, sizes, dtypes, peers and softmax
 * shapes, read from the page's URL query or the Node runner's flags (both
 * come in as key -> value, see bench/flags.ts).
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
export const FUSED_OPS = ['biasAct', 'biasActBackward', 'swiglu', 'causalSoftmax'] as const;
export type FusedOp = (typeof FUSED_OPS)[number];
/** Selects every fused op. */
export const FUSED_GROUP = 'fused';

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
