/** Text forms of the results, for the terminal and the notes (no library import, so the runner stays light). */
import { perCallText } from './summary.js';
import type { LatencyRow, Row } from './types.js';

const fmt = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

/** A fused row's fused/unfused time ratio against its floor: '0.52 <= 0.60 met'. */
export function vsUnfusedText(r: Row): string {
  if (r.vsUnfused === undefined) return '';
  if (r.vsUnfused === null) return '-';
  const met = r.floor == null || r.vsUnfused <= r.floor;
  return `${r.vsUnfused.toFixed(2)} ${met ? '<=' : '>'} ${r.floor?.toFixed(2) ?? '?'} ${met ? 'met' : 'MISSED'}`;
}

/** The table as text (terminal and notes); a fused/unfused column when fused rows are present. */
export function formatTable(rows: Row[]): string {
  const fused = rows.some((r) => r.vsUnfused !== undefined);
  const head = [
    'impl',
    'op',
    'dir',
    'dtype',
    'shape',
    'time/call',
    '±%',
    'GB/s',
    'ratio',
    ...(fused ? ['fused/unfused'] : []),
    'check / error',
  ];
  const body = rows.map((r) => [
    r.impl,
    r.op,
    r.dir,
    r.dtype,
    r.shape.join('x'),
    r.ms === null ? '-' : perCallText(r.ms),
    fmt(r.spreadPct, 0),
    fmt(r.gbps, 3),
    // Per-call rows have no ratio by design: say so rather than leave a gap.
    r.perCall && r.ms !== null && r.impl !== 'fused' && r.impl !== 'unfused'
      ? 'per call'
      : fmt(r.ratio, 2),
    ...(fused ? [vsUnfusedText(r)] : []),
    r.skipped
      ? `n/a: ${r.skipped}`
      : r.error
        ? `ERROR ${r.error.slice(0, 90)}`
        : r.check === 'ok' || r.check === null
          ? (r.check ?? '')
          : r.check.slice(0, 90),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 5 && i <= 8 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The latency rows as text, each as time per op. */
export function formatLatency(rows: LatencyRow[]): string {
  return rows
    .map(
      (r) =>
        `${r.name.padEnd(52)} ${r.error?.startsWith('not measured') ? `n/a (${r.error})` : r.error ? `ERROR ${r.error}` : `${r.msPerOp === null ? '-' : perCallText(r.msPerOp).padStart(8)} per op (±${fmt(r.spreadPct, 0)}%)`}`,
    )
    .join('\n');
}
