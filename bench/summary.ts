/**
 * The short summary `npm run bench` prints first and writes as
 * bench/results/summary.md: one line per op and direction (softmax: per
 * shape) with ours, TF.js and ORT Web as a ratio to the same-run copy kernel
 * (time per call below THROUGHPUT_MIN elements), ours over the faster of the
 * two, and whom our output agreed with; then the fused rows, then (with
 * --ops tfjs-model) each model's training step with TF's kernels and with
 * our provider. A peer that
 * cannot run an op, or failed, says why once, in a numbered note. No library
 * import: the runner stays light.
 */
import { THROUGHPUT_MIN } from './rows.js';
import type { Results, Row } from './types.js';

const PEERS = ['tf', 'ort'] as const;
/** Every implementation whose output is checked against ours. */
const CHECKED = ['tf', 'ort', 'naive', 'cpu'];
const NAMES: Record<string, string> = { tf: 'TF.js', ort: 'ORT Web', naive: 'naive', cpu: 'CPU' };

interface Line {
  op: string;
  dir: string;
  shape: string;
  cells: string[];
  vsPeer: string;
  check: string;
}

interface FusedLine {
  name: string;
  shape: string;
  fused: string;
  unfused: string;
  ratio: string;
  check: string;
}

interface ModelLine {
  name: string;
  tf: string;
  ours: string;
  speedup: string;
  lossDiff: string;
}

export interface Summary {
  /** What the figures are: dtype, adapter, the units. */
  heading: string[];
  lines: Line[];
  fused: FusedLine[];
  models: ModelLine[];
  /** Numbered notes: why a peer did not run, or how it failed. */
  notes: string[];
}

const shapeText = (s: number[]) =>
  s.length > 1 ? s.join('x') : s[0] >= 1 << 20 ? `${s[0] / (1 << 20)}M` : `${s[0] / 1024}K`;

/** Time per call, in the unit that keeps three significant figures readable. */
export function perCallText(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} us`;
  return ms < 1000 ? `${ms.toPrecision(3)} ms` : `${(ms / 1000).toPrecision(3)} s`;
}

/** ours and the peers per (op, dir, shape) of one dtype: the largest elementwise size, every softmax shape worth a ratio. */
function pickLines(rows: Row[], dtype: string): Row[][] {
  const ours = rows.filter((r) => r.impl === 'ours' && r.dtype === dtype);
  const byOp = new Map<string, Row[]>();
  for (const r of ours) {
    const k = `${r.op}|${r.dir}`;
    byOp.set(k, [...(byOp.get(k) ?? []), r]);
  }
  const picked: Row[] = [];
  for (const group of byOp.values()) {
    const largest = Math.max(...group.map((r) => r.size));
    const throughput = group.filter((r) => r.size >= THROUGHPUT_MIN);
    const flat = group[0].shape.length === 1;
    picked.push(
      ...(flat || !throughput.length ? group.filter((r) => r.size === largest) : throughput),
    );
  }
  const same = (a: Row, b: Row) =>
    a.op === b.op && a.dir === b.dir && a.dtype === b.dtype && a.shape.join() === b.shape.join();
  return picked.map((o) => [o, ...rows.filter((r) => r.impl !== 'ours' && same(r, o))]);
}

export function summarize(results: Results): Summary {
  const { rows } = results;
  const notes: string[] = [];
  const note = (text: string) => {
    const i = notes.indexOf(text);
    return `[${(i < 0 ? notes.push(text) : i + 1).toString()}]`;
  };
  const dtypes = [...new Set(rows.filter((r) => r.impl === 'ours').map((r) => r.dtype))];
  const dtype = dtypes.includes('float32') ? 'float32' : (dtypes[0] ?? 'float32');
  const value = (r: Row) => (r.perCall ? perCallText(r.ms!) : r.ratio!.toFixed(2));

  const picked = pickLines(rows, dtype);
  const lines = picked.map(([ours, ...others]): Line => {
    const cell = (r: Row | undefined, name: string) => {
      if (!r) return '-';
      if (r.skipped) return `n/a ${note(r.skipped)}`;
      if (r.error) return `error ${note(`${name}: ${r.error.split('\n')[0].slice(0, 160)}`)}`;
      return r.ms === null ? '-' : value(r);
    };
    const peers = PEERS.map((p) => others.find((r) => r.impl === p));
    const best = Math.min(...peers.map((r) => (r && r.ms && !r.error ? r.ms : Infinity)));
    const checks = others.filter((r) => CHECKED.includes(r.impl) && r.check);
    const agreed = checks.filter((r) => r.check === 'ok').map((r) => r.impl);
    const bad = checks.filter((r) => r.check !== 'ok');
    let check = agreed.length ? `ok: ${agreed.join(', ')}` : 'not checked';
    if (ours.error)
      check = `ours failed ${note(`ours: ${ours.error.split('\n')[0].slice(0, 160)}`)}`;
    else if (bad.length)
      check = bad
        .map((r) => `MISMATCH ${r.impl} ${note(`${NAMES[r.impl]}: ${r.check!.slice(0, 160)}`)}`)
        .concat(agreed.length ? [`ok: ${agreed.join(', ')}`] : [])
        .join('; ');
    return {
      op: ours.op,
      dir: ours.dir,
      shape: shapeText(ours.shape),
      cells: [cell(ours, 'ours'), ...PEERS.map((p, i) => cell(peers[i], NAMES[p]))],
      vsPeer:
        ours.ms && Number.isFinite(best) && !ours.error ? `${(best / ours.ms).toFixed(2)}x` : '-',
      check,
    };
  });

  // Fused rows of the summary's dtype, each op at its largest size.
  const fusedOf = rows.filter((r) => r.impl === 'fused' && r.dtype === dtype);
  const fused = fusedOf
    .filter((f) => f.size === Math.max(...fusedOf.filter((g) => g.op === f.op).map((g) => g.size)))
    .map((f): FusedLine => {
      const u = rows.find(
        (r) =>
          r.impl === 'unfused' &&
          r.op === f.op &&
          r.dtype === f.dtype &&
          r.shape.join() === f.shape.join(),
      );
      const err = f.error ?? u?.error;
      return {
        name: f.op,
        shape: shapeText(f.shape),
        fused: f.ms === null ? '-' : perCallText(f.ms),
        unfused: u?.ms == null ? '-' : perCallText(u.ms),
        ratio: f.vsUnfused == null ? '-' : f.vsUnfused.toFixed(2),
        check: err
          ? `error ${note(`${f.op}: ${err.split('\n')[0].slice(0, 160)}`)}`
          : (f.check ?? '-'),
      };
    });

  const models = (results.models ?? []).map((m): ModelLine => ({
    name: m.name,
    tf: m.tfMs === null ? '-' : perCallText(m.tfMs),
    ours: m.oursMs === null ? '-' : perCallText(m.oursMs),
    speedup: m.speedup === null ? '-' : `x${m.speedup.toFixed(2)}`,
    lossDiff: m.error
      ? `error ${note(`${m.name}: ${m.error.split('\n')[0].slice(0, 160)}`)}`
      : `${m.worstRelativeLossDiff!.toExponential(1)} (${m.steps} steps each)`,
  }));

  const a = results.adapter;
  // The copy kernels at the summary's throughput size, so a ratio can be read back as GB/s.
  const size = Math.max(0, ...picked.filter(([o]) => !o.perCall).map(([o]) => o.size));
  const copies = rows
    .filter((r) => r.impl === 'ceiling' && r.dtype === dtype && r.size === size && r.gbps)
    .filter((r) => r.op === 'copy-kernel' || r.op === 'copy2-kernel')
    .map(
      (r) =>
        `${r.op === 'copy-kernel' ? 'copy kernel' : 'two-input copy kernel'} ${r.gbps!.toFixed(2)} GB/s`,
    );
  const perCall = picked.some(([ours]) => ours.perCall);
  const first =
    `${dtype} on ${a.vendor || '?'} ${a.architecture || ''}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}, ${results.env}; ` +
    [
      ...(results.rows.length || !models.length ? [`${results.rows.length} rows`] : []),
      ...(models.length ? [`${models.length} tfjs-model rows`] : []),
    ].join(' and ') +
    ` in ${(results.durationMs / 1000).toFixed(0)} s`;
  return {
    // With no op line (--ops tfjs-model alone), the lines' units would explain nothing.
    heading: !lines.length
      ? [first]
      : [
          first,
          'ours, TF.js, ORT Web: GB/s over the same-run copy kernel of the same bytes (1.00 = as fast as a copy)' +
            (perCall ? `; below ${shapeText([THROUGHPUT_MIN])} elements, time per call` : ''),
          ...(copies.length ? [`at ${shapeText([size])} elements: ${copies.join(', ')}`] : []),
          'vs peer: ours over the faster of TF.js and ORT Web (above 1: ours is faster); check: whose output matched ours',
        ],
    lines,
    fused,
    models,
    notes,
  };
}

function columns(head: string[], body: string[][], right: number[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}

const HEAD = ['op', 'dir', 'shape', 'ours', 'TF.js', 'ORT Web', 'vs peer', 'check'];
const FUSED_HEAD = ['fused op', 'shape', 'fused', 'unfused', 'fused/unfused', 'check'];
const MODEL_HEAD = ['tfjs-model', "TF's kernels", 'with provider', 'speed-up', 'loss diff'];
/** Said above the model table: what its figures are. */
const MODEL_CAPTION =
  "median Adam training step on TF.js's WebGPU backend, TF's own kernels and after registerTfjsKernels " +
  '(alternating rounds); speed-up above 1: the provider is faster; loss diff: worst relative, same seed';
const lineCells = (l: Line) => [l.op, l.dir, l.shape, ...l.cells, l.vsPeer, l.check];
const fusedCells = (f: FusedLine) => [f.name, f.shape, f.fused, f.unfused, f.ratio, f.check];
/** Said under the fused table when it has attention rows (--ops attention). */
const attentionCaption = (s: Summary) =>
  s.fused.some((f) => f.name.startsWith('causal+'))
    ? [
        "causal+... rows (--ops attention): fused = scaledMaskedSoftmax with the option(s), unfused = plain causal on the same tensors, timed alternately; fused/unfused is issue 15's ratio (bound 1.2)",
      ]
    : [];
const modelCells = (m: ModelLine) => [m.name, m.tf, m.ours, m.speedup, m.lossDiff];

/** The summary for the terminal. */
export function summaryText(s: Summary): string {
  const out = [...s.heading];
  if (s.lines.length) out.push('', ...columns(HEAD, s.lines.map(lineCells), [3, 4, 5, 6]));
  if (s.fused.length)
    out.push(
      '',
      ...columns(FUSED_HEAD, s.fused.map(fusedCells), [2, 3, 4]),
      ...attentionCaption(s),
    );
  if (s.models.length)
    out.push('', MODEL_CAPTION, ...columns(MODEL_HEAD, s.models.map(modelCells), [1, 2, 3]));
  if (s.notes.length) out.push('', ...s.notes.map((n, i) => `[${i + 1}] ${n}`));
  return out.join('\n');
}

/** The summary as Markdown, to paste into an issue or a pull request. */
export function summaryMarkdown(s: Summary, command: string): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const table = (head: string[], body: string[][], right: number[]) => [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (right.includes(i) ? '---:' : '---')).join(' | ')} |`,
    ...body.map((b) => `| ${b.map(esc).join(' | ')} |`),
  ];
  const out = [
    `**webgpu-activations bench** (\`${command}\`): ${s.heading[0]}`,
    '',
    ...s.heading.slice(1).map((h) => `- ${h}`),
  ];
  if (s.lines.length) out.push('', ...table(HEAD, s.lines.map(lineCells), [3, 4, 5, 6]));
  if (s.fused.length)
    out.push(
      '',
      ...table(FUSED_HEAD, s.fused.map(fusedCells), [2, 3, 4]),
      ...attentionCaption(s).flatMap((c) => ['', c]),
    );
  if (s.models.length)
    out.push('', MODEL_CAPTION, '', ...table(MODEL_HEAD, s.models.map(modelCells), [1, 2, 3]));
  if (s.notes.length) out.push('', ...s.notes.map((n, i) => `- [${i + 1}] ${esc(n)}`));
  return `${out.join('\n')}\n`;
}
