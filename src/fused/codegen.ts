/**
 * The WGSL assembly the three fused families share (pure string work: runs
 * without a GPU): the activation's functions from the table, exactly as the
 * generic elementwise kernel gets them; bound operands and their word
 * accessors; lane maps; and template filling. Each family's own generator
 * (bias-act/codegen.ts, glu/codegen.ts, masked-softmax/codegen.ts) fills its
 * templates in shaders/fused/ with these.
 */
import { defOf, type ActivationName } from '../elementwise/table.js';
import type { DType } from '../core/tensor.js';
import { opArguments, opFunctions } from '../elementwise/codegen.js';
import {
  atomicHalfAt,
  atomicHalfStore,
  bytesPerWord,
  elementAt,
  halfHelpers,
  lanesPerWord,
  mergeTailFn,
  packFn,
  packWord,
  unpackFn,
  wordType,
} from '../wgsl/storage.js';
import { fill as fillSlots } from '../wgsl/template.js';

/** The templates' workgroup size (const WG in shaders/fused/*.wgsl): dispatches count groups of it. */
export const WG = 256;

/**
 * How an operand is addressed: 'vector' words of 4 lanes (16 bytes of
 * float32, 8 of float16), or single 'element's (float16 stores then go
 * through atomics, as two halves share a word).
 */
export type FusedLayout = 'vector' | 'element';

/** Bytes per storage word of a layout (an element layout's word is one element). */
export const wordBytes = (dtype: DType, layout: FusedLayout): number =>
  layout === 'element' ? (dtype === 'float32' ? 4 : 2) : bytesPerWord(dtype, 'vector');

/** Elements per storage word. */
export const wordLanes = (layout: FusedLayout): number =>
  layout === 'vector' ? lanesPerWord('float32', 'vector') : 1;

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
  if (f16) code.push(halfHelpers);
  if (operands.some((o) => o.layout === 'vector')) {
    code.push(
      `alias Word = ${wordType(dtype, 'vector').word};`,
      unpackFn(dtype, 'vector', 'vec4<f32>'),
      packFn(dtype, 'vector', 'vec4<f32>'),
      mergeTailFn(dtype, 'vector'),
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
      code.push(atomicHalfStore(`st_${n}`, n, 'i'));
      load = atomicHalfAt(n, 'i');
    } else {
      bindings.push(`${at} var<storage, ${o.write ? 'read_write' : 'read'}> ${n}: array<u32>;`);
      if (o.write)
        code.push(
          `fn st_${n}(i: u32, v: f32) { ${packWord('float32', 'scalar', 'v', `${n}[i] = `)} }`,
        );
      load = elementAt(dtype, n, 'i');
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
export const fill = (template: string, slots: Record<string, string>): string =>
  fillSlots(template, slots, 'fused codegen');
