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
  return [
    '| op | formula | parameters (defaults) | range | NaN / Inf |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    ...softmaxRows,
  ].join('\n');
}
