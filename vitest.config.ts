import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './bench/chromium.js';
import { wgslMinifyPlugin } from './scripts/wgsl-minify.mjs';

const shared = ['test/**/*.test.ts'];
const nodeOnly = ['test/**/*.node.test.ts'];
const browserOnly = ['test/**/*.browser.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: [...shared],
          exclude: browserOnly,
          setupFiles: ['test/helpers/setup-node.ts', 'test/helpers/setup-all.ts'],
          pool: 'forks',
        },
      },
      {
        extends: true,
        // Chromium runs the shaders minified, as the package ships them; Node runs them as written.
        plugins: [wgslMinifyPlugin()],
        // Pre-bundled up front: otherwise Vite discovers them mid-run and reloads the test page.
        optimizeDeps: {
          include: [
            '@tensorflow/tfjs-core',
            '@tensorflow/tfjs-core/dist/register_all_gradients',
            '@tensorflow/tfjs-backend-webgpu',
            '@tensorflow/tfjs-layers',
            'onnxruntime-web/webgpu',
          ],
        },
        test: {
          name: 'browser',
          include: shared,
          exclude: nodeOnly,
          setupFiles: ['test/helpers/setup-all.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM_PATH,
                args: CHROMIUM_ARGS,
              },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
