/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/wgsl-probe.ts FILE.json [samples]
 *
 * Times raw WGSL kernels over 16M float32 in Node + Dawn, as worker-thread
 * CPU time per dispatch, samples interleaved across kernels: a probe of what
 * an instruction pattern costs on this adapter (SwiftShader is compute-bound),
 * before changing a library kernel. FILE holds [{ name, code, invocations,
 * wg?, bindings? }]: by default binding 0 a read-only array, binding 1 the
 * read-write output, both 64 MiB; `bindings` lists 'src' | 'dst' | 'aux'
 * (a second read-write 64 MiB buffer) per binding instead.
 */
import { readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { median, workerCpu } from './cpu-time.js';

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = (await gpu.requestAdapter())!;
const device = await adapter.requestDevice({
  requiredFeatures: adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [],
});
// Dawn crashes if the instance or adapter is collected while the device works.
(globalThis as Record<string, unknown>).webgpuProbeKeep = [gpu, adapter];
device.onuncapturederror = (e) => {
  console.error(e.error.message);
  process.exit(1);
};
const kernels = JSON.parse(readFileSync(process.argv[2], 'utf8')) as {
  name: string;
  code: string;
  invocations: number;
  wg?: number;
  bindings?: ('src' | 'dst' | 'aux')[];
  /** Fold a grid over 65535 workgroups into equal rows (else 65535 wide). */
  balanced?: boolean;
}[];
const samples = Number(process.argv[3] ?? 5);
const bytes = 64 << 20;
const src = device.createBuffer({
  size: bytes,
  usage: GPUBufferUsage.STORAGE,
  mappedAtCreation: true,
});
const f = new Float32Array(src.getMappedRange());
for (let i = 0; i < f.length; i++) f[i] = Math.sin(i * 0.37) * 8;
src.unmap();
const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
const aux = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
const buffers = { src, dst, aux };
const runs = kernels.map((k) => {
  const module = device.createShaderModule({ code: k.code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: (k.bindings ?? ['src', 'dst']).map((b, binding) => ({
      binding,
      resource: { buffer: buffers[b] },
    })),
  });
  const groups = Math.ceil(k.invocations / (k.wg ?? 128));
  const gx = k.balanced ? Math.ceil(groups / Math.ceil(groups / 65535)) : Math.min(groups, 65535);
  return async () => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(gx, Math.ceil(groups / gx));
    pass.end();
    const c0 = workerCpu();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (workerCpu() - c0) * 1000;
  };
});
// Dawn resolves queue promises only while the event loop lives.
const keepAlive = setInterval(() => {}, 1000);
const cpu = kernels.map(() => [] as number[]);
for (const r of runs) await r();
for (let s = 0; s < samples; s++)
  for (let i = 0; i < runs.length; i++) cpu[i].push(await runs[i]());
const base = median(cpu[0]);
kernels.forEach((k, i) =>
  console.log(
    `${k.name.padEnd(40)} ${median(cpu[i]).toFixed(0).padStart(5)} ms  x${(median(cpu[i]) / base).toFixed(2)} of ${kernels[0].name}`,
  ),
);
clearInterval(keepAlive);
device.destroy();
process.exit(0);
