/**
 * WGSL of scaledMaskedSoftmax: one row per invocation (or per subgroup),
 * the forward forming the logits scale * x + mask (additive, boolean or none;
 * causal in the template), the backward dx = scale * y * (dy - sum(dy * y)).
 */
import { hsumHmax } from '../../wgsl/storage.js';
import softmaxTemplate from '../../../shaders/fused/masked-softmax.wgsl?raw';
import softmaxForwardBody from '../../../shaders/fused/masked-softmax-forward.wgsl?raw';
import softmaxBackwardBody from '../../../shaders/fused/masked-softmax-backward.wgsl?raw';
import type { DType } from '../../core/tensor.js';
import { bindList, fill, storageSource, type FusedLayout, type Operand } from '../codegen.js';

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
${hsumHmax('vec4<f32>', 4)}`,
  element: `alias LU = u32;
alias LB = bool;
const LANE_IDX = 0u;
${hsumHmax('f32', 1)}`,
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
