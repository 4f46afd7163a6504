/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/dispatch-cost.ts [rounds]
 *
 * What one small dispatch costs in Dawn apart from the library: 100 dispatches
 * of a 1K-element vec4 copy in one compute pass and one submission, waited
 * for, in microseconds per dispatch (wall), in variants that add one at a
 * time what a chain of library ops has and the bench's raw row has not:
 * distinct buffers chained (each dispatch reads the last one's output), a
 * uniform binding, a dynamic uniform offset. A probe for the small-work
 * floor (bench/notes/latency.md); the page's latency rows remain the figures of record.
 */
import { create, globals } from 'webgpu';
import { median } from './cpu-time.js';

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = (await gpu.requestAdapter())!;
const device = await adapter.requestDevice();
(globalThis as Record<string, unknown>).dispatchCostKeep = [gpu, adapter];
const keepAlive = setInterval(() => {}, 1000);
const rounds = Number(process.argv[2] ?? 100);
const N = 1024;
const bytes = N * 4;

const code = (uniform: boolean) => `
${uniform ? '@group(0) @binding(2) var<uniform> P: vec4<u32>;' : ''}
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<u32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let n = ${uniform ? 'P.x' : 'arrayLength(&y)'};
  if (g.x >= n) { return; }
  y[g.x] = a[g.x];
}`;
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
const bufs = Array.from({ length: 101 }, () => device.createBuffer({ size: bytes, usage }));
const uni = device.createBuffer({
  size: 256 * 100,
  usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
});
const uniData = new Uint32Array(64 * 100);
for (let i = 0; i < 100; i++) uniData[i * 64] = N / 4;

interface Variant {
  name: string;
  uniform: 'none' | 'static' | 'dynamic';
  chained: boolean;
}
const variants: Variant[] = [
  { name: 'same buffers, no uniform (the raw row)', uniform: 'none', chained: false },
  { name: 'chained buffers, no uniform', uniform: 'none', chained: true },
  { name: 'chained, uniform slot per dispatch', uniform: 'static', chained: true },
  { name: 'chained, dynamic uniform offset', uniform: 'dynamic', chained: true },
  { name: 'chained, uniform slots written per submit', uniform: 'static', chained: true },
];

function prepare(v: Variant, write: boolean) {
  const withU = v.uniform !== 'none';
  const module = device.createShaderModule({ code: code(withU) });
  const entries: GPUBindGroupLayoutEntry[] = [
    { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
  ];
  if (withU)
    entries.push({
      binding: 2,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'uniform', hasDynamicOffset: v.uniform === 'dynamic' },
    });
  const layout = device.createBindGroupLayout({ entries });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module },
  });
  const groups = Array.from({ length: 100 }, (_, i) => {
    const [src, dst] = v.chained ? [bufs[i], bufs[i + 1]] : [bufs[0], bufs[1]];
    const e: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: src } },
      { binding: 1, resource: { buffer: dst } },
    ];
    if (withU)
      e.push({
        binding: 2,
        resource: { buffer: uni, offset: v.uniform === 'dynamic' ? 0 : i * 256, size: 16 },
      });
    return device.createBindGroup({ layout, entries: e });
  });
  return async () => {
    if (write) device.queue.writeBuffer(uni, 0, uniData);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < 100; i++) {
      if (v.uniform === 'dynamic') pass.setBindGroup(0, groups[i], [i * 256]);
      else pass.setBindGroup(0, groups[i]);
      pass.dispatchWorkgroups(N / 4 / 64);
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
}

device.queue.writeBuffer(uni, 0, uniData);
const runs = variants.map((v, i) => prepare(v, i === variants.length - 1));
const times = variants.map(() => [] as number[]);
for (const r of runs) for (let k = 0; k < 10; k++) await r();
for (let k = 0; k < rounds; k++)
  for (let i = 0; i < runs.length; i++) {
    const t0 = performance.now();
    await runs[i]();
    times[i].push(performance.now() - t0);
  }
variants.forEach((v, i) =>
  console.log(`${v.name.padEnd(44)} ${((median(times[i]) / 100) * 1000).toFixed(1)} us/dispatch`),
);
clearInterval(keepAlive);
process.exit(0);
