/**
 * The attention options of scaledMaskedSoftmax (issue 15) as the benchmark
 * measures them: each option alone beside the plain causal softmax, and all
 * together, forward and backward, on x [B, H, s, s] (B = 2 batch entries,
 * s <= 256). Shared by the bench rows (bench/fused.ts, `--ops attention`)
 * and the A/B probe (bench/probes/attention-ab.ts). The target: each
 * within 1.2x of plain causal on the same run.
 */
import type { MaskedSoftmaxOptions } from '../src/fused/index.js';

/** Issue 15's bound on option time / plain causal time. */
export const ATTENTION_FLOOR = 1.2;

/** x's shape for n elements: [2, n / (2 s^2), s, s] (one batch entry when n < 2 s^2). */
export function attentionShape(n: number): number[] {
  const s = Math.min(256, 2 ** Math.floor(Math.log2(n) / 2));
  const lead = n / (s * s);
  const b = lead >= 2 ? 2 : 1;
  return [b, lead / b, s, s];
}

/** The option sets, by row name; each row's options include causal. */
export const ATTENTION_CASES = [
  'softcap',
  'alibi',
  'keyLengths',
  'offsets',
  'sinks',
  'all',
] as const;
export type AttentionCase = (typeof ATTENTION_CASES)[number];

/** The row's name: what is added to plain causal. */
export const attentionName = (c: AttentionCase): string =>
  c === 'all' ? 'causal+all options' : `causal+${c === 'softcap' ? 'softcap 30' : c}`;

/**
 * The options of a case on x of `shape` [B, H, s, s]: softcap 30 (Gemma 2),
 * ALiBi's geometric slopes 2^(-8(h+1)/H), key lengths s and 3s/4, per-batch
 * offsets 0 and s/8, sinks 0.5 per head.
 */
export function attentionOptions(
  c: AttentionCase | 'causal',
  shape: number[],
): MaskedSoftmaxOptions {
  const [b, h, s] = shape;
  const all = c === 'all';
  const o: MaskedSoftmaxOptions = { causal: true };
  if (all || c === 'softcap') o.softcap = 30;
  if (all || c === 'alibi')
    o.alibi = Array.from({ length: h }, (_, i) => 2 ** ((-8 * (i + 1)) / h));
  if (all || c === 'keyLengths')
    o.keyLengths = Array.from({ length: b }, (_, i) => (i % 2 ? (3 * s) / 4 : s));
  if (all || c === 'offsets') o.offset = Array.from({ length: b }, (_, i) => (i % 2 ? s / 8 : 0));
  if (all || c === 'sinks') o.sinks = new Array<number>(h).fill(0.5);
  return o;
}
