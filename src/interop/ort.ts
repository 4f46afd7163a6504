/**
 * ONNX Runtime Web's WebGPU EP: ort.Tensors at location 'gpu-buffer' in and
 * out without a copy, through the structural types below (no import of ORT).
 */
import type { Activations } from '../api.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { DType, Tensor } from '../core/tensor.js';
import { describe } from '../core/validate.js';
import { isGPUBuffer, runtimeOf, stage } from './shared.js';

/** What we use of an ort.Tensor. */
export interface OrtTensorLike {
  readonly location: string;
  readonly type: string;
  readonly dims: readonly number[];
  readonly gpuBuffer: unknown;
}

/**
 * A Tensor on an ort.Tensor's GPU buffer (location 'gpu-buffer'), no copy.
 * float32 and float16 are taken. The ort.Tensor keeps ownership: keep it
 * (and the session whose output it is) alive while the Tensor is in use.
 */
export function fromOrtTensor(act: Activations, x: OrtTensorLike): Tensor {
  const op = 'fromOrtTensor';
  if (typeof x !== 'object' || x === null || !('location' in x)) {
    throw new InvalidArgumentError(`${op}: x must be an ort.Tensor, got ${describe(x)}`);
  }
  if (x.location !== 'gpu-buffer') {
    throw new InvalidArgumentError(
      `${op}: the ort.Tensor is at location '${x.location}', not 'gpu-buffer'; ask the session ` +
        "for GPU outputs (preferredOutputLocation: 'gpu-buffer') or build it with Tensor.fromGpuBuffer",
    );
  }
  if (x.type !== 'float32' && x.type !== 'float16') {
    throw new InvalidArgumentError(
      `${op}: only float32 and float16 tensors are taken, got ${x.type}`,
      'DTYPE_MISMATCH',
    );
  }
  const buffer = x.gpuBuffer;
  if (!isGPUBuffer(buffer)) {
    throw new InvalidArgumentError(`${op}: the ort.Tensor has no GPUBuffer`);
  }
  return act.wrap(buffer, x.dims, { dtype: x.type as DType });
}

/** The options ort.Tensor.fromGpuBuffer takes. */
export interface OrtFromGpuBufferOptions {
  dataType: 'float32' | 'float16';
  dims: readonly number[];
  download?: () => Promise<Float32Array | Uint16Array>;
  dispose?: () => void;
}

/** What we use of the ort namespace: ort.Tensor.fromGpuBuffer. */
export interface OrtLike<T> {
  Tensor: { fromGpuBuffer(buffer: GPUBuffer, options: OrtFromGpuBufferOptions): T };
}

/**
 * An ort.Tensor (location 'gpu-buffer') on the Tensor's buffer, no copy, for
 * a session on the same device. Its getData() reads through the Tensor and
 * its dispose() destroys the Tensor. Work recorded on the Tensor is
 * submitted first. A Tensor at a byteOffset other than 0 is copied (on the
 * GPU) into a buffer of its own, since ORT reads buffers from their start.
 */
export function toOrtTensor<T>(ort: OrtLike<T>, tensor: Tensor): T {
  const op = 'toOrtTensor';
  const rt = runtimeOf(op, tensor);
  const dims = [...tensor.shape];
  if (tensor.byteOffset === 0) {
    rt.submit();
    return ort.Tensor.fromGpuBuffer(tensor.buffer, {
      dataType: tensor.dtype,
      dims,
      download: () => tensor.readRaw(),
      dispose: () => tensor.destroy(),
    });
  }
  const staged = stage(rt, tensor, 'toOrtTensor staging');
  const copy = rt.wrapBuffer(staged, dims, tensor.dtype, 0);
  return ort.Tensor.fromGpuBuffer(staged, {
    dataType: tensor.dtype,
    dims,
    download: () => copy.readRaw(),
    dispose: () => {
      copy.destroy();
      staged.destroy();
    },
  });
}
