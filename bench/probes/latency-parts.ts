/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/latency-parts.ts [rounds] [--no-validation] [--profile] [--flag=X]
 *
 * Where the small-work gap goes in Chromium (bench/notes/latency.md): runs
 * bench/probes/latency-parts-page.ts in headless Chromium, which times 100
 * 1K dispatches built up from the bench's raw row to what the library does,
 * and the library's 100 chained relu (µs per op, medians of rotated rounds).
 * --no-validation starts Chromium with Dawn's skip_validation, so the
 * difference to a plain run is what validation costs. --profile runs the
 * library alone and prints the JS time of our functions with their callees
 * (us per op) and the page's self time by function. --flag=X passes X to
 * Chromium. The raw row, the every-16 row and the library also report their
 * queue.submit durations (median and 90th percentile, us per call).
 */
import { startBrowser } from '../browser.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 60);
const extra = args.includes('--no-validation') ? ['--enable-dawn-features=skip_validation'] : [];
// --flag=X passes X to Chromium as it is (e.g. --flag=--js-flags=--max-semi-space-size=64).
for (const a of args) if (a.startsWith('--flag=')) extra.push(a.slice(7));
const { browser, port, close } = await startBrowser(extra);
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  await page.goto(`http://127.0.0.1:${port}/package.json`);
  const profile = args.includes('--profile');
  const cdp = profile ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
  }
  const result = (await page.evaluate(
    async ([n, only]) =>
      (await import('/bench/probes/latency-parts-page.ts' as string)).run(n, only),
    [rounds, profile] as const,
  )) as Record<string, number>;
  const raw = result['raw (the bench floor)'] ?? 1;
  for (const [name, us] of Object.entries(result))
    console.log(`${name.padEnd(60)} ${us.toFixed(1).padStart(6)} us/op  ${(us / raw).toFixed(2)}x`);
  if (cdp) {
    const { profile: p } = (await cdp.send('Profiler.stop')) as {
      profile: {
        nodes: {
          id: number;
          callFrame: { functionName: string; url: string; lineNumber: number };
          children?: number[];
        }[];
        samples: number[];
        timeDeltas: number[];
      };
    };
    const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const name = (id: number) => {
      const f = byId.get(id)!;
      return `${f.functionName || '(anon)'} ${f.url.includes('/node_modules/') ? 'deps ' : ''}${f.url.replace(/^.*\/(src|bench)\//, '$1/').replace(/\?.*$/, '')}:${f.lineNumber + 1}`;
    };
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    let total = 0;
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i];
      self.set(name(id), (self.get(name(id)) ?? 0) + dt);
      const seen = new Set<string>();
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) seen.add(name(n));
      for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
      total += dt;
    });
    // The library alone ran: its 5 warm-up rounds and `rounds` timed ones, 100 ops each.
    const ops = (rounds + 5) * 100;
    console.log(`\nJS time with callees, us per library op (src/ only):`);
    for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]))
      if (k.includes(' src/') && us / ops >= 0.05)
        console.log(`${(us / ops).toFixed(2).padStart(6)}  ${k}`);
    console.log(`\nJS self time, whole probe (${(total / 1000).toFixed(0)} ms sampled):`);
    for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
} finally {
  await close();
}
process.exit(0);
