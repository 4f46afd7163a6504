/** Text forms of the results, for the terminal and the notes (no library import, so the runner stays light). */
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
    'ms',
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
    r.ms === null ? '-' : r.ms < 1 ? r.ms.toFixed(4) : r.ms.toFixed(2),
    fmt(r.spreadPct, 0),
    fmt(r.gbps, 3),
    fmt(r.ratio, 2),
    ...(fused ? [vsUnfusedText(r)] : []),
    r.error
      ? `ERROR ${r.error.slice(0, 90)}`
      : r.check === 'ok' || r.check === null
        ? (r.check ?? '')
        : r.check.slice(0, 90),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 5 && i <= 8 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function formatLatency(rows: LatencyRow[]): string {
  return rows
    .map(
      (r) =>
        `${r.name.padEnd(52)} ${r.error ? `ERROR ${r.error}` : `${fmt(r.msPerOp, 4)} ms/op (±${fmt(r.spreadPct, 0)}%)`}`,
    )
    .join('\n');
}
