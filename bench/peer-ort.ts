/**
 * ONNX Runtime Web's WebGPU execution provider as a peer: one-node models
 * built in code (bench/onnx.ts), run with GPU-resident input
 * and output buffers (no copies to or from the CPU) on the device its WebGPU EP
 * uses (ours if it takes env.webgpu.device, else its own), CPU fallback disabled so
 * an op the WebGPU EP lacks fails in its row instead of running on wasm.
 * Forward only: ORT Web has no backward ops. What it is known to lack is
 * said in the row (lacks) and never tried: a session that fails makes ORT
 * log a red error line from its wasm, which is noise, not news.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { INPUTS } from './timing.js';
import type { Case, PeerImpl } from './types.js';
import { oneNodeModel, type Attr } from './onnx.js';
import { readBuffer } from './kernels.js';

const OPS: Record<string, { type: string; attrs?: Attr[] }> = {
  relu: { type: 'Relu' },
  leakyRelu: { type: 'LeakyRelu', attrs: [{ name: 'alpha', float: 0.01 }] },
  elu: { type: 'Elu', attrs: [{ name: 'alpha', float: 1 }] },
  sigmoid: { type: 'Sigmoid' },
  tanh: { type: 'Tanh' },
  gelu: { type: 'Gelu', attrs: [{ name: 'approximate', string: 'none' }] },
  hardSigmoid: {
    type: 'HardSigmoid',
    attrs: [
      { name: 'alpha', float: 1 / 6 },
      { name: 'beta', float: 0.5 },
    ],
  },
  hardSwish: { type: 'HardSwish' },
  softmax: { type: 'Softmax', attrs: [{ name: 'axis', int: -1 }] },
  logSoftmax: { type: 'LogSoftmax', attrs: [{ name: 'axis', int: -1 }] },
};

/** Ops ORT Web's WebGPU EP has no kernel for (a session of one would need the CPU EP). */
const NO_WEBGPU_KERNEL: Record<string, string> = { logSoftmax: 'LogSoftmax' };

/** wasmDir: where the page serves node_modules/onnxruntime-web/dist (see vite.config.ts). */
export function ortPeer(device: GPUDevice, wasmDir: string): PeerImpl {
  ort.env.wasm.wasmPaths = wasmDir;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  ort.env.webgpu.device = device;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  return {
    name: 'ort',
    lacks(op, dir) {
      if (dir !== 'forward') return 'ORT Web runs inference only: no backward ops';
      if (NO_WEBGPU_KERNEL[op]) return `ORT Web's WebGPU EP has no ${NO_WEBGPU_KERNEL[op]} kernel`;
      if (!OPS[op])
        return 'ORT Web: the bench builds no ONNX model for this op (bench/peer-ort.ts)';
      return null;
    },
    make(op, _dir, shape, data) {
      const spec = OPS[op];
      return (async (): Promise<Case> => {
        const n = shape.reduce((a, b) => a * b, 1);
        const bytes = Math.ceil((n * 4) / 16) * 16;
        const session = await ort.InferenceSession.create(
          oneNodeModel(spec.type, shape, spec.attrs),
          {
            executionProviders: ['webgpu'],
            graphOptimizationLevel: 'disabled',
            extra: { session: { disable_cpu_ep_fallback: '1' } },
          },
        );
        // ORT is handed our device, but its WebGPU EP may keep its own: put the buffers where it runs.
        const dev = ((await ort.env.webgpu.device) as GPUDevice | undefined) ?? device;
        const bufs = data.map((d, i) => {
          const b = dev.createBuffer({ label: `ort x ${i}`, size: bytes, usage });
          dev.queue.writeBuffer(b, 0, d.buffer, d.byteOffset, d.byteLength);
          return b;
        });
        const yBuf = dev.createBuffer({ label: 'ort y', size: bytes, usage });
        const xs = bufs.map((b) =>
          ort.Tensor.fromGpuBuffer(b, { dataType: 'float32', dims: shape }),
        );
        const y = ort.Tensor.fromGpuBuffer(yBuf, { dataType: 'float32', dims: shape });
        return {
          async step(rep) {
            await session.run({ x: xs[rep % INPUTS] }, { y });
          },
          finish: () => dev.queue.onSubmittedWorkDone(),
          output: () => readBuffer(dev, yBuf, n * 4),
          dispose() {
            void session.release();
            for (const b of [...bufs, yBuf]) b.destroy();
          },
        };
      })();
    },
  };
}
