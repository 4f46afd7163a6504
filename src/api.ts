/**
 * The public entry point: createActivations() and the Activations instance
 * with forward/backward (GPU tensors, recorded without waiting) and
 * apply/grad/gradParams (one call on plain arrays).
 */
import {
  acceptsY,
  activations,
  defOf,
  type ActivationName,
  type ActivationParams,
} from './elementwise/table.js';
import broadcastGradTemplate from '../shaders/elementwise/broadcast-grad.wgsl?raw';
import {
  bytesPerWord,
  elementwiseShader,
  enumKey,
  lanesPerWord,
  loadElement,
  type Direction,
  type DType,
  type ElementwiseKernel,
  type Layout,
} from './elementwise/codegen.js';
import { InvalidArgumentError } from './core/errors.js';
import { toHalfArray } from './core/f16.js';
import {
  acquireDevice,
  Runtime,
  type BufferRange,
  type CreateOptions,
  type Stats,
} from './runtime/runtime.js';
import { bytesPerElement, Tensor } from './core/tensor.js';
import {
  checkDType,
  checkKeys,
  checkObject,
  checkSameLayout,
  checkOp,
  checkShape,
  checkSize,
  describe,
  paramSlots,
  resolveParams,
  shapeText,
  sizeOf,
} from './core/validate.js';
import {
  isSoftmaxOp,
  softmaxBackward,
  softmaxCrossEntropy,
  softmaxForward,
  softmaxOps,
  type CrossEntropyOptions,
  type SoftmaxOp,
  type SoftmaxParams,
} from './softmax/host.js';

export type { CreateOptions, Stats };

/** Options every forward/backward call takes besides the op's own parameters. */
export interface CallOptions {
  /** Write the result here (same shape and dtype); `out: x` runs in place. */
  out?: Tensor;
}

/** prelu's slope: a number, a tensor, or data with a shape, broadcast to x (NumPy rules). */
export type SlopeValue = number | Tensor | { data: Float32Array; shape: readonly number[] };

/** Every op name forward/backward/apply/grad take: the activation table and the softmax family. */
export type OpName = ActivationName | SoftmaxOp;

export type OpParams<Op extends OpName> = Op extends SoftmaxOp
  ? SoftmaxParams
  : Op extends 'prelu'
    ? { slope?: SlopeValue }
    : Op extends ActivationName
      ? ActivationParams<Op>
      : never;

/** Options of the one-call forms on plain arrays. */
export interface ArrayOptions {
  /** Shape of x (default [x.length]; [] is a scalar). */
  shape?: readonly number[];
  /** Storage dtype on the GPU (math is always float32). */
  dtype?: DType;
}

const CALL_OPTIONS = ['out'] as const;
const WORKGROUP_SIZE = 256;
const MIN_BINDING_ALIGN = 256;

interface BroadcastLayout {
  /** x's collapsed dims, innermost last, padded to 4 at the front. */
  dim: number[];
  xstride: number[];
  /** The parameter tensor's stride along each collapsed dim (0 where broadcast). */
  stride: number[];
  /** Members of x per parameter element. */
  members: number;
}

/**
 * NumPy broadcasting of a parameter of shape `pshape` to x's shape, collapsed
 * to at most four runs of dims that alternate between kept and broadcast.
 */
function broadcastLayout(
  op: string,
  arg: string,
  xshape: readonly number[],
  pshape: readonly number[],
): BroadcastLayout {
  const shapes = `${arg} of shape ${shapeText(pshape)}`;
  const mismatch = (why: string) =>
    new InvalidArgumentError(
      `${op}: ${shapes} cannot broadcast to x's shape ${shapeText(xshape)}${why}`,
      'SHAPE_MISMATCH',
    );
  const lead = pshape.length - xshape.length;
  for (let i = 0; i < lead; i++) if (pshape[i] !== 1) throw mismatch('');
  const runs: { size: number; kept: boolean }[] = [];
  xshape.forEach((xd, i) => {
    const pi = i - (xshape.length - pshape.length);
    const pd = pi >= 0 ? pshape[pi] : 1;
    if (pd !== xd && pd !== 1) throw mismatch(` (dim ${pi}: ${pd} vs ${xd})`);
    if (xd === 1) return;
    const kept = pd === xd;
    const last = runs[runs.length - 1];
    if (last && last.kept === kept) last.size *= xd;
    else runs.push({ size: xd, kept });
  });
  if (runs.length > 4) {
    throw new InvalidArgumentError(
      `${op}: ${shapes} alternates between broadcast and kept dims ` +
        `more than 4 times against x's shape ${shapeText(xshape)}; reshape to fewer runs`,
      'UNSUPPORTED',
    );
  }
  while (runs.length < 4) runs.unshift({ size: 1, kept: false });
  const dim = runs.map((r) => r.size);
  const xstride = [0, 0, 0, 0];
  const stride = [0, 0, 0, 0];
  let xs = 1;
  let ps = 1;
  let members = 1;
  for (let d = 3; d >= 0; d--) {
    xstride[d] = xs;
    xs *= dim[d];
    if (runs[d].kept) {
      stride[d] = ps;
      ps *= dim[d];
    } else {
      members *= dim[d];
    }
  }
  return { dim, xstride, stride, members };
}

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
    if (!(data instanceof Float32Array) && !(data instanceof Uint16Array)) {
      throw new InvalidArgumentError(
        `tensor: data must be a Float32Array or Uint16Array, got ${describe(data)}`,
      );
    }
    const s = shape === undefined ? [data.length] : checkShape('tensor', 'shape', shape);
    checkSize('tensor', 'shape', s, 'data', data.length);
    if (data instanceof Uint16Array && dtype !== 'float16') {
      throw new InvalidArgumentError(
        "tensor: a Uint16Array holds float16 bits and needs { dtype: 'float16' }",
        'DTYPE_MISMATCH',
      );
    }
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
    if (
      typeof buffer !== 'object' ||
      buffer === null ||
      typeof (buffer as GPUBuffer).usage !== 'number'
    ) {
      throw new InvalidArgumentError(`wrap: buffer must be a GPUBuffer, got ${describe(buffer)}`);
    }
    if (
      !Number.isSafeInteger(byteOffset) ||
      byteOffset < 0 ||
      byteOffset % MIN_BINDING_ALIGN !== 0
    ) {
      throw new InvalidArgumentError(
        `wrap: byteOffset must be a non-negative multiple of ${MIN_BINDING_ALIGN}, got ${describe(byteOffset)}`,
      );
    }
    if (!(buffer.usage & GPUBufferUsage.STORAGE)) {
      throw new InvalidArgumentError('wrap: buffer lacks GPUBufferUsage.STORAGE', 'BUFFER_USAGE');
    }
    const need = byteOffset + Math.ceil((sizeOf(s) * bytesPerElement(dtype)) / 4) * 4;
    if (need > buffer.size) {
      throw new InvalidArgumentError(
        `wrap: shape ${shapeText(s)} (${dtype}) at byteOffset ${byteOffset} needs ${need} bytes ` +
          `but the buffer has ${buffer.size}`,
        'SHAPE_MISMATCH',
      );
    }
    this.#rt.checkAlive();
    return this.#rt.wrapBuffer(buffer, s, dtype, byteOffset);
  }

  // ---- ops on tensors -----------------------------------------------------

  /** y = op(x), recorded now and submitted by the next read or flush at the latest. */
  forward<Op extends OpName>(op: Op, x: Tensor, params?: OpParams<Op> & CallOptions): Tensor {
    if (isSoftmaxOp(op))
      return softmaxForward(this.#rt, op, x, params as SoftmaxParams & CallOptions);
    checkOp(op, softmaxOps);
    this.#rt.checkTensor(op, 'x', x);
    return this.#elementwise(op, 'forward', [x], params);
  }

  /**
   * dx = dy * op'(x), one dedicated kernel. Give { x, dy }, or { y, dy } for ops
   * whose derivative is a function of the output (sigmoid, tanh).
   */
  backward<Op extends OpName>(
    op: Op,
    inputs: { x?: Tensor; y?: Tensor; dy: Tensor },
    params?: OpParams<Op> & CallOptions,
  ): Tensor {
    if (isSoftmaxOp(op))
      return this.#softmaxBackward(op, inputs, params as SoftmaxParams & CallOptions);
    checkOp(op, softmaxOps);
    const { a, direction } = this.#backwardInputs(op, inputs);
    return this.#elementwise(op, direction, [a, inputs.dy], params);
  }

  /** Gradients of the op's tensor parameter (prelu: { slope }, shaped like the slope; [] for a number). */
  backwardParams(
    op: 'prelu',
    inputs: { x: Tensor; dy: Tensor },
    params?: { slope?: SlopeValue },
  ): { slope: Tensor } {
    checkPrelu('backwardParams', op);
    const { a } = this.#backwardInputs(op, inputs as { x?: Tensor; dy: Tensor });
    resolveParams(op, params, []);
    const slope = this.#tensorParam(op, a.shape, params);
    const pshape = slope ? [...slope.shape] : [];
    const b = broadcastLayout(op, 'slope', a.shape, pshape);
    const maxBinding = this.#rt.limits.maxStorageBufferBindingSize;
    if (a.byteLength > maxBinding) {
      throw new InvalidArgumentError(
        `prelu: the slope gradient of a tensor over maxStorageBufferBindingSize (${maxBinding} bytes) is not supported`,
        'UNSUPPORTED',
      );
    }
    // Allocated after every check, so a refused call leaves no tensor behind.
    const out = this.#rt.allocate(pshape, 'float32', 'prelu dslope');
    if (a.size === 0) return { slope: out };
    const dtype = a.dtype;
    const pipeline = this.#rt.pipeline(
      `broadcast-grad|prelu|${dtype}`,
      'prelu slope gradient',
      () =>
        broadcastGradTemplate.replace(
          '{{LOAD}}',
          `${loadElement(dtype, 'x')}\n${loadElement(dtype, 'dy')}`,
        ),
    );
    const count = sizeOf(pshape);
    const u = new Uint32Array(16);
    u.set([a.size, count, b.members, 0, ...b.dim, ...b.xstride, ...b.stride.map((s) => +(s > 0))]);
    const words = Math.ceil(a.byteLength / 4) * 4;
    this.#rt.dispatch(
      pipeline,
      u.buffer,
      [
        { buffer: a.buffer, offset: a.byteOffset, size: words },
        { buffer: inputs.dy.buffer, offset: inputs.dy.byteOffset, size: words },
        { buffer: out.buffer, offset: 0, size: Math.max(4, count * 4) },
      ],
      count,
    );
    return { slope: out };
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
    const { opParams, shape, dtype } = this.#arrayOptions(op, x, 'x', params);
    if (dy !== null) this.#arrayOptions(op, dy, 'dy', params);
    // An activation's parameters (and a tensor one, prelu's slope) are checked before anything
    // is uploaded; the softmax family checks its own as it records.
    const pname = act && defOf(act).tensorParam;
    if (act) resolveParams(act, opParams, []);
    if (pname && opParams[pname] instanceof Tensor) this.#tensorParam(act!, shape, opParams);
    const made: Tensor[] = [];
    try {
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
        broadcastLayout(op, pname, shape, t.shape);
        opParams[pname] = t;
      }
      const result = run(xt, dyt, opParams, made);
      made.push(result);
      return await result.read();
    } finally {
      for (const t of made) t.destroy();
    }
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
    const work: Promise<void>[] = [];
    for (const op of ops) {
      checkOp(op);
      for (const dtype of dtypes) {
        for (const direction of ['forward', 'backward'] as const) {
          const k = this.#kernelSpec(op, direction, dtype, 'vector', null, false, [], true);
          work.push(this.#rt.prepare(k.key, k.label, k.code));
        }
      }
    }
    await Promise.all(work);
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

  #backwardInputs(
    op: ActivationName,
    inputs: { x?: Tensor; y?: Tensor; dy: Tensor },
  ): { a: Tensor; direction: Direction } {
    if (typeof inputs !== 'object' || inputs === null) {
      throw new InvalidArgumentError(
        `${op}: backward inputs must be { x, dy } or { y, dy }, got ${describe(inputs)}`,
      );
    }
    checkKeys(op, 'backward input', inputs, ['x', 'y', 'dy']);
    const hasX = inputs.x !== undefined;
    const hasY = inputs.y !== undefined;
    if (hasX === hasY) {
      throw new InvalidArgumentError(
        `${op}: backward takes exactly one of x or y (with dy), got ${hasX ? 'both' : 'neither'}`,
      );
    }
    if (hasY && !acceptsY(op)) {
      throw new InvalidArgumentError(
        `${op}: backward from y is not available for this op (only sigmoid and tanh); pass x`,
      );
    }
    const a = (hasX ? inputs.x : inputs.y) as Tensor;
    this.#rt.checkTensor(op, hasX ? 'x' : 'y', a);
    this.#rt.checkTensor(op, 'dy', inputs.dy);
    checkSameLayout(op, hasX ? 'x' : 'y', a, 'dy', inputs.dy);
    return { a, direction: hasX ? 'backward' : 'backwardFromY' };
  }

  /** prelu's slope as a tensor when it is one (a number travels as a uniform). */
  #tensorParam(op: ActivationName, xShape: readonly number[], params: unknown): Tensor | null {
    const name = defOf(op).tensorParam;
    if (!name) return null;
    const v = (params as Record<string, unknown> | undefined)?.[name];
    if (v === undefined || typeof v === 'number') return null;
    if (!(v instanceof Tensor)) {
      throw new InvalidArgumentError(
        `${op}: ${name} must be a number or a Tensor here (use apply/grad for { data, shape }), got ${describe(v)}`,
      );
    }
    this.#rt.checkTensor(op, name, v);
    if (v.dtype !== 'float32') {
      throw new InvalidArgumentError(
        `${op}: ${name} must be a float32 tensor, got ${v.dtype}`,
        'DTYPE_MISMATCH',
      );
    }
    broadcastLayout(op, name, xShape, v.shape);
    return v;
  }

  /** Checks data (x or dy) and the shape and dtype options; the rest of params are the op's. */
  #arrayOptions(op: OpName, data: unknown, arg: string, params: unknown) {
    if (!(data instanceof Float32Array)) {
      throw new InvalidArgumentError(`${op}: ${arg} must be a Float32Array, got ${describe(data)}`);
    }
    const p = (params ?? {}) as Record<string, unknown> & ArrayOptions;
    const shape = p.shape === undefined ? [data.length] : checkShape(op, 'shape', p.shape);
    checkSize(op, 'shape', shape, arg, data.length);
    const dtype = checkDType(op, 'dtype', p.dtype);
    const opParams: Record<string, unknown> = { ...p };
    delete opParams.shape;
    delete opParams.dtype;
    return { opParams, shape, dtype };
  }

  #kernelSpec(
    op: ActivationName,
    direction: Direction,
    dtype: DType,
    layout: Layout,
    inPlace: 0 | 1 | null,
    broadcastParam: boolean,
    enums: readonly number[],
    wholeWords: boolean,
  ) {
    const k: ElementwiseKernel = {
      op,
      direction,
      dtype,
      layout,
      inPlace,
      broadcastParam,
      workgroupSize: WORKGROUP_SIZE,
      enums,
      wholeWords,
    };
    return {
      key: `elementwise|${op}|${direction}|${dtype}|${layout}|${inPlace}|${broadcastParam}|${WORKGROUP_SIZE}|${enumKey(op, enums)}|${wholeWords}`,
      label: `${op} ${direction} ${dtype} ${layout}`,
      code: () => elementwiseShader(k),
    };
  }

  /**
   * Checks the op's parameters and the output, then records an elementwise
   * kernel over all of `inputs` ([x], or [x or y, dy]), in sub-ranges no
   * larger than the device's binding limit (each a multiple of 256 bytes, so
   * every binding offset stays aligned).
   */
  #elementwise(
    op: ActivationName,
    direction: Direction,
    inputs: Tensor[],
    params: unknown,
  ): Tensor {
    const values = resolveParams(op, params, CALL_OPTIONS);
    const slope = this.#tensorParam(op, inputs[0].shape, params);
    const out = this.#rt.output(
      op,
      (params as CallOptions | undefined)?.out,
      inputs[0],
      slope ? [...inputs, slope] : inputs,
    );
    const n = out.size;
    if (n === 0) return out;
    const dtype = out.dtype;
    const operands = [...inputs, out];
    // Vector words read past n up to the next 16 (or 8) bytes: allowed where every buffer has room.
    const fits = (layout: Layout) =>
      operands.every(
        (t) =>
          t.byteOffset + Math.ceil(n / lanesPerWord(dtype, layout)) * bytesPerWord(dtype, layout) <=
          t.buffer.size,
      );
    const layout: Layout = fits('vector') ? 'vector' : 'scalar';
    const inPlaceIndex = inputs.findIndex(
      (t) => t.buffer === out.buffer && t.byteOffset === out.byteOffset,
    );
    const inPlace = inPlaceIndex < 0 ? null : (inPlaceIndex as 0 | 1);
    const slots = paramSlots(op, values);
    // The library's own tensors are padded to whole words that nobody else uses.
    const k = this.#kernelSpec(
      op,
      direction,
      dtype,
      layout,
      inPlace,
      slope !== null,
      slots,
      out.owned,
    );
    const pipeline = this.#rt.pipeline(k.key, k.label, k.code);
    const lanes = lanesPerWord(dtype, layout);
    const wordBytes = bytesPerWord(dtype, layout);
    const elemBytes = bytesPerElement(dtype);
    const maxBinding = Math.min(this.#rt.limits.maxStorageBufferBindingSize, 2 ** 31);
    const chunk = (Math.floor(maxBinding / MIN_BINDING_ALIGN) * MIN_BINDING_ALIGN) / elemBytes;
    const b = slope ? broadcastLayout(op, 'slope', out.shape, slope.shape) : null;
    for (let base = 0; base < n; base += chunk) {
      const count = Math.min(chunk, n - base);
      const nwords = Math.ceil(count / lanes);
      const range = (t: Tensor): BufferRange => ({
        buffer: t.buffer,
        offset: t.byteOffset + base * elemBytes,
        size: nwords * wordBytes,
      });
      // Params of shaders/elementwise.wgsl: n, nwords, base, _pad, p, bdim, bxstride, bstride.
      const uniforms = new ArrayBuffer(80);
      new Uint32Array(uniforms, 0, 4).set([count, nwords, base, 0]);
      new Float32Array(uniforms, 16, 4).set(slots.map((s) => (Number.isNaN(s) ? 0 : s)));
      if (b) new Uint32Array(uniforms, 32, 12).set([...b.dim, ...b.xstride, ...b.stride]);
      const ranges = inputs.filter((_, i) => i !== inPlace).map(range);
      ranges.push(range(out));
      if (slope)
        ranges.push({
          buffer: slope.buffer,
          offset: slope.byteOffset,
          size: Math.max(4, slope.size * 4),
        });
      this.#rt.dispatch(pipeline, uniforms, ranges, Math.ceil(nwords / WORKGROUP_SIZE));
    }
    return out;
  }
}

/** backwardParams and gradParams: only prelu has a tensor parameter. */
function checkPrelu(fn: string, op: unknown): void {
  checkOp(op);
  if (op !== 'prelu') {
    throw new InvalidArgumentError(`${fn}: only prelu has a tensor parameter, got ${describe(op)}`);
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
