/**
 * A row job over a tensor larger than one binding, as windows: runs of whole
 * units (a workgroup's rows, a rows-kernel row, or a chunk of a split row),
 * each bound from a 256-byte aligned element on, so that every dispatch's
 * bindings fit maxStorageBufferBindingSize. The kernels take the window as
 * uniforms (first and end unit, elem0: the element the binding starts at).
 * Pure arithmetic, tested without a GPU.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Plan } from './plan.js';
import { BINDING_ALIGN } from '../core/validate.js';

/** Units first to end - 1, bound from element elem0 for `elems` elements. */
export interface Window {
  first: number;
  end: number;
  elem0: number;
  elems: number;
}

interface RowShape {
  rows: number;
  len: number;
  inner: number;
  plan: Plan;
}

/**
 * The units of a plan, and the elements each one touches: [start, end) of
 * the flat tensor, both growing with the unit (so windows are runs).
 */
export function unitsOf({ rows, len, inner, plan }: RowShape) {
  const base = (r: number) => Math.floor(r / inner) * len * inner + (r % inner);
  // A unit is rows [ra, rb) over columns [lo, hi): its first and one-past-last element.
  const span = (ra: number, rb: number, lo: number, hi: number): [number, number] => [
    base(ra) + lo * inner,
    base(rb - 1) + (hi - 1) * inner + 1,
  ];
  if (plan.chunks > 1) {
    // Ordered (outer, chunk, inner), as the kernels number them: a chunk of a strided
    // slice's rows is one block.
    const { chunks, chunkLen } = plan;
    return {
      count: rows * chunks,
      span: (u: number) => {
        const r = Math.floor(u / (chunks * inner)) * inner + (u % inner);
        const lo = (Math.floor(u / inner) % chunks) * chunkLen;
        return span(r, r + 1, lo, Math.min(len, lo + chunkLen));
      },
    };
  }
  // The rows kernel takes a row per segment; the skeleton 256 / w rows per workgroup.
  const per = plan.reduce === 'rows' ? 1 : 256 / plan.w;
  return {
    count: Math.ceil(rows / per),
    span: (u: number) => span(u * per, Math.min(rows, (u + 1) * per), 0, len),
  };
}

/**
 * The windows of a job whose tensors (`bytes` per element) exceed `limit`
 * bytes per binding: each the longest run of units that fits from its
 * aligned start. Throws UNSUPPORTED when one unit alone does not fit.
 */
export function windowsOf(op: string, job: RowShape, bytes: number, limit: number): Window[] {
  const { count, span } = unitsOf(job);
  const align = BINDING_ALIGN / bytes;
  // A binding's size is whole 4-byte words.
  const max = (Math.floor(limit / 4) * 4) / bytes;
  const out: Window[] = [];
  for (let first = 0; first < count;) {
    const elem0 = Math.floor(span(first)[0] / align) * align;
    // The largest end whose last unit still ends within max elements of elem0.
    let lo = first;
    let hi = count;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (span(mid - 1)[1] - elem0 <= max) lo = mid;
      else hi = mid - 1;
    }
    if (lo === first) {
      const [s, e] = span(first);
      throw new InvalidArgumentError(
        `${op}: rows of ${job.len} elements${job.inner > 1 ? ` (stride ${job.inner})` : ''} take ${(e - s) * bytes} bytes per ${job.plan.chunks > 1 ? 'chunk' : 'dispatch unit'}, more than maxStorageBufferBindingSize (${limit}) allows`,
        'UNSUPPORTED',
      );
    }
    out.push({ first, end: lo, elem0, elems: span(lo - 1)[1] - elem0 });
    first = lo;
  }
  return out;
}
