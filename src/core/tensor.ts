/** Storage precision of a tensor; the math is always float32. */
export type DType = 'float32' | 'float16';

/** What a Tensor needs from the instance that made it. */
export interface TensorOwner {
  readonly device: GPUDevice;
  readTensor(t: Tensor): Promise<Float32Array>;
  readTensorBits(t: Tensor): Promise<Uint16Array | Float32Array>;
  releaseTensor(t: Tensor): void;
}

export const bytesPerElement = (dtype: DType): number => (dtype === 'float32' ? 4 : 2);

/** Elements of a shape ([] is a scalar: 1). */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * A GPU-resident tensor: a byte range of a GPUBuffer with a shape and dtype.
 * Owned tensors (made by `act.tensor` or by an op) free their buffer on
 * destroy(); wrapped ones (`act.wrap`) leave the caller's buffer alone.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  #destroyed = false;

  constructor(
    readonly owner: TensorOwner,
    readonly buffer: GPUBuffer,
    shape: readonly number[],
    readonly dtype: DType,
    readonly byteOffset: number,
    /** True when the library allocated the buffer and frees it on destroy(). */
    readonly owned: boolean,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get device(): GPUDevice {
    return this.owner.device;
  }

  /** Bytes the elements occupy (not counting padding). */
  get byteLength(): number {
    return this.size * bytesPerElement(this.dtype);
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** The values as float32 (float16 tensors are widened exactly). Submits pending work. */
  read(): Promise<Float32Array> {
    return this.owner.readTensor(this);
  }

  /** The raw stored values: float16 bits as a Uint16Array, float32 as a Float32Array. */
  readRaw(): Promise<Uint16Array | Float32Array> {
    return this.owner.readTensorBits(this);
  }

  /** Frees the buffer (if owned) once the work already recorded on it has run. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.owner.releaseTensor(this);
  }
}

/** Bytes rounded up to whole 4-byte words (at least one): a binding's size. */
export const ceil4 = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

/** `bytes` of t from byte `from` (rounded up to whole 4-byte words), as a binding. */
export const subRange = (
  t: Tensor,
  from: number,
  bytes: number,
): { buffer: GPUBuffer; offset: number; size: number } => ({
  buffer: t.buffer,
  offset: t.byteOffset + from,
  size: ceil4(bytes),
});

/** The tensor's elements as one binding: its byte range rounded up to whole 4-byte words. */
export const tensorRange = (t: Tensor) => subRange(t, 0, t.byteLength);
