/**
 * The page half of bench/probes/latency-parts.ts (run that, not this): in
 * Chromium, 100 dispatches of 1K elements in ways that add, one at a time,
 * what 100 chained library calls have and the bench's raw row has not, then
 * the library itself. Every variant runs once per round, in rotated order;
 * the medians are in microseconds per op.
 */
import { createActivations, type Tensor } from '../../src/index.js';
import { elementwiseShader } from '../../src/elementwise/codegen.js';
import { mapKernel, storageDecls } from '../kernels.js';

const N = 1024;
const WORDS = N / 4;
const BYTES = N * 4;
const SLOT = 256;

const UNIFORM_COPY = `@group(0) @binding(0) var<uniform> P: vec4<u32>;
@group(0) @binding(1) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<u32>>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + lid;
  if (i >= P.y) { return; }
  y[i] = a[i];
}`;

interface Options {
  /** How many dispatches one submission holds (100: one submission). */
  every: number;
  /** Each submission holds twice the last one's dispatches (every, 2 every, ...). */
  doubling?: boolean;
  chained: boolean;
  uniform: boolean;
  /** createBindGroup at every dispatch instead of prebuilt ones. */
  bindEach: boolean;
  /** createBuffer for every output (destroyed after the round) instead of prebuilt ones. */
  allocEach: boolean;
  /** The library's relu forward kernel instead of the copy kernel. */
  relu: boolean;
}

export async function run(rounds: number, only = false): Promise<Record<string, number>> {
  const act = await createActivations();
  const device = act.device;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const bufs = Array.from({ length: 101 }, () => device.createBuffer({ size: BYTES, usage }));
  const uni = device.createBuffer({
    size: SLOT * 100,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const staged = new ArrayBuffer(SLOT * 100);
  const make = (code: string) =>
    device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
  const raw = make(mapKernel(storageDecls('vec4<u32>', ['a']), 'a[i]'));
  const uniformCopy = make(UNIFORM_COPY);
  const relu = make(
    elementwiseShader({
      op: 'relu',
      direction: 'forward',
      dtype: 'float32',
      layout: 'vector',
      inPlace: null,
      broadcastParam: false,
      workgroupSize: 256,
      enums: [],
      wholeWords: true,
    }),
  );
  const bind = (p: GPUComputePipeline, u: number | null, src: GPUBuffer, dst: GPUBuffer) =>
    device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        ...(u === null ? [] : [{ buffer: uni, offset: u * SLOT, size: SLOT }]),
        { buffer: src, offset: 0, size: BYTES },
        { buffer: dst, offset: 0, size: BYTES },
      ].map((resource, binding) => ({ binding, resource })),
    });

  /** How long the last run took to record its 100 dispatches (up to the await), ms. */
  let recordMs = 0;
  const variant = (o: Options) => {
    const p = o.relu ? relu : o.uniform ? uniformCopy : raw;
    // The dispatches after which a submission goes.
    const ends = new Set<number>();
    for (let at = 0, k = o.every; at < 100; at += k, k = o.doubling ? 2 * k : k)
      ends.add(at + k - 1);
    ends.add(99);
    const starts = [...ends].map((e) => e + 1);
    const slot = (i: number) =>
      o.uniform || o.relu ? i - Math.max(0, ...starts.filter((s) => s <= i)) : null;
    const pair = (i: number) => (o.chained ? [bufs[i], bufs[i + 1]] : [bufs[0], bufs[1]]);
    const groups = Array.from({ length: 100 }, (_, i) => {
      const [s, d] = pair(i);
      return bind(p, slot(i), s, d);
    });
    return async () => {
      const t0 = performance.now();
      let enc: GPUCommandEncoder | null = null;
      let pass: GPUComputePassEncoder | null = null;
      const made: GPUBuffer[] = [];
      let last = bufs[0];
      for (let i = 0; i < 100; i++) {
        enc ??= device.createCommandEncoder();
        pass ??= enc.beginComputePass();
        const u = slot(i);
        if (u !== null) new Uint32Array(staged, u * SLOT, 4).set([N, WORDS, 0, 0]);
        let g = groups[i];
        if (o.allocEach || o.bindEach) {
          const dst = o.allocEach ? device.createBuffer({ size: BYTES, usage }) : pair(i)[1];
          if (o.allocEach) made.push(dst);
          g = bind(p, u, o.chained ? last : bufs[0], dst);
          last = dst;
        }
        pass.setPipeline(p);
        pass.setBindGroup(0, g);
        pass.dispatchWorkgroups(1);
        if (ends.has(i)) {
          pass.end();
          if (u !== null) device.queue.writeBuffer(uni, 0, staged, 0, (u + 1) * SLOT);
          device.queue.submit([enc.finish()]);
          enc = null;
          pass = null;
        }
      }
      recordMs = performance.now() - t0;
      await device.queue.onSubmittedWorkDone();
      for (const b of made) b.destroy();
    };
  };

  // What the last round of the raw row and of the library called on the device and
  // queue, and the JS time those calls took.
  const calls: Record<string, number> = {};
  let counting: string | null = null;
  /** Every queue.submit's duration in the counted variants, us. */
  const submits: Record<string, number[]> = {};
  const count = (o: object, names: string[]) => {
    for (const name of names) {
      const target = o as Record<string, (...a: unknown[]) => unknown>;
      const f = target[name].bind(o);
      target[name] = (...a: unknown[]) => {
        if (!counting) return f(...a);
        const t0 = performance.now();
        const r = f(...a);
        const [n, us] = [`${counting}: ${name} calls`, `${counting}: ${name} JS us/op`];
        calls[n] = (calls[n] ?? 0) + 1;
        calls[us] = (calls[us] ?? 0) + (performance.now() - t0) * 10;
        if (name === 'submit')
          (submits[`${counting}`] ??= []).push((performance.now() - t0) * 1000);
        return r;
      };
    }
  };
  count(device, ['createBindGroup', 'createBuffer', 'createCommandEncoder']);
  // getMappedRange is never called: wrapping finish covers the command buffers.
  const encoderOf = device.createCommandEncoder.bind(device);
  device.createCommandEncoder = (d?: GPUCommandEncoderDescriptor) => {
    const e = encoderOf(d);
    count(e, ['finish', 'beginComputePass']);
    return e;
  };
  count(device.queue, ['submit', 'writeBuffer']);
  const x = act.tensor(
    new Float32Array(N).map((_, i) => Math.sin(i) * 3),
    [N],
  );
  act.warmup(['relu'], ['float32']);
  const library = async () => {
    const t0 = performance.now();
    const made: Tensor[] = [];
    let y = x;
    for (let i = 0; i < 100; i++) made.push((y = act.forward('relu', y)));
    recordMs = performance.now() - t0;
    await act.flush();
    for (const t of made) t.destroy();
  };

  const base: Options = {
    every: 100,
    chained: false,
    uniform: false,
    bindEach: false,
    allocEach: false,
    relu: false,
  };
  const variants: [string, () => Promise<void>][] = [
    ['raw (the bench floor)', variant(base)],
    ['+ chained buffers', variant({ ...base, chained: true })],
    ['+ uniform slot, written per submit', variant({ ...base, chained: true, uniform: true })],
    ['+ submit every 16', variant({ ...base, chained: true, uniform: true, every: 16 })],
    [
      '+ relu kernel (library WGSL)',
      variant({ ...base, chained: true, uniform: true, every: 16, relu: true }),
    ],
    [
      'relu kernel, chained, uniforms, one submission',
      variant({ ...base, chained: true, uniform: true, relu: true }),
    ],
    [
      'relu kernel, chained, uniforms, submit at 16, 48, 100',
      variant({ ...base, chained: true, uniform: true, every: 16, relu: true, doubling: true }),
    ],
    [
      '+ relu, createBindGroup per op',
      variant({ ...base, chained: true, every: 16, relu: true, bindEach: true }),
    ],
    [
      '+ relu, createBuffer + bind group per op',
      variant({ ...base, chained: true, every: 16, relu: true, bindEach: true, allocEach: true }),
    ],
    ['library: 100 chained relu, one flush', library],
  ];
  // --profile: the library alone, so the page's JS profile is the library's.
  if (only) variants.splice(0, variants.length - 1);
  const times = variants.map(() => [] as number[]);
  const records = variants.map(() => [] as number[]);
  for (const [, f] of variants) for (let k = 0; k < 5; k++) await f();
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < variants.length; j++) {
      const i = (j + r) % variants.length;
      counting = [0, 3, variants.length - 1].includes(i) ? variants[i][0] : null;
      for (const k of Object.keys(calls)) if (k.startsWith(`${counting}:`)) calls[k] = 0;
      const t0 = performance.now();
      await variants[i][1]();
      counting = null;
      times[i].push(performance.now() - t0);
      records[i].push(recordMs);
    }
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const out: Record<string, number> = {};
  variants.forEach(([name], i) => (out[name] = median(times[i]) * 10));
  variants.forEach(
    ([name], i) =>
      (out[`${name}: recording (JS until the last call returns)`] = median(records[i]) * 10),
  );
  for (const [k, v] of Object.entries(calls)) out[k] = v;
  for (const [k, v] of Object.entries(submits)) {
    const sorted = [...v].sort((p, q) => p - q);
    out[`${k}: queue.submit median us (not per op)`] = median(v);
    out[`${k}: queue.submit 90th percentile us`] = sorted[Math.floor(sorted.length * 0.9)];
  }
  x.destroy();
  act.dispose();
  return out;
}
