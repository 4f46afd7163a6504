/**
 * The Vite app that serves the benchmark page (bench/index.html), the
 * training example (examples/mlp/index.html) and the learning page
 * (docs/index.html) on 127.0.0.1. It also serves ONNX Runtime Web's wasm files straight from
 * node_modules under /ort-dist/, so the page needs no network.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const ortDist = join(root, 'node_modules', 'onnxruntime-web', 'dist');

/** /ort-dist/<file> -> node_modules/onnxruntime-web/dist/<file>, untransformed. */
function ortFiles(): Plugin {
  return {
    name: 'bench-ort-files',
    configureServer(server) {
      server.middlewares.use('/ort-dist', (req, res, next) => {
        const name = normalize(decodeURIComponent((req.url ?? '/').split('?')[0])).replace(
          /^([/\\])+/,
          '',
        );
        const file = join(ortDist, name);
        if (!file.startsWith(ortDist) || !existsSync(file) || !statSync(file).isFile())
          return next();
        const type = file.endsWith('.wasm')
          ? 'application/wasm'
          : file.endsWith('.mjs') || file.endsWith('.js')
            ? 'text/javascript'
            : 'application/octet-stream';
        res.setHeader('Content-Type', type);
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        createReadStream(file).pipe(res);
      });
    },
  };
}

export default defineConfig({
  root,
  // Cross-origin isolation: finer performance.now() (5 us instead of 100 us) for the latency figures.
  server: {
    host: '127.0.0.1',
    strictPort: true,
    open: false,
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
  preview: { host: '127.0.0.1' },
  plugins: [ortFiles()],
  // ORT loads its wasm glue with a dynamic import of a URL; pre-bundling would move it away from its files.
  optimizeDeps: {
    exclude: ['onnxruntime-web'],
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-webgpu',
    ],
    entries: ['bench/index.html', 'examples/mlp/index.html', 'docs/index.html'],
  },
  build: { target: 'es2022' },
  logLevel: 'warn',
});
