/** The page's two tables, as HTML: the results (sortable by any column) and the latency rows. */
import { vsUnfusedText } from './format.js';
import type { LatencyRow, Row } from './types.js';

const COLUMNS: { key: keyof Row | 'shapeText'; label: string; left?: boolean }[] = [
  { key: 'impl', label: 'impl', left: true },
  { key: 'op', label: 'op', left: true },
  { key: 'dir', label: 'dir', left: true },
  { key: 'dtype', label: 'dtype', left: true },
  { key: 'shapeText', label: 'shape', left: true },
  { key: 'size', label: 'elements' },
  { key: 'ms', label: 'median ms' },
  { key: 'spreadPct', label: 'spread %' },
  { key: 'samples', label: 'n' },
  { key: 'reps', label: 'reps' },
  { key: 'gbps', label: 'GB/s' },
  { key: 'ratio', label: 'ratio' },
  { key: 'vsUnfused', label: 'fused/unfused', left: true },
  { key: 'check', label: 'check / error', left: true },
];
let sortKey: string | null = null;
let sortDir = 1;

function cell(r: Row, key: string): string | number | null {
  if (key === 'shapeText') return r.shape.join('x');
  return (r[key as keyof Row] ?? null) as string | number | null;
}

function escape(s: string) {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}

/** Fills `table` with the rows in the chosen order; a click on a header sorts by it (again: reversed). */
export function renderTable(table: HTMLTableElement, all: Row[]): void {
  const rows = [...all];
  if (sortKey) {
    const k = sortKey;
    rows.sort((a, b) => {
      const va = cell(a, k);
      const vb = cell(b, k);
      if (va === vb) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * sortDir;
    });
  }
  const num = (v: number | null, d: number) => (v === null ? '–' : v.toFixed(d));
  table.innerHTML =
    `<thead><tr>${COLUMNS.map((c) => `<th class="${c.left ? 'l' : ''}" data-key="${c.key}">${c.label}${sortKey === c.key ? (sortDir > 0 ? ' ▲' : ' ▼') : ''}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows
      .map((r) => {
        const status = r.skipped
          ? `<td class="skip">n/a: ${escape(r.skipped)}</td>`
          : r.error
            ? `<td class="err">ERROR ${escape(r.error)}</td>`
            : `<td class="${r.check && r.check !== 'ok' ? 'bad' : 'l'}">${escape(r.check ?? '')}</td>`;
        const ratio =
          r.perCall && r.ms !== null && r.vsUnfused === undefined ? 'per call' : num(r.ratio, 3);
        return `<tr class="${r.impl === 'ceiling' ? 'ceiling' : r.impl === 'ours' ? 'ours' : ''}"><td class="l">${r.impl}</td><td class="l">${r.op}</td><td class="l">${r.dir}</td><td class="l">${r.dtype}</td><td class="l">${r.shape.join('x')}</td><td>${r.size}</td><td>${r.ms === null ? '–' : r.ms.toPrecision(4)}</td><td>${num(r.spreadPct, 0)}</td><td>${r.samples}</td><td>${r.reps}</td><td>${num(r.gbps, 3)}</td><td>${ratio}</td><td class="l${r.floor != null && r.vsUnfused != null && r.vsUnfused > r.floor ? ' bad' : ''}" title="${escape(r.note ?? '')}">${escape(vsUnfusedText(r))}</td>${status}</tr>`;
      })
      .join('')}</tbody>`;
  table.querySelectorAll('th').forEach((th) =>
    th.addEventListener('click', () => {
      const k = th.dataset.key!;
      sortDir = sortKey === k ? -sortDir : 1;
      sortKey = k;
      renderTable(table, all);
    }),
  );
}

export function renderLatency(table: HTMLTableElement, rows: LatencyRow[]): void {
  table.innerHTML =
    '<tr><th class="l">case</th><th>ms per op</th><th>spread %</th><th>n</th><th class="l">what</th></tr>' +
    rows
      .map((r) =>
        r.error
          ? `<tr><td class="l">${r.name}</td><td class="err" colspan="4">ERROR ${escape(r.error)}</td></tr>`
          : `<tr><td class="l">${r.name}</td><td>${r.msPerOp?.toFixed(4) ?? '–'}</td><td>${r.spreadPct?.toFixed(0) ?? '–'}</td><td>${r.samples}</td><td class="l">${escape(r.note)}</td></tr>`,
      )
      .join('');
}
