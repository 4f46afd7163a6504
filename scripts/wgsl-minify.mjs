// A Vite plugin for builds: `.wgsl?raw` imports are shipped without comments
// and with whitespace collapsed (the shaders stay readable in shaders/; the
// package carries about 8 KB less). Placeholders ({{NAME}}) are untouched.
import { readFileSync } from 'node:fs';

export function minifyWgsl(source) {
  return source
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function wgslMinifyPlugin() {
  return {
    name: 'wgsl-minify',
    enforce: 'pre',
    load(id) {
      const [file, query] = id.split('?');
      if (!file.endsWith('.wgsl') || query !== 'raw') return null;
      return `export default ${JSON.stringify(minifyWgsl(readFileSync(file, 'utf8')))};`;
    },
  };
}
