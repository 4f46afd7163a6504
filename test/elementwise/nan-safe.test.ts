/**
 * Ops whose forward body keeps NaN (`keepsNaN` in the table) are compiled
 * without the generic kernel's NaN guard, and the bit-level sign test became
 * one signed compare (`positive_or_nan`). Both must leave every output bit as
 * it was: each changed op's kernels are run here beside the old formulation
 * (the bodies and `is_positive` as they were, the guard forced on) over NaNs
 * of several payloads and both signs, +-0, +-subnormals, +-Inf, +-max and a
 * random sweep of bit patterns, in float32 and float16 storage, and compared
 * bit for bit. A second test fails when an op declared NaN-safe is not.
 */
import { describe, expect, it } from 'vitest';
import { elementwiseShader, type ElementwiseKernel } from '../../src/elementwise/codegen.js';
import { paramSlots, resolveParams } from '../../src/elementwise/params.js';
import { activationNames, defOf, type ActivationName } from '../../src/elementwise/table.js';
import type { DType } from '../../src/core/tensor.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { paramCases } from '../helpers/cases.js';

// The old formulation (as of 98a666c): the sign test on two compares, relu's body, tanh with
// one negation more, and the guard.
const OLD_HELPERS = `
fn is_positive(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return b != 0u && b < 0x80000000u;
}
fn tanh_stable_v0(x: f32) -> f32 {
  let e = expm1(-2.0 * abs(x));
  let t = -e / (2.0 + e);
  return select(t, -t, x < 0.0);
}`;
const OLD_FORWARD: Partial<Record<ActivationName, string>> = {
  relu: 'return select(0.0, x, is_positive(x));',
};
/** Every op whose WGSL changed: the users of the sign test (forward or derivative), and tanh. */
const CHANGED = activationNames.filter(
  (op) =>
    op === 'tanh' ||
    /positive_or_nan|-8388608/.test(defOf(op).wgsl.forward + defOf(op).wgsl.derivative),
);

/** The kernel as it was: old bodies and helpers, and the forward's NaN guard. */
function oldShader(k: ElementwiseKernel): string {
  let code = elementwiseShader(k)
    .replace(/(?<!fn )positive_or_nan\(/g, 'is_positive(')
    .replace(/(?<!fn )tanh_stable\(/g, 'tanh_stable_v0(');
  const body = OLD_FORWARD[k.op];
  if (body) code = code.replace(/(fn op_forward\([^)]*\) -> f32 \{\n {2})[^\n]*/, `$1${body}`);
  code = code.replace(/return (op_forward\([^;]*\));/, 'return select($1, x, is_nan(x));');
  return `${code}\n${OLD_HELPERS}`;
}

const F32_SPECIAL = [
  // NaN: quiet, signalling, all payload bits, both signs.
  0x7fc00000, 0x7f800001, 0x7fffffff, 0x7fa5a5a5, 0xffc00000, 0xff800001, 0xffffffff, 0xffc12345,
  // +-0, +-subnormals (smallest, largest, middle), +-smallest normal, +-Inf, +-max, +-1.
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x80400000,
  0x00800000, 0x80800000, 0x7f800000, 0xff800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000,
];
const F16_SPECIAL = [
  0x7e00, 0x7c01, 0x7fff, 0x7d55, 0xfe00, 0xfc01, 0xffff, 0x0000, 0x8000, 0x0001, 0x8001, 0x03ff,
  0x83ff, 0x0400, 0x8400, 0x7c00, 0xfc00, 0x7bff, 0xfbff, 0x3c00, 0xbc00,
];

/** A deterministic 32-bit generator (mulberry32). */
function bitsStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Input words: the special values, then random bit patterns (every exponent,
 * NaNs among them) and random values in [-24, 24], where the ops bend.
 */
function inputs(dtype: DType, seed: number, n = 4096): Uint32Array<ArrayBuffer> {
  const next = bitsStream(seed);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  if (dtype === 'float32') {
    const out = new Uint32Array(F32_SPECIAL.length + n);
    out.set(F32_SPECIAL);
    for (let i = F32_SPECIAL.length; i < out.length; i++) {
      f[0] = ((next() / 2 ** 32) * 2 - 1) * 24;
      out[i] = i % 2 ? next() : u[0];
    }
    return out;
  }
  const halves = new Uint16Array(F16_SPECIAL.length + 2 * n + (F16_SPECIAL.length % 2));
  halves.set(F16_SPECIAL);
  for (let i = F16_SPECIAL.length; i < halves.length; i++) {
    // Random halves, and halves of exponent 0x3400-0x4dff (about 0.25 to 24), either sign.
    const r = next();
    halves[i] = i % 2 ? r & 0xffff : (r & 0x8000) | (0x3400 + ((r >>> 16) % 0x1a00));
  }
  return new Uint32Array(halves.buffer, 0, Math.ceil(halves.length / 2));
}

/** Runs a kernel's WGSL over x (and dy) words; returns the output words. */
async function run(
  device: GPUDevice,
  code: string,
  k: ElementwiseKernel,
  slots: number[],
  words: Uint32Array<ArrayBuffer>[],
): Promise<Uint32Array> {
  const n = words[0].length * (k.dtype === 'float32' ? 1 : 2);
  const nwords = Math.ceil(n / 4);
  const bytes = Math.ceil((n * (k.dtype === 'float32' ? 4 : 2)) / 16) * 16;
  const make = (usage: number, size: number) => device.createBuffer({ size, usage });
  const u = new Uint32Array(20);
  u.set([n, nwords, 0]);
  new Float32Array(u.buffer).set(slots, 4);
  const uniform = make(GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, u.byteLength);
  device.queue.writeBuffer(uniform, 0, u);
  const ins = words.map((w) => {
    const b = make(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, bytes);
    device.queue.writeBuffer(b, 0, w);
    return b;
  });
  const out = make(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, bytes);
  const read = make(GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, bytes);
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [uniform, ...ins, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(nwords / k.workgroupSize));
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, bytes);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Uint32Array(read.getMappedRange().slice(0, words[0].byteLength));
  for (const b of [uniform, ...ins, out, read]) b.destroy();
  return got;
}

const kernel = (
  op: ActivationName,
  direction: 'forward' | 'backward',
  dtype: DType,
  enums: number[],
): ElementwiseKernel => ({
  op,
  direction,
  dtype,
  layout: 'vector',
  inPlace: null,
  broadcastParam: false,
  workgroupSize: 256,
  enums,
  wholeWords: true,
});

/** Word indices where a and b differ, as hex pairs (the first 8). */
function differences(a: Uint32Array, b: Uint32Array, x: Uint32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < a.length && out.length < 8; i++) {
    if (a[i] !== b[i])
      out.push(`x ${x[i].toString(16)}: ${a[i].toString(16)} != ${b[i].toString(16)}`);
  }
  return out;
}

/** The cases of paramCases, plus a negative and a zero value for each numeric parameter. */
function cases(op: ActivationName): Record<string, number | string>[] {
  const all = paramCases(op);
  const names = Object.entries(defOf(op).params).filter(
    ([, s]) => s.kind === 'number' && s.range === 'finite',
  );
  for (const v of [-0.5, 0])
    if (names.length) all.push(Object.fromEntries(names.map(([k]) => [k, v])));
  return all;
}

describe.each(CHANGED)('%s: bit for bit as the old formulation', (op) => {
  it.each(['float32', 'float16'] as const)('%s forward and backward', async (dtype) => {
    const { device } = await sharedActivations();
    const x = inputs(dtype, 11);
    const dy = inputs(dtype, 12);
    const problems: string[] = [];
    await noGpuErrors(device, async () => {
      for (const params of cases(op)) {
        const slots = paramSlots(op, resolveParams(op, params, []));
        for (const direction of ['forward', 'backward'] as const) {
          const k = kernel(op, direction, dtype, slots);
          const operands = direction === 'forward' ? [x] : [x, dy];
          const now = await run(device, elementwiseShader(k), k, slots, operands);
          const was = await run(device, oldShader(k), k, slots, operands);
          for (const d of differences(now, was, x))
            problems.push(`${direction} ${JSON.stringify(params)} ${d}`);
        }
      }
    });
    expect(problems).toEqual([]);
  });
});

const declared = activationNames.filter((op) => defOf(op).wgsl.keepsNaN);

/** Kernel output for NaN inputs of every payload and sign: float32 words that are not the input's bits. */
async function nanLeaks(device: GPUDevice, code: string, k: ElementwiseKernel, slots: number[]) {
  const next = bitsStream(5);
  const x = Uint32Array.from({ length: 4096 }, (_, i) =>
    i < 8 ? F32_SPECIAL[i] : (next() & 0x807fffff) | 0x7f800000 || 0x7fc00000,
  );
  for (let i = 0; i < x.length; i++) if ((x[i] & 0x7fffffff) === 0x7f800000) x[i] |= 1;
  return differences(await run(device, code, k, slots, [x]), x, x);
}

describe('ops declared NaN-safe (keepsNaN) are compiled without the guard and keep NaN', () => {
  it('the declared ops are the ones expected, and only their forward drops the guard', () => {
    expect(declared).toEqual(['relu', 'leakyRelu', 'prelu', 'elu', 'celu']);
    for (const op of activationNames) {
      const code = elementwiseShader(kernel(op, 'forward', 'float32', [0]));
      expect(code.includes('is_nan(x)'), op).toBe(!declared.includes(op));
    }
  });

  it.each(declared)(
    '%s returns each NaN input bit for bit (float32) and NaN (float16)',
    async (op) => {
      const { device } = await sharedActivations();
      for (const params of cases(op)) {
        const slots = paramSlots(op, resolveParams(op, params, []));
        const k = kernel(op, 'forward', 'float32', slots);
        expect(
          await nanLeaks(device, elementwiseShader(k), k, slots),
          JSON.stringify(params),
        ).toEqual([]);
        const h = kernel(op, 'forward', 'float16', slots);
        const x = new Uint32Array([0x7e00fe00, 0x7c01fc01, 0x7ffffe55, 0xfc017d00]);
        const got = await run(device, elementwiseShader(h), h, slots, [x]);
        expect([...got].map((w) => w.toString(16))).toEqual(Array(4).fill('7e007e00'));
      }
    },
  );

  it('catches a body that is not NaN-safe', async () => {
    const { device } = await sharedActivations();
    const k = kernel('relu', 'forward', 'float32', []);
    // x > 0 on the bits alone drops every negative NaN to 0.
    const code = elementwiseShader(k).replace('> -8388608', '> 0');
    expect((await nanLeaks(device, code, k, [])).length).toBeGreaterThan(0);
  });
});
