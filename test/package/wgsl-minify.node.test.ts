/**
 * The build ships every .wgsl minified (scripts/wgsl-minify.mjs) while the
 * tests run the files as written, so the minifier must not change a single
 * token: each file's token sequence is compared before and after.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { minifyWgsl, wgslTokens } from '../../scripts/wgsl-minify.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const files = [
  ...readdirSync(join(ROOT, 'shaders'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => join('shaders', f)),
  'bench/erf.wgsl',
];

describe('WGSL minifier', () => {
  it.each(files)('%s keeps every token', (file) => {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const min = minifyWgsl(source);
    expect(min.length).toBeLessThan(source.length);
    expect(wgslTokens(min)).toEqual(wgslTokens(source));
  });

  it('keeps the spaces that separate tokens', () => {
    expect(minifyWgsl('let x = a - -b; // note\nvar<private> v: vec4<f32> = w;')).toBe(
      'let x=a- -b;var<private>v:vec4<f32> =w;',
    );
    expect(minifyWgsl('fn f() { {{BODY}} }')).toBe('fn f(){{{BODY}}}');
  });
});
