/**
 * node --import tsx docs/ops.gen.ts
 *
 * Writes docs/ops.generated.md (gitignored), the "Ops" page of the API
 * reference: for every op of the activation table and the softmax family,
 * its formula, parameters with defaults, range, where it is used, NaN and
 * Inf behaviour and an example call. TypeDoc includes it (typedoc.json,
 * projectDocuments), so the reference cannot drift from the table.
 */
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import type { ParamSpec } from '../src/elementwise/spec.js';

// The sources import shaders as `?raw` text (a Vite feature): the bench's hooks give Node the same.
register('../bench/raw-hooks.mjs', import.meta.url);
const { activationNames, activations } = await import('../src/elementwise/table.js');
const { opTableMarkdown } = await import('../src/docs.js');
const { softmaxDocs, softmaxOps } = await import('../src/softmax/table.js');

function example(op: string, params: Record<string, ParamSpec>): string {
  const entries = Object.entries(params);
  const p = entries.length
    ? `, { ${entries
        .map(
          ([k, s]) =>
            `${k}: ${s.kind === 'enum' ? `'${s.values[s.values.length - 1]}'` : s.default}`,
        )
        .join(', ')} }`
    : '';
  return [
    '```ts',
    `const y = act.forward('${op}', x${p});`,
    `const dx = act.backward('${op}', { x, dy }${p});`,
    `const values = await act.apply('${op}', new Float32Array([-2, -0.5, 0, 0.5, 2])${p});`,
    '```',
  ].join('\n');
}

const sections = activationNames.map((op) => {
  const d = activations[op];
  const params = d.params as Record<string, ParamSpec>;
  const plist = Object.entries(params).map(([k, s]) =>
    s.kind === 'enum'
      ? `- \`${k}\` = \`'${s.default}'\` (one of ${s.values.map((v) => `\`'${v}'\``).join(', ')}): ${s.doc}`
      : `- \`${k}\` = \`${s.default}\` (${s.range}): ${s.doc}`,
  );
  return [
    `## ${op}`,
    '',
    `- formula: \`${d.formula}\``,
    `- range: \`${d.range}\``,
    `- used in: ${d.usedIn} layers`,
    `- NaN and Inf: ${d.nanInf}; NaN -> NaN (forward and backward)`,
    `- backward from y: ${'derivativeFromY' in d.wgsl ? 'yes (`{ y, dy }`)' : 'no (`{ x, dy }`)'}`,
    '',
    plist.length ? `Parameters:\n\n${plist.join('\n')}` : 'Parameters: none.',
    '',
    example(op, params),
  ].join('\n');
});

const softmax = [...softmaxOps, 'softmaxCrossEntropy' as const].map((op) =>
  [
    `## ${op}`,
    '',
    `- formula: \`${softmaxDocs[op].formula}\``,
    `- NaN, Inf and masking: ${softmaxDocs[op].nanInf}`,
    '',
    '```ts',
    op === 'softmaxCrossEntropy'
      ? "const { loss, dlogits } = act.softmaxCrossEntropy(logits, new Int32Array([2, 0, 1]), { reduction: 'mean' });"
      : `const y = act.forward('${op}', x, { axis: -1, temperature: 1 });\nconst dx = act.backward('${op}', { y, dy });`,
    '```',
  ].join('\n'),
);

const text = [
  '---',
  'title: Ops',
  '---',
  '# Ops',
  '',
  'Generated from the activation table (`src/elementwise/table.ts`) and the softmax family (`src/softmax/table.ts`). ' +
    '`act` is an instance from `createActivations()`; `x` and `dy` are tensors from `act.tensor()` or `act.wrap()`.',
  '',
  opTableMarkdown(),
  '',
  ...sections.flatMap((s) => [s, '']),
  ...softmax.flatMap((s) => [s, '']),
].join('\n');

writeFileSync(new URL('./ops.generated.md', import.meta.url), text);
console.log(`wrote docs/ops.generated.md (${activationNames.length + softmax.length} ops)`);
