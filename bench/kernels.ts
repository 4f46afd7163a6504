/**
 * WGSL written for the benchmark itself, on our own command encoder (not the
 * library's): the ceilings (copyBufferToBuffer, a vectorised copy kernel, a
 * two-input copy kernel) and the naive scalar baseline (one f32 element per
 * thread, the op's table body spliced into the plainest possible kernel).
 */
import mathSource from '../shaders/math.wgsl?raw';
import erfSource from '../shaders/erf.wgsl?raw';
import { activations, softmaxOps, type ActivationName } from '../src/index.js';
import { INPUTS, type Case, type Direction, type PeerImpl } from './measure.js';

export type CopyKind = 'copyBufferToBuffer' | 'copy-kernel' | 'copy2-kernel';

const WG = 256;
// A function, not a constant: in Node the GPU globals exist only once webgpu's globals are installed.
const storageUsage = () =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

const COPY_WGSL = `
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<u32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * ${WG}u + lid;
  if (i >= arrayLength(&y)) { return; }
  y[i] = a[i];
}`;

// Reads both inputs and writes one: the byte traffic of a backward kernel, no float math.
const COPY2_WGSL = `
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<u32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * ${WG}u + lid;
  if (i >= arrayLength(&y)) { return; }
  y[i] = a[i] ^ b[i];
}`;

/** A 1- or 2-D grid of `groups` workgroups within the per-dimension limit. */
function grid(device: GPUDevice, groups: number): [number, number] {
  const maxX = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, maxX);
  return [x, Math.ceil(groups / x)];
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
function pipeline(device: GPUDevice, label: string, code: () => string): GPUComputePipeline {
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

function buffer(
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
      const b = buffer(device, `bench ${kind} b`, size, fill);
      const y = buffer(device, `bench ${kind} dst`, size);
      const owned = [...srcs, b, y];
      if (kind === 'copyBufferToBuffer') {
        return encoderCase(
          device,
          kind,
          (enc, _pass, rep) => enc.copyBufferToBuffer(srcs[rep % INPUTS], 0, y, 0, size),
          owned,
        );
      }
      const p = pipeline(device, kind, () => (kind === 'copy-kernel' ? COPY_WGSL : COPY2_WGSL));
      const groups = grid(device, Math.ceil(words / WG));
      const binds = srcs.map((s, i) =>
        device.createBindGroup({
          label: `${kind} ${i}`,
          layout: p.getBindGroupLayout(0),
          entries: (kind === 'copy-kernel' ? [s, y] : [s, b, y]).map((buf, binding) => ({
            binding,
            resource: { buffer: buf, offset: 0, size },
          })),
        }),
      );
      return encoderCase(
        device,
        kind,
        (_enc, pass, rep) => {
          const ps = pass();
          ps.setPipeline(p);
          ps.setBindGroup(0, binds[rep % INPUTS]);
          ps.dispatchWorkgroups(...groups);
        },
        owned,
      );
    },
  };
}

/** A WGSL f32 literal for a default parameter value. */
const lit = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);

export function naiveShader(op: ActivationName, dir: Direction): string {
  const def = activations[op] as unknown as {
    params: Record<string, { kind: string; default: number | string; values?: readonly string[] }>;
    wgsl: { forward: string; derivative: string };
  };
  const decl: string[] = [];
  const args: string[] = [];
  for (const [name, spec] of Object.entries(def.params)) {
    if (spec.kind === 'enum') {
      decl.push(`, ${name}: u32`);
      args.push(`, ${spec.values!.indexOf(spec.default as string)}u`);
    } else {
      decl.push(`, ${name}: f32`);
      args.push(`, ${lit(spec.default as number)}`);
    }
  }
  const body = dir === 'forward' ? def.wgsl.forward : def.wgsl.derivative;
  const bindings =
    dir === 'forward'
      ? `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;`
      : `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;`;
  const expr = dir === 'forward' ? `f(x[i]${args.join('')})` : `dy[i] * f(x[i]${args.join('')})`;
  return `${mathSource}
${erfSource}
fn f(x: f32${decl.join('')}) -> f32 {
  ${body}
}
${bindings}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * ${WG}u + lid;
  if (i >= arrayLength(&y)) { return; }
  y[i] = ${expr};
}`;
}

/** The naive baseline: float32 only, elementwise ops only, default parameters. */
export function naivePeer(device: GPUDevice): PeerImpl {
  return {
    name: 'naive',
    make(op, dir, shape, data, dyData) {
      if ((softmaxOps as readonly string[]).includes(op)) return null;
      const n = shape.reduce((a, b) => a * b, 1);
      const bytes = n * 4;
      const p = pipeline(device, `naive ${op} ${dir}`, () =>
        naiveShader(op as ActivationName, dir),
      );
      const xs = data.map((d, i) => buffer(device, `naive x ${i}`, bytes, d));
      const dy = buffer(device, 'naive dy', bytes, dyData);
      const y = buffer(device, 'naive y', bytes);
      const groups = grid(device, Math.ceil(n / WG));
      const binds = xs.map((x, i) =>
        device.createBindGroup({
          label: `naive ${op} ${i}`,
          layout: p.getBindGroupLayout(0),
          entries: (dir === 'forward' ? [x, y] : [x, dy, y]).map((buf, binding) => ({
            binding,
            resource: { buffer: buf, offset: 0, size: bytes },
          })),
        }),
      );
      return Promise.resolve(
        encoderCase(
          device,
          `naive ${op}`,
          (_enc, pass, rep) => {
            const ps = pass();
            ps.setPipeline(p);
            ps.setBindGroup(0, binds[rep % INPUTS]);
            ps.dispatchWorkgroups(...groups);
          },
          [...xs, dy, y],
          () => readBuffer(device, y, bytes),
        ),
      );
    },
  };
}
