// A Vite plugin for builds: `.wgsl?raw` imports are shipped without comments
// and with only the spaces that separate tokens (the shaders stay readable in
// shaders/; the package carries about 10 KB less). Placeholders ({{NAME}})
// are kept whole.
import { readFileSync } from 'node:fs';

// WGSL tokens, longest match first; {{NAME}} placeholders are one token.
const TOKEN =
  /\{\{[A-Z0-9_]+\}\}|[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F.]+(?:[pP][+-]?\d+)?[fhiu]?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fhiu]?|>>=|<<=|->|\+\+|--|&&|\|\||==|!=|<=|>=|<<|>>|[-+*/%&|^]=|\S/g;

const tokens = (s) => s.match(TOKEN) ?? [];

/**
 * The source's tokens, joined by a space only where two tokens written side
 * by side would read as other tokens (`let x`, `a - -b`, `> =`).
 */
export function minifyWgsl(source) {
  const ts = tokens(source.replace(/\/\/[^\n]*/g, ''));
  let out = '';
  for (let i = 0; i < ts.length; i++) {
    const prev = ts[i - 1];
    const pair = tokens(prev + ts[i]);
    const apart = i > 0 && !(pair.length === 2 && pair[0] === prev && pair[1] === ts[i]);
    out += (apart ? ' ' : '') + ts[i];
  }
  return out;
}

/** The tokens of a source (comments dropped): minifying must not change them. */
export const wgslTokens = (source) => tokens(source.replace(/\/\/[^\n]*/g, ''));

export function wgslMinifyPlugin() {
  return {
    name: 'wgsl-minify',
    enforce: 'pre',
    load(id) {
      const [file, query] = id.split('?');
      // Only the shipped shaders (bench and test WGSL is read as written).
      if (!file.endsWith('.wgsl') || query !== 'raw' || !/[\\/]shaders[\\/]/.test(file))
        return null;
      return `export default ${JSON.stringify(minifyWgsl(readFileSync(file, 'utf8')))};`;
    },
  };
}
