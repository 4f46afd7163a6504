/**
 * npm run bench                 the headline: a few minutes at most (bench/options.ts, HEADLINE)
 * npm run bench -- --full       every op, size, dtype and fused row (tens of minutes here)
 * npm run bench -- --table      the headline, and every row and the floors after the summary
 * Selection (with or without --full): --ops relu,softmax --sizes 1M --dtypes float32
 * --peers tf,ort,naive,cpu --shapes 4096x4096 --samples 7 --latency 0; fused ops beside their
 * unfused sequences: --ops fused (or biasAct,biasActBackward,swiglu,causalSoftmax);
 * scaledMaskedSoftmax's attention options beside plain causal: --ops attention;
 * npm run bench -- --help lists the flags;
 * the training step of two TF.js models with TF's kernels and with our provider:
 * --ops tfjs-model (not in the headline; in --full); --peers none skips the peers.
 *
 * Serves bench/ with Vite on 127.0.0.1, drives the page in headless Chromium,
 * prints a progress line with the time left, then the summary (with the
 * tfjs-model table when it ran), the small-work
 * latency and (with --full or --table) every row and the floors; writes
 * bench/results/latest.json, summary.md and charts.png.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { openBench, ROOT, waitForBench } from './browser.js';
import { parseFlags, USAGE } from './flags.js';
import { formatFloors } from './floors.js';
import { formatLatency, formatTable } from './format.js';
import { summarize, summaryMarkdown, summaryText } from './summary.js';
import type { Results } from './types.js';

const TIMEOUT_MS = 60 * 60_000;

const clock = (s: number) =>
  s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;

async function main() {
  const argv = process.argv.slice(2);
  const flags = parseFlags(argv);
  if (flags.has('help')) return console.log(USAGE);
  const table = flags.has('full') || flags.has('table');
  const errors = new Map<string, number>();
  const tty = process.stderr.isTTY;
  const t0 = Date.now();
  const session = await openBench(flags.toString(), (type, text) => {
    // Said once at the end, counted: a failing peer's row already carries its error.
    if (type === 'error') errors.set(text, (errors.get(text) ?? 0) + 1);
  });
  let last = '';
  let started = 0;
  try {
    process.stderr.write(`bench: ${session.url}\n`);
    const s = await waitForBench(session.page, TIMEOUT_MS, (p, done) => {
      const now = Date.now();
      if (!started && p.startsWith('[')) started = now;
      const left =
        started && done > 0 && (done > 0.03 || now - started > 20_000)
          ? `  about ${clock(((now - started) / 1000) * ((1 - done) / done))} left`
          : '';
      const line = `bench ${clock((now - t0) / 1000).padStart(12)}  ${p}${left}`;
      // A terminal's line is rewritten in place; a log gets a line per step only.
      if (tty) process.stderr.write(`\r${line.slice(0, 118).padEnd(118)}`);
      else if (p !== last) process.stderr.write(`${line}\n`);
      last = p;
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
    const summary = summarize(results);
    const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
    writeFileSync(`${out}/summary.md`, summaryMarkdown(summary, command));

    console.log(`\n${summaryText(summary)}`);
    if (results.latency.length) {
      console.log('\nsmall-work latency (1K elements)');
      console.log(formatLatency(results.latency));
    }
    if (table) {
      console.log(`\nevery row\n${formatTable(results.rows)}`);
      console.log(`\n${formatFloors(results.rows, results.latency)}`);
    }
    console.log(
      `\n${clock((Date.now() - t0) / 1000)} in all; wrote bench/results/summary.md, charts.png and latest.json` +
        (table ? '' : ' (every row: --table)'),
    );
    if (errors.size) {
      console.log(`page console errors (${[...errors.values()].reduce((a, b) => a + b, 0)}):`);
      for (const [text, n] of errors) console.log(`${n > 1 ? `${n}x ` : ''}${text.slice(0, 300)}`);
    }
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
