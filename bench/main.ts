/**
 * The benchmark page: reads options from the URL query
 * (?full=1&ops=relu,softmax&sizes=1M&dtypes=float32&peers=tf,ort,naive,cpu&shapes=4096x4096&samples=7&latency=0;
 * none: the headline run), runs the benchmark (bench/runner.ts) on one GPUDevice shared with
 * the peers, and shows the adapter, the summary, the charts (bench/charts.ts), the latency
 * figures, a sortable table and a JSON download. window.__bench tells a driver (bench/run.ts,
 * bench/page.check.ts) how far it got, and reports on the charts drawn.
 */
import { createActivations } from '../src/index.js';
import { adapterSummary } from './adapter.js';
import { chartReport, drawCharts, type ChartReport } from './charts.js';
import { formatLatency } from './format.js';
import { parseOptions } from './options.js';
import { renderLatency, renderTable } from './page-tables.js';
import { makePeers } from './peers.js';
import { runBench } from './runner.js';
import { summarize, summaryText } from './summary.js';
import { METHOD } from './timing.js';
import type { BenchEnv, Results, Row } from './types.js';

interface BenchState {
  state: 'running' | 'done' | 'error';
  progress: string;
  /** Estimated share of the run done (0 to 1). */
  done: number;
  rows: Row[];
  results: Results | null;
  error: string | null;
  /** What the charts drew (marks, texts, axis titles, legends). */
  charts(): ChartReport[];
}
declare global {
  interface Window {
    __bench: BenchState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state: BenchState = {
  state: 'running',
  progress: '',
  done: 0,
  rows: [],
  results: null,
  error: null,
  charts: chartReport,
};
window.__bench = state;

async function main() {
  const q = new URLSearchParams(location.search);
  const options = parseOptions((k) => q.get(k));
  $('method').textContent = `method: ${METHOD}`;
  const adapter = (await navigator.gpu?.requestAdapter()) ?? null;
  const act = await createActivations();
  const device = act.device;
  device.addEventListener('uncapturederror', (e) =>
    console.error('uncaptured WebGPU error:', (e as GPUUncapturedErrorEvent).error.message),
  );
  const summary = adapterSummary(device, adapter);
  $('adapter').textContent =
    `adapter: vendor=${summary.vendor || '?'} architecture=${summary.architecture || '?'} device=${summary.device || '?'} ` +
    `description=${summary.description || '?'} fallback=${summary.isFallbackAdapter}\n` +
    `features: ${summary.features.join(', ')}\nuser agent: ${navigator.userAgent}`;

  const env: BenchEnv = {
    name: 'browser',
    now: () => performance.now(),
    progress(line, done) {
      state.progress = line;
      if (done !== undefined) state.done = done;
      $('progress').textContent = line;
      console.log(`[bench] ${line}`);
    },
    breathe: () => new Promise((r) => setTimeout(r, 0)),
  };

  const { peers, failed } = await makePeers(options.peers, device, `${location.origin}/ort-dist/`);
  state.rows.push(...failed);

  const table = $<HTMLTableElement>('results');
  let lastDraw = 0;
  const results = await runBench({
    env,
    act,
    options,
    peers,
    envName: 'browser',
    adapter: summary,
    method: METHOD,
    leading: failed,
    // Loaded only when named: TF.js's models and the provider stay out of the headline.
    models: async (progress) => (await import('./tfjs-model.js')).measureModels(progress),
    onRow(r) {
      state.rows.push(r);
      renderTable(table, state.rows);
      if (performance.now() - lastDraw > 2000) {
        drawCharts(state.rows);
        lastDraw = performance.now();
      }
    },
  });
  renderLatency($<HTMLTableElement>('latency'), results.latency);
  drawCharts(results.rows);
  $('summary').textContent = summaryText(summarize(results));
  state.results = results;
  const button = $<HTMLButtonElement>('download');
  button.disabled = false;
  button.onclick = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(
      new Blob([JSON.stringify(results, null, 2)], { type: 'application/json' }),
    );
    a.download = 'webgpu-activations-bench.json';
    a.click();
  };
  env.progress(
    `done: ${results.rows.length} rows in ${(results.durationMs / 1000).toFixed(1)} s`,
    1,
  );
  console.log(`[bench] latency\n${formatLatency(results.latency)}`);
  state.state = 'done';
}

main().catch((e) => {
  state.state = 'error';
  state.error = `${(e as Error)?.stack ?? e}`;
  $('progress').textContent = `FAILED: ${state.error}`;
  console.error(`[bench] ${state.error}`);
});
