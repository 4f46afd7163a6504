/** The body of bench/node.ts (imported after the ?raw hooks are registered). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import { createActivations } from '../src/index.js';
import { adapterSummary } from './adapter.js';
import { sleepBeforeWaits } from './dawn.js';
import { parseFlags, USAGE } from './flags.js';
import { formatLatency, formatTable } from './format.js';
import { parseOptions } from './options.js';
import { makePeers } from './peers.js';
import { runBench } from './runner.js';
import { summarize, summaryText } from './summary.js';
import { METHOD } from './timing.js';
import type { BenchEnv } from './types.js';

/** The peers that run in Node (TF.js and ORT Web are browser peers). */
const NODE_PEERS = ['naive', 'cpu'] as const;

export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  if (flags.has('help')) return console.log(USAGE);
  if (!flags.has('peers')) flags.set('peers', NODE_PEERS.join(','));
  const options = parseOptions((k) => flags.get(k));
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    throw new Error('no WebGPU adapter (run through scripts/with-webgpu.mjs for SwiftShader)');
  const act = await createActivations({ gpu });
  const device = act.device;

  const isTTY = process.stderr.isTTY;
  const t0 = Date.now();
  const env: BenchEnv = {
    name: 'node',
    now: () => performance.now(),
    expect: sleepBeforeWaits(device.queue),
    progress(line, done) {
      const pct = done === undefined ? '' : ` ${(done * 100).toFixed(0).padStart(3)}%`;
      const s = `bench:node${pct} ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${line}`;
      process.stderr.write(isTTY ? `\r${s.slice(0, 118).padEnd(118)}` : `${s}\n`);
    },
  };
  const names = options.peers.filter((p) => (NODE_PEERS as readonly string[]).includes(p));
  const { peers, failed } = await makePeers(names, device);
  const results = await runBench({
    env,
    act,
    options,
    peers,
    envName: 'node (Dawn, webgpu package)',
    adapter: adapterSummary(device, adapter),
    leading: failed,
    method: `${METHOD} Node: each queue wait first sleeps for 80% of the expected time (Dawn spins the JS thread while waiting).`,
  });
  if (isTTY) process.stderr.write('\n');
  const out = fileURLToPath(new URL('./results', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/node.json`, JSON.stringify(results, null, 2));
  const a = results.adapter;
  console.log(
    `adapter: ${a.vendor} ${a.architecture} ${a.description} (fallback: ${a.isFallbackAdapter})`,
  );
  console.log(`\n${summaryText(summarize(results))}`);
  if (results.latency.length)
    console.log(`\nsmall-work latency\n${formatLatency(results.latency)}`);
  if (flags.has('table') || flags.has('full')) console.log(`\n${formatTable(results.rows)}`);
  console.log(
    `\n${results.rows.length} rows in ${(results.durationMs / 1000).toFixed(1)} s; wrote bench/results/node.json`,
  );
  device.destroy();
}
