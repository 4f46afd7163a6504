/**
 * The README's op table, generated from the activation table and the softmax
 * family's docs, so the two cannot drift (a test compares them).
 */
import type { ParamSpec } from './elementwise/spec.js';
import { activationNames, activations } from './elementwise/table.js';
import { softmaxDocs, softmaxOps } from './softmax/table.js';

function paramList(params: Record<string, ParamSpec>, required?: string): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return '—';
  return entries
    .map(([name, p]) =>
      p.kind === 'enum'
        ? `${name} = '${p.default}' (${p.values.map((v) => `'${v}'`).join(' \\| ')})`
        : name === required
          ? `${name} (required)`
          : `${name} = ${Number.isInteger(p.default) ? p.default : +p.default.toPrecision(8)}`,
    )
    .join(', ');
}

const cell = (s: string) => s.replaceAll('|', '\\|');

export function opTableMarkdown(): string {
  const rows = activationNames.map((op) => {
    const d = activations[op];
    return `| \`${op}\` | ${cell(d.formula)} | ${cell(paramList(d.params as Record<string, ParamSpec>, (d as { tensorParam?: string }).tensorParam))} | ${cell(d.range)} | ${cell(d.nanInf)}; NaN -> NaN |`;
  });
  const softmaxRows = [...softmaxOps, 'softmaxCrossEntropy' as const].map((op) => {
    const d = softmaxDocs[op];
    return `| \`${op}\` | ${cell(d.formula)} | ${op === 'softmaxCrossEntropy' ? 'ignoreIndex, labelSmoothing, reduction' : 'axis = -1, temperature = 1'} | ${op === 'logSoftmax' ? '(-inf, 0]' : op === 'softmaxCrossEntropy' ? '[0, inf)' : '[0, 1]'} | ${cell(d.nanInf)} |`;
  });
  // The fused attention softmax (webgpu-activations/fused): its options and how they combine.
  const sms = `| \`scaledMaskedSoftmax\` (fused) | ${cell(
    'softmax(z) along the last axis of x [B, ..., H, rows, cols], z = c * tanh(scale * x / c) + slope_h * (j - i - offset_b) + mask, applied in that order (scale, softcap, ALiBi, mask), then columns j > i + offset_b (causal) and j >= keyLengths_b masked; with sinks, the sink logit of the head joins the max and denominator of each row (no output column, so a row sums to less than 1); backward dx = scale * y * (dy - sum(dy * y)) * sech^2(scale * x / c) (the last factor with softcap only, from { y, dy, x }); with sinks also dsinks_h = -sum over the rows of head h of (1 - sum(y)) * sum(dy * y)',
  )} | scale = 1, mask (additive or boolean, NumPy broadcast), causal = false, offset = 0 (or one per batch entry), softcap (c > 0), alibi (one slope per head), keyLengths (one per batch entry, in [0, cols]), sinks (one logit per head); alibi and sinks as arrays or a float32 tensor of H elements (a tensor's values are not checked), keyLengths and per-batch offsets as integer arrays only (number[], Int32Array, Uint32Array: tensors are float32/float16); every option combines with every other | [0, 1] | a row with no unmasked column gives zeros (gradient 0; with a sink, its mass is the sink's); a NaN logit makes the row NaN; with softcap, x = +-Inf gives the logit +-c |`;
  return [
    '| op | formula | parameters (defaults) | range | NaN / Inf |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    ...softmaxRows,
    sms,
  ].join('\n');
}
