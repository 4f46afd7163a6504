/** The body of bench/node.ts (imported after the ?raw hooks are registered). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { create, globals } from 'webgpu';
import { createActivations } from '../src/index.js';
import { cpuPeer } from './cpu.js';
import { formatLatency, formatTable } from './format.js';
import { naivePeer } from './kernels.js';
import {
  adapterSummary,
  METHOD,
  parseOptions,
  runAll,
  runLatency,
  type BenchEnv,
  type PeerImpl,
  type Results,
} from './measure.js';

export async function main(argv: string[]): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    args.set(m[1], m[2] ?? argv[++i]);
  }
  if (!args.has('peers')) args.set('peers', 'naive,cpu');
  const options = parseOptions((k) => args.get(k) ?? null);
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    throw new Error('no WebGPU adapter (run through scripts/with-webgpu.mjs for SwiftShader)');
  const act = await createActivations({ gpu });
  const device = act.device;

  // Dawn's node binding spins the JS thread while a queue wait is pending, taking a
  // core from SwiftShader. So each wait first sleeps for most of the time the
  // previous samples say the work takes, then awaits the rest.
  let expectMs = 0;
  const queue = device.queue;
  const wait = queue.onSubmittedWorkDone.bind(queue);
  queue.onSubmittedWorkDone = async () => {
    const ahead = expectMs * 0.8;
    expectMs = 0;
    if (ahead > 1) await sleep(ahead);
    return wait();
  };

  const isTTY = process.stderr.isTTY;
  const t0 = Date.now();
  const env: BenchEnv = {
    name: 'node',
    now: () => performance.now(),
    expect(ms) {
      expectMs = ms;
    },
    progress(line) {
      const s = `bench:node ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${line}`;
      process.stderr.write(isTTY ? `\r${s.slice(0, 118).padEnd(118)}` : `${s}\n`);
    },
  };
  const peers: PeerImpl[] = [];
  if (options.peers.includes('naive')) peers.push(naivePeer(device));
  if (options.peers.includes('cpu')) peers.push(cpuPeer());
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const rows = await runAll({ env, act, options, peers });
  const latency = options.latency ? await runLatency(env, act, options.samples) : [];
  if (isTTY) process.stderr.write('\n');
  const results: Results = {
    env: 'node (Dawn, webgpu package)',
    adapter: adapterSummary(device, adapter),
    options,
    method: `${METHOD} Node: each queue wait first sleeps for 80% of the expected time (Dawn spins the JS thread while waiting).`,
    rows,
    latency,
    startedAt,
    durationMs: performance.now() - started,
  };
  const out = fileURLToPath(new URL('./results', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/node.json`, JSON.stringify(results, null, 2));
  const a = results.adapter;
  console.log(
    `adapter: ${a.vendor} ${a.architecture} ${a.description} (fallback: ${a.isFallbackAdapter})`,
  );
  console.log(formatTable(rows));
  console.log('\nsmall-work latency');
  console.log(formatLatency(latency));
  console.log(
    `\n${rows.length} rows in ${(results.durationMs / 1000).toFixed(1)} s; wrote bench/results/node.json`,
  );
  device.destroy();
}
