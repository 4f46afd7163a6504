#!/usr/bin/env node
// Builds dist/: an ESM bundle (Vite library mode inlines the .wgsl shaders)
// and type declarations (tsc). External: nothing; the library has no runtime deps.
import { execSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'vite';
import { wgslMinifyPlugin } from './wgsl-minify.mjs';

rmSync('dist', { recursive: true, force: true });
await build({
  configFile: false,
  logLevel: 'warn',
  plugins: [wgslMinifyPlugin()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    // The core, and the parts a page rarely needs as their own entries (so they never weigh on it).
    lib: {
      entry: {
        index: 'src/index.ts',
        reference: 'src/reference-entry.ts',
        fused: 'src/fused/index.ts',
        interop: 'src/interop/index.ts',
        tfjs: 'src/interop/tfjs-kernels/index.ts',
      },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
  },
});
execSync('npx tsc -p tsconfig.build.json', { stdio: 'inherit' });
console.log('built dist/index.js and dist/index.d.ts');
