#!/usr/bin/env node
// Builds dist/: an ESM bundle (Vite library mode inlines the .wgsl shaders)
// and type declarations (tsc). External: nothing; the library has no runtime deps.
import { execSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'vite';

rmSync('dist', { recursive: true, force: true });
await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'index.js' },
  },
});
execSync('npx tsc -p tsconfig.build.json', { stdio: 'inherit' });
console.log('built dist/index.js and dist/index.d.ts');
