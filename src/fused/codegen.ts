/**
 * The WGSL assembly the three fused families share (pure string work: runs
 * without a GPU): the activation's functions from the table, exactly as the
 * generic elementwise kernel gets them; bound operands and their word
 * accessors; lane maps; and template filling. Each family's own generator
 * (bias-act/codegen.ts, glu/codegen.ts, masked-softmax/codegen.ts) fills its
 * templates in shaders/fused/ with these.
 */
import halfSource from '../../shaders/common/f16.wgsl?raw';
import { defOf, type ActivationName } from '../elementwise/table.js';
import type { DType } from '../core/tensor.js';
import { opArguments, opFunctions } from '../elementwise/codegen.js';

/** The templates' workgroup size (const WG in shaders/fused/*.wgsl): dispatches count groups of it. */
export const WG = 256;

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
 * The op's functions from the table (elementwise/codegen.ts: enum parameters compiled
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
export function laneMap(name: string, fn: string, args: string[], layout: FusedLayout): string {
  const params = args.map((a) => `${a}: Lanes`).join(', ');
  const call = (l: string) => `${fn}(${args.map((a) => a + l).join(', ')})`;
  const body =
    layout === 'vector' ? `vec4<f32>(${LANE.map((l) => call(`.${l}`)).join(', ')})` : call('');
  return `fn ${name}(${params}) -> Lanes {\n  return ${body};\n}`;
}

/** The template with every {{SLOT}} filled; a slot left unfilled is a generator bug. */
export function fill(template: string, slots: Record<string, string>): string {
  let out = template;
  for (const [k, v] of Object.entries(slots)) out = out.replaceAll(`{{${k}}}`, v);
  const left = /\{\{[A-Z_]+\}\}/.exec(out);
  if (left) throw new Error(`fused codegen: slot ${left[0]} left unfilled`);
  return out;
}
