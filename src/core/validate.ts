/**
 * Argument checks. Each throws an InvalidArgumentError naming the op and the
 * argument, what was expected and what came, before any GPU work is queued.
 */
import { InvalidArgumentError } from './errors.js';
import { bytesPerElement, sizeOf, Tensor, type DType } from './tensor.js';

export { sizeOf };

/** A short, safe description of any value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as Uint8Array).length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return typeof v;
}

/** A shape as messages show it: `[2, 3]`. */
export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** An options object (undefined reads as {}); arrays and tensors are refused. */
export function checkObject(op: string, arg: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) {
    throw new InvalidArgumentError(`${op}: ${arg} must be an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

/** Unknown keys are refused: a misspelt option is an error, not ignored. */
export function checkKeys(op: string, what: string, given: object, valid: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!valid.includes(key)) {
      throw new InvalidArgumentError(
        `${op}: unknown ${what} ${JSON.stringify(key)}; valid ${what}s are: ${valid.join(', ') || '(none)'}`,
      );
    }
  }
}

/** `shape` (argument `arg`) must hold the `n` elements of `data`. */
export function checkSize(
  op: string,
  arg: string,
  shape: readonly number[],
  data: string,
  n: number,
): void {
  if (sizeOf(shape) !== n) {
    throw new InvalidArgumentError(
      `${op}: ${arg} ${shapeText(shape)} holds ${sizeOf(shape)} elements but ${data} has ${n}`,
      'SHAPE_MISMATCH',
    );
  }
}

export function checkDType(op: string, arg: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new InvalidArgumentError(
      `${op}: ${arg} must be 'float32' or 'float16', got ${describe(dtype)}`,
      'DTYPE_MISMATCH',
    );
  }
  return dtype;
}

/** A shape: an array of non-negative safe integers whose product is a safe integer. */
export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new InvalidArgumentError(
      `${op}: ${arg} must be an array of integers, got ${describe(shape)}`,
    );
  }
  let size = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgumentError(
        `${op}: ${arg}[${i}] must be a non-negative integer, got ${describe(d)}`,
      );
    }
    size *= d;
  });
  if (!Number.isSafeInteger(size)) {
    throw new InvalidArgumentError(`${op}: ${arg} ${shapeText(shape)} has more than 2^53 elements`);
  }
  return [...shape];
}

/** Two shapes are equal, dim by dim. */
export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** b must have a's shape and dtype (dy against x, out against x, ...). */
export function checkSameLayout(op: string, an: string, a: Tensor, bn: string, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new InvalidArgumentError(
      `${op}: ${bn} has shape ${shapeText(b.shape)} but ${an} has shape ${shapeText(a.shape)}`,
      'SHAPE_MISMATCH',
    );
  }
  checkSameDType(op, an, a, bn, b);
}

/** b must have a's dtype. */
export function checkSameDType(op: string, an: string, a: Tensor, bn: string, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new InvalidArgumentError(
      `${op}: ${bn} is ${b.dtype} but ${an} is ${a.dtype}`,
      'DTYPE_MISMATCH',
    );
  }
}

/** t must have at least `rank` dims; `what` names the expected shape (`[..., C]`). */
export function checkRank(op: string, arg: string, t: Tensor, rank: number, what: string): void {
  if (t.shape.length < rank) {
    throw new InvalidArgumentError(
      `${op}: ${arg} must have shape ${what}, got ${shapeText(t.shape)}`,
      'SHAPE_MISMATCH',
    );
  }
}

/**
 * The most bytes one binding may cover: the device's
 * maxStorageBufferBindingSize, capped at 2^31 so that byte offsets and sizes
 * stay exact in the kernels' u32 arithmetic.
 */
export const bindingLimit = (limits: GPUSupportedLimits): number =>
  Math.min(limits.maxStorageBufferBindingSize, 2 ** 31);

/** For operands bound whole (a mask, a softmax row): over the binding limit is unsupported. */
export function checkBindable(
  limits: GPUSupportedLimits,
  op: string,
  arg: string,
  bytes: number,
): void {
  const max = bindingLimit(limits);
  if (bytes > max) {
    throw new InvalidArgumentError(
      `${op}: ${arg} (${bytes} bytes) is over maxStorageBufferBindingSize (${max})`,
      'UNSUPPORTED',
    );
  }
}

/**
 * An output may be exactly an input's range (in place) or in another buffer:
 * WebGPU forbids one buffer bound both read-only and writable in a dispatch,
 * so even a disjoint range of an input's buffer is refused here, not by the
 * device at submission.
 */
export function checkOutputOverlap(op: string, out: Tensor, inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (t.buffer !== out.buffer || t === out) continue;
    if (t.byteOffset !== out.byteOffset || t.byteLength !== out.byteLength) {
      throw new InvalidArgumentError(
        `${op}: out shares an input's buffer at another range; it must be exactly that input (in place) or in another buffer`,
      );
    }
  }
}

/** act.tensor's data (a Float32Array, or a Uint16Array of float16 bits) and shape; returns the shape. */
export function checkTensorData(
  data: unknown,
  shape: readonly number[] | undefined,
  dtype: DType,
): number[] {
  if (!(data instanceof Float32Array) && !(data instanceof Uint16Array)) {
    throw new InvalidArgumentError(
      `tensor: data must be a Float32Array or Uint16Array, got ${describe(data)}`,
    );
  }
  const s = shape === undefined ? [data.length] : checkShape('tensor', 'shape', shape);
  checkSize('tensor', 'shape', s, 'data', data.length);
  if (data instanceof Uint16Array && dtype !== 'float16') {
    throw new InvalidArgumentError(
      "tensor: a Uint16Array holds float16 bits and needs { dtype: 'float16' }",
      'DTYPE_MISMATCH',
    );
  }
  return s;
}

/** Binding offsets are kept multiples of this (WebGPU's minStorageBufferOffsetAlignment at most). */
export const BINDING_ALIGN = 256;

/** act.wrap's buffer: a STORAGE buffer with room for the tensor at an aligned byteOffset. */
export function checkWrap(
  buffer: unknown,
  shape: readonly number[],
  dtype: DType,
  byteOffset: unknown,
): asserts buffer is GPUBuffer {
  if (
    typeof buffer !== 'object' ||
    buffer === null ||
    typeof (buffer as GPUBuffer).usage !== 'number'
  ) {
    throw new InvalidArgumentError(`wrap: buffer must be a GPUBuffer, got ${describe(buffer)}`);
  }
  if (
    typeof byteOffset !== 'number' ||
    !Number.isSafeInteger(byteOffset) ||
    byteOffset < 0 ||
    byteOffset % BINDING_ALIGN !== 0
  ) {
    throw new InvalidArgumentError(
      `wrap: byteOffset must be a non-negative multiple of ${BINDING_ALIGN}, got ${describe(byteOffset)}`,
    );
  }
  const b = buffer as GPUBuffer;
  if (!(b.usage & GPUBufferUsage.STORAGE)) {
    throw new InvalidArgumentError('wrap: buffer lacks GPUBufferUsage.STORAGE', 'BUFFER_USAGE');
  }
  const need = byteOffset + Math.ceil((sizeOf(shape) * bytesPerElement(dtype)) / 4) * 4;
  if (need > b.size) {
    throw new InvalidArgumentError(
      `wrap: shape ${shapeText(shape)} (${dtype}) at byteOffset ${byteOffset} needs ${need} bytes ` +
        `but the buffer has ${b.size}`,
      'SHAPE_MISMATCH',
    );
  }
}
