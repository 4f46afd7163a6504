/** What the results say about the adapter: vendor, architecture, fallback, features. */
import type { AdapterSummary } from './types.js';

export function adapterSummary(device: GPUDevice, adapter: GPUAdapter | null): AdapterSummary {
  const info = (adapter?.info ??
    (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  const fallback =
    info?.isFallbackAdapter ??
    (adapter as (GPUAdapter & { isFallbackAdapter?: boolean }) | null)?.isFallbackAdapter ??
    null;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: fallback,
    features: [...device.features].map(String).sort(),
    timestampQuery: device.features.has('timestamp-query'),
  };
}
