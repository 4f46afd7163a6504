/**
 * Running our kernels inside TF.js's WebGPU backend, with no copy: the
 * inputs are TF's own buffers (read only), the outputs are buffers TF
 * allocates for new tensors, and our passes are recorded into TF's command
 * encoder, so they run in call order with TF's and TF's next submit (at a
 * read, at its batch size, or ours below) sends them.
 *
 * The instance that records is found per call, from the backend the engine
 * passes (a WeakMap keyed by its GPUDevice): a backend TF disposes and makes
 * again on a new device gets a new instance, and a device that is gone is
 * never touched again.
 */
import { Activations } from '../../api.js';
import { ActivationsError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { isGPUBuffer } from '../shared.js';
import { isWebGPUBackend, type TfTensorInfo, type TfWebGPUBackendInternals } from './types.js';

/** Our kernel does not take this call: TF's own kernel runs it instead. */
export class Delegate extends Error {}

/** Submit TF's encoder after this many of our calls with no submit of TF's in between. */
const SUBMIT_EVERY = 16;

/** The instance per GPUDevice, made on first use, and the calls recorded per backend. */
export class Instances {
  readonly #byDevice = new WeakMap<GPUDevice, Activations>();
  readonly #made: WeakRef<Activations>[] = [];
  readonly #pending = new WeakMap<object, { encoder: GPUCommandEncoder; calls: number }>();

  /** The instance on `device`, made now if there is none (or the old one's device was lost). */
  get(device: GPUDevice): Activations {
    let act = this.#byDevice.get(device);
    if (act) {
      try {
        act.runtime.checkAlive();
        return act;
      } catch {
        // Its device was lost: TF's own kernel reports that, as it would without us.
        throw new Delegate('the device was lost');
      }
    }
    act = new Activations(device);
    this.#byDevice.set(device, act);
    this.#made.push(new WeakRef(act));
    return act;
  }

  /** Frees what every instance made still holds (restore()); their devices are TF's and stay. */
  disposeAll(): void {
    for (const ref of this.#made.splice(0)) ref.deref()?.dispose();
  }

  /** Counts a call recorded into the backend's encoder; submits it every SUBMIT_EVERY calls. */
  recorded(backend: TfWebGPUBackendInternals, encoder: GPUCommandEncoder): void {
    const p = this.#pending.get(backend);
    const calls = p && p.encoder === encoder ? p.calls + 1 : 1;
    if (calls >= SUBMIT_EVERY) {
      backend.endComputePassEncoder();
      backend.submitQueue();
      this.#pending.delete(backend);
    } else {
      this.#pending.set(backend, { encoder, calls });
    }
  }
}

/** What one kernel call records: reads `ins`, writes every tensor of `outs`. */
type Record_ = (act: Activations, ins: Tensor[], outs: Tensor[]) => void;

/**
 * Runs `record` on the backend's buffers and returns TF tensors (float32, of
 * `outShapes`) holding its results. Throws Delegate, having changed nothing,
 * when the call is not ours to run: a backend that is not TF's WebGPUBackend,
 * a dtype other than float32, an empty tensor, inputs TF would keep on the
 * CPU, a texture-backed input, or an argument our kernel refuses.
 */
export function runOnTf(
  instances: Instances,
  backendArg: unknown,
  inputs: TfTensorInfo[],
  outShapes: (readonly number[])[],
  record: Record_,
  /** false: run even inputs TF would keep on the CPU (there is no TF kernel to hand them to). */
  mayDelegate = true,
): TfTensorInfo[] {
  if (!isWebGPUBackend(backendArg)) throw new Delegate('not the WebGPU backend');
  const backend = backendArg;
  for (const t of inputs) {
    if (t.dtype !== 'float32') throw new Delegate(`dtype ${t.dtype}`);
    if (t.shape.some((d) => d === 0)) throw new Delegate('empty tensor');
  }
  if (mayDelegate && backend.shouldExecuteOnCPU?.(inputs)) throw new Delegate('inputs on the CPU');
  const act = instances.get(backend.device);
  const buffers = inputs.map((t) => {
    backend.uploadToGPU(t.dataId);
    const b = backend.tensorMap.get(t.dataId)?.resource;
    if (!isGPUBuffer(b)) throw new Delegate('input is not in a GPUBuffer');
    return b;
  });
  const made: Tensor[] = [];
  const outInfos: TfTensorInfo[] = [];
  try {
    const ins = inputs.map((t, i) => track(made, act.wrap(buffers[i], t.shape)));
    const outs = outShapes.map((shape) => {
      const info = backend.makeTensorInfo(shape, 'float32');
      outInfos.push(info);
      backend.uploadToGPU(info.dataId);
      const b = backend.tensorMap.get(info.dataId)?.resource;
      if (!isGPUBuffer(b)) throw new Delegate('no output buffer');
      return track(made, act.wrap(b, shape));
    });
    // Our passes go after TF's recorded work, in its encoder.
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    const encoder = backend.commandEncoder!;
    act.encode(encoder, (a) => {
      record(a, ins, outs);
      // The wrappers go inside encode(): nothing of ours waits on TF's submit.
      for (const t of made) t.destroy();
    });
    // TF holds these buffers (does not recycle them) until its encoder is submitted.
    for (const t of [...inputs, ...outInfos]) backend.commandQueueOwnedIds.add(t.dataId);
    instances.recorded(backend, encoder);
    return outInfos;
  } catch (e) {
    for (const t of made) t.destroy();
    for (const info of outInfos) backend.disposeData(info.dataId, true);
    if (e instanceof ActivationsError) throw new Delegate(e.message);
    throw e;
  }
}

function track(made: Tensor[], t: Tensor): Tensor {
  made.push(t);
  return t;
}
