/**
 * WGSL of the softmax family's kernels (pure string work: runs without a
 * GPU). Two templates: shaders/softmax/skeleton.wgsl, into which the op files
 * (state, forward, backward, cross-entropy) plug what a row reduces to and
 * what each element becomes, and the reduction a plan names; and
 * shaders/softmax/rows.wgsl, the subgroup kernel of contiguous rows.
 */
import skeleton from '../../shaders/softmax/skeleton.wgsl?raw';
import stateSource from '../../shaders/softmax/state.wgsl?raw';
import forwardSource from '../../shaders/softmax/forward.wgsl?raw';
import backwardSource from '../../shaders/softmax/backward.wgsl?raw';
import ceSource from '../../shaders/softmax/cross-entropy.wgsl?raw';
import sumSource from '../../shaders/softmax/sum.wgsl?raw';
import rowsSource from '../../shaders/softmax/rows.wgsl?raw';
// The reduction a plan names: group_reduce and group_sum over a row's threads.
import reduceWorkgroup from '../../shaders/softmax/reduce-workgroup.wgsl?raw';
import reduceSingle from '../../shaders/softmax/reduce-single.wgsl?raw';
import reduceSubgroup from '../../shaders/softmax/reduce-subgroup.wgsl?raw';
import type { DType } from '../core/tensor.js';
import type { Plan } from './plan.js';
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

/** What a kernel computes: the forward, the backward from y, or the fused cross-entropy. */
export type Mode = 'forward' | 'backward' | 'ce';

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
  /**
   * The rows kernel only: false where every lane's vectors fit its register
   * cache (phase 0, len <= KV * VW * the adapter's smallest subgroup), so the
   * loops past the cache are compiled out. Absent: true.
   */
  stream?: boolean;
}

export function kernelKey(s: KernelSpec): string {
  return `softmax|${s.mode}|${s.log}|${s.dtype}|${s.labels}|${s.plan.reduce}|${s.plan.k}|${s.plan.vw ?? 1}|${s.phase}|${s.unit === true}|${s.stream !== false}`;
}

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
        STREAM: String(s.stream !== false),
      },
      WHO,
    )
  );
}

/** Bindings 1..n of a kernel, in order; the host binds ranges in the same order. */
function bindingNames(s: KernelSpec): string[] {
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
    st = combine(st, from_partial(partials[((row / P.inner) * P.chunks + c) * P.inner + row % P.inner]));
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
  const reduce = { workgroup: reduceWorkgroup, single: reduceSingle, subgroup: reduceSubgroup }[
    s.plan.reduce
  ];
  const sub = s.plan.reduce === 'subgroup';
  return (
    (sub ? SUBGROUPS : '') +
    fill(
      skeleton,
      {
        // The subgroup size is a builtin of main only: main hands it to reduce-subgroup.wgsl's private.
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
