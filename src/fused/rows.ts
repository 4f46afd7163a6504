/**
 * Sub-ranges of whole rows: a tensor over the device's binding limit is
 * processed in several dispatches, each binding the most whole rows that fit
 * at a 256-byte aligned offset; and the binding ranges a dispatch takes.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { BINDING_ALIGN, bindingLimit } from '../core/validate.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import type { Operand } from './codegen.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Rows per dispatch: all of them when every operand fits one binding, else
 * the most whole rows that fit, a multiple of the rows that keep every
 * operand's sub-range offset 256-byte aligned. rowBytes: bytes per row of
 * each operand bound in sub-ranges.
 */
export function chunkRows(rt: Runtime, label: string, rows: number, rowBytes: number[]): number {
  const max = bindingLimit(rt.limits);
  const widest = Math.max(...rowBytes);
  if (Math.ceil((rows * widest) / 16) * 16 <= max) return Math.max(1, rows);
  const q = Math.max(...rowBytes.map((b) => BINDING_ALIGN / gcd(b % BINDING_ALIGN, BINDING_ALIGN)));
  const per = Math.floor(max / widest / q) * q;
  if (per === 0) {
    throw new InvalidArgumentError(
      `${label}: rows of ${widest} bytes are too wide for sub-ranges (${q} rows, ${BINDING_ALIGN}-byte aligned) within maxStorageBufferBindingSize (${max})`,
      'UNSUPPORTED',
    );
  }
  return per;
}

/** [first row, rows] of each dispatch. */
export function chunks(rows: number, per: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r0 = 0; r0 < rows; r0 += per) out.push([r0, Math.min(per, rows - r0)]);
  return out;
}

/** Whether `bytes` from t's start lie within its buffer (so whole words may be bound). */
export const fitsWords = (t: Tensor, bytes: number) => t.byteOffset + bytes <= t.buffer.size;

/** Binding ranges in a kernel's binding order, from ranges by operand name. */
export const bindOrder = (
  operands: Operand[],
  ranges: Record<string, BufferRange>,
): BufferRange[] => operands.map((o) => ranges[o.name]);
