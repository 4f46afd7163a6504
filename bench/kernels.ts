/**
 * WGSL written for the benchmark itself, on our own command encoder (not the
 * library's): the ceilings (copyBufferToBuffer, a vectorised copy kernel, a
 * two-input copy kernel, and the copy kernel with one exp per element) and the naive scalar baseline (one f32 element per
 * thread, the op's table body spliced into the plainest possible kernel).
 */
import mathSource from '../shaders/common/math.wgsl?raw';
import erfSource from './erf.wgsl?raw';
import { activations, softmaxOps, type ActivationName } from '../src/index.js';
import { foldGrid } from '../src/runtime/runtime.js';
import { INPUTS, type Case, type Direction, type PeerImpl } from './measure.js';

export type CopyKind = 'copyBufferToBuffer' | 'copy-kernel' | 'copy2-kernel' | 'exp-kernel';

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

// The copy kernel with one exp per element: not a ceiling on bytes but on
// arithmetic. Where a shader is compute-bound (SwiftShader), sigmoid, softmax
// and the other exp-based ops cannot beat it; on a memory-bound GPU it meets
// the copy kernel.
const EXP_WGSL = `
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * ${WG}u + lid;
  if (i >= arrayLength(&y)) { return; }
  y[i] = exp(a[i]);
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
  return foldGrid(groups, device.limits.maxComputeWorkgroupsPerDimension);
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
      const p = pipeline(device, kind, () =>
        kind === 'copy-kernel' ? COPY_WGSL : kind === 'exp-kernel' ? EXP_WGSL : COPY2_WGSL,
      );
      const groups = grid(device, Math.ceil(words / WG));
      const binds = srcs.map((s, i) =>
        device.createBindGroup({
          label: `${kind} ${i}`,
          layout: p.getBindGroupLayout(0),
          entries: (kind === 'copy2-kernel' ? [s, b, y] : [s, y]).map((buf, binding) => ({
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

// ---- the unfused sequences' own steps (bench/fused.ts) ------------------------------
// Each kernel handles 4 elements per invocation as a vec4<f32>: float32 storage as
// vec4<f32>, float16 storage as vec2<u32> (four halves, unpack2x16float), so both
// dtypes get the vector loads our library kernels get.

type Dt = 'float32' | 'float16';
const quadType = (d: Dt) => (d === 'float32' ? 'vec4<f32>' : 'vec2<u32>');
const load = (d: Dt, e: string) =>
  d === 'float32' ? e : `vec4<f32>(unpack2x16float(${e}.x), unpack2x16float(${e}.y))`;
const store = (d: Dt, v: string) =>
  d === 'float32' ? v : `vec2<u32>(pack2x16float(${v}.xy), pack2x16float(${v}.zw))`;
const HEAD = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * ${WG}u + lid;`;

/**
 * y = f(inputs) over quads: each input is read at `index` (default i, the
 * output quad), so a bias or a mask can repeat along the leading dimensions.
 */
function quadShader(
  dtype: Dt,
  inputs: { name: string; index?: string }[],
  expr: string,
  quads: number,
): string {
  const t = quadType(dtype);
  const decl = inputs
    .map((v, b) => `@group(0) @binding(${b}) var<storage, read> ${v.name}: array<${t}>;`)
    .join('\n');
  const loads = inputs
    .map((v) => `  let ${v.name}v = ${load(dtype, `${v.name}[${v.index ?? 'i'}]`)};`)
    .join('\n');
  return `${decl}
@group(0) @binding(${inputs.length}) var<storage, read_write> y: array<${t}>;
${HEAD}
  if (i >= ${quads}u) { return; }
${loads}
  let r: vec4<f32> = ${expr};
  y[i] = ${store(dtype, 'r')};
}`;
}

/** h = x + bias for x [rows, c] (c % 4 == 0): the separate bias-add kernel. */
export const biasAddShader = (dtype: Dt, n: number, c: number) =>
  quadShader(dtype, [{ name: 'x' }, { name: 'bias', index: `i % ${c / 4}u` }], 'xv + biasv', n / 4);

/** y = a * b elementwise. */
export const mulShader = (dtype: Dt, n: number) =>
  quadShader(dtype, [{ name: 'a' }, { name: 'b' }], 'av * bv', n / 4);

/** xm = x + mask, mask [s, s] repeated over the leading dimensions of x [..., s, s]. */
export const maskAddShader = (dtype: Dt, n: number, s: number) =>
  quadShader(
    dtype,
    [{ name: 'x' }, { name: 'mask', index: `i % ${(s * s) / 4}u` }],
    'xv + maskv',
    n / 4,
  );

/**
 * The additive causal mask [s, s]: 0 where column <= row, the dtype's most
 * negative finite value above the diagonal (pack2x16float of an infinity is
 * indeterminate, so no -inf; exp of it is 0 all the same).
 */
export function causalMaskShader(dtype: Dt, s: number): string {
  const neg = dtype === 'float32' ? '-3.4028234e38' : '-65504.0';
  return `@group(0) @binding(0) var<storage, read_write> y: array<${quadType(dtype)}>;
${HEAD}
  if (i >= ${(s * s) / 4}u) { return; }
  let e = i * 4u;
  let row = e / ${s}u;
  let col = vec4<u32>(e % ${s}u) + vec4<u32>(0u, 1u, 2u, 3u);
  let r = select(vec4<f32>(0.0), vec4<f32>(${neg}), col > vec4<u32>(row));
  y[i] = ${store(dtype, 'r')};
}`;
}

/**
 * The column sums of dx [rows, c] in two passes: pass 1 sums `per` rows of one
 * column quad per invocation into float32 partials [slices, c/4]; pass 2 sums
 * the partials of one column quad per invocation into dbias (float32 [c]).
 */
export function columnSumShaders(
  dtype: Dt,
  rows: number,
  c: number,
  per: number,
): { partial: string; merge: string; slices: number } {
  const cw = c / 4;
  const slices = Math.ceil(rows / per);
  const partial = `@group(0) @binding(0) var<storage, read> dx: array<${quadType(dtype)}>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
${HEAD}
  if (i >= ${slices * cw}u) { return; }
  let s = i / ${cw}u;
  let w = i % ${cw}u;
  let end = min(${rows}u, (s + 1u) * ${per}u);
  var acc = vec4<f32>(0.0);
  for (var r = s * ${per}u; r < end; r++) { acc += ${load(dtype, `dx[r * ${cw}u + w]`)}; }
  y[i] = acc;
}`;
  const merge = `@group(0) @binding(0) var<storage, read> p: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
${HEAD}
  if (i >= ${cw}u) { return; }
  var acc = vec4<f32>(0.0);
  for (var s = 0u; s < ${slices}u; s++) { acc += p[s * ${cw}u + i]; }
  y[i] = acc;
}`;
  return { partial, merge, slices };
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
