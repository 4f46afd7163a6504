/** Acquiring a device: the adapter's useful features and its largest limits. */
import { WebGPUUnavailableError } from '../core/errors.js';

/** Features the library uses when the adapter has them. */
// Cast: an older @webgpu/types (pulled in by TF.js's types) lacks 'subgroups'.
const USEFUL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];
/** Limits requested at the adapter's largest (the defaults are far lower). */
const LARGEST_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

export interface CreateOptions {
  /** Use this device (shared with another library) instead of requesting one. */
  device?: GPUDevice;
  /** The GPU entry point: navigator.gpu in a browser, the `webgpu` package's create() in Node. */
  gpu?: GPU;
}

/**
 * The device and what made it. The GPU entry point and adapter are kept
 * alive with the device: in Node, Dawn frees its instance when the `GPU`
 * object is garbage-collected, and a device whose instance is gone crashes
 * the process on its next event.
 */
export interface Acquired {
  device: GPUDevice;
  keepAlive: unknown[];
}

export async function acquireDevice(options: CreateOptions): Promise<Acquired> {
  if (options.device) return { device: options.device, keepAlive: [options.gpu] };
  const gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new WebGPUUnavailableError(
      'WebGPU is not available here. In a browser, use a recent Chrome/Edge (or Chromium with ' +
        '--enable-unsafe-webgpu); in Node, install the `webgpu` package and pass ' +
        "`createActivations({ gpu: create([]) })` (import { create, globals } from 'webgpu').",
    );
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'WebGPU is present but no adapter was found. Without a GPU, Chromium needs ' +
        '--enable-unsafe-swiftshader; Dawn in Node needs a Vulkan driver (e.g. ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).',
    );
  }
  const device = await adapter.requestDevice({
    label: 'webgpu-activations',
    requiredFeatures: USEFUL_FEATURES.filter((f) => adapter.features.has(f)),
    requiredLimits: Object.fromEntries(LARGEST_LIMITS.map((k) => [k, adapter.limits[k]])),
  });
  return { device, keepAlive: [gpu, adapter] };
}
