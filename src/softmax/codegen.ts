/**
 * Softmax-family kernels: WGSL assembly (pure string work) and the choice of
 * kernel from the shape. The skeleton is shaders/softmax.wgsl; the op files
 * plug in what a row reduces to and what each element becomes.
 */
import skeleton from '../../shaders/softmax/skeleton.wgsl?raw';
import stateSource from '../../shaders/softmax/state.wgsl?raw';
import forwardSource from '../../shaders/softmax/forward.wgsl?raw';
import backwardSource from '../../shaders/softmax/backward.wgsl?raw';
import ceSource from '../../shaders/softmax/cross-entropy.wgsl?raw';
import sumSource from '../../shaders/softmax/sum.wgsl?raw';
import rowsSource from '../../shaders/softmax/rows.wgsl?raw';
import type { DType } from '../core/tensor.js';
import {
  atomicHalfStore,
  halfHelpers,
  hsumHmax,
  loadElement,
  packWord,
  unpackWord,
  wordType,
} from '../wgsl/storage.js';
import { fill } from '../wgsl/template.js';

const WHO = 'softmax codegen';
const SUBGROUPS = 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n';

export type Mode = 'forward' | 'backward' | 'ce';

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
  /** Elements per split chunk (64 per thread): [8 x 2M] makes 1024 workgroups. */
  chunkLen: 16384,
  /** A strided axis with at least this many rows gets one thread per row (coalesced across rows). */
  columnMinRows: 2048,
  /** Contiguous rows up to this long get one thread each (no reduction at all). */
  threadMaxLen: 8,
  /** Contiguous rows up to this long get one subgroup each, where the adapter has subgroups. */
  subgroupMaxLen: 1024,
  /**
   * Contiguous rows (forward and backward) take shaders/softmax-rows.wgsl, one
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
export type Reduce = 'workgroup' | 'subgroup' | 'single' | 'rows';

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

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** The kernel for `rows` rows of `len` elements spaced `inner` apart. */
export function planRows(
  rows: number,
  len: number,
  inner: number,
  options: { split?: boolean; subgroups?: boolean; rows?: boolean } = {},
): Plan {
  const t = softmaxTuning;
  const single = { chunks: 1, chunkLen: len };
  if ((inner > 1 && rows >= t.columnMinRows) || (inner === 1 && len <= t.threadMaxLen)) {
    // One thread per row: on a strided axis neighbouring threads read neighbouring addresses.
    return { reduce: 'single', w: 1, k: 0, ...single };
  }
  if (options.rows && options.subgroups && t.rowsKernel && inner === 1) {
    const vw = len % 4 === 0 ? 4 : 1;
    const split = options.split !== false && len >= t.splitMinLen && rows < t.splitMaxRows;
    // A chunk is a whole number of vectors.
    const chunkLen = split ? Math.ceil(t.chunkLen / vw) * vw : len;
    return {
      reduce: 'rows',
      w: 0,
      k: t.rowsKv,
      vw,
      chunks: split ? Math.ceil(len / chunkLen) : 1,
      chunkLen,
    };
  }
  if (options.subgroups && inner === 1 && len <= t.subgroupMaxLen) {
    // The subgroup size is known only in the shader: keep registers for rows a 4-wide subgroup holds.
    return { reduce: 'subgroup', w: 0, k: len <= 16 ? 4 : 0, ...single };
  }
  if (len <= t.cacheMax) {
    // At most 4 elements per thread up to 1024, so short rows pack several to a workgroup.
    const w = Math.min(256, nextPow2(Math.ceil(len / 4)));
    return { reduce: 'workgroup', w, k: len <= 1024 ? 4 : 16, ...single };
  }
  if (options.split !== false && len >= t.splitMinLen && rows < t.splitMaxRows) {
    return {
      reduce: 'workgroup',
      w: 256,
      k: 0,
      chunks: Math.ceil(len / t.chunkLen),
      chunkLen: t.chunkLen,
    };
  }
  return { reduce: 'workgroup', w: 256, k: 0, ...single };
}

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

// group_reduce merges the W States of each row in a full-width tree: every
// lane takes part (idle ones hold the identity), so no element is skipped at
// odd lengths and the order, hence the result, is fixed. group_sum is the same
// tree for a plain sum (the cross-entropy row loss).
const REDUCE_WORKGROUP = `var<workgroup> sh: array<State, WG>;
var<workgroup> shl: array<f32, WG>;

fn threads_per_row() -> u32 {
  return 1u << P.w_log2;
}

fn group_reduce(st: State, lid: u32) -> State {
  sh[lid] = st;
  workgroupBarrier();
  let t = lid & ((1u << P.w_log2) - 1u);
  for (var width = (1u << P.w_log2) >> 1u; width > 0u; width >>= 1u) {
    if (t < width) {
      sh[lid] = combine(sh[lid], sh[lid + width]);
    }
    workgroupBarrier();
  }
  let r = sh[lid - t];
  workgroupBarrier();
  return r;
}

fn group_sum(v: f32, lid: u32) -> f32 {
  shl[lid] = v;
  workgroupBarrier();
  let t = lid & ((1u << P.w_log2) - 1u);
  for (var width = (1u << P.w_log2) >> 1u; width > 0u; width >>= 1u) {
    if (t < width) {
      shl[lid] += shl[lid + width];
    }
    workgroupBarrier();
  }
  let r = shl[lid - t];
  workgroupBarrier();
  return r;
}`;

const REDUCE_SINGLE = `fn threads_per_row() -> u32 {
  return 1u;
}
fn group_reduce(st: State, lid: u32) -> State {
  return st;
}
fn group_sum(v: f32, lid: u32) -> f32 {
  return v;
}`;

// Assumes subgroups are consecutive runs of local_invocation_index (true of
// the adapters seen; a full workgroup of 256 is a whole number of subgroups).
// A butterfly leaves every lane with the same State: combine is commutative.
const REDUCE_SUBGROUP = `var<private> sg_size: u32;

fn threads_per_row() -> u32 {
  return sg_size;
}
fn group_reduce(st: State, lid: u32) -> State {
  var r = st;
  for (var o = 1u; o < sg_size; o <<= 1u) {
    r = combine(r, from_partial(subgroupShuffleXor(to_partial(r), o)));
  }
  return r;
}
fn group_sum(v: f32, lid: u32) -> f32 {
  var r = v;
  for (var o = 1u; o < sg_size; o <<= 1u) {
    r += subgroupShuffleXor(r, o);
  }
  return r;
}`;

export interface KernelSpec {
  mode: Mode;
  log: boolean;
  dtype: DType;
  /** Cross-entropy target: integer labels or a probability tensor. */
  labels: boolean;
  plan: Plan;
  /** 0: whole rows; 1: chunk partials; 2: merge and write. */
  phase: 0 | 1 | 2;
  /**
   * The rows kernel only: no sign flip and T = 1 (softmax and logSoftmax with
   * default parameters), compiled in, so each element skips the flip and the
   * temperature's extra multiply (about a fifth of a forward's arithmetic).
   */
  unit?: boolean;
}

export function kernelKey(s: KernelSpec): string {
  return `softmax|${s.mode}|${s.log}|${s.dtype}|${s.labels}|${s.plan.reduce}|${s.plan.k}|${s.plan.vw ?? 1}|${s.phase}|${s.unit === true}`;
}

/** Workgroup size of shaders/softmax-rows.wgsl (WG there). */
export const ROWS_WG = 128;

/** V: what one lane of the rows kernel moves at a time, VW elements (VU: its bits). */
const rowsTypes = (vw: 1 | 4) => `alias V = ${vw === 4 ? 'vec4<f32>' : 'f32'};
alias VU = ${vw === 4 ? 'vec4<u32>' : 'u32'};
const VW: u32 = ${vw}u;
${hsumHmax('V', vw)}
fn hmaxu(v: VU) -> u32 { return ${vw === 4 ? 'max(max(v.x, v.y), max(v.z, v.w))' : 'v'}; }`;

/**
 * Loads of each input and the store to `out`: of element q (vw 1: f32), or of
 * the vector of elements q * 4 .. q * 4 + 3 (vw 4: V, the rows kernel only).
 */
function storage(dtype: DType, vw: 1 | 4, inputs: string[]): { bindings: string[]; code: string } {
  const vector = vw === 4;
  const word = vector ? wordType(dtype, 'vector').word : 'u32';
  const bindings = inputs.map((name) => `var<storage, read> ${name}: array<${word}>;`);
  const code = inputs.map((name) =>
    !vector
      ? loadElement(dtype, name)
      : dtype === 'float32'
        ? `fn load_${name}(q: u32) -> V { return ${unpackWord(dtype, 'vector', `${name}[q]`, 'V')}; }`
        : `fn load_${name}(q: u32) -> V { let w = ${name}[q]; return ${unpackWord(dtype, 'vector', 'w')}; }`,
  );
  if (dtype === 'float32') {
    bindings.push(`var<storage, read_write> out: array<${word}>;`);
    code.push(
      `fn store_out(q: u32, v: ${vector ? 'V' : 'f32'}) { ${packWord(dtype, vector ? 'vector' : 'scalar', 'v', 'out[q] = ')} }`,
    );
  } else if (vector) {
    // Four halves are two whole words of one lane: plain stores.
    bindings.push(`var<storage, read_write> out: array<${word}>;`);
    code.push(
      halfHelpers,
      `fn store_out(q: u32, v: V) {\n  ${packWord(dtype, 'vector', 'v', 'out[q] = ', ['a', 'b'])}\n}`,
    );
  } else {
    // A word's two halves may belong to two rows, so to two workgroups or subgroups.
    bindings.push('var<storage, read_write> out: array<atomic<u32>>;');
    code.push(halfHelpers, atomicHalfStore('store_out', 'out', 'g'));
  }
  return { bindings, code: code.join('\n') };
}

function rowsShader(s: KernelSpec): string {
  const vw = s.plan.vw === 4 ? 4 : 1;
  const inputs = s.mode === 'forward' ? ['in0'] : ['in0', 'in1'];
  const st = storage(s.dtype, vw, inputs);
  // The forward never reaches the backward's loads; WGSL still resolves them.
  if (s.mode === 'forward') st.code += '\nfn load_in1(q: u32) -> V { return V(0.0); }';
  const bindings = [...st.bindings];
  if (s.phase !== 0) {
    bindings.push('var<storage, read_write> partials: array<vec4<f32>>;');
    st.code += `
fn store_partial(i: u32, p: vec4<f32>) { partials[i] = p; }
fn load_partial(i: u32) -> vec4<f32> { return partials[i]; }`;
  } else {
    st.code += `
fn store_partial(i: u32, p: vec4<f32>) {}
fn load_partial(i: u32) -> vec4<f32> { return vec4<f32>(0.0); }`;
  }
  return (
    SUBGROUPS +
    fill(
      rowsSource,
      {
        BINDINGS: bindings.map((b, i) => `@group(0) @binding(${i + 1}) ${b}`).join('\n'),
        TYPES: rowsTypes(vw),
        STORAGE: st.code,
        LOG: String(s.log),
        BACKWARD: String(s.mode === 'backward'),
        PHASE: String(s.phase),
        KV: String(s.plan.k),
        UNIT: String(s.unit === true),
      },
      WHO,
    )
  );
}

/** Bindings 1..n of a kernel, in order; the host binds ranges in the same order. */
export function bindingNames(s: KernelSpec): string[] {
  const names =
    s.mode === 'forward'
      ? ['in0']
      : s.mode === 'backward'
        ? ['in0', 'in1']
        : s.labels
          ? ['in0']
          : ['in0', 'in1'];
  names.push('out');
  if (s.mode === 'ce') {
    if (s.labels) names.push('labels');
    names.push('loss_rows');
  }
  if (s.phase !== 0) names.push('partials');
  return names;
}

const PARTIALS_NONE = `fn store_partial(wg: u32, st: State) {}
fn merge_partials(row: u32, t: u32, w: u32) -> State { return identity(); }`;

// Each chunk merges all of its row's partials itself: no third dispatch.
const PARTIALS_SPLIT = `fn store_partial(wg: u32, st: State) { partials[wg] = to_partial(st); }
fn merge_partials(row: u32, t: u32, w: u32) -> State {
  var st = identity();
  for (var c = t; c < P.chunks; c += w) {
    st = combine(st, from_partial(partials[row * P.chunks + c]));
  }
  return st;
}`;

export function softmaxShader(s: KernelSpec): string {
  if (s.plan.reduce === 'rows') return rowsShader(s);
  const inputs = bindingNames(s).filter((n) => n.startsWith('in'));
  const st = storage(s.dtype, 1, inputs);
  const extra: string[] = [];
  if (s.mode === 'ce') {
    if (s.labels) extra.push('var<storage, read> labels: array<i32>;');
    extra.push('var<storage, read_write> loss_rows: array<f32>;');
  }
  if (s.phase !== 0) extra.push('var<storage, read_write> partials: array<vec4<f32>>;');
  const target =
    s.mode !== 'ce'
      ? ''
      : s.labels
        ? `fn begin_row(row: u32) { row_label = labels[row]; row_ignored = row_label < 0; }
fn load_target(g: u32, j: u32) -> f32 { return select(0.0, 1.0, i32(j) == row_label); }`
        : `fn begin_row(row: u32) {}
fn load_target(g: u32, j: u32) -> f32 { return load_in1(g); }`;
  const bindings = [...st.bindings, ...extra].map((b, i) => `@group(0) @binding(${i + 1}) ${b}`);
  const log = { LOG: String(s.log) };
  const op =
    s.mode === 'forward'
      ? `${stateSource}\n${fill(forwardSource, log, WHO)}`
      : s.mode === 'backward'
        ? fill(backwardSource, log, WHO)
        : `${stateSource}\n${ceSource}`;
  const reduce = { workgroup: REDUCE_WORKGROUP, single: REDUCE_SINGLE, subgroup: REDUCE_SUBGROUP }[
    s.plan.reduce
  ];
  const sub = s.plan.reduce === 'subgroup';
  return (
    (sub ? SUBGROUPS : '') +
    fill(
      skeleton,
      {
        // The subgroup size is a builtin of main only: main hands it to REDUCE_SUBGROUP's private.
        SUBGROUP_ARG: sub ? ',\n        @builtin(subgroup_size) sgs: u32' : '',
        SUBGROUP_INIT: sub ? 'sg_size = sgs;\n  ' : '',
        REDUCE: reduce,
        BINDINGS: bindings.join('\n'),
        STORAGE: `${st.code}\n${target}`,
        OP: op,
        PARTIALS: s.phase === 0 ? PARTIALS_NONE : PARTIALS_SPLIT,
        K: String(s.plan.k),
        PHASE: String(s.phase),
      },
      WHO,
    )
  );
}

export const lossSumShader = (): string => sumSource;

export interface Uniforms {
  rows: number;
  len: number;
  inner: number;
  plan: Plan;
  signBit: number;
  invT: number;
  factor: number;
  smoothC: number;
  keep: number;
}

/** The 64-byte Params block of shaders/softmax.wgsl. */
export function packUniforms(u: Uniforms): ArrayBuffer {
  const buf = new ArrayBuffer(64);
  new Uint32Array(buf, 0, 8).set([
    u.rows,
    u.len,
    u.inner,
    u.plan.chunks,
    u.plan.chunkLen,
    u.signBit,
    Math.log2(u.plan.w),
    0,
  ]);
  new Float32Array(buf, 32, 8).set([u.invT, u.factor, u.smoothC, u.keep, -Infinity, NaN, 0, 0]);
  return buf;
}
