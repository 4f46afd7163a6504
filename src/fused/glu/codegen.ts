/**
 * WGSL of the GLU family: out = act(u) * v over halves a and b (of one tensor
 * [..., 2H] or two), forward and backward, the variant's activation and gated
 * half taken from the table (src/fused/table.ts).
 */
import mathSource from '../../../shaders/common/math.wgsl?raw';
import gluTemplate from '../../../shaders/fused/glu.wgsl?raw';
import type { DType } from '../../core/tensor.js';
import { gluVariants, type GluKind } from '../table.js';
import {
  activationSource,
  bindList,
  fill,
  laneMap,
  storageSource,
  type FusedLayout,
  type Operand,
} from '../codegen.js';

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
