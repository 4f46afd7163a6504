/**
 * node --import tsx bench/page.check.ts  (through scripts/with-webgpu.mjs in CI)
 *
 * Opens the benchmark page with a tiny size set and checks that it finished,
 * every row has a number or a shown error (no peer failed silently), the
 * latency rows likewise, both charts are drawn (non-blank canvas), the JSON
 * button is enabled, and the console had no errors. Exits non-zero on failure.
 */
import { openBench, waitForBench } from './browser.js';
import type { Results } from './types.js';

const QUERY =
  'ops=relu,sigmoid,gelu,softmax,fused&sizes=1K&dtypes=float32,float16&peers=tf,ort,naive,cpu&samples=3';

async function main(): Promise<string[]> {
  const failures: string[] = [];
  const consoleErrors: string[] = [];
  const session = await openBench(QUERY, (type, text) => {
    if (type === 'error') consoleErrors.push(text);
  });
  try {
    const s = await waitForBench(session.page, 5 * 60_000);
    if (s.state !== 'done') return [`page ended in state ${s.state}: ${s.error}`];
    const results = (await session.page.evaluate(
      () => (window as unknown as { __bench: { results: unknown } }).__bench.results,
    )) as Results;
    if (!results.rows.length) failures.push('no rows');
    for (const r of results.rows) {
      const label = `${r.impl} ${r.op} ${r.dir} ${r.dtype} [${r.shape.join('x')}]`;
      const hasNumber = r.ms !== null && Number.isFinite(r.ms) && r.ms > 0 && r.gbps !== null;
      if (!hasNumber && !r.error) failures.push(`${label}: neither a number nor an error`);
      if (r.impl !== 'ceiling' && hasNumber && r.ratio === null)
        failures.push(`${label}: no ratio to the ceiling`);
    }
    for (const op of ['relu', 'sigmoid', 'gelu', 'softmax']) {
      if (!results.rows.some((r) => r.impl === 'ours' && r.op === op))
        failures.push(`no row for ours ${op}`);
    }
    // Every fused op beside its unfused sequence, with the time ratio shown.
    for (const op of ['biasAct(relu)', 'biasActBackward(gelu)+dbias', 'swiglu', 'causalSoftmax']) {
      const fused = results.rows.find((r) => r.impl === 'fused' && r.op === op);
      if (!fused) failures.push(`no fused row for ${op}`);
      else if (!fused.error && !(fused.vsUnfused && fused.vsUnfused > 0))
        failures.push(`fused ${op}: no fused/unfused ratio`);
      if (!results.rows.some((r) => r.impl === 'unfused' && r.op === op))
        failures.push(`no unfused row for ${op}`);
    }
    for (const peer of ['tf', 'ort', 'naive', 'cpu']) {
      if (!results.rows.some((r) => r.impl === peer)) failures.push(`no row for peer ${peer}`);
    }
    for (const l of results.latency) {
      if (!(l.msPerOp !== null && l.msPerOp > 0) && !l.error)
        failures.push(`latency ${l.name}: neither a number nor an error`);
    }
    // A row shows its error on the page, not only in the JSON.
    const shownErrors = await session.page.locator('#results td.err').count();
    const errors = results.rows.filter((r) => r.error).length;
    if (shownErrors !== errors)
      failures.push(`${errors} rows have errors but the table shows ${shownErrors}`);
    for (const id of ['ratio-chart', 'gbps-chart']) {
      const colours = await session.page.evaluate((cid) => {
        const c = document.getElementById(cid) as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<number>();
        let nonWhite = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) nonWhite++;
          seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        }
        return { nonWhite, colours: seen.size };
      }, id);
      if (colours.nonWhite < 2000 || colours.colours < 4)
        failures.push(`chart ${id} looks blank (${JSON.stringify(colours)})`);
    }
    if (!(await session.page.locator('#download').isEnabled()))
      failures.push('the download button is disabled');
    for (const e of consoleErrors) failures.push(`console error: ${e}`);
    console.log(
      `page.check: ${results.rows.length} rows, ${errors} shown errors, ${results.latency.length} latency rows`,
    );
    return failures;
  } finally {
    await session.close();
  }
}

main().then(
  (failures) => {
    if (failures.length) {
      console.error(`page.check FAILED:\n- ${failures.join('\n- ')}`);
      process.exit(1);
    }
    console.log('page.check: ok');
    process.exit(0);
  },
  (e) => {
    console.error(`page.check FAILED: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  },
);
