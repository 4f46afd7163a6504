/**
 * The attention options' test cases: each option alone, in pairs and all
 * together, as float64-reference options, and how the library takes them.
 */
import * as fref from '../../src/fused/reference.js';
import { type Tensor } from '../../src/index.js';
import { sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';

/** Options as the library takes them (without sinks: the backward returns dx alone). */
export type Opts = { out?: Tensor } & Record<string, unknown> & { sinks?: undefined };

export interface Case {
  name: string;
  shape: number[];
  options: fref.RefMaskOptions;
  /** |x| range (soft-capping is tested far out). */
  range?: number;
}

export const SLOPES3 = [0.5, 0.25, 0.125];
const boolMask = (n: number, seed: number) =>
  Uint8Array.from(uniform(n, 0, 1, seed), (v) => (v < 0.3 ? 0 : 1));

export const cases: Case[] = [
  // softcap alone, far out (|x| up to 1e4) and down to c = 1
  { name: 'softcap c = 1, |x| up to 1e4', shape: [2, 3, 9], options: { softcap: 1 }, range: 1e4 },
  {
    name: 'softcap c = 50, scale',
    shape: [2, 4, 13],
    options: { softcap: 50, scale: 0.125 },
    range: 1e3,
  },
  // ALiBi alone, causal or not, with offsets
  { name: 'alibi', shape: [2, 3, 4, 7], options: { alibi: SLOPES3 } },
  { name: 'alibi + causal', shape: [1, 3, 5, 8], options: { alibi: SLOPES3, causal: true } },
  {
    name: 'alibi + causal + offset',
    shape: [2, 3, 3, 9],
    options: { alibi: SLOPES3, causal: true, offset: 4 },
  },
  // key lengths of 0, 1 and cols
  { name: 'keyLengths 0, 1, cols', shape: [3, 2, 4, 6], options: { keyLengths: [0, 1, 6] } },
  { name: 'keyLengths, vector words', shape: [3, 2, 8], options: { keyLengths: [8, 3, 5] } },
  // per-batch offsets
  {
    name: 'per-batch offsets + causal',
    shape: [3, 2, 3, 9],
    options: { causal: true, offset: [0, 2, 20] },
  },
  // pairs
  {
    name: 'softcap + alibi',
    shape: [2, 3, 4, 8],
    options: { softcap: 5, alibi: SLOPES3 },
    range: 30,
  },
  { name: 'softcap + causal', shape: [2, 5, 5], options: { softcap: 2, causal: true }, range: 30 },
  {
    name: 'softcap + additive mask',
    shape: [2, 3, 7],
    options: { softcap: 3, mask: { data: uniform(21, -3, 0, 70), shape: [3, 7] } },
    range: 30,
  },
  {
    name: 'softcap + keyLengths',
    shape: [2, 3, 9],
    options: { softcap: 4, keyLengths: [9, 2] },
    range: 30,
  },
  {
    name: 'softcap + per-batch offsets',
    shape: [2, 1, 4, 6],
    options: { softcap: 4, causal: true, offset: [1, 0] },
    range: 30,
  },
  {
    name: 'alibi + boolean mask',
    shape: [2, 3, 4, 10],
    options: {
      alibi: SLOPES3,
      mask: { data: boolMask(40, 71), shape: [1, 1, 4, 10], boolean: true },
    },
  },
  {
    name: 'alibi + keyLengths',
    shape: [2, 3, 2, 12],
    options: { alibi: SLOPES3, keyLengths: [5, 12] },
  },
  {
    name: 'alibi + per-batch offsets',
    shape: [2, 3, 2, 7],
    options: { alibi: SLOPES3, causal: true, offset: [3, 0] },
  },
  {
    // ALiBi takes the true offset even past cols (a causal row then sees every column).
    name: 'alibi + per-batch offsets past cols, causal and not',
    shape: [2, 3, 2, 7],
    options: { alibi: SLOPES3, offset: [30, 2] },
  },
  {
    name: 'alibi + causal + per-batch offsets past cols',
    shape: [2, 3, 2, 7],
    options: { alibi: SLOPES3, causal: true, offset: [30, 9] },
  },
  {
    name: 'keyLengths + causal',
    shape: [2, 1, 5, 5],
    options: { keyLengths: [3, 0], causal: true },
  },
  {
    name: 'keyLengths + additive mask',
    shape: [2, 2, 3, 11],
    options: { keyLengths: [7, 11], mask: { data: uniform(33, -2, 0, 72), shape: [3, 11] } },
  },
  {
    name: 'keyLengths + per-batch offsets',
    shape: [2, 2, 4, 8],
    options: { causal: true, offset: [0, 5], keyLengths: [6, 2] },
  },
  {
    name: 'per-batch offsets + boolean mask',
    shape: [2, 2, 3, 5],
    options: {
      causal: true,
      offset: [1, 2],
      mask: { data: boolMask(5, 73), shape: [5], boolean: true },
    },
  },
  // sinks alone, with fully masked rows (the row's mass goes to the sink: zeros, no NaN), in pairs
  { name: 'sinks', shape: [2, 3, 4, 7], options: { sinks: [0.5, -1, 3] } },
  {
    name: 'sinks + fully masked rows (boolean mask, keyLengths 0)',
    shape: [2, 3, 2, 8],
    options: {
      sinks: [1, 0, -2],
      keyLengths: [0, 8],
      mask: {
        data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        shape: [2, 8],
        boolean: true,
      },
    },
  },
  {
    name: 'sinks + softcap',
    shape: [2, 3, 3, 9],
    options: { sinks: [2, 1, 0], softcap: 3 },
    range: 30,
  },
  {
    name: 'sinks + alibi + causal',
    shape: [1, 3, 4, 8],
    options: { sinks: [2, 1, 0], alibi: SLOPES3, causal: true },
  },
  {
    name: 'sinks + per-batch offsets',
    shape: [2, 3, 3, 6],
    options: { sinks: [0, 0, 5], causal: true, offset: [0, 2] },
  },
  {
    name: 'sinks + additive mask',
    shape: [2, 3, 2, 5],
    options: { sinks: [1, 2, 3], mask: { data: uniform(10, -3, 0, 75), shape: [2, 5] } },
  },
  { name: 'sinks, rank 2 (one head)', shape: [5, 6], options: { sinks: [0.25], causal: true } },
  // everything at once
  {
    name: 'scale, softcap, alibi, mask, causal, per-batch offsets, keyLengths',
    shape: [2, 3, 4, 12],
    options: {
      scale: 0.5,
      softcap: 8,
      alibi: SLOPES3,
      mask: { data: uniform(48, -1, 0, 74), shape: [4, 12] },
      causal: true,
      offset: [2, 7],
      keyLengths: [10, 4],
      sinks: [0.5, 1.5, -0.5],
    },
    range: 40,
  },
];

/** The library's options for a case: masks as data (boolean) or a tensor (additive). */
export function libOptions(
  act: Awaited<ReturnType<typeof sharedActivations>>,
  c: Case,
  dtype: 'float32' | 'float16' = 'float32',
) {
  const m = c.options.mask;
  const o = { ...c.options } as Record<string, unknown>;
  if (!m) return { options: o, owned: undefined };
  if (m.boolean) {
    o.mask = { data: m.data as Uint8Array, shape: m.shape };
    return { options: o, owned: undefined };
  }
  const t = act.tensor(Float32Array.from(m.data), m.shape as number[], { dtype });
  o.mask = t;
  return { options: o, owned: t };
}
