/**
 * How tensors sit in storage buffers, as WGSL: the word layouts every family
 * reads and writes through, and the float16 element accessors. Pure string
 * work; each family places these pieces in its own kernels.
 *
 * float16 tensors are u32 words of two halves (WGSL storage has no f16
 * without the shader-f16 feature), so every float16 read unpacks, every
 * write packs through half_bits (shaders/common/f16.wgsl), and a write of
 * one half must not disturb the other.
 *
 * @example
 * // The generic elementwise kernel's float16 vector words:
 * [unpackFn('float16', 'vector'), packFn('float16', 'vector'), halfHelpers,
 *  mergeTailFn('float16', 'vector')].join('\n');
 */
import halfSource from '../../shaders/common/f16.wgsl?raw';
import type { DType } from '../core/tensor.js';

/**
 * How an operand is read: 'vector' words of 4 elements (16 bytes of float32,
 * 8 of float16), or 'scalar' u32 words (one float32, or two float16).
 */
export type WordLayout = 'vector' | 'scalar';

/** The WGSL types of one storage word. */
export interface WordType {
  /** The word as stored. */
  word: string;
  /** Its elements as f32 values. */
  lanes: string;
  /** Elements per word. */
  count: number;
  /** Bytes per word. */
  bytes: number;
}

/** The word types of a layout (computed, not tabled: the shipped bundle keeps an object literal's layout). */
export function wordType(dtype: DType, layout: WordLayout): WordType {
  const half = dtype === 'float16';
  return layout === 'vector'
    ? { word: half ? 'vec2<u32>' : 'vec4<u32>', lanes: 'vec4<f32>', count: 4, bytes: half ? 8 : 16 }
    : { word: 'u32', lanes: half ? 'vec2<f32>' : 'f32', count: half ? 2 : 1, bytes: 4 };
}

/** Elements per storage word: what each invocation of a word-wide kernel handles. */
export const lanesPerWord = (dtype: DType, layout: WordLayout): number =>
  wordType(dtype, layout).count;

/** Bytes per storage word. */
export const bytesPerWord = (dtype: DType, layout: WordLayout): number =>
  wordType(dtype, layout).bytes;

/** half_bits and half_mask (shaders/common/f16.wgsl), which every float16 pack and store calls. */
export const halfHelpers: string = halfSource;

// ---- words ------------------------------------------------------------------

/**
 * The word expression `w` as its lanes. `lanes` is the type a float32 word is
 * bitcast to (a kernel may call vec4<f32> by an alias); a float16 word is
 * read twice, so `w` should be a name.
 */
export function unpackWord(
  dtype: DType,
  layout: WordLayout,
  w: string,
  lanes = wordType(dtype, layout).lanes,
): string {
  if (dtype === 'float32') return `bitcast<${lanes}>(${w})`;
  return layout === 'vector'
    ? `vec4<f32>(unpack2x16float(${w}.x), unpack2x16float(${w}.y))`
    : `unpack2x16float(${w})`;
}

/** A word of two float16 bit patterns, first in the low half. */
const halfPair = (h: string) => `${h}.x | (${h}.y << 16u)`;

/**
 * Statements that pack the lanes `v` into a word and hand it to `sink`
 * (`'return '`, or an assignment such as `'out[q] = '`), indented as a
 * function body. A float16 vector word is built from two half pairs held in
 * locals named `pair`, so a caller can keep its own names free.
 */
export function packWord(
  dtype: DType,
  layout: WordLayout,
  v: string,
  sink: string,
  pair: readonly [string, string] = ['lo', 'hi'],
): string {
  if (dtype === 'float32') return `${sink}bitcast<${wordType(dtype, layout).word}>(${v});`;
  if (layout === 'scalar') return `let h = half_bits(${v});\n  ${sink}${halfPair('h')};`;
  const [lo, hi] = pair;
  return `let ${lo} = half_bits(${v}.xy);
  let ${hi} = half_bits(${v}.zw);
  ${sink}vec2<u32>(${halfPair(lo)}, ${halfPair(hi)});`;
}

/** `fn unpack(w: Word) -> lanes`: a word as its lanes (type alias Word in scope). */
export const unpackFn = (dtype: DType, layout: WordLayout, lanes = 'Lanes'): string =>
  `fn unpack(w: Word) -> ${lanes} {\n  return ${unpackWord(dtype, layout, 'w')};\n}`;

/** `fn pack(v: lanes) -> Word`: lanes as a word (float16: calls half_bits). */
export const packFn = (dtype: DType, layout: WordLayout, lanes = 'Lanes'): string =>
  `fn pack(v: ${lanes}) -> Word {\n  ${packWord(dtype, layout, 'v', 'return ')}\n}`;

/**
 * `fn merge_tail(old, fresh, valid) -> Word`: `fresh` in the first `valid`
 * lanes, `old` after them. A tensor's last word may run past its end (into a
 * wrapped buffer's neighbouring data), and those bits must survive a store.
 * float16 calls half_mask.
 */
export function mergeTailFn(dtype: DType, layout: WordLayout): string {
  const vector = layout === 'vector';
  const body =
    dtype === 'float32'
      ? `return select(old, fresh, ${vector ? 'vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(valid)' : 'valid > 0u'});`
      : `let m = ${vector ? 'vec2<u32>(half_mask(valid), half_mask(max(valid, 2u) - 2u))' : 'half_mask(valid)'};
  return (fresh & m) | (old & ~m);`;
  return `fn merge_tail(old: Word, fresh: Word, valid: u32) -> Word {\n  ${body}\n}`;
}

// ---- single elements --------------------------------------------------------

/** Element `i` of `buf`, an array<u32> of float32 or of float16 two to a word, as an f32. */
export const elementAt = (dtype: DType, buf: string, i: string): string =>
  dtype === 'float32'
    ? `bitcast<f32>(${buf}[${i}])`
    : `unpack2x16float(${buf}[${i} >> 1u])[${i} & 1u]`;

/** `fn load_NAME(g: u32) -> f32`: element g of the array<u32> binding `name`. */
export const loadElement = (dtype: DType, name: string): string =>
  `fn load_${name}(g: u32) -> f32 { return ${elementAt(dtype, name, 'g')}; }`;

/**
 * `fn NAME(i: u32, v: f32)` storing one float16 element into `buf`, an
 * array<atomic<u32>>. The word's other half may be another invocation's (odd
 * rows, strided axes, a wrapped buffer's neighbour), so this half is cleared
 * and set atomically and the other is left alone. Calls half_bits.
 */
export const atomicHalfStore = (name: string, buf: string, i: string): string =>
  `fn ${name}(${i}: u32, v: f32) {
  let h = half_bits(vec2<f32>(v, 0.0)).x;
  let shift = (${i} & 1u) * 16u;
  atomicAnd(&${buf}[${i} >> 1u], ~(0xffffu << shift));
  atomicOr(&${buf}[${i} >> 1u], h << shift);
}`;

/** Element `i` of `buf`, an array<atomic<u32>> of float16 two to a word, as an f32. */
export const atomicHalfAt = (buf: string, i: string): string =>
  `unpack2x16float(atomicLoad(&${buf}[${i} >> 1u]))[${i} & 1u]`;

// ---- across the lanes of one value ------------------------------------------

/**
 * hsum and hmax of an f32 value `type` of `width` lanes: pairwise, in a fixed
 * order, or the value itself at width 1, so one kernel body serves vector
 * words and single elements.
 */
export const hsumHmax = (type: string, width: 1 | 4): string =>
  width === 4
    ? `fn hsum(v: ${type}) -> f32 { return (v.x + v.y) + (v.z + v.w); }
fn hmax(v: ${type}) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }`
    : `fn hsum(v: ${type}) -> f32 { return v; }\nfn hmax(v: ${type}) -> f32 { return v; }`;
