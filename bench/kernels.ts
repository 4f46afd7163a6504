/**
 * WGSL written for the benchmark itself, on our own command encoder (not the
 * library's): the ceilings (copyBufferToBuffer, a vectorised copy kernel, a
 * two-input copy kernel, and the copy kernel with one exp per element), and
 * what the naive baseline (bench/naive.ts) and the unfused sequences' own
 * steps (bench/fused-kernels.ts) are built on: the shared entry point, a
 * per-device pipeline cache, buffers, readback and an encoder-backed Case.
 */
import { foldGrid } from '../src/runtime/runtime.js';
import { INPUTS } from './timing.js';
import type { Case } from './types.js';

export type CopyKind = 'copyBufferToBuffer' | 'copy-kernel' | 'copy2-kernel' | 'exp-kernel';

export const WG = 256;
// A function, not a constant: in Node the GPU globals exist only once webgpu's globals are installed.
const storageUsage = () =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** The entry point of every bench kernel: invocation i of a 1- or 2-D grid of WG-wide workgroups (body and brace follow). */
export const ENTRY = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * ${WG}u + lid;`;

/** Read-only storage arrays `inputs` of `type` at bindings 0.., then the output y. */
export const storageDecls = (type: string, inputs: string[]) =>
  [
    ...inputs.map(
      (name, b) => `@group(0) @binding(${b}) var<storage, read> ${name}: array<${type}>;`,
    ),
    `@group(0) @binding(${inputs.length}) var<storage, read_write> y: array<${type}>;`,
  ].join('\n');

/** y[i] = expr for every element of y, after `decls` (bindings, helper functions). */
export const mapKernel = (decls: string, expr: string) => `${decls}
${ENTRY}
  if (i >= arrayLength(&y)) { return; }
  y[i] = ${expr};
}`;

const COPY_WGSL = mapKernel(storageDecls('vec4<u32>', ['a']), 'a[i]');

// The copy kernel with one exp per element: not a ceiling on bytes but on
// arithmetic. Where a shader is compute-bound (SwiftShader), sigmoid, softmax
// and the other exp-based ops cannot beat it; on a memory-bound GPU it meets
// the copy kernel.
const EXP_WGSL = mapKernel(storageDecls('vec4<f32>', ['a']), 'exp(a[i])');

// Reads both inputs and writes one: the byte traffic of a backward kernel, no float math.
const COPY2_WGSL = mapKernel(storageDecls('vec4<u32>', ['a', 'b']), 'a[i] ^ b[i]');

/** A 1- or 2-D grid of `groups` workgroups within the per-dimension limit. */
export function grid(device: GPUDevice, groups: number): [number, number] {
  return foldGrid(groups, device.limits.maxComputeWorkgroupsPerDimension);
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
/** The pipeline of `label` on this device, compiled from code() the first time. */
export function pipeline(device: GPUDevice, label: string, code: () => string): GPUComputePipeline {
  let m = pipelines.get(device);
  if (!m) pipelines.set(device, (m = new Map()));
  let p = m.get(label);
  if (!p) {
    p = device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code: code() }), entryPoint: 'main' },
    });
    m.set(label, p);
  }
  return p;
}

/** A storage buffer of at least `bytes` (whole 16-byte words), filled with `data` if given. */
export function buffer(
  device: GPUDevice,
  label: string,
  bytes: number,
  data?: ArrayBufferView,
): GPUBuffer {
  const b = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: storageUsage(),
  });
  if (data) device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
  return b;
}

/** Reads a buffer's first `bytes` bytes back as float32. */
export async function readBuffer(
  device: GPUDevice,
  src: GPUBuffer,
  bytes: number,
): Promise<Float32Array> {
  const staging = device.createBuffer({
    label: 'bench readback',
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder({ label: 'bench readback' });
  enc.copyBufferToBuffer(src, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/**
 * A Case over our own encoder: step records one dispatch (or copy) for input
 * rep % INPUTS; finish submits and waits.
 */
function encoderCase(
  device: GPUDevice,
  label: string,
  record: (enc: GPUCommandEncoder, pass: () => GPUComputePassEncoder, rep: number) => void,
  owned: GPUBuffer[],
  output?: () => Promise<Float32Array>,
): Case {
  let enc: GPUCommandEncoder | null = null;
  let pass: GPUComputePassEncoder | null = null;
  return {
    step(rep) {
      enc ??= device.createCommandEncoder({ label });
      record(enc, () => (pass ??= enc!.beginComputePass({ label })), rep);
    },
    async finish() {
      if (!enc) return;
      pass?.end();
      pass = null;
      device.queue.submit([enc.finish()]);
      enc = null;
      await device.queue.onSubmittedWorkDone();
    },
    output,
    dispose() {
      for (const b of owned) b.destroy();
    },
  };
}

/**
 * A Case dispatching pipeline p over `groups`, one bind group per input
 * (`inputs[rep % INPUTS]` at binding 0, then `rest`), each range `size` bytes.
 */
export function dispatchCase(
  device: GPUDevice,
  label: string,
  p: GPUComputePipeline,
  groups: [number, number],
  inputs: GPUBuffer[],
  rest: GPUBuffer[],
  size: number,
  output?: () => Promise<Float32Array>,
): Case {
  const binds = inputs.map((s, i) =>
    device.createBindGroup({
      label: `${label} ${i}`,
      layout: p.getBindGroupLayout(0),
      entries: [s, ...rest].map((buf, binding) => ({
        binding,
        resource: { buffer: buf, offset: 0, size },
      })),
    }),
  );
  return encoderCase(
    device,
    label,
    (_enc, pass, rep) => {
      const ps = pass();
      ps.setPipeline(p);
      ps.setBindGroup(0, binds[rep % INPUTS]);
      ps.dispatchWorkgroups(...groups);
    },
    [...inputs, ...rest],
    output,
  );
}

/** The ceilings over `bytes` bytes per operand. */
export function copyKernels(device: GPUDevice) {
  return {
    make(kind: CopyKind, bytes: number): Case {
      const words = Math.ceil(bytes / 16);
      const size = words * 16;
      const fill = new Uint8Array(size);
      for (let i = 0; i < size; i += 97) fill[i] = i & 255;
      const srcs = Array.from({ length: INPUTS }, (_, i) =>
        buffer(device, `bench ${kind} src ${i}`, size, fill),
      );
      const y = buffer(device, `bench ${kind} dst`, size);
      if (kind === 'copyBufferToBuffer') {
        return encoderCase(
          device,
          kind,
          (enc, _pass, rep) => enc.copyBufferToBuffer(srcs[rep % INPUTS], 0, y, 0, size),
          [...srcs, y],
        );
      }
      const p = pipeline(device, kind, () =>
        kind === 'copy-kernel' ? COPY_WGSL : kind === 'exp-kernel' ? EXP_WGSL : COPY2_WGSL,
      );
      const rest =
        kind === 'copy2-kernel' ? [buffer(device, `bench ${kind} b`, size, fill), y] : [y];
      return dispatchCase(device, kind, p, grid(device, Math.ceil(words / WG)), srcs, rest, size);
    },
  };
}

/** A bench kernel: its pipeline, its grid for `invocations`, and bind groups over buffer ranges. */
export interface BenchKernel {
  label: string;
  pipeline: GPUComputePipeline;
  groups: [number, number];
  bind(ranges: GPUBufferBinding[]): GPUBindGroup;
}

export function benchKernel(
  device: GPUDevice,
  label: string,
  code: string,
  invocations: number,
): BenchKernel {
  const p = pipeline(device, `${label}|${code}`, () => code);
  return {
    label,
    pipeline: p,
    groups: grid(device, Math.max(1, Math.ceil(invocations / WG))),
    bind: (ranges) =>
      device.createBindGroup({
        label,
        layout: p.getBindGroupLayout(0),
        entries: ranges.map((resource, binding) => ({ binding, resource })),
      }),
  };
}

/** Records one dispatch of k in its own compute pass on enc. */
export function encodeKernel(enc: GPUCommandEncoder, k: BenchKernel, bind: GPUBindGroup): void {
  const pass = enc.beginComputePass({ label: k.label });
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(...k.groups);
  pass.end();
}
