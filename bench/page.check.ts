/**
 * node --import tsx bench/page.check.ts  (through scripts/with-webgpu.mjs in CI)
 *
 * Opens the benchmark page with small sizes and one throughput size and
 * checks that it finished, every row has a number, a shown error or the
 * reason its peer cannot run it (no peer failed silently; ORT Web's missing
 * LogSoftmax is a reason, not an error), rows below 1M elements carry no
 * ratio, the latency rows likewise, the JSON button is enabled, and the
 * console had no errors. Then the charts: each holds one mark per measured
 * row it is meant to show (by row key), its axis titles and legend entries
 * are drawn, no two texts drawn overlap (bounding boxes), and the PNG the
 * runner saves (a screenshot of #charts) is not blank. Exits non-zero on
 * failure.
 */
import { writeFileSync } from 'node:fs';
import { openBench, waitForBench } from './browser.js';
import type { ChartReport, TextBox } from './charts.js';
import { rowKey, THROUGHPUT_MIN } from './rows.js';
import type { Results, Row } from './types.js';

const QUERY =
  'ops=relu,gelu,softmax,logSoftmax,fused&sizes=1K,1M&dtypes=float32,float16&peers=tf,ort,naive,cpu' +
  '&shapes=4x256,16x65536&samples=3';

const IMPLS = ['ours', 'tf', 'ort', 'naive', 'cpu'];

/** The row keys each chart must show, from the results alone (not from the chart code). */
function expectedMarks(rows: Row[]): Record<string, string[]> {
  const f32 = rows.filter((r) => r.dtype === 'float32');
  const ratio = f32.filter((r) => IMPLS.includes(r.impl) && r.ratio !== null);
  const largest = Math.max(...ratio.filter((r) => r.shape.length === 1).map((r) => r.size));
  const shown = ratio.filter((r) => r.shape.length > 1 || r.size === largest);
  return {
    'ratio-forward': shown.filter((r) => r.dir === 'forward').map(rowKey),
    'ratio-backward': shown.filter((r) => r.dir === 'backward').map(rowKey),
    gbps: f32
      .filter(
        (r) =>
          r.gbps !== null &&
          (IMPLS.includes(r.impl) ||
            (r.impl === 'ceiling' && (r.op === 'copy-kernel' || r.op === 'copy2-kernel'))),
      )
      .map(rowKey),
    // Each fused op and dtype at its largest size (here 1M: the 1K rows time a dispatch).
    fused: rows
      .filter(
        (r) =>
          (r.impl === 'fused' || r.impl === 'unfused') && r.ms !== null && r.size >= THROUGHPUT_MIN,
      )
      .map(rowKey),
  };
}

const overlap = (a: TextBox, b: TextBox) =>
  Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 0.5 &&
  Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 0.5;

/** Marks, axis titles, legend entries and text overlaps of one chart. */
function checkChart(c: ChartReport, want: string[] | undefined): string[] {
  const out: string[] = [];
  const drawn = Object.values(c.marks).flat();
  if (!want) return [`chart ${c.id}: not expected`];
  const missing = want.filter((k) => !drawn.includes(k));
  const extra = drawn.filter((k) => !want.includes(k));
  if (drawn.length !== new Set(drawn).size) out.push(`chart ${c.id}: a row is drawn twice`);
  if (missing.length) out.push(`chart ${c.id}: no mark for ${missing.slice(0, 5).join(', ')}`);
  if (extra.length)
    out.push(`chart ${c.id}: marks for rows it should not show: ${extra.slice(0, 5).join(', ')}`);
  const texts = c.texts.map((t) => t.text);
  if (c.axisTitles.length < 2) out.push(`chart ${c.id}: ${c.axisTitles.length} axis titles`);
  for (const t of c.axisTitles)
    if (!texts.includes(t)) out.push(`chart ${c.id}: axis title "${t}" not drawn`);
  const withMarks = Object.entries(c.marks)
    .filter(([, k]) => k.length)
    .map(([label]) => label);
  for (const label of withMarks)
    if (!c.legend.includes(label) || !texts.includes(label))
      out.push(`chart ${c.id}: no legend entry drawn for "${label}"`);
  for (const t of c.texts)
    if (t.x0 < -0.5 || t.y0 < -0.5 || t.x1 > c.width + 0.5 || t.y1 > c.height + 0.5)
      out.push(`chart ${c.id}: "${t.text}" runs off the canvas`);
  for (let i = 0; i < c.texts.length; i++)
    for (let j = i + 1; j < c.texts.length; j++)
      if (overlap(c.texts[i], c.texts[j]))
        out.push(`chart ${c.id}: "${c.texts[i].text}" overlaps "${c.texts[j].text}"`);
  return out;
}

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
      if (!hasNumber && !r.error && !r.skipped)
        failures.push(`${label}: neither a number, an error nor a reason`);
      if (r.skipped && (hasNumber || r.error)) failures.push(`${label}: skipped, yet measured`);
      const throughput = r.impl !== 'ceiling' && r.impl !== 'fused' && r.impl !== 'unfused';
      if (throughput && hasNumber && r.size >= THROUGHPUT_MIN && r.ratio === null)
        failures.push(`${label}: no ratio to the ceiling`);
      if (r.ratio !== null && r.size < THROUGHPUT_MIN)
        failures.push(`${label}: a ratio at ${r.size} elements (a per-call row)`);
      if (r.perCall !== r.size < THROUGHPUT_MIN) failures.push(`${label}: perCall is ${r.perCall}`);
    }
    for (const op of ['relu', 'gelu', 'softmax', 'logSoftmax']) {
      if (!results.rows.some((r) => r.impl === 'ours' && r.op === op))
        failures.push(`no row for ours ${op}`);
    }
    // ORT Web's WebGPU EP has no LogSoftmax: said in the row, never tried (no red ORT error).
    const ortLog = results.rows.filter(
      (r) => r.impl === 'ort' && r.op === 'logSoftmax' && r.dir === 'forward',
    );
    if (!ortLog.length || ortLog.some((r) => r.error || !/LogSoftmax/.test(r.skipped ?? '')))
      failures.push(
        `ORT Web logSoftmax rows: ${JSON.stringify(ortLog.map((r) => r.skipped ?? r.error))}`,
      );
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
      if (!results.rows.some((r) => r.impl === peer && r.ms !== null))
        failures.push(`no measured row for peer ${peer}`);
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

    // The charts: one mark per measured row, axis titles and legend drawn, no text over another.
    const charts = (await session.page.evaluate(() =>
      (window as unknown as { __bench: { charts(): unknown } }).__bench.charts(),
    )) as ChartReport[];
    const want = expectedMarks(results.rows);
    for (const id of Object.keys(want))
      if (want[id].length && !charts.some((c) => c.id === id))
        failures.push(`chart ${id} not drawn`);
    for (const c of charts) failures.push(...checkChart(c, want[c.id]));
    // The PNG the runner writes: a screenshot of #charts, read back through a canvas.
    const png = await session.page.locator('#charts').screenshot();
    if (process.env.PAGE_CHECK_PNG) writeFileSync(process.env.PAGE_CHECK_PNG, png);
    const pixels = await session.page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
        seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
      return { width: c.width, height: c.height, ink, colours: seen.size };
    }, png.toString('base64'));
    if (pixels.ink < 0.02 * pixels.width * pixels.height || pixels.colours < 16)
      failures.push(`charts.png looks blank: ${JSON.stringify(pixels)}`);
    if (!(await session.page.locator('#download').isEnabled()))
      failures.push('the download button is disabled');
    for (const e of consoleErrors) failures.push(`console error: ${e}`);
    console.log(
      `page.check: ${results.rows.length} rows, ${errors} shown errors, ${results.latency.length} latency rows, ` +
        `charts ${charts.map((c) => `${c.id} (${Object.values(c.marks).flat().length} marks, ${c.texts.length} texts)`).join(', ')}, ` +
        `png ${pixels.width}x${pixels.height}`,
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
