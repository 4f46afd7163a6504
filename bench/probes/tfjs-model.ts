/**
 * node --import tsx bench/probes/tfjs-model.ts [steps] [rounds]
 *
 * Step time of two plain TF.js models (examples/mlp/tf-models.ts: the MLP of
 * examples/mlp, and a transformer block with attention softmax and a gelu
 * feed-forward) trained with Adam on TF.js's WebGPU backend in headless
 * Chromium, with TF's own kernels and with registerTfjsKernels
 * (webgpu-activations/tfjs), in alternating rounds so that a change of load
 * on a shared machine hits both alike (tfjs-model-page.ts runs in the page).
 * Prints the median step time of each, their ratio, and the worst relative
 * loss difference between the two (same seed, same steps).
 *
 * The benchmark's `--ops tfjs-model` row is meant to run this workload; until
 * bench/ wires it, this probe is the measurement.
 */
import { startBrowser } from '../browser.js';

const steps = Number(process.argv[2] ?? 30);
const rounds = Number(process.argv[3] ?? 3);

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const { browser, port, close } = await startBrowser();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e.message}`));
  // Any URL of the Vite app gives the origin to import the module from (this one: the module as text).
  await page.goto(`http://127.0.0.1:${port}/bench/probes/tfjs-model-page.ts`);
  const rows = await page.evaluate(
    async ([path, s, r]) => {
      const m = (await import(path as string)) as typeof import('./tfjs-model-page.js');
      return m.measure(s as number, r as number);
    },
    ['/bench/probes/tfjs-model-page.ts', steps, rounds],
  );
  for (const row of rows) {
    const a = median(row.tf);
    const b = median(row.ours);
    console.log(
      `${row.name}: median step ${a.toFixed(1)} ms with TF's kernels, ${b.toFixed(1)} ms with ` +
        `registerTfjsKernels (x${(a / b).toFixed(2)}, ${row.tf.length} steps each); ` +
        `worst relative loss difference ${row.worstRelativeLossDiff.toExponential(2)}`,
    );
  }
} finally {
  await close();
}
