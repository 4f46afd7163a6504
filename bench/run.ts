/**
 * npm run bench [-- --ops relu,softmax --sizes 1M --dtypes float32 --peers tf,ort --shapes 4096x4096 --samples 7]
 * Fused ops beside their unfused sequences: --ops fused (or biasAct,biasActBackward,swiglu,causalSoftmax);
 * --peers none skips the peers, --latency 0 the latency section.
 *
 * Serves bench/ with Vite on 127.0.0.1, drives the page in headless Chromium,
 * prints a progress line and then the table, and writes
 * bench/results/latest.json and bench/results/charts.png.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { openBench, ROOT, waitForBench } from './browser.js';
import { parseFlags } from './flags.js';
import { formatFloors } from './floors.js';
import { formatLatency, formatTable } from './format.js';
import type { Results } from './types.js';

const TIMEOUT_MS = 40 * 60_000;

async function main() {
  const query = parseFlags(process.argv.slice(2)).toString();
  const errors: string[] = [];
  const tty = process.stderr.isTTY;
  const session = await openBench(query, (type, text) => {
    if (type === 'error') errors.push(text);
    if (type === 'error' && !text.startsWith('[bench]'))
      process.stderr.write(`\n[page ${type}] ${text}\n`);
  });
  const t0 = Date.now();
  let last = '';
  try {
    process.stderr.write(`bench: ${session.url}\n`);
    const s = await waitForBench(session.page, TIMEOUT_MS, (p) => {
      if (p === last) return;
      last = p;
      const line = `bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${p}`;
      process.stderr.write(tty ? `\r${line.slice(0, 118).padEnd(118)}` : `${line}\n`);
    });
    if (tty) process.stderr.write('\n');
    if (s.state === 'error') throw new Error(`the page failed: ${s.error}`);
    const results = (await session.page.evaluate(
      () => (window as unknown as { __bench: { results: unknown } }).__bench.results,
    )) as Results;
    const out = `${ROOT}bench/results`;
    mkdirSync(out, { recursive: true });
    writeFileSync(`${out}/latest.json`, JSON.stringify(results, null, 2));
    await session.page.locator('#charts').screenshot({ path: `${out}/charts.png` });
    const a = results.adapter;
    console.log(
      `adapter: ${a.vendor} ${a.architecture} ${a.description} (fallback: ${a.isFallbackAdapter}); ` +
        `timestamp-query: ${a.timestampQuery}`,
    );
    console.log(formatTable(results.rows));
    console.log('\nsmall-work latency');
    console.log(formatLatency(results.latency));
    console.log(`\n${formatFloors(results.rows, results.latency)}`);
    console.log(
      `\n${results.rows.length} rows in ${(results.durationMs / 1000).toFixed(1)} s; wrote bench/results/latest.json and bench/results/charts.png`,
    );
    if (errors.length) console.log(`page console errors:\n${errors.join('\n')}`);
  } finally {
    await session.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  },
);
