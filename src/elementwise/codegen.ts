/**
 * Table + shaders/*.wgsl -> WGSL source. Pure string work: runs without a GPU,
 * so the generated code can be inspected and unit-tested anywhere.
 */
import elementwiseTemplate from '../../shaders/elementwise/elementwise.wgsl?raw';
import mathSource from '../../shaders/common/math.wgsl?raw';
import { type ActivationName, defOf } from './table.js';
import type { DType } from '../core/tensor.js';
import {
  halfHelpers,
  mergeTailFn,
  packFn,
  unpackFn,
  wordType,
  type WordLayout,
} from '../wgsl/storage.js';
import { fill } from '../wgsl/template.js';

/** How operands are read: 16/8-byte words of 4 lanes, or one 32-bit word per invocation. */
export type Layout = WordLayout;

/** Which computation the kernel does. */
export type Direction = 'forward' | 'backward' | 'backwardFromY';

export interface ElementwiseKernel {
  op: ActivationName;
  direction: Direction;
  dtype: DType;
  layout: Layout;
  /** Which operand the output overwrites, if any (0: x or y, 1: dy). */
  inPlace: 0 | 1 | null;
  /** The op's tensor parameter (prelu's slope) is read per element from a broadcast buffer. */
  broadcastParam: boolean;
  workgroupSize: number;
  /** The op's parameter slots: enum values (gelu's approximate) are compiled in; other slots are ignored. */
  enums: readonly number[];
  /**
   * The output's last word may be overwritten whole (the library's own padded
   * buffer): no tail merge, so no branch in the store.
   */
  wholeWords: boolean;
}

/** The storage words of a kernel: type aliases, their (un)packing, and the tail merge. */
function storageSource(dtype: DType, layout: Layout): string {
  const t = wordType(dtype, layout);
  return `alias Word = ${t.word};
alias Lanes = ${t.lanes};
const LANES: u32 = ${t.count}u;
${unpackFn(dtype, layout)}
${packFn(dtype, layout)}${dtype === 'float16' ? `\n${halfHelpers}` : ''}
${mergeTailFn(dtype, layout)}`;
}

/**
 * WGSL parameter list and call arguments for an op's numeric and enum
 * parameters. Numeric ones come from the uniform P.p (in table order); enum
 * ones are compiled in from `enums`, because SwiftShader runs both sides of a
 * branch it cannot prove uniform, so a runtime enum costs both forms.
 */
function opSignature(op: ActivationName, broadcastParam: boolean, enums: readonly number[]) {
  const def = defOf(op);
  let decl = '';
  let args = '';
  Object.entries(def.params).forEach(([name, spec], slot) => {
    const e = spec.kind === 'enum';
    decl += `, ${name}: ${e ? 'u32' : 'f32'}`;
    args += e
      ? `, ${enums[slot] ?? 0}u`
      : broadcastParam && def.tensorParam === name
        ? ', param_at(g)'
        : `, P.p[${slot}]`;
  });
  return { decl, args };
}

/** The enum parameters' values, for pipeline keys: opSignature compiles them in. */
export function enumKey(op: ActivationName, slots: readonly number[]): string {
  return Object.values(defOf(op).params)
    .map((spec, slot) => (spec.kind === 'enum' ? String(slots[slot] ?? 0) : ''))
    .join(',');
}

/** The call arguments after x for the op's functions (see opSignature). */
export function opArguments(
  op: ActivationName,
  enums: readonly number[],
  broadcastParam = false,
): string {
  return opSignature(op, broadcastParam, enums).args;
}

/** The op's own functions from the table, named op_forward / op_derivative / op_derivative_from_y. */
export function opFunctions(op: ActivationName): string {
  const def = defOf(op);
  const { decl } = opSignature(op, false, []);
  const parts = [
    `fn op_forward(x: f32${decl}) -> f32 {\n  ${def.wgsl.forward}\n}`,
    `fn op_derivative(x: f32${decl}) -> f32 {\n  ${def.wgsl.derivative}\n}`,
  ];
  if (def.wgsl.derivativeFromY) {
    parts.push(`fn op_derivative_from_y(y: f32${decl}) -> f32 {\n  ${def.wgsl.derivativeFromY}\n}`);
  }
  return parts.join('\n');
}

/** Per-lane application with explicit NaN handling (WGSL leaves NaN to the implementation). */
function laneMap(k: ElementwiseKernel): string {
  const { args } = opSignature(k.op, k.broadcastParam, k.enums);
  const count = wordType(k.dtype, k.layout).count;
  const lane = (i: number) => (count === 1 ? '' : `.${'xyzw'[i]}`);
  const idx = (i: number) => `g0 + ${i}u`;
  // Lanes(...) of one lane is f32(...): the identity.
  const apply = (call: (i: number) => string) =>
    `Lanes(${Array.from({ length: count }, (_, i) => call(i)).join(', ')})`;
  if (k.direction === 'forward') {
    const y = `op_forward(x${args})`;
    // An op whose body keeps NaN (the table says so) needs no guard.
    return `fn lane_forward(x: f32, g: u32) -> f32 {
  return ${defOf(k.op).wgsl.keepsNaN ? y : `select(${y}, x, is_nan(x))`};
}
fn map_lanes(a: Lanes, g0: u32) -> Lanes {
  return ${apply((i) => `lane_forward(a${lane(i)}, ${idx(i)})`)};
}`;
  }
  const derivative = k.direction === 'backward' ? 'op_derivative' : 'op_derivative_from_y';
  // A NaN operand gives NaN: that operand's own bits pass through.
  return `fn lane_backward(a: f32, dy: f32, g: u32) -> f32 {
  let d = dy * ${derivative}(a${args});
  return select(select(d, dy, is_nan(dy)), a, is_nan(a));
}
fn map_lanes(a: Lanes, dy: Lanes, g0: u32) -> Lanes {
  return ${apply((i) => `lane_backward(a${lane(i)}, dy${lane(i)}, ${idx(i)})`)};
}`;
}

// The op's tensor parameter at element g of x: NumPy broadcasting over up to
// four collapsed dimensions (stride 0 along a broadcast one).
const BROADCAST_PARAM = `
fn param_at(g: u32) -> f32 {
  let c = (vec4<u32>(g) / P.bxstride) % P.bdim;
  return param_buf[dot(c, P.bstride)];
}`;

const STORE_WHOLE = 'out[w] = result;';
// The last word may be partly past n: keep the destination's bits there, so a
// wrapped buffer's neighbouring data survives.
const STORE_MERGED = `if (first + LANES > P.n) {
    out[w] = merge_tail(out[w], result, P.n - first);
  } else {
    out[w] = result;
  }`;

/** Full WGSL for one elementwise kernel. */
export function elementwiseShader(k: ElementwiseKernel): string {
  const inputs = k.direction === 'forward' ? ['src0'] : ['src0', 'src1'];
  const bindings: string[] = [];
  let binding = 1;
  const source = inputs.map((name, i) => {
    if (k.inPlace === i) return 'out';
    bindings.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: array<Word>;`);
    return name;
  });
  bindings.push(`@group(0) @binding(${binding++}) var<storage, read_write> out: array<Word>;`);
  if (k.broadcastParam) {
    bindings.push(`@group(0) @binding(${binding++}) var<storage, read> param_buf: array<f32>;`);
  }
  const loads = source.map((name) => `unpack(${name}[w])`).join(', ');
  return fill(
    elementwiseTemplate,
    {
      BINDINGS: bindings.join('\n'),
      MATH: mathSource,
      OP: `${opFunctions(k.op)}\n${laneMap(k)}${k.broadcastParam ? BROADCAST_PARAM : ''}`,
      STORAGE: storageSource(k.dtype, k.layout),
      WORKGROUP_SIZE: String(k.workgroupSize),
      BODY: `let result = pack(map_lanes(${loads}, P.base + first));`,
      STORE: k.wholeWords ? STORE_WHOLE : STORE_MERGED,
    },
    'elementwise codegen',
  );
}
