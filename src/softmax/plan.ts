/**
 * Which row kernel a shape gets, and its grid: pure arithmetic on the shape
 * and the adapter's features, so every boundary can be unit-tested without a
 * GPU. The codegen builds what the plan names; the host records it.
 */
import { sizeOf } from '../core/tensor.js';

/**
 * Where the automatic choice switches kernels. Mutable only so tests can move
 * a boundary down and exercise every path on small shapes.
 */
export const softmaxTuning = {
  /** Rows up to this long are held in registers (read once): 256 threads x 16. */
  cacheMax: 4096,
  /** Rows at least this long, when there are few, are split across workgroups. */
  splitMinLen: 65536,
  /** "Few rows": below this many, one workgroup per row would leave most of a GPU idle. */
  splitMaxRows: 128,
  /**
   * The same for the rows kernel, whose statistics read a segment once: a
   * split costs it no extra read, so [256 x 65536] takes 4 subgroups per row.
   */
  rowsSplitMaxRows: 1024,
  /** Elements per split chunk (64 per thread): [8 x 2M] makes 1024 workgroups. */
  chunkLen: 16384,
  /** A strided axis with at least this many rows gets one thread per row (coalesced across rows). */
  columnMinRows: 2048,
  /** Contiguous rows up to this long get one thread each (no reduction at all). */
  threadMaxLen: 8,
  /** Contiguous rows up to this long get one subgroup each, where the adapter has subgroups. */
  subgroupMaxLen: 1024,
  /**
   * Contiguous rows (forward and backward) take shaders/softmax/rows.wgsl, one
   * subgroup per row and no barrier, where the adapter has subgroups. False
   * forces the workgroup-memory kernels (what an adapter without subgroups runs).
   */
  rowsKernel: true,
  /** Vectors (of 4 or 1 elements) each lane of the rows kernel keeps in registers. */
  rowsKv: 16,
};

/**
 * How a row's threads meet: a workgroup-memory tree (W threads per row, W a
 * uniform), one subgroup per row (shuffles, no barrier), or one thread per
 * row (nothing to meet). SwiftShader runs a shader with any barrier as
 * coroutines, about 1000x slower, so the last two are also what keeps it fast.
 */
type Reduce = 'workgroup' | 'subgroup' | 'single' | 'rows';

export interface Plan {
  reduce: Reduce;
  /** Threads per row (power of two); 256 / w rows per workgroup. */
  w: number;
  /** Elements per thread kept in registers (4 or 16: few pipelines); 0 streams the row twice. */
  k: number;
  /** Workgroups per row (> 1: split into two phases). */
  chunks: number;
  chunkLen: number;
  /** The rows kernel: elements per vector (4 where the row length allows, else 1). */
  vw?: number;
}

/** The rows of a shape reduced along `axis`: how many, how long, and `inner`, the stride along the axis. */
export function geometry(shape: readonly number[], axis: number) {
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  return { rows: sizeOf(shape.slice(0, axis)) * inner, len, inner };
}

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * The kernel for `rows` rows of `len` elements spaced `inner` apart. With
 * `bindElems` (elements per binding), a tensor larger than that runs in
 * windows (src/softmax/windows.ts): a row that alone is larger is split, in
 * chunks that fit, a strided axis gets one row (or chunk) per workgroup, and
 * no subgroup plan is taken (its rows per workgroup are known only in the
 * shader).
 */
export function planRows(
  rows: number,
  len: number,
  inner: number,
  options: { split?: boolean; subgroups?: boolean; rows?: boolean; bindElems?: number } = {},
): Plan {
  const t = softmaxTuning;
  const single = { chunks: 1, chunkLen: len };
  const bind = options.bindElems ?? Infinity;
  // Split (or one row per workgroup) where a row is over one binding, and on a strided axis of a
  // tensor that is: there a workgroup's rows could span more than one binding.
  const long = options.split !== false && (len * inner > bind || (inner > 1 && rows * len > bind));
  // Chunks of at most half a binding, a power of two, so an unaligned start still fits.
  const chunkLen = Math.min(t.chunkLen, 2 ** Math.max(0, Math.floor(Math.log2(bind / inner / 2))));
  const split = long || (options.split !== false && len >= t.splitMinLen && rows < t.splitMaxRows);
  if (!long && ((inner > 1 && rows >= t.columnMinRows) || (inner === 1 && len <= t.threadMaxLen))) {
    // One thread per row: on a strided axis neighbouring threads read neighbouring addresses.
    return { reduce: 'single', w: 1, k: 0, ...single };
  }
  if (options.rows && options.subgroups && t.rowsKernel && inner === 1) {
    const vw = len % 4 === 0 ? 4 : 1;
    const splitRows =
      long || (options.split !== false && len >= t.splitMinLen && rows < t.rowsSplitMaxRows);
    // A chunk is a whole number of vectors.
    const cl = splitRows ? Math.ceil(chunkLen / vw) * vw : len;
    return {
      reduce: 'rows',
      w: 0,
      k: t.rowsKv,
      vw,
      chunks: splitRows ? Math.ceil(len / cl) : 1,
      chunkLen: cl,
    };
  }
  if (options.subgroups && inner === 1 && len <= t.subgroupMaxLen && rows * len <= bind) {
    // The subgroup size is known only in the shader: keep registers for rows a 4-wide subgroup holds.
    return { reduce: 'subgroup', w: 0, k: len <= 16 ? 4 : 0, ...single };
  }
  if (len <= t.cacheMax && !long) {
    // At most 4 elements per thread up to 1024, so short rows pack several to a workgroup.
    const w = Math.min(256, nextPow2(Math.ceil(len / 4)));
    return { reduce: 'workgroup', w, k: len <= 1024 ? 4 : 16, ...single };
  }
  if (split) {
    return { reduce: 'workgroup', w: 256, k: 0, chunks: Math.ceil(len / chunkLen), chunkLen };
  }
  return { reduce: 'workgroup', w: 256, k: 0, ...single };
}

/** Workgroup size of shaders/softmax/rows.wgsl (WG there). */
const ROWS_WG = 128;

/**
 * Workgroups of one dispatch of the plan. A subgroup plan is sized for the
 * adapter's largest subgroup; workgroups past the last row exit at once.
 */
export function workgroupsOf(
  plan: Plan,
  rows: number,
  subgroupMaxSize: number,
  subgroupMinSize = 4,
): number {
  if (plan.reduce === 'rows') {
    // Segments go to subgroups in a grid-stride loop: size for the smallest subgroup.
    return Math.ceil((rows * plan.chunks) / (ROWS_WG / Math.min(subgroupMinSize, ROWS_WG)));
  }
  if (plan.chunks > 1) return rows * plan.chunks;
  const w = plan.reduce === 'subgroup' ? subgroupMaxSize : plan.w;
  return Math.ceil(rows / (256 / w));
}
