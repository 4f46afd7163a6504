/**
 * Every error the library throws is an ActivationsError with a stable `code`,
 * so callers can branch on the kind without parsing messages. Messages name
 * the op and the argument, what was expected and what came.
 */
export type ErrorCode =
  | 'UNKNOWN_OP'
  | 'INVALID_ARGUMENT'
  | 'INVALID_PARAMETER'
  | 'SHAPE_MISMATCH'
  | 'DTYPE_MISMATCH'
  | 'TENSOR_DESTROYED'
  | 'DEVICE_MISMATCH'
  | 'BUFFER_USAGE'
  | 'UNSUPPORTED'
  | 'WEBGPU_UNAVAILABLE'
  | 'DEVICE_LOST'
  | 'OUT_OF_MEMORY'
  | 'GPU_ERROR';

export class ActivationsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument of the wrong type, shape, range or kind (bad input, caught before GPU work). */
export class InvalidArgumentError extends ActivationsError {
  constructor(message: string, code: ErrorCode = 'INVALID_ARGUMENT') {
    super(code, message);
  }
}

/** No WebGPU in this environment. */
export class WebGPUUnavailableError extends ActivationsError {
  constructor(message: string) {
    super('WEBGPU_UNAVAILABLE', message);
  }
}

/** The GPU device was lost (destroyed, driver reset): pending work rejects with this. */
export class DeviceLostError extends ActivationsError {
  constructor(message: string) {
    super('DEVICE_LOST', message);
  }
}

/** The device could not allocate memory. */
export class OutOfMemoryError extends ActivationsError {
  constructor(message: string) {
    super('OUT_OF_MEMORY', message);
  }
}

/** A validation or internal error reported by the device (shader compilation, pipeline). */
export class GPUError extends ActivationsError {
  constructor(message: string) {
    super('GPU_ERROR', message);
  }
}
