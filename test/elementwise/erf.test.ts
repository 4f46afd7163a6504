/**
 * WGSL has no erf: ours (bench/erf.wgsl) must stay within 2e-7 absolute of
 * erf over all f32, proved here on the GPU against the float64 erf on a dense
 * sweep, plus the relative accuracy in the tail of erfc_pos and of gelu's
 * erfc_gauss (shaders/common/math.wgsl).
 */
import { describe, expect, it } from 'vitest';
import erfSource from '../../bench/erf.wgsl?raw';
import mathSource from '../../shaders/common/math.wgsl?raw';
import { erf64, erfc64 } from '../../src/elementwise/math64.js';
import { sharedActivations } from '../helpers/gpu.js';

async function evaluate(
  device: GPUDevice,
  fn: string,
  xs: Float32Array<ArrayBuffer>,
): Promise<Float32Array> {
  const code = `${erfSource}
${mathSource}
fn erfc_gauss_value(t: f32) -> f32 { return erfc_gauss(t).x; }
fn erfc_gauss_exp(t: f32) -> f32 { return erfc_gauss(t).y; }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * 65535u * 64u;
  if (i < arrayLength(&x)) { y[i] = ${fn}(x[i]); }
}`;
  const pipeline = device.createComputePipeline({
    label: `erf test ${fn}`,
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const xb = device.createBuffer({ size: xs.byteLength, usage });
  const yb = device.createBuffer({ size: xs.byteLength, usage });
  const rb = device.createBuffer({
    size: xs.byteLength,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(xb, 0, xs);
  device.queue.writeBuffer(yb, 0, new Float32Array(xs.length).fill(NaN));
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: xb } },
        { binding: 1, resource: { buffer: yb } },
      ],
    }),
  );
  const groups = Math.ceil(xs.length / 64);
  pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535));
  pass.end();
  enc.copyBufferToBuffer(yb, 0, rb, 0, xs.byteLength);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  for (const b of [xb, yb, rb]) b.destroy();
  return out;
}

describe('erf_f32 on the GPU', () => {
  it('max abs error <= 2e-7 on a dense sweep of [-6, 6] and at huge and infinite arguments', async () => {
    const { device } = await sharedActivations();
    const dense = Array.from({ length: 240_001 }, (_, i) => -6 + i * 5e-5);
    const extremes = [
      0,
      -0,
      1e-45,
      -1e-45,
      1e-30,
      1e-10,
      1e10,
      -1e30,
      3.4e38,
      -3.4e38,
      Infinity,
      -Infinity,
    ];
    const xs = new Float32Array([...dense, ...extremes]);
    const got = await evaluate(device, 'erf_f32', xs);
    let worst = 0;
    let worstAt = 0;
    for (let i = 0; i < xs.length; i++) {
      const err = Math.abs(got[i] - erf64(xs[i]));
      if (!(err <= worst)) {
        worst = err;
        worstAt = xs[i];
      }
    }
    expect(worst, `worst at x = ${worstAt}`).toBeLessThanOrEqual(2e-7);
  });

  it('erfc_pos is relatively accurate (<= 4e-6) on [1, 9] where the result is a normal float', async () => {
    const { device } = await sharedActivations();
    const xs = new Float32Array(Array.from({ length: 80_001 }, (_, i) => 1 + i * 1e-4));
    const got = await evaluate(device, 'erfc_pos', xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = erfc64(xs[i]);
      if (want < 1.2e-38) continue; // flushed to zero by GPUs without subnormals
      worst = Math.max(worst, Math.abs(got[i] - want) / want);
    }
    expect(worst).toBeLessThanOrEqual(4e-6);
  });

  it("gelu's erfc_gauss: relative error <= 4e-6 on [0, 3], <= 2e-5 on [3, 9] (exp of a rounded t^2)", async () => {
    const { device } = await sharedActivations();
    const xs = new Float32Array(Array.from({ length: 90_001 }, (_, i) => i * 1e-4));
    const erfc = await evaluate(device, 'erfc_gauss_value', xs);
    const gauss = await evaluate(device, 'erfc_gauss_exp', xs);
    let worst = 0;
    let worstExp = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = erfc64(xs[i]);
      const bound = xs[i] <= 3 ? 4e-6 : 2e-5;
      if (want >= 1.2e-38) worst = Math.max(worst, Math.abs(erfc[i] - want) / want / bound);
      const g = Math.exp(-xs[i] * xs[i]);
      if (g >= 1.2e-38) worstExp = Math.max(worstExp, Math.abs(gauss[i] - g) / g);
    }
    expect(worst, 'worst error as a fraction of its bound').toBeLessThanOrEqual(1);
    expect(worstExp).toBeLessThanOrEqual(2e-5);
  });
});
