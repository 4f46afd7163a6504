/**
 * WGSL of scaledMaskedSoftmax: one row per invocation (or per subgroup),
 * the forward forming the logits scale * x + mask (additive, boolean or none;
 * causal in the template), the backward dx = scale * y * (dy - sum(dy * y)).
 */
import { hsumHmax } from '../../wgsl/storage.js';
import softmaxTemplate from '../../../shaders/fused/masked-softmax.wgsl?raw';
import softmaxForwardBody from '../../../shaders/fused/masked-softmax-forward.wgsl?raw';
import softmaxBackwardBody from '../../../shaders/fused/masked-softmax-backward.wgsl?raw';
import softcapFns from '../../../shaders/fused/masked-softmax-softcap.wgsl?raw';
import sinkSumSource from '../../../shaders/fused/masked-softmax-sinks.wgsl?raw';

/**
 * dsinks[h]: the rows' shares summed per head (shaders/fused/masked-softmax-sinks.wgsl).
 * A const of its own, not a re-export: the declarations must not name a .wgsl module.
 */
export const sinkSumShader: string = sinkSumSource;
import type { DType } from '../../core/tensor.js';
import { bindList, fill, storageSource, type FusedLayout, type Operand } from '../codegen.js';

export type MaskKind = 'none' | 'additive' | 'boolean';

/** The attention options that change the kernel (each compiled in only when given). */
export interface AttentionFlags {
  /** One learned logit per head joins each row's max and sum (gpt-oss attention sinks). */
  sinks: boolean;
  softcap: boolean;
  alibi: boolean;
  /** Per-batch-entry offsets (else the one offset in the uniforms). */
  offsets: boolean;
  keyLengths: boolean;
}

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
  /** Attention options compiled in (forward: all; backward: softcap only, which reads x). */
  att: AttentionFlags;
}

export const NO_ATTENTION: AttentionFlags = {
  sinks: false,
  softcap: false,
  alibi: false,
  offsets: false,
  keyLengths: false,
};

/** A pipeline-key fragment for the attention options compiled in. */
export const attentionKey = (a: AttentionFlags): string =>
  `${+a.softcap}${+a.alibi}${+a.offsets}${+a.keyLengths}${+a.sinks}`;

/** The aux buffer (offsets, key lengths, ALiBi slopes) is bound. */
const needsAux = (a: AttentionFlags): boolean => a.alibi || a.offsets || a.keyLengths || a.sinks;

/**
 * The forward keeps each logit in out between its passes (float32 with softcap: forming it
 * costs a tanh, more than a store and a load; float16 would round it).
 */
const keepsLogits = (k: MaskedSoftmaxKernel): boolean =>
  k.direction === 'forward' && k.att.softcap && k.dtype === 'float32';

export function maskedSoftmaxOperands(k: MaskedSoftmaxKernel): Operand[] {
  if (k.direction === 'backward')
    return bindList(k.att.softcap ? ['y', 'dy', 'x'] : ['y', 'dy'], ['dx'], k.layout, k.inPlace);
  const ops = bindList(['x'], ['out'], k.layout, k.inPlace);
  // ld_out reads the kept logits back.
  if (keepsLogits(k)) ops[ops.length - 1].reads?.push('out');
  return ops;
}

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
  const a = k.att;
  let next = ops.length + 1 + (fwd && k.mask !== 'none' ? 1 : 0);
  if (fwd && needsAux(a)) {
    bindings += `\n@group(0) @binding(${next++}) var<storage, read> aux: array<u32>;`;
  }
  // The backward with sinks writes each row's share of dsinks (summed per head by sinkSumShader).
  if (!fwd && a.sinks) {
    bindings += `\n@group(0) @binding(${next++}) var<storage, read_write> dsr: array<f32>;`;
  }
  const sink = 'bitcast<f32>(aux[P.sbase + ((P.rbase + row) / P.mrows) % P.heads])';
  // Soft-capping first: c * tanh(v / c) (tanh's argument clamped where it is +-1 in f32,
  // so +-Inf give +-c; NaN stays NaN); its derivative sech^2(v / c) = 4e / (1 + e)^2, e = exp(-2|v / c|).
  if (a.softcap) maskCode += `\n${softcapFns}`;
  if (fwd && a.alibi) maskCode += '\nvar<private> al_s: f32;\nvar<private> al_c: f32;';
  const keep = keepsLogits(k);
  if (fwd)
    maskCode += `\nfn again(w: u32, mb: u32, j0: u32, lim: u32) -> Lanes { return ${
      keep ? 'ld_out(w)' : 'logit(w, mb, j0, lim)'
    }; }`;
  let z = a.softcap ? 'cap_of(P.scale * ld_x(w))' : 'P.scale * ld_x(w)';
  // ALiBi: + slope_h * (j - i - offset), j the lane's column.
  if (a.alibi) z += ' + al_s * (Lanes(f32(j0)) + Lanes(LANE_IDX) + al_c)';
  const mask = {
    none: `return ${z};`,
    additive: `return ${z} + mask_lanes(mb, j0);`,
    boolean: `return select(Lanes(P.ninf), ${z}, mask_lanes(mb, j0) != Lanes(0.0));`,
  }[k.mask];
  const row = [
    `let off = ${a.offsets ? 'aux[gr / P.bsize]' : 'P.offset'};`,
    ...(a.alibi
      ? [
          'al_s = bitcast<f32>(aux[P.abase + (gr / P.mrows) % P.heads]);',
          'al_c = -(f32(gr % P.mrows) + f32(off));',
        ]
      : []),
  ].join('\n');
  const limit = a.keyLengths ? 'lim = min(lim, aux[P.kbase + gr / P.bsize]);' : '';
  const body = fwd
    ? fill(softmaxForwardBody, {
        ROW: row,
        KEEP: keep ? 'st_out(base + w, z);' : '',
        LIMIT: limit,
        SINK_M: a.sinks ? `max(red_max(hmax(mw)), ${sink})` : 'red_max(hmax(mw))',
        SINK_S: a.sinks ? `red_add(hsum(sw)) + exp(max(${sink} - m, -104.0))` : 'red_add(hsum(sw))',
      })
    : fill(softmaxBackwardBody, {
        YSUM_DECL: a.sinks ? 'var ysw = Lanes(0.0);' : '',
        YSUM_ADD: a.sinks ? 'ysw += select(y, Lanes(0.0), bad);' : '',
        SINK: a.sinks
          ? 'let ys = red_add(hsum(ysw));\nif (t == 0u) { dsr[P.rbase + row] = select(-(1.0 - ys) * acc, P.nan, nan != 0.0); }'
          : '',
        DX: a.softcap
          ? 'P.scale * y * (dy - acc) * cap_d(ld_x(base + w))'
          : 'P.scale * y * (dy - acc)',
      });
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
    BODY: body,
  });
  return sub ? `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${src}` : src;
}
