/**
 * The benchmark page: reads options from the URL query
 * (?ops=relu,softmax&sizes=1M&dtypes=float32&peers=tf,ort,naive,cpu&shapes=4096x4096&samples=7&latency=0),
 * runs bench/measure.ts on one GPUDevice shared with the peers, and shows the
 * adapter, a sortable table, the latency figures, two charts and a JSON download.
 * window.__bench tells a driver (bench/run.ts, bench/page.check.ts) how far it got.
 */
import { createActivations } from '../src/index.js';
import { drawGbpsLines, drawRatioBars } from './charts.js';
import { cpuPeer } from './cpu.js';
import { formatLatency, vsUnfusedText } from './format.js';
import { naivePeer } from './kernels.js';
import {
  adapterSummary,
  METHOD,
  parseOptions,
  runAll,
  runLatency,
  type BenchEnv,
  type LatencyRow,
  type PeerImpl,
  type Results,
  type Row,
  emptyRow,
} from './measure.js';

interface BenchState {
  state: 'running' | 'done' | 'error';
  progress: string;
  rows: Row[];
  results: Results | null;
  error: string | null;
}
declare global {
  interface Window {
    __bench: BenchState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state: BenchState = { state: 'running', progress: '', rows: [], results: null, error: null };
window.__bench = state;

const COLUMNS: { key: keyof Row | 'shapeText'; label: string; left?: boolean }[] = [
  { key: 'impl', label: 'impl', left: true },
  { key: 'op', label: 'op', left: true },
  { key: 'dir', label: 'dir', left: true },
  { key: 'dtype', label: 'dtype', left: true },
  { key: 'shapeText', label: 'shape', left: true },
  { key: 'size', label: 'elements' },
  { key: 'ms', label: 'median ms' },
  { key: 'spreadPct', label: 'spread %' },
  { key: 'samples', label: 'n' },
  { key: 'reps', label: 'reps' },
  { key: 'gbps', label: 'GB/s' },
  { key: 'ratio', label: 'ratio' },
  { key: 'vsUnfused', label: 'fused/unfused', left: true },
  { key: 'check', label: 'check / error', left: true },
];
let sortKey: string | null = null;
let sortDir = 1;

function cell(r: Row, key: string): string | number | null {
  if (key === 'shapeText') return r.shape.join('x');
  return (r[key as keyof Row] ?? null) as string | number | null;
}

function renderTable() {
  const rows = [...state.rows];
  if (sortKey) {
    const k = sortKey;
    rows.sort((a, b) => {
      const va = cell(a, k);
      const vb = cell(b, k);
      if (va === vb) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * sortDir;
    });
  }
  const table = $<HTMLTableElement>('results');
  const num = (v: number | null, d: number) => (v === null ? '–' : v.toFixed(d));
  table.innerHTML =
    `<thead><tr>${COLUMNS.map((c) => `<th class="${c.left ? 'l' : ''}" data-key="${c.key}">${c.label}${sortKey === c.key ? (sortDir > 0 ? ' ▲' : ' ▼') : ''}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows
      .map((r) => {
        const status = r.error
          ? `<td class="err">ERROR ${escape(r.error)}</td>`
          : `<td class="${r.check && r.check !== 'ok' ? 'bad' : 'l'}">${escape(r.check ?? '')}</td>`;
        return `<tr class="${r.impl === 'ceiling' ? 'ceiling' : r.impl === 'ours' ? 'ours' : ''}"><td class="l">${r.impl}</td><td class="l">${r.op}</td><td class="l">${r.dir}</td><td class="l">${r.dtype}</td><td class="l">${r.shape.join('x')}</td><td>${r.size}</td><td>${r.ms === null ? '–' : r.ms.toPrecision(4)}</td><td>${num(r.spreadPct, 0)}</td><td>${r.samples}</td><td>${r.reps}</td><td>${num(r.gbps, 3)}</td><td>${num(r.ratio, 3)}</td><td class="l${r.floor != null && r.vsUnfused != null && r.vsUnfused > r.floor ? ' bad' : ''}" title="${escape(r.note ?? '')}">${escape(vsUnfusedText(r))}</td>${status}</tr>`;
      })
      .join('')}</tbody>`;
  table.querySelectorAll('th').forEach((th) =>
    th.addEventListener('click', () => {
      const k = th.dataset.key!;
      sortDir = sortKey === k ? -sortDir : 1;
      sortKey = k;
      renderTable();
    }),
  );
}

function renderLatency(rows: LatencyRow[]) {
  $<HTMLTableElement>('latency').innerHTML =
    '<tr><th class="l">case</th><th>ms per op</th><th>spread %</th><th>n</th><th class="l">what</th></tr>' +
    rows
      .map((r) =>
        r.error
          ? `<tr><td class="l">${r.name}</td><td class="err" colspan="4">ERROR ${escape(r.error)}</td></tr>`
          : `<tr><td class="l">${r.name}</td><td>${r.msPerOp?.toFixed(4) ?? '–'}</td><td>${r.spreadPct?.toFixed(0) ?? '–'}</td><td>${r.samples}</td><td class="l">${escape(r.note)}</td></tr>`,
      )
      .join('');
}

function escape(s: string) {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}

function drawCharts() {
  drawRatioBars($<HTMLCanvasElement>('ratio-chart'), state.rows);
  drawGbpsLines($<HTMLCanvasElement>('gbps-chart'), state.rows);
}

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
    progress(line) {
      state.progress = line;
      $('progress').textContent = line;
      console.log(`[bench] ${line}`);
    },
    breathe: () => new Promise((r) => setTimeout(r, 0)),
  };

  const peers: PeerImpl[] = [];
  const peerErrors: Row[] = [];
  const failedPeer = (name: string, e: unknown) =>
    peerErrors.push({
      ...emptyRow(name, { op: '(setup)', dir: 'forward', dtype: 'float32', shape: [0] }),
      error: `${name} setup failed: ${(e as Error)?.message ?? e}`,
    });
  for (const name of options.peers) {
    try {
      if (name === 'tf') peers.push(await (await import('./peer-tf.js')).tfPeer(device));
      if (name === 'ort')
        peers.push((await import('./peer-ort.js')).ortPeer(device, `${location.origin}/ort-dist/`));
      if (name === 'naive') peers.push(naivePeer(device));
      if (name === 'cpu') peers.push(cpuPeer());
    } catch (e) {
      failedPeer(name, e);
    }
  }
  state.rows.push(...peerErrors);

  const started = performance.now();
  const startedAt = new Date().toISOString();
  let lastDraw = 0;
  const rows = await runAll({
    env,
    act,
    options,
    peers,
    onRow(r) {
      state.rows.push(r);
      renderTable();
      if (performance.now() - lastDraw > 2000) {
        drawCharts();
        lastDraw = performance.now();
      }
    },
  });
  const latency = options.latency ? await runLatency(env, act, options.samples) : [];
  renderLatency(latency);
  drawCharts();
  const results: Results = {
    env: 'browser',
    adapter: summary,
    options,
    method: METHOD,
    rows: [...peerErrors, ...rows],
    latency,
    startedAt,
    durationMs: performance.now() - started,
  };
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
  env.progress(`done: ${results.rows.length} rows in ${(results.durationMs / 1000).toFixed(1)} s`);
  console.log(`[bench] latency\n${formatLatency(latency)}`);
  state.state = 'done';
}

main().catch((e) => {
  state.state = 'error';
  state.error = `${(e as Error)?.stack ?? e}`;
  $('progress').textContent = `FAILED: ${state.error}`;
  console.error(`[bench] ${state.error}`);
});
