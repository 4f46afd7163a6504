/** Result rows: an empty row for a workload, its byte count, and how an error lands in it. No library import (the runner stays light). */
import type { DType } from '../src/index.js';
import type { Direction, Row, Workload } from './types.js';

/**
 * From this many elements up, a row is a throughput row (GB/s, a ratio to
 * the copy kernel, judged against the floors). Below it (1K, 64K) one
 * kernel takes about what the timer resolves or one dispatch costs, so the
 * row is reported as time per call instead.
 */
export const THROUGHPUT_MIN = 1 << 20;

/** Elements of a shape. */
export const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const bytesPer = (dtype: DType) => (dtype === 'float32' ? 4 : 2);

/** Each input read once and the output written once: x and y forward, x, dy and dx backward. */
function minBytes(w: { dir: Direction; dtype: DType; shape: number[] }): number {
  return elements(w.shape) * bytesPer(w.dtype) * (w.dir === 'forward' ? 2 : 3);
}

/** A row with no measurement yet (every figure null). */
export function emptyRow(impl: string, w: Workload): Row {
  return {
    impl,
    op: w.op,
    dir: w.dir,
    dtype: w.dtype,
    shape: w.shape,
    size: elements(w.shape),
    bytes: minBytes(w),
    ms: null,
    spreadPct: null,
    samples: 0,
    reps: 0,
    gbps: null,
    ceiling: null,
    ratio: null,
    perCall: elements(w.shape) < THROUGHPUT_MIN,
    skipped: null,
    check: null,
    error: null,
  };
}

/** A row's identity: implementation, op, direction, dtype and shape (the charts' marks carry it). */
export const rowKey = (r: Row) => `${r.impl}|${r.op}|${r.dir}|${r.dtype}|${r.shape.join('x')}`;

/** An error as a row shows it: the library's error code first, when it has one. */
export function describeError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  return err?.code ? `${err.code}: ${msg}` : msg;
}

/** Pops the row's validation scope: a GPU validation error fails the row (and its figures are dropped). */
export async function scoped(device: GPUDevice, row: Row): Promise<void> {
  const err = await device.popErrorScope();
  if (!err || row.error) return;
  row.error = `GPU validation error: ${err.message.split('\n')[0]}`;
  Object.assign(row, { ms: null, spreadPct: null, gbps: null, ratio: null, check: null });
}
