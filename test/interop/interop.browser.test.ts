/**
 * Zero-copy interop in headless Chromium: TF.js's WebGPU backend and ONNX
 * Runtime Web's WebGPU EP share a device with us, data go both ways as GPU
 * buffers, and no readback (GPUBuffer.mapAsync, or a tf read) happens until
 * the final check. Numbers are compared with the peer's own op and with the
 * float64 reference under the one tolerance rule.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as ort from 'onnxruntime-web/webgpu';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivations, type Activations } from '../../src/index.js';
import { fromOrtTensor, fromTfTensor, toOrtTensor, toTfTensor } from '../../src/interop/index.js';
import * as ref from '../../src/elementwise/reference.js';
import { oneNodeModel } from '../../bench/onnx.js';
import { noGpuErrors, testGPU } from '../helpers/gpu.js';
import { ELEMENTWISE, mismatches, report } from '../helpers/tolerance.js';

/** Peer ops differ from our float64-checked kernels by their own float32 rounding. */
const PEER = { atol: 1e-6, rtol: 1e-5 };

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** Counts every GPUBuffer.mapAsync (any readback to the CPU, by anyone) while installed. */
function countReadbacks() {
  const spy = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
  return { count: () => spy.mock.calls.length, restore: () => spy.mockRestore() };
}

describe('TensorFlow.js WebGPU backend', () => {
  let act: Activations;
  let backend: WebGPUBackend;

  beforeAll(async () => {
    act = await createActivations({ gpu: testGPU() });
    const info = (act.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(act.device, info), 10);
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    expect(await tf.setBackend('webgpu')).toBe(true);
    backend = tf.backend() as WebGPUBackend;
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => act.dispose());

  for (const alias of [false, true]) {
    it(`runs our kernel on tf data and hands it back, no CPU copy (alias: ${alias})`, async () => {
      // A multiple of 4 (our buffers are padded to 16 bytes; TF takes only exact sizes without a copy).
      const n = 4100;
      const data = uniform(n, -6, 6, 7);
      const a = tf.tensor(data, [n]);
      // A tf op's output: its data are on the GPU.
      const x = tf.mul(a, tf.scalar(1));
      const xTf = x as unknown as tf.Tensor & Record<string, unknown>;
      const reads = ['data', 'dataSync', 'array', 'arraySync', 'buffer', 'bufferSync'].map((m) =>
        vi.spyOn(xTf, m as 'data'),
      );
      const backendReads = [vi.spyOn(backend, 'read'), vi.spyOn(backend, 'readSync')];
      const maps = countReadbacks();
      const before = act.stats();
      const { yTf, wantTf } = await noGpuErrors(act.device, async () => {
        const xt = fromTfTensor(act, x, { backend, alias });
        expect(xt.shape).toEqual([n]);
        expect(xt.buffer.size).toBeGreaterThanOrEqual(n * 4);
        const yt = act.forward('sigmoid', xt);
        const yTf = toTfTensor(tf, yt);
        // TF's tensor is our buffer itself.
        expect(backend.tensorMap.get(yTf.dataId)?.resource).toBe(yt.buffer);
        if (alias) expect(backend.tensorMap.get(x.dataId)?.resource).toBe(xt.buffer);
        // TF consumes our output in its own op, still on the GPU.
        const sum = tf.add(yTf, x);
        const wantTf = tf.add(tf.sigmoid(x), x);
        await act.flush();
        expect(maps.count(), 'a GPUBuffer was mapped for reading').toBe(0);
        for (const s of [...reads, ...backendReads])
          expect(s, 'tf read the data back').not.toHaveBeenCalled();
        // Only the output we made is new; nothing was staged.
        expect(act.stats().liveTensors - before.liveTensors).toBe(2);
        xt.destroy();
        return { yTf: sum, wantTf, yt };
      });
      maps.restore();
      const got = (await yTf.data()) as Float32Array;
      const want = (await wantTf.data()) as Float32Array;
      const ms = mismatches(got, want, PEER, [data]);
      expect(ms, report(ms)).toEqual([]);
      // And against the float64 reference.
      const ours = ref.forward('sigmoid', data);
      const sig = Float32Array.from(got, (v, i) => v - data[i]);
      const ms2 = mismatches(sig, ours, { atol: 2e-6, rtol: 4e-6 }, [data]);
      expect(ms2, report(ms2)).toEqual([]);
      tf.dispose([a, x, yTf, wantTf]);
    });
  }

  it('trains through: backward of our op matches tf.grad of tf.tanh', async () => {
    const shape = [64, 33];
    const n = 64 * 33;
    const data = uniform(n, -3, 3, 11);
    const dyData = uniform(n, -1, 1, 12);
    const x = tf.tensor(data, shape);
    const dy = tf.tensor(dyData, shape);
    const maps = countReadbacks();
    const xt = fromTfTensor(act, x, { backend, alias: true });
    const dyt = fromTfTensor(act, dy, { backend, alias: true });
    const dxTf = toTfTensor(tf, act.backward('tanh', { x: xt, dy: dyt }));
    const want = tf.grad((v: tf.Tensor) => tf.tanh(v))(x, dy);
    await act.flush();
    expect(maps.count()).toBe(0);
    maps.restore();
    const ms = mismatches(
      (await dxTf.data()) as Float32Array,
      (await want.data()) as Float32Array,
      PEER,
      [data],
    );
    expect(ms, report(ms)).toEqual([]);
    const ms2 = mismatches(
      (await dxTf.data()) as Float32Array,
      ref.backward('tanh', data, dyData),
      ELEMENTWISE,
    );
    expect(ms2, report(ms2)).toEqual([]);
    tf.dispose([x, dy, dxTf, want]);
  });

  it('copies when asked and for a tensor at a byteOffset', async () => {
    const n = 100;
    const data = uniform(n, -2, 2, 3);
    const buffer = act.device.createBuffer({
      size: 256 + n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    act.device.queue.writeBuffer(buffer, 256, data);
    const t = act.wrap(buffer, [n], { byteOffset: 256 });
    const y = toTfTensor(tf, t);
    const z = toTfTensor(tf, act.forward('relu', t), { zeroCopy: false });
    expect(Array.from((await y.data()) as Float32Array)).toEqual(Array.from(data));
    expect(Array.from((await z.data()) as Float32Array)).toEqual(
      Array.from(ref.forward('relu', data)),
    );
    t.destroy();
    buffer.destroy();
    tf.dispose([y, z]);
  });

  it('uploads a tf tensor still on the CPU when given the backend, and names bad input', () => {
    const x = tf.tensor([1, 2, 3]);
    expect(() => fromTfTensor(act, x)).toThrow(/dataToGPU\(\) failed.*backend/);
    const t = fromTfTensor(act, x, { backend });
    expect(t.shape).toEqual([3]);
    t.destroy();
    const i = tf.tensor([1, 2], [2], 'int32');
    expect(() => fromTfTensor(act, i, { backend })).toThrow(/only float32.*int32/);
    expect(() => fromTfTensor(act, x, { alias: true })).toThrow(/alias: true needs/);
    tf.dispose([x, i]);
  });
});

describe('ONNX Runtime Web WebGPU EP', () => {
  it("shares ORT's device: ort gpu-buffer in, our gelu, ort gpu-buffer out", async () => {
    // Served by Vite from the package (no network here).
    ort.env.wasm.wasmPaths = `${location.origin}/node_modules/onnxruntime-web/dist/`;
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    const shape = [8, 129];
    const n = 8 * 129;
    const options = {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'disabled' as const,
      preferredOutputLocation: 'gpu-buffer' as const,
      extra: { session: { disable_cpu_ep_fallback: '1' } },
    };
    const first = await ort.InferenceSession.create(oneNodeModel('Tanh', shape), options);
    const second = await ort.InferenceSession.create(oneNodeModel('Sigmoid', shape), options);
    const device = (await ort.env.webgpu.device) as GPUDevice;
    const act = await createActivations({ device });
    const data = uniform(n, -4, 4, 5);
    const input = device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(input, 0, data);
    const maps = countReadbacks();
    const x = ort.Tensor.fromGpuBuffer(input, { dataType: 'float32', dims: shape });
    const { y: h } = await first.run({ x });
    expect(h.location).toBe('gpu-buffer');
    const ht = fromOrtTensor(act, h);
    const g = act.forward('gelu', ht);
    const { y: out } = await second.run({ x: toOrtTensor(ort, g) });
    expect(out.location).toBe('gpu-buffer');
    await device.queue.onSubmittedWorkDone();
    expect(maps.count(), 'a GPUBuffer was mapped for reading').toBe(0);
    maps.restore();
    const got = (await out.getData()) as Float32Array;
    const want = ref.forward(
      'sigmoid',
      new Float32Array(ref.forward('gelu', new Float32Array(ref.forward('tanh', data)))),
    );
    const ms = mismatches(got, want, PEER, [data]);
    expect(ms, report(ms)).toEqual([]);
    // The middle value, read through our side, matches the reference at our tolerance.
    const mid = await g.read();
    const ms2 = mismatches(mid, ref.forward('gelu', await ht.read()), ELEMENTWISE);
    expect(ms2, report(ms2)).toEqual([]);
    ht.destroy();
    g.destroy();
    h.dispose();
    out.dispose();
    input.destroy();
    act.dispose();
    await first.release();
    await second.release();
  });
});

describe('plain WebGPU', () => {
  it("runs inside the caller's encoder on a buffer at a byteOffset, between their passes", async () => {
    const act = await createActivations({ gpu: testGPU() });
    const device = act.device;
    const n = 1000;
    const data = uniform(n, -5, 5, 9);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const src = device.createBuffer({ size: n * 4, usage });
    const work = device.createBuffer({ size: 512 + n * 4, usage });
    const staging = device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(src, 0, data);
    // The user's own pass: y = 2 x, written into work at byte 512.
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read> a: array<f32>;
             @group(0) @binding(1) var<storage, read_write> b: array<f32>;
             @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
               if (g.x < arrayLength(&a)) { b[g.x] = 2.0 * a[g.x]; }
             }`,
    });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        { binding: 1, resource: { buffer: work, offset: 512, size: n * 4 } },
      ],
    });
    await noGpuErrors(device, async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(Math.ceil(n / 64));
      pass.end();
      const w = act.wrap(work, [n], { byteOffset: 512 });
      act.encode(encoder, (a) => a.forward('silu', w, { out: w }));
      encoder.copyBufferToBuffer(work, 512, staging, 0, n * 4);
      expect(act.stats().recordedDispatches).toBe(0);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      const want = ref.forward(
        'silu',
        Float32Array.from(data, (v) => 2 * v),
      );
      const ms = mismatches(got, want, ELEMENTWISE);
      expect(ms, report(ms)).toEqual([]);
      w.destroy();
    });
    for (const b of [src, work, staging]) b.destroy();
    act.dispose();
  });
});
