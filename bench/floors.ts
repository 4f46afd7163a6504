/**
 * The performance issue's floors, read off one run's results: each of our
 * float32 rows against its floor, against the faster peer, and beside what
 * bounds it on this adapter (the exp-kernel ceiling: the copy kernel plus one
 * exp per element). Printed by `npm run bench -- --table` (or --full) under
 * the table; rows reported per call (below THROUGHPUT_MIN) are not judged.
 */
import { activations, type ActivationName } from '../src/elementwise/table.js';
import { THROUGHPUT_MIN } from './rows.js';
import type { LatencyRow, Row } from './types.js';

const SOFTMAX = ['softmax', 'logSoftmax', 'softmin'];
/** Rows up to this length fit in workgroup memory (the softmax floor is higher there). */
const ROW_FITS = 4096;
const PEER_LEAD = 1.5;
const SMALL_WORK = 1.3;

interface FloorCheck {
  op: string;
  dir: string;
  shape: string;
  ratio: number | null;
  floor: number;
  /** ours / the faster of TF.js and ORT Web (same op, direction, shape); null when no peer ran. */
  vsPeer: number | null;
  /** ours / the CPU JavaScript loop (time ratio inverted: > 1 is faster); null when it did not run. */
  vsCpu: number | null;
  /** The exp-kernel's ratio at the same size: where a shader is compute-bound, exp-based ops sit under it. */
  expCeiling: number | null;
  /** Elements per second in float16 over float32 (same op, direction, size); null without a float16 row. */
  f16: number | null;
}

function floorOf(r: Row): number | null {
  if (SOFTMAX.includes(r.op)) {
    if (r.dir !== 'forward') return 0.45;
    return r.shape[r.shape.length - 1] <= ROW_FITS ? 0.6 : 0.45;
  }
  const def = activations[r.op as ActivationName];
  if (!def) return null;
  return def.transcendental ? 0.75 : 0.9;
}

function checkFloors(rows: Row[]): FloorCheck[] {
  const key = (r: Row) => `${r.op}|${r.dir}|${r.dtype}|${r.shape.join('x')}`;
  const peers = new Map<string, number>();
  const cpu = new Map<string, number>();
  const half = new Map<string, number>();
  for (const r of rows) {
    if (r.ratio === null || r.error) continue;
    if (r.impl === 'tf' || r.impl === 'ort') {
      peers.set(key(r), Math.max(peers.get(key(r)) ?? 0, r.ratio));
    }
    if (r.impl === 'cpu') cpu.set(key(r), r.ms!);
    if (r.impl === 'ours' && r.dtype === 'float16') {
      half.set(key({ ...r, dtype: 'float32' }), r.ms!);
    }
  }
  const exp = new Map<number, number>();
  for (const r of rows) {
    if (r.impl === 'ceiling' && r.op === 'exp-kernel' && r.dtype === 'float32' && r.ratio) {
      exp.set(r.size, r.ratio);
    }
  }
  const out: FloorCheck[] = [];
  for (const r of rows) {
    // Per-call rows (below THROUGHPUT_MIN elements) time a dispatch, not the kernel: never judged.
    if (r.impl !== 'ours' || r.dtype !== 'float32' || r.perCall) continue;
    const floor = floorOf(r);
    if (floor === null) continue;
    const peer = peers.get(key(r));
    out.push({
      op: r.op,
      dir: r.dir,
      shape: r.shape.join('x'),
      ratio: r.ratio,
      floor,
      vsPeer: peer && r.ratio !== null ? r.ratio / peer : null,
      vsCpu: cpu.has(key(r)) && r.ms ? cpu.get(key(r))! / r.ms : null,
      expCeiling: exp.get(r.size) ?? null,
      f16: half.has(key(r)) && r.ms ? r.ms / half.get(key(r))! : null,
    });
  }
  return out;
}

const f2 = (v: number | null) => (v === null ? '-' : v.toFixed(2));

/** The floor checks and the small-work ratio as text. */
export function formatFloors(rows: Row[], latency: LatencyRow[]): string {
  const checks = checkFloors(rows);
  const lines = checks.map((c) => {
    const met = c.ratio !== null && c.ratio >= c.floor;
    const peerMet = c.vsPeer === null || c.vsPeer >= PEER_LEAD;
    return [
      `${c.op} ${c.dir}`.padEnd(26),
      c.shape.padEnd(12),
      f2(c.ratio).padStart(5),
      `${met ? '>=' : '<'} ${c.floor.toFixed(2)} ${met ? 'met   ' : 'MISSED'}`,
      `${c.vsPeer === null ? '   -' : `${f2(c.vsPeer).padStart(4)}x`} ${peerMet ? '' : '(< 1.5x)'}`.padEnd(
        15,
      ),
      f2(c.expCeiling).padStart(11),
      `${f2(c.vsCpu).padStart(6)}${c.vsCpu !== null && c.vsCpu < 1 ? ' SLOWER' : ''}`,
      f2(c.f16).padStart(7),
    ].join('  ');
  });
  const chained = latency.find((l) => l.name.startsWith('100 chained'))?.msPerOp ?? null;
  const raw = latency.find((l) => l.name.startsWith('raw:'))?.msPerOp ?? null;
  const small =
    chained !== null && raw !== null
      ? `small work: 100 chained 1K ops ${(chained / raw).toFixed(2)}x the raw figure per op (floor <= ${SMALL_WORK}x: ${chained / raw <= SMALL_WORK ? 'met' : 'MISSED'})`
      : 'small work: not measured (--latency 0)';
  return [
    `floors (float32 rows of ${THROUGHPUT_MIN >> 20}M elements and more, ratio to the copy kernel; vs peer = ours / the faster of TF.js and ORT Web;`,
    'exp ceiling = copy kernel + one exp per element; vs cpu = CPU loop time / ours; f16 = float16 / float32 elements per second)',
    `${'op'.padEnd(26)}  ${'shape'.padEnd(12)}  ratio  floor          vs peer          exp ceiling  vs cpu  f16/f32`,
    ...lines,
    small,
  ].join('\n');
}
