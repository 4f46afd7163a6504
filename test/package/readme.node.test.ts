/**
 * The README's op table is generated from the activation table. This test
 * fails when they drift; `npm run readme:table` rewrites the README's table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { opTableMarkdown } from '../../src/docs.js';
import { activationNames } from '../../src/elementwise/table.js';

const START = '<!-- op-table:start -->';
const END = '<!-- op-table:end -->';

it('README op table matches the activation table', () => {
  const readme = readFileSync('README.md', 'utf8');
  const table = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
  if (process.env.UPDATE_README) {
    const head = readme.slice(0, readme.indexOf(START) + START.length);
    writeFileSync(
      'README.md',
      `${head}\n${opTableMarkdown()}\n${readme.slice(readme.indexOf(END))}`,
    );
    return;
  }
  expect(table).toBe(opTableMarkdown());
  for (const op of activationNames) expect(table).toContain(`\`${op}\``);
});
