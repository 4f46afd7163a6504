/**
 * WGSL assembly of the fused kernels (pure string work: runs without a GPU).
 * The activation's own functions come from the table (src/activations.ts),
 * exactly as the generic elementwise kernel gets them; the templates are the
 * shaders/fused-*.wgsl and shaders/glu.wgsl files.
 */
import mathSource from '../../shaders/common/math.wgsl?raw';
import halfSource from '../../shaders/common/f16.wgsl?raw';
import biasForwardTemplate from '../../shaders/fused/bias-forward.wgsl?raw';
import biasBackwardTemplate from '../../shaders/fused/bias-backward.wgsl?raw';
import biasMergeTemplate from '../../shaders/fused/bias-merge.wgsl?raw';
import gluTemplate from '../../shaders/fused/glu.wgsl?raw';
import softmaxTemplate from '../../shaders/fused/masked-softmax.wgsl?raw';
import softmaxForwardBody from '../../shaders/fused/masked-softmax-forward.wgsl?raw';
import softmaxBackwardBody from '../../shaders/fused/masked-softmax-backward.wgsl?raw';
import { defOf, type ActivationName } from '../elementwise/table.js';
import { opArguments, opFunctions, type DType } from '../elementwise/codegen.js';
import { gluVariants, type GluKind } from './table.js';

/**
 * How an operand is addressed: 'vector' words of 4 lanes (16 bytes of
 * float32, 8 of float16), or single 'element's (float16 stores then go
 * through atomics, as two halves share a word).
 */
export type FusedLayout = 'vector' | 'element';

/** Bytes per storage word of a layout. */
export const wordBytes = (dtype: DType, layout: FusedLayout): number =>
  layout === 'element' ? (dtype === 'float32' ? 4 : 2) : dtype === 'float32' ? 16 : 8;

/** Elements per storage word. */
export const wordLanes = (layout: FusedLayout): number => (layout === 'vector' ? 4 : 1);

/**
 * The op's functions from the table (src/codegen.ts: enum parameters compiled
 * in from `slots`) and act_* wrappers that pass its parameters.
 */
export function activationSource(op: ActivationName, slots: readonly number[] = []): string {
  const a = opArguments(op, slots);
  const parts = [
    opFunctions(op),
    `fn act_forward(x: f32) -> f32 {\n  return op_forward(x${a});\n}`,
    `fn act_derivative(x: f32) -> f32 {\n  return op_derivative(x${a});\n}`,
  ];
  if (defOf(op).wgsl.derivativeFromY) {
    parts.push(
      `fn act_derivative_from_y(y: f32) -> f32 {\n  return op_derivative_from_y(y${a});\n}`,
    );
  }
  return parts.join('\n\n');
}

/** One bound operand: read or written, as words of the kernel's layout or as elements. */
export interface Operand {
  name: string;
  write: boolean;
  layout: FusedLayout;
  /** An output only: inputs read through this binding (the op runs in place over them). */
  reads?: string[];
}

/**
 * The bound operands of a kernel, in binding order: the inputs, less those
 * the op overwrites in place (`inPlace` names them; they are read through
 * the output's binding, since WebGPU forbids binding one buffer both
 * read-only and writable in a dispatch), then the outputs.
 */
export function bindList(
  inputs: string[],
  outputs: string[],
  layout: FusedLayout,
  inPlace: Record<string, string> = {},
  layouts: Record<string, FusedLayout> = {},
): Operand[] {
  return [
    ...inputs
      .filter((n) => !inPlace[n])
      .map((name) => ({ name, write: false, layout: layouts[name] ?? layout })),
    ...outputs.map((name) => ({
      name,
      write: true,
      layout,
      reads: inputs.filter((i) => inPlace[i] === name),
    })),
  ];
}

/** A pipeline-key fragment for an in-place mapping. */
export const inPlaceKey = (inPlace: Record<string, string>): string =>
  Object.entries(inPlace)
    .map(([i, o]) => `${i}>${o}`)
    .join(',');

/**
 * Bindings 1..n and the accessors ld_NAME(i) -> Lanes and st_NAME(i, v)
 * (plus st_tail_NAME(i, v, valid) for vector outputs), i counting words of
 * the operand's layout. `Lanes` is vec4<f32> for a vector kernel, f32 for an
 * element one; every value is f32 whatever the storage. An input read
 * through an output's binding gets an ld_ that reads that binding.
 */
export function storageSource(
  dtype: DType,
  layout: FusedLayout,
  operands: Operand[],
  extra: string[] = [],
): { bindings: string; code: string } {
  const f16 = dtype === 'float16';
  const bindings: string[] = [];
  const code: string[] = [];
  code.push(
    layout === 'vector' ? 'alias Lanes = vec4<f32>;' : 'alias Lanes = f32;',
    `const LANES: u32 = ${wordLanes(layout)}u;`,
  );
  if (f16) code.push(halfSource);
  const hasVector = operands.some((o) => o.layout === 'vector');
  if (hasVector) {
    code.push(
      f16
        ? `alias Word = vec2<u32>;
fn unpack(w: Word) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
}
fn pack(v: vec4<f32>) -> Word {
  let lo = half_bits(v.xy);
  let hi = half_bits(v.zw);
  return vec2<u32>(lo.x | (lo.y << 16u), hi.x | (hi.y << 16u));
}
fn merge_tail(old: Word, fresh: Word, valid: u32) -> Word {
  let m = vec2<u32>(half_mask(valid), half_mask(max(valid, 2u) - 2u));
  return (fresh & m) | (old & ~m);
}`
        : `alias Word = vec4<u32>;
fn unpack(w: Word) -> vec4<f32> {
  return bitcast<vec4<f32>>(w);
}
fn pack(v: vec4<f32>) -> Word {
  return bitcast<vec4<u32>>(v);
}
fn merge_tail(old: Word, fresh: Word, valid: u32) -> Word {
  return select(old, fresh, vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(valid));
}`,
    );
  }
  operands.forEach((o, i) => {
    const at = `@group(0) @binding(${i + 1})`;
    const n = o.name;
    const reads = o.reads ?? [];
    let load = '';
    if (o.layout === 'vector') {
      bindings.push(`${at} var<storage, ${o.write ? 'read_write' : 'read'}> ${n}: array<Word>;`);
      load = `unpack(${n}[i])`;
      if (o.write) {
        code.push(
          `fn st_${n}(i: u32, v: vec4<f32>) { ${n}[i] = pack(v); }`,
          `fn st_tail_${n}(i: u32, v: vec4<f32>, valid: u32) { ${n}[i] = merge_tail(${n}[i], pack(v), valid); }`,
        );
      }
    } else if (o.write && f16) {
      // Two halves share a word and may belong to different invocations:
      // each half is cleared and set atomically, leaving the other alone.
      bindings.push(`${at} var<storage, read_write> ${n}: array<atomic<u32>>;`);
      code.push(`fn st_${n}(i: u32, v: f32) {
  let h = half_bits(vec2<f32>(v, 0.0)).x;
  let shift = (i & 1u) * 16u;
  atomicAnd(&${n}[i >> 1u], ~(0xffffu << shift));
  atomicOr(&${n}[i >> 1u], h << shift);
}`);
      load = `unpack2x16float(atomicLoad(&${n}[i >> 1u]))[i & 1u]`;
    } else {
      bindings.push(`${at} var<storage, ${o.write ? 'read_write' : 'read'}> ${n}: array<u32>;`);
      if (o.write) code.push(`fn st_${n}(i: u32, v: f32) { ${n}[i] = bitcast<u32>(v); }`);
      load = f16 ? `unpack2x16float(${n}[i >> 1u])[i & 1u]` : `bitcast<f32>(${n}[i])`;
    }
    const lanes = o.layout === 'vector' ? 'vec4<f32>' : 'f32';
    for (const name of o.write ? reads : [n]) {
      code.push(`fn ld_${name}(i: u32) -> ${lanes} { return ${load}; }`);
    }
  });
  extra.forEach((decl, i) => {
    bindings.push(`@group(0) @binding(${operands.length + i + 1}) ${decl}`);
  });
  return { bindings: bindings.join('\n'), code: code.join('\n') };
}

const LANE = ['x', 'y', 'z', 'w'];

/** `fn map_lanes(args: Lanes...) -> Lanes` applying a scalar function lane by lane. */
function laneMap(name: string, fn: string, args: string[], layout: FusedLayout): string {
  const params = args.map((a) => `${a}: Lanes`).join(', ');
  const call = (l: string) => `${fn}(${args.map((a) => a + l).join(', ')})`;
  const body =
    layout === 'vector' ? `vec4<f32>(${LANE.map((l) => call(`.${l}`)).join(', ')})` : call('');
  return `fn ${name}(${params}) -> Lanes {\n  return ${body};\n}`;
}

function fill(template: string, slots: Record<string, string>): string {
  let out = template;
  for (const [k, v] of Object.entries(slots)) out = out.replaceAll(`{{${k}}}`, v);
  const left = /\{\{[A-Z_]+\}\}/.exec(out);
  if (left) throw new Error(`fused codegen: slot ${left[0]} left unfilled`);
  return out;
}

// ---- biasAct ------------------------------------------------------------------

export interface BiasForwardKernel {
  op: ActivationName;
  /** The op's parameter slots: enum values are compiled in. */
  slots: readonly number[];
  dtype: DType;
  /**
   * 'rows' (C a multiple of 4, vector words): each invocation takes one
   * column word down a run of rows, so the bias word is loaded once and no
   * index needs a modulo or a tail test. 'flat': one word of 4 elements (any
   * C, bias gathered per lane) or one 'element' per invocation.
   */
  shape: 'rows' | 'flat';
  layout: FusedLayout;
  /** out is x (read through out's binding). */
  inPlace: boolean;
}

export const biasForwardOperands = (k: BiasForwardKernel): Operand[] =>
  bindList(['x', 'bias'], ['out'], k.layout, k.inPlace ? { x: 'out' } : {}, {
    bias: k.shape === 'rows' ? 'vector' : 'element',
  });

export function biasForwardShader(k: BiasForwardKernel): string {
  const st = storageSource(k.dtype, k.layout, biasForwardOperands(k));
  const lanes =
    'vec4<f32>(lane_forward(xv.x, b.x), lane_forward(xv.y, b.y), lane_forward(xv.z, b.z), lane_forward(xv.w, b.w))';
  const body =
    k.shape === 'rows'
      ? `let s = t / P.cw;
  let col = t - s * P.cw;
  let r0 = s * P.per;
  if (r0 >= P.rows) { return; }
  let r1 = min(r0 + P.per, P.rows);
  let b = ld_bias(col);
  for (var r = r0; r < r1; r++) {
    let i = r * P.cw + col;
    let xv = ld_x(i);
    st_out(i, ${lanes});
  }`
      : k.layout === 'vector'
        ? `if (t >= P.nwords) { return; }
  let g0 = t * 4u;
  let c0 = g0 % P.c;
  let b = vec4<f32>(ld_bias(c0), ld_bias(wrap(c0 + 1u)), ld_bias(wrap(c0 + 2u)), ld_bias(wrap(c0 + 3u)));
  let xv = ld_x(t);
  let y = ${lanes};
  // The last word may run past n: keep the destination's bits there.
  if (g0 + 4u > P.n) {
    st_tail_out(t, y, P.n - g0);
  } else {
    st_out(t, y);
  }`
        : `if (t >= P.n) { return; }
  st_out(t, lane_forward(ld_x(t), ld_bias(t % P.c)));`;
  return fill(biasForwardTemplate, {
    BINDINGS: st.bindings,
    MATH: mathSource,
    OP: activationSource(k.op, k.slots),
    STORAGE: st.code,
    BODY: body,
  });
}

export interface BiasBackwardKernel {
  op: ActivationName;
  slots: readonly number[];
  dtype: DType;
  /** 'vector' when C is a multiple of 4 (a row is whole words), else 'element'. */
  layout: FusedLayout;
  /** The derivative from the forward output y (no bias needed), else from x + bias. */
  fromY: boolean;
  /** dx over a (x or y) or dy: { a: 'dx' } or { dy: 'dx' }. */
  inPlace: Record<string, string>;
}

export const biasBackwardOperands = (k: BiasBackwardKernel): Operand[] =>
  bindList(k.fromY ? ['a', 'dy'] : ['a', 'dy', 'bias'], ['dx'], k.layout, k.inPlace);

export function biasBackwardShader(k: BiasBackwardKernel): string {
  const st = storageSource(k.dtype, k.layout, biasBackwardOperands(k), [
    'var<storage, read_write> partials: array<Lanes>;',
  ]);
  return fill(biasBackwardTemplate, {
    BINDINGS: st.bindings,
    MATH: mathSource,
    OP: activationSource(k.op, k.slots),
    STORAGE: st.code,
    Z: k.fromY ? 'a' : 'biased(a, b)',
    DERIVATIVE: k.fromY ? 'act_derivative_from_y' : 'act_derivative',
    MAP: laneMap('map_lanes', 'lane_backward', ['a', 'b', 'dy'], k.layout),
    BIAS: k.fromY ? 'Lanes(0.0)' : 'ld_bias(col)',
  });
}

/** Fan-in of each merge pass (FAN in shaders/fused-bias-merge.wgsl). */
export const MERGE_FAN = 16;

/** One merge pass: into the next partials, or (final) into dbias in its dtype. */
export function biasMergeShader(dtype: DType, layout: FusedLayout, final: boolean): string {
  const head = '@group(0) @binding(1) var<storage, read> partials: array<Lanes>;';
  if (!final) {
    const st = storageSource(dtype, layout, []);
    return fill(biasMergeTemplate, {
      BINDINGS: `${head}\n@group(0) @binding(2) var<storage, read_write> next: array<Lanes>;`,
      STORAGE: st.code,
      STORE: 'next[g * P.cw + col] = total;',
    });
  }
  const st = storageSource(dtype, layout, [{ name: 'dbias', write: true, layout }]);
  // partials go first (binding 1), dbias second.
  return fill(biasMergeTemplate, {
    BINDINGS: `${head}\n${st.bindings.replace('@binding(1)', '@binding(2)')}`,
    STORAGE: st.code,
    STORE: 'st_dbias(col, total);',
  });
}

// ---- gated linear units ---------------------------------------------------------

export interface GluKernel {
  kind: GluKind;
  /** The activation's parameter slots (geglu's approximate is compiled in). */
  slots: readonly number[];
  dtype: DType;
  layout: FusedLayout;
  direction: 'forward' | 'backward';
  /** a and b are separate tensors (else the halves of x's last axis). */
  split: boolean;
  /** Forward (a, b): { a: 'out' } or { b: 'out' }; backward from x: { x: 'dx' }. */
  inPlace: Record<string, string>;
}

export function gluOperands(k: GluKernel): Operand[] {
  const inputs = k.split ? ['a', 'b'] : ['x'];
  if (k.direction === 'backward') inputs.push('dy');
  const outputs = k.direction === 'forward' ? ['out'] : k.split ? ['da', 'db'] : ['dx'];
  return bindList(inputs, outputs, k.layout, k.inPlace);
}

export function gluShader(k: GluKernel): string {
  const v = gluVariants[k.kind];
  const L = k.layout;
  const st = storageSource(k.dtype, L, gluOperands(k));
  const [la, lb] = k.split ? ['ld_a(ia)', 'ld_b(ib)'] : ['ld_x(ia)', 'ld_x(ib)'];
  const index = k.split
    ? 'let ia = i;\n  let ib = i;'
    : 'let row = i / P.hw;\n  let ia = i + row * P.hw;\n  let ib = ia + P.hw;';
  // du / dv are the gradients of the gated and linear halves: map them back to a and b.
  const [ga, gb] = v.gated === 'a' ? ['glu_du', 'glu_dv'] : ['glu_dv', 'glu_du'];
  const [sa, sb] = k.split ? ['st_da', 'st_db'] : ['st_dx', 'st_dx'];
  const body =
    k.direction === 'forward'
      ? `${index}\n  st_out(i, glu_fwd(${la}, ${lb}));`
      : `${index}\n  let a = ${la};\n  let b = ${lb};\n  let dy = ld_dy(i);\n  ${sa}(ia, glu_ga(a, b, dy));\n  ${sb}(ib, glu_gb(a, b, dy));`;
  const maps = [
    laneMap('glu_fwd', 'glu_forward', ['a', 'b'], L),
    laneMap('glu_ga', ga, ['a', 'b', 'dy'], L),
    laneMap('glu_gb', gb, ['a', 'b', 'dy'], L),
  ].join('\n');
  return fill(gluTemplate, {
    BINDINGS: st.bindings,
    MATH: mathSource,
    OP: activationSource(v.op, k.slots),
    STORAGE: st.code,
    U: v.gated,
    V: v.gated === 'a' ? 'b' : 'a',
    MAP: maps,
    BODY: body,
  });
}

// ---- scaledMaskedSoftmax ----------------------------------------------------------

export type MaskKind = 'none' | 'additive' | 'boolean';

export interface MaskedSoftmaxKernel {
  direction: 'forward' | 'backward';
  dtype: DType;
  /** 'vector' when the row length is a multiple of 4 (rows are whole words), else 'element'. */
  layout: FusedLayout;
  mask: MaskKind;
  /** dtype of an additive mask tensor. */
  maskDtype: DType;
  /** One subgroup per row, else one invocation per row. */
  subgroups: boolean;
  /** Forward { x: 'out' }; backward { y: 'dx' } or { dy: 'dx' }. */
  inPlace: Record<string, string>;
}

export const maskedSoftmaxOperands = (k: MaskedSoftmaxKernel): Operand[] =>
  k.direction === 'forward'
    ? bindList(['x'], ['out'], k.layout, k.inPlace)
    : bindList(['y', 'dy'], ['dx'], k.layout, k.inPlace);

/** Lane helpers over `Lanes` (vec4<f32> words or f32 elements), so one body serves both. */
const SOFTMAX_LANES = {
  vector: `alias LU = vec4<u32>;
alias LB = vec4<bool>;
const LANE_IDX = vec4<u32>(0u, 1u, 2u, 3u);
fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }
fn hmax(v: vec4<f32>) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }`,
  element: `alias LU = u32;
alias LB = bool;
const LANE_IDX = 0u;
fn hsum(v: f32) -> f32 { return v; }
fn hmax(v: f32) -> f32 { return v; }`,
};

export function maskedSoftmaxShader(k: MaskedSoftmaxKernel): string {
  const fwd = k.direction === 'forward';
  const ops = maskedSoftmaxOperands(k);
  const st = storageSource(k.dtype, k.layout, ops);
  let maskCode = '';
  let bindings = st.bindings;
  if (fwd && k.mask !== 'none') {
    const b = `@group(0) @binding(${ops.length + 1}) var<storage, read> mask: array<u32>;`;
    bindings += `\n${b}`;
    maskCode =
      k.mask === 'boolean'
        ? 'fn ld_mask(i: u32) -> f32 { return f32((mask[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu); }'
        : k.maskDtype === 'float16'
          ? 'fn ld_mask(i: u32) -> f32 { return unpack2x16float(mask[i >> 1u])[i & 1u]; }'
          : 'fn ld_mask(i: u32) -> f32 { return bitcast<f32>(mask[i]); }';
    // The mask entries of a word's lanes (j0 its first column; mcol 0 broadcasts along the row).
    const at = (l: number) => `ld_mask(mb + (j0 + ${l}u) * P.mcol)`;
    maskCode += `\nfn mask_lanes(mb: u32, j0: u32) -> Lanes { return ${
      k.layout === 'vector' ? `vec4<f32>(${[0, 1, 2, 3].map(at).join(', ')})` : at(0)
    }; }`;
  }
  const mask = {
    none: 'return P.scale * ld_x(w);',
    additive: 'return P.scale * ld_x(w) + mask_lanes(mb, j0);',
    boolean: 'return select(Lanes(P.ninf), P.scale * ld_x(w), mask_lanes(mb, j0) != Lanes(0.0));',
  }[k.mask];
  // Subgroup reductions across a row's lanes (one lane per row without subgroups).
  const red = k.subgroups
    ? 'fn red_max(v: f32) -> f32 { return subgroupMax(v); }\nfn red_add(v: f32) -> f32 { return subgroupAdd(v); }'
    : 'fn red_max(v: f32) -> f32 { return v; }\nfn red_add(v: f32) -> f32 { return v; }';
  const sub = k.subgroups;
  const src = fill(softmaxTemplate, {
    BINDINGS: bindings,
    STORAGE: `${st.code}\n${SOFTMAX_LANES[k.layout]}\n${red}\n${maskCode}`,
    // The backward never forms logits.
    MASK: fwd ? mask : 'return Lanes(0.0);',
    SUBGROUP_ARG: sub ? ',\n        @builtin(subgroup_size) sgs: u32' : '',
    W: sub ? 'sgs' : '1u',
    BODY: fwd ? softmaxForwardBody : softmaxBackwardBody,
  });
  return sub ? `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${src}` : src;
}
