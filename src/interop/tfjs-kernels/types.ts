/**
 * The parts of TensorFlow.js the kernel provider uses, as structural types:
 * no import of @tensorflow/tfjs-core or tfjs-backend-webgpu (checked against
 * 4.22 of both in test/interop). What is not TF's documented API (the
 * backend's tensorMap and command encoder) is checked before use.
 */

/** A tensor as TF's kernels see it (tf.Tensor is one too). */
export interface TfTensorInfo {
  readonly dataId: object;
  readonly shape: readonly number[];
  readonly dtype: string;
}

/** The arguments TF's engine passes a kernel function. */
export interface TfKernelArgs {
  inputs: Record<string, TfTensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

export type TfKernelFunc = (args: TfKernelArgs) => TfTensorInfo | TfTensorInfo[];

/** tf.registerKernel's config. */
export interface TfKernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc: TfKernelFunc;
  setupFunc?: unknown;
  disposeFunc?: unknown;
}

/** tf.registerGradient's config. */
export interface TfGradConfig {
  kernelName: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  gradFunc: (
    dy: unknown,
    saved: unknown[],
    attrs: Record<string, unknown>,
  ) => Record<string, () => unknown>;
}

/**
 * What the provider uses of the tf namespace (`import * as tf from
 * '@tensorflow/tfjs-core'` or '@tensorflow/tfjs' gives all of it).
 */
export interface TfNamespaceLike {
  getBackend(): string;
  backend(): unknown;
  getKernel(kernelName: string, backendName: string): TfKernelConfig | undefined;
  getGradient(kernelName: string): TfGradConfig | undefined;
  registerKernel(config: TfKernelConfig): void;
  unregisterKernel(kernelName: string, backendName: string): void;
  registerGradient(config: TfGradConfig): void;
  unregisterGradient(kernelName: string): void;
  /** tfjs-core's serialization (where tfjs-layers finds activations by name); optional. */
  serialization?: unknown;
  engine(): {
    runKernel(
      kernelName: string,
      inputs: Record<string, unknown>,
      attrs?: Record<string, unknown>,
    ): unknown;
  };
}

/** The members of tfjs-backend-webgpu's WebGPUBackend the provider uses (4.22). */
export interface TfWebGPUBackendInternals {
  readonly device: GPUDevice;
  tensorMap: {
    get(dataId: object): { resource?: unknown; values?: unknown; dtype?: string } | undefined;
  };
  makeTensorInfo(shape: readonly number[], dtype: string): TfTensorInfo;
  uploadToGPU(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  shouldExecuteOnCPU?(inputs: TfTensorInfo[]): boolean;
}

/** Whether `b` has every member the provider uses of TF's WebGPUBackend. */
export function isWebGPUBackend(b: unknown): b is TfWebGPUBackendInternals {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return (
    typeof o.device === 'object' &&
    o.device !== null &&
    typeof (o.tensorMap as { get?: unknown } | undefined)?.get === 'function' &&
    typeof o.makeTensorInfo === 'function' &&
    typeof o.uploadToGPU === 'function' &&
    typeof o.disposeData === 'function' &&
    typeof o.ensureCommandEncoderReady === 'function' &&
    typeof o.endComputePassEncoder === 'function' &&
    typeof o.submitQueue === 'function' &&
    o.commandQueueOwnedIds instanceof WeakSet
  );
}
