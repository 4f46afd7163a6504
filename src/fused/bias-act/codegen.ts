/**
 * WGSL of biasAct: the forward (y = act(x + bias), by runs of rows or flat),
 * the backward (dx and per-invocation dbias partials over runs of rows) and
 * the merge passes that sum those partials into dbias in a fixed tree.
 */
import mathSource from '../../../shaders/common/math.wgsl?raw';
import biasForwardTemplate from '../../../shaders/fused/bias-forward.wgsl?raw';
import biasBackwardTemplate from '../../../shaders/fused/bias-backward.wgsl?raw';
import biasMergeTemplate from '../../../shaders/fused/bias-merge.wgsl?raw';
import type { ActivationName } from '../../elementwise/table.js';
import type { DType } from '../../core/tensor.js';
import {
  activationSource,
  bindList,
  fill,
  laneMap,
  storageSource,
  type FusedLayout,
  type Operand,
} from '../codegen.js';

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

/** Fan-in of each merge pass (FAN in shaders/fused/bias-merge.wgsl). */
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
