/**
 * TensorFlow.js's WebGPU backend: its tensors in and out without a copy
 * through the CPU, through the structural types below (no import of TF.js).
 */
import type { Activations } from '../api.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { describe } from '../core/validate.js';
import { isGPUBuffer, runtimeOf, stage } from './shared.js';

/** What we use of a tf.Tensor (structural: no import of @tensorflow/tfjs-core). */
export interface TfTensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly dataId: object;
  readonly isDisposed: boolean;
  dataToGPU(): { buffer?: GPUBuffer; tensorRef: { dispose(): void } };
}

/** TF.js's WebGPUBackend (`tf.backend()` on the 'webgpu' backend), as the options take it. */
export interface TfWebGPUBackendLike {
  readonly device: GPUDevice;
}

/**
 * The members of the backend used for `alias: true` and for uploading a
 * tensor TF still holds on the CPU: not TF's documented API, so each is
 * checked before use (written against tfjs-backend-webgpu 4.22).
 */
interface TfBackendInternals {
  readonly device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  uploadToGPU?(dataId: object): void;
  commandEncoder?: GPUCommandEncoder | null;
  endComputePassEncoder?(): void;
  submitQueue?(): void;
}

export interface FromTfOptions {
  /**
   * TF's WebGPU backend (`tf.backend()`). Needed for `alias`, and to upload a
   * tensor whose values are still on the CPU (TF uploads lazily, at its first
   * GPU op).
   */
  backend?: TfWebGPUBackendLike;
  /**
   * false (default): `tensor.dataToGPU()`, TF's public API, which gives a
   * fresh GPU buffer with a device-side copy of the values (no CPU read); the
   * returned Tensor owns it and destroy() hands it back to TF.
   * true: share TF's own buffer (no copy at all). Treat it as read-only,
   * keep the tf.Tensor alive until the work on it has been submitted (a read
   * or act.flush()), and needs `backend`.
   */
  alias?: boolean;
}

/**
 * A Tensor of this library on a tf.Tensor's GPU data, with no copy through
 * the CPU (see FromTfOptions for the GPU-side copy or alias). The tf.Tensor
 * must be float32 and live on TF's WebGPU backend on `act`'s device.
 */
export function fromTfTensor(
  act: Activations,
  x: TfTensorLike,
  options: FromTfOptions = {},
): Tensor {
  const op = 'fromTfTensor';
  checkTf(op, x);
  const backend = options.backend as TfBackendInternals | undefined;
  if (backend) {
    if (typeof backend.tensorMap?.get !== 'function') {
      throw new InvalidArgumentError(
        `${op}: options.backend must be TF.js's WebGPUBackend (tf.backend()), got ${describe(backend)}`,
      );
    }
    if (backend.device !== act.device) {
      throw new InvalidArgumentError(
        `${op}: the TF.js backend runs on another GPUDevice; create the instance with ` +
          'createActivations({ device: backend.device }) or the backend with new WebGPUBackend(act.device)',
        'DEVICE_MISMATCH',
      );
    }
    // TF uploads lazily: make sure the values are on the GPU.
    if (backend.tensorMap.get(x.dataId)?.resource == null) backend.uploadToGPU?.(x.dataId);
  }
  if (options.alias) {
    if (!backend) {
      throw new InvalidArgumentError(`${op}: alias: true needs options.backend (tf.backend())`);
    }
    const buffer = backend.tensorMap.get(x.dataId)?.resource;
    if (!isGPUBuffer(buffer)) {
      throw new InvalidArgumentError(`${op}: the tf.Tensor has no GPU buffer to share`);
    }
    // TF batches its commands: what wrote the buffer must reach the queue before our work.
    if (backend.commandEncoder && backend.endComputePassEncoder && backend.submitQueue) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    return act.wrap(buffer, x.shape, { dtype: 'float32' });
  }
  let data: ReturnType<TfTensorLike['dataToGPU']>;
  try {
    data = x.dataToGPU();
  } catch (e) {
    throw new InvalidArgumentError(
      `${op}: tf's dataToGPU() failed (${(e as Error).message}); a tensor made from CPU values ` +
        'is uploaded at its first GPU op: pass { backend: tf.backend() } to upload it here',
    );
  }
  if (!isGPUBuffer(data.buffer)) {
    data.tensorRef.dispose();
    throw new InvalidArgumentError(
      `${op}: dataToGPU() gave no GPUBuffer; is the tf backend 'webgpu'?`,
      'UNSUPPORTED',
    );
  }
  let t: Tensor;
  try {
    t = act.wrap(data.buffer, x.shape, { dtype: 'float32' });
  } catch (e) {
    data.tensorRef.dispose();
    throw e;
  }
  const destroy = t.destroy.bind(t);
  const ref = data.tensorRef;
  // destroy() gives TF its buffer back, after our recorded work on it has been submitted.
  t.destroy = () => {
    if (t.destroyed) return;
    act.runtime.submit();
    destroy();
    ref.dispose();
  };
  return t;
}

/** What we use of the tf namespace: tf.tensor(WebGPUData, shape, dtype). */
export interface TfLike<T> {
  tensor(values: { buffer: GPUBuffer; zeroCopy?: boolean }, shape: number[], dtype: 'float32'): T;
}

export interface ToTfOptions {
  /**
   * true (default): the tf.Tensor uses the Tensor's own buffer (no copy) when
   * TF can take it as it is: at byteOffset 0 and exactly the tensor's size
   * (TF reads a buffer back whole, so padding would show up in data()).
   * Keep the Tensor alive (do not destroy it) while TF may still read it.
   * Otherwise, and with false, TF gets a copy made on the GPU, and the Tensor
   * may be destroyed at once.
   */
  zeroCopy?: boolean;
}

/**
 * A tf.Tensor (on TF's WebGPU backend, on the same device) holding a float32
 * Tensor's values, built from the GPU buffer: no CPU read. Work recorded on
 * the Tensor is submitted first, so TF sees the finished values.
 */
export function toTfTensor<T>(tf: TfLike<T>, tensor: Tensor, options: ToTfOptions = {}): T {
  const op = 'toTfTensor';
  const rt = runtimeOf(op, tensor);
  if (tensor.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${op}: TF.js has no float16 tensors; got a ${tensor.dtype} tensor`,
      'DTYPE_MISMATCH',
    );
  }
  const shape = [...tensor.shape];
  const exact = tensor.byteOffset === 0 && tensor.buffer.size === tensor.byteLength;
  if (options.zeroCopy !== false && exact) {
    rt.submit();
    return tf.tensor({ buffer: tensor.buffer, zeroCopy: true }, shape, 'float32');
  }
  // A buffer of exactly the tensor's bytes, which TF copies into one of its own.
  const staged = stage(rt, tensor, 'toTfTensor staging');
  try {
    return tf.tensor({ buffer: staged, zeroCopy: false }, shape, 'float32');
  } finally {
    // TF's copy is submitted inside tf.tensor(); destroy waits for it to run.
    staged.destroy();
  }
}

function checkTf(op: string, x: TfTensorLike): void {
  if (typeof x !== 'object' || x === null || typeof x.dataToGPU !== 'function') {
    throw new InvalidArgumentError(`${op}: x must be a tf.Tensor, got ${describe(x)}`);
  }
  if (x.isDisposed) throw new InvalidArgumentError(`${op}: the tf.Tensor was disposed`);
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${op}: only float32 tf.Tensors are taken, got ${x.dtype}`,
      'DTYPE_MISMATCH',
    );
  }
}
