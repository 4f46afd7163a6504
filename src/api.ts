/**
 * The public entry point: createActivations() and the Activations instance
 * with forward/backward (GPU tensors, recorded without waiting) and
 * apply/grad/gradParams (one call on plain arrays). Each family checks, plans
 * and records in its own host module; this class only delegates.
 */
import { splitArrayOptions, withTensors, type ArrayOptions } from './core/arrays.js';
import { collapseBroadcast } from './core/broadcast.js';
import { InvalidArgumentError } from './core/errors.js';
import { toHalfArray } from './core/f16.js';
import { Tensor, type DType } from './core/tensor.js';
import {
  checkDType,
  checkKeys,
  checkObject,
  checkShape,
  checkTensorData,
  checkWrap,
  describe,
} from './core/validate.js';
import {
  elementwiseBackward,
  elementwiseForward,
  prepareElementwise,
  preluSlopeGradient,
  tensorParam,
  type BackwardInputs,
  type SlopeValue,
} from './elementwise/host.js';
import { checkOp, checkPrelu, resolveParams } from './elementwise/params.js';
import { activations, defOf, type ActivationName } from './elementwise/table.js';
import type { CallOptions, OpName, OpParams } from './types.js';
import { acquireDevice, Runtime, type CreateOptions, type Stats } from './runtime/runtime.js';
import { softmaxCrossEntropy } from './softmax/cross-entropy.js';
import { softmaxBackward, softmaxForward } from './softmax/host.js';
import {
  isSoftmaxOp,
  softmaxOps,
  type CrossEntropyOptions,
  type SoftmaxOp,
  type SoftmaxParams,
} from './softmax/table.js';

export type { ArrayOptions, CallOptions, CreateOptions, OpName, OpParams, SlopeValue, Stats };

export class Activations {
  /** The GPU side; internal to the library (fused and softmax modules use it). */
  readonly #rt: Runtime;

  /** @internal */
  get runtime(): Runtime {
    return this.#rt;
  }

  constructor(device: GPUDevice, keepAlive: unknown[] = []) {
    this.#rt = new Runtime(device, keepAlive);
  }

  get device(): GPUDevice {
    return this.#rt.device;
  }

  /** The adapter features this instance uses (shader-f16, subgroups, timestamp-query). */
  get features(): ReadonlySet<string> {
    return this.#rt.features;
  }

  // ---- tensors ------------------------------------------------------------

  /**
   * Uploads data into a new GPU tensor. float16 tensors take a Float32Array
   * (rounded to nearest even) or a Uint16Array of raw half bits.
   */
  tensor(
    data: Float32Array | Uint16Array,
    shape?: readonly number[],
    options?: { dtype?: DType },
  ): Tensor {
    const dtype = checkDType('tensor', 'options.dtype', options?.dtype);
    const s = checkTensorData(data, shape, dtype);
    const t = this.#rt.allocate(s, dtype, 'tensor', true);
    this.#rt.upload(
      t,
      dtype === 'float16' && data instanceof Float32Array ? toHalfArray(data) : data,
    );
    return t;
  }

  /** A new tensor, filled with zeros. */
  empty(shape: readonly number[], options?: { dtype?: DType }): Tensor {
    const dtype = checkDType('empty', 'options.dtype', options?.dtype);
    return this.#rt.allocate(checkShape('empty', 'shape', shape), dtype, 'empty');
  }

  /**
   * Adopts another library's GPUBuffer without a copy. The buffer needs
   * STORAGE usage (and COPY_SRC to be read back); byteOffset must be a
   * multiple of 256 (WebGPU's binding alignment). Flush before writing the
   * buffer with your own queue.writeBuffer: recorded work may not be submitted yet.
   */
  wrap(
    buffer: GPUBuffer,
    shape: readonly number[],
    options?: { dtype?: DType; byteOffset?: number },
  ): Tensor {
    const dtype = checkDType('wrap', 'options.dtype', options?.dtype);
    const s = checkShape('wrap', 'shape', shape);
    // null is not 0: only a missing byteOffset defaults.
    const byteOffset = options?.byteOffset === undefined ? 0 : options.byteOffset;
    checkWrap(buffer, s, dtype, byteOffset);
    this.#rt.checkAlive();
    return this.#rt.wrapBuffer(buffer, s, dtype, byteOffset);
  }

  // ---- ops on tensors -----------------------------------------------------

  /** y = op(x), recorded now and submitted by the next read or flush at the latest. */
  forward<Op extends OpName>(op: Op, x: Tensor, params?: OpParams<Op> & CallOptions): Tensor {
    if (isSoftmaxOp(op))
      return softmaxForward(this.#rt, op, x, params as SoftmaxParams & CallOptions);
    checkOp(op, softmaxOps);
    return elementwiseForward(this.#rt, op, x, params);
  }

  /**
   * dx = dy * op'(x), one dedicated kernel. Give { x, dy }, or { y, dy } for ops
   * whose derivative is a function of the output (sigmoid, tanh).
   */
  backward<Op extends OpName>(
    op: Op,
    inputs: BackwardInputs,
    params?: OpParams<Op> & CallOptions,
  ): Tensor {
    if (isSoftmaxOp(op))
      return this.#softmaxBackward(op, inputs, params as SoftmaxParams & CallOptions);
    checkOp(op, softmaxOps);
    return elementwiseBackward(this.#rt, op, inputs, params);
  }

  /** Gradients of the op's tensor parameter (prelu: { slope }, shaped like the slope; [] for a number). */
  backwardParams(
    op: 'prelu',
    inputs: { x: Tensor; dy: Tensor },
    params?: { slope?: SlopeValue },
  ): { slope: Tensor } {
    checkPrelu('backwardParams', op);
    return { slope: preluSlopeGradient(this.#rt, op, inputs, params) };
  }

  // ---- one call on plain arrays ---------------------------------------------

  /** y = op(x) on a Float32Array, through the GPU. */
  async apply<Op extends OpName>(
    op: Op,
    x: Float32Array,
    params?: OpParams<Op> & ArrayOptions,
  ): Promise<Float32Array> {
    return this.#onArrays(op, x, null, params, (xt, _dyt, p) =>
      this.forward(op, xt, p as OpParams<Op> & CallOptions),
    );
  }

  /** dx = dy * op'(x) on Float32Arrays, through the GPU (the softmax family runs forward, then backward from y). */
  async grad<Op extends OpName>(
    op: Op,
    x: Float32Array,
    dy: Float32Array,
    params?: OpParams<Op> & ArrayOptions,
  ): Promise<Float32Array> {
    return this.#onArrays(op, x, dy, params, (xt, dyt, opParams, made) => {
      const p = opParams as OpParams<Op> & CallOptions;
      if (!isSoftmaxOp(op)) return this.backward(op, { x: xt, dy: dyt! }, p);
      const y = this.forward(op, xt, p);
      made.push(y);
      return this.backward(op, { y, dy: dyt! }, p);
    });
  }

  /** Gradients of prelu's slope on plain arrays: { slope } shaped like the slope. */
  async gradParams(
    op: 'prelu',
    x: Float32Array,
    dy: Float32Array,
    params?: { slope?: SlopeValue } & ArrayOptions,
  ): Promise<{ slope: Float32Array }> {
    checkPrelu('gradParams', op);
    const slope = await this.#onArrays(
      op,
      x,
      dy,
      params,
      (xt, dyt, p) =>
        this.backwardParams(op, { x: xt, dy: dyt! }, p as { slope?: SlopeValue }).slope,
    );
    return { slope };
  }

  /**
   * The one-call forms: checks x (and dy) and the shape and dtype options,
   * uploads them and a { data, shape } tensor parameter, records `run`
   * (which lists in `made` any tensor it makes on the way), reads its result,
   * and frees every tensor made, whatever happens.
   */
  async #onArrays(
    op: OpName,
    x: Float32Array,
    dy: Float32Array | null,
    params: unknown,
    run: (x: Tensor, dy: Tensor | null, params: object, made: Tensor[]) => Tensor,
  ): Promise<Float32Array> {
    const act = isSoftmaxOp(op) ? null : op;
    if (act) checkOp(act, softmaxOps);
    const { rest: opParams, shape, dtype } = splitArrayOptions(op, x, 'x', params as object);
    if (dy !== null) splitArrayOptions(op, dy, 'dy', params as object);
    // An activation's parameters (and a tensor one, prelu's slope) are checked before anything
    // is uploaded; the softmax family checks its own as it records.
    const pname = act && defOf(act).tensorParam;
    if (act) resolveParams(act, opParams, []);
    if (pname && opParams[pname] instanceof Tensor) tensorParam(this.#rt, act!, shape, opParams);
    return withTensors(async (made) => {
      const xt = this.tensor(x, shape, { dtype });
      made.push(xt);
      const dyt = dy === null ? null : this.tensor(dy, shape, { dtype });
      if (dyt) made.push(dyt);
      const v = pname ? opParams[pname] : undefined;
      if (pname && v !== undefined && typeof v !== 'number' && !(v instanceof Tensor)) {
        // A { data, shape } tensor parameter, uploaded for the call.
        const { data, shape: pshape } = v as { data: unknown; shape: unknown };
        if (!(data instanceof Float32Array)) {
          throw new InvalidArgumentError(
            `${op}: ${pname}.data must be a Float32Array, got ${describe(data)}`,
          );
        }
        const t = this.tensor(data, checkShape(op, `${pname}.shape`, pshape));
        made.push(t);
        collapseBroadcast(op, pname, shape, t.shape);
        opParams[pname] = t;
      }
      const result = run(xt, dyt, opParams, made);
      made.push(result);
      return result.read();
    });
  }

  /**
   * Fused softmax + cross-entropy over logits [rows, classes]: the loss and
   * dlogits = (softmax - target') * (upstream / count) in one pass.
   * target: integer labels (Int32Array / Uint32Array, or an int tensor) or a
   * probability tensor shaped like the logits.
   */
  softmaxCrossEntropy(
    logits: Tensor,
    target: Tensor | Int32Array | Uint32Array,
    options?: CrossEntropyOptions,
  ): { loss: Tensor; dlogits: Tensor } {
    return softmaxCrossEntropy(this.#rt, logits, target, options);
  }

  /**
   * Records into the caller's command encoder instead of submitting: inside
   * `record`, forward/backward/... calls add their passes to `encoder`, so
   * the kernels can sit between the caller's own passes. Nothing runs until
   * the caller submits the encoder. Reading a tensor inside `record` is an error.
   * Destroy the tensors the encoder uses after submitting it (as with any
   * GPUBuffer): until then their buffers stay out of the library's pool.
   */
  encode<T>(encoder: GPUCommandEncoder, record: (act: this) => T): T {
    if (
      typeof encoder !== 'object' ||
      encoder === null ||
      typeof encoder.beginComputePass !== 'function'
    ) {
      throw new InvalidArgumentError(
        `encode: encoder must be a GPUCommandEncoder, got ${describe(encoder)}`,
      );
    }
    return this.#rt.encodeInto(encoder, () => record(this));
  }

  // ---- scheduling and lifetime --------------------------------------------

  /** Submits everything recorded and resolves when the GPU has run it. */
  flush(): Promise<void> {
    return this.#rt.finish();
  }

  /**
   * Compiles the forward and backward pipelines of the given ops (default:
   * all) and dtypes without blocking, so first calls pay no compile.
   */
  async warmup(
    ops: readonly ActivationName[] = Object.keys(activations) as ActivationName[],
    dtypes: readonly DType[] = ['float32'],
  ): Promise<void> {
    await prepareElementwise(this.#rt, ops, dtypes);
  }

  /** GPU memory and pipelines held by this instance. */
  stats(): Stats {
    return this.#rt.stats();
  }

  /**
   * Submits pending work and frees every GPU buffer the instance owns: its
   * uniforms and every tensor it made that is still alive (wrapped buffers
   * stay the caller's). The device is left alone (it may be shared).
   */
  dispose(): void {
    this.#rt.dispose();
  }

  // ---- internals -------------------------------------------------------------

  #softmaxBackward(
    op: SoftmaxOp,
    inputs: { x?: Tensor; y?: Tensor; dy: Tensor },
    params?: SoftmaxParams & CallOptions,
  ): Tensor {
    if (
      typeof inputs !== 'object' ||
      inputs === null ||
      inputs.y === undefined ||
      inputs.x !== undefined
    ) {
      throw new InvalidArgumentError(
        `${op}: backward takes { y, dy } (y the forward output); use grad() to start from x`,
      );
    }
    return softmaxBackward(this.#rt, op, { y: inputs.y, dy: inputs.dy }, params);
  }
}

/**
 * Creates an instance on the given device, or requests an adapter and device
 * (from options.gpu or navigator.gpu) with the adapter's largest buffer
 * limits and its useful features.
 */
export async function createActivations(options: CreateOptions = {}): Promise<Activations> {
  checkKeys('createActivations', 'option', checkObject('createActivations', 'options', options), [
    'device',
    'gpu',
  ]);
  const { device, keepAlive } = await acquireDevice(options);
  return new Activations(device, keepAlive);
}
