/**
 * npm run bench:node [-- --ops relu --sizes 1M --dtypes float32 --shapes 4096x4096 --samples 7]
 *
 * Our kernels and the ceilings under Node with Dawn (the `webgpu` package),
 * through the same measuring code as the page (bench/runner.ts). Peers here:
 * naive WGSL and the CPU loop (TF.js and ORT Web are browser peers).
 * Writes bench/results/node.json.
 */
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
const { main } = await import('./node-main.js');
await main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench:node: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  },
);
