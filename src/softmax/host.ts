/**
 * The softmax family (softmax, logSoftmax, softmin) and the fused
 * softmax-cross-entropy: argument checks, then the row kernels of
 * src/softmax-kernels.ts, chosen from the shape.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import {
  kernelKey,
  lossSumShader,
  packUniforms,
  planRows,
  softmaxShader,
  workgroupsOf,
  type KernelSpec,
  type Mode,
  type Plan,
  type Uniforms,
} from './codegen.js';
import { Tensor, tensorRange } from '../core/tensor.js';
import { writeThrough } from '../runtime/scratch.js';
import {
  checkBindable,
  checkKeys,
  checkObject,
  checkSameLayout,
  describe,
  shapeText,
  sizeOf,
} from '../core/validate.js';

export { softmaxTuning } from './codegen.js';

export const softmaxOps = ['softmax', 'logSoftmax', 'softmin'] as const;
export type SoftmaxOp = (typeof softmaxOps)[number];

export interface SoftmaxParams {
  /** Axis to normalise along (default -1; negative counts from the end). */
  axis?: number;
  /** Divides x before the softmax (> 0, default 1), inside the kernel. */
  temperature?: number;
}

export interface CrossEntropyOptions {
  /** Rows whose label equals this count for nothing (integer labels only). */
  ignoreIndex?: number;
  /** In [0, 1): the target becomes (1 - s) * target + s / classes. */
  labelSmoothing?: number;
  /** 'mean' (default) over counted rows, 'sum', or 'none' (one loss per row). */
  reduction?: 'none' | 'mean' | 'sum';
}

const ROW_RULES =
  'max-subtracted (no overflow for finite x); -Inf entries get exactly 0; a row of all -Inf ' +
  '(fully masked) gives all 0 and a zero gradient (PyTorch gives NaN); +Inf entries share ' +
  'the mass evenly; any NaN in a row makes the whole row NaN';

/** One line per op for the README table: formula and NaN / masking rules. */
export const softmaxDocs: Record<
  SoftmaxOp | 'softmaxCrossEntropy',
  { formula: string; nanInf: string }
> = {
  softmax: {
    formula:
      'y_i = exp((x_i - max x) / T) / sum_j exp((x_j - max x) / T); dx = y (dy - sum(dy y)) / T',
    nanInf: ROW_RULES,
  },
  logSoftmax: {
    formula:
      'y_i = (x_i - max x) / T - log sum_j exp((x_j - max x) / T); dx = (dy - exp(y) sum(dy)) / T',
    nanInf: `${ROW_RULES.replace('get exactly 0', 'get -Inf').replace('all 0', 'all -Inf')}`,
  },
  softmin: {
    formula: 'softmax(-x) (same temperature); dx = -y (dy - sum(dy y)) / T',
    nanInf: `as softmax, on -x (so +Inf entries get 0 and -Inf entries share the mass)`,
  },
  softmaxCrossEntropy: {
    formula:
      "loss_r = -sum_c t'_c log softmax(x_r)_c, t' = (1 - s) t + s / C; dlogits = (softmax(x) - t') / count " +
      "('mean'; count = rows not ignored) or softmax(x) - t' ('sum', 'none')",
    nanInf:
      'a NaN logit or target makes the row loss and gradient NaN (and the mean/sum NaN); ignored and fully ' +
      "masked rows give loss 0 and zero gradient; 'mean' over no counted rows is 0; 0 * log 0 counts as 0",
  },
};

export function isSoftmaxOp(op: unknown): op is SoftmaxOp {
  return typeof op === 'string' && (softmaxOps as readonly string[]).includes(op);
}

// ---- argument checks --------------------------------------------------------

interface Resolved {
  axis: number;
  invT: number;
  /** sign / T: the chain-rule factor of v = sign * x / T. */
  factor: number;
  out?: Tensor;
}

function resolveParams(op: SoftmaxOp, rank: number, params: unknown): Resolved {
  const p = checkObject(op, 'params', params);
  checkKeys(op, 'option', p, ['axis', 'temperature', 'out']);
  const axis = p.axis === undefined ? -1 : p.axis;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new InvalidArgumentError(
      `${op}: axis must be an integer, got ${describe(axis)}`,
      'INVALID_PARAMETER',
    );
  }
  if (axis < -rank || axis >= rank) {
    throw new InvalidArgumentError(
      `${op}: axis ${axis} is out of range for a tensor of rank ${rank} (valid: ${-rank} to ${rank - 1})`,
      'INVALID_PARAMETER',
    );
  }
  const t = p.temperature === undefined ? 1 : p.temperature;
  // The kernel multiplies by 1/T in f32: it must be finite and normal there (SwiftShader flushes subnormals).
  const invT = typeof t === 'number' ? Math.fround(1 / t) : NaN;
  if (
    typeof t !== 'number' ||
    !Number.isFinite(t) ||
    t <= 0 ||
    !Number.isFinite(invT) ||
    invT < 2 ** -126
  ) {
    throw new InvalidArgumentError(
      `${op}: temperature must be a finite number > 0 (with 1/T a normal float32: about 3e-39 to 8.5e37), got ${describe(t)}`,
      'INVALID_PARAMETER',
    );
  }
  if (p.out !== undefined && !(p.out instanceof Tensor)) {
    throw new InvalidArgumentError(`${op}: out must be a Tensor, got ${describe(p.out)}`);
  }
  return {
    axis: axis < 0 ? axis + rank : axis,
    invT,
    factor: (op === 'softmin' ? -1 : 1) / t,
    out: p.out as Tensor | undefined,
  };
}

function checkInput(rt: Runtime, op: string, arg: string, t: unknown): Tensor {
  rt.checkTensor(op, arg, t);
  if (t.shape.length === 0) {
    throw new InvalidArgumentError(
      `${op}: ${arg} has shape [] (a scalar); the softmax family needs at least one axis`,
      'SHAPE_MISMATCH',
    );
  }
  return t;
}

// ---- dispatch ---------------------------------------------------------------

/** A row-reduction dispatch: what to bind, and the uniforms it carries. */
interface RowJob extends Uniforms {
  op: string;
  mode: Mode;
  log: boolean;
  labels: boolean;
  inputs: Tensor[];
  out: Tensor;
  /** Cross-entropy: label words and per-row losses, bound after out. */
  extra: BufferRange[];
}

/**
 * Records the row kernel(s) of a job. An output that is also an input is
 * written to a scratch tensor and copied back: WebGPU forbids binding one
 * range both read-only and writable in a dispatch.
 */
function recordRows(rt: Runtime, job: RowJob): void {
  const { out } = job;
  if (out.size === 0 || job.rows === 0) return;
  const aliased = job.inputs.some(
    (t) => t.buffer === out.buffer && t.byteOffset === out.byteOffset,
  );
  writeThrough(rt, out, aliased, `${job.op} in-place scratch`, (target) => {
    const u = packUniforms({ ...job });
    const ranges = [...job.inputs.map(tensorRange), tensorRange(target), ...job.extra];
    const spec = (phase: 0 | 1 | 2): KernelSpec => ({
      mode: job.mode,
      log: job.log,
      dtype: out.dtype,
      labels: job.labels,
      plan: job.plan,
      phase,
      unit: job.plan.reduce === 'rows' && job.signBit === 0 && job.invT === 1,
    });
    const pipeline = (s: KernelSpec) =>
      rt.pipeline(
        kernelKey(s),
        `softmax-family ${job.mode}${s.log ? ' log' : ''} ${s.dtype} ${s.plan.reduce} k${s.plan.k} vw${s.plan.vw ?? 1} phase ${s.phase}`,
        () => softmaxShader(s),
      );
    const info = (
      rt.device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }
    ).adapterInfo;
    const groups = workgroupsOf(
      job.plan,
      job.rows,
      info?.subgroupMaxSize ?? 128,
      info?.subgroupMinSize || 4,
    );
    if (job.plan.chunks > 1) {
      const partials = rt.allocate(
        [job.rows * job.plan.chunks * 4],
        'float32',
        `${job.op} partials`,
      );
      const withPartials = [...ranges, tensorRange(partials)];
      rt.dispatch(pipeline(spec(1)), u, withPartials, groups);
      rt.dispatch(pipeline(spec(2)), u, withPartials, groups);
      // The runtime defers the free until the recorded dispatches are submitted.
      partials.destroy();
    } else {
      rt.dispatch(pipeline(spec(0)), u, ranges, groups);
    }
  });
}

const planFor = (
  rt: Runtime,
  rows: number,
  len: number,
  inner: number,
  split = true,
  rowsKernel = false,
): Plan =>
  planRows(rows, len, inner, { split, subgroups: rt.features.has('subgroups'), rows: rowsKernel });

/** rows, len and inner (the stride along the axis) of a shape reduced along `axis`. */
function geometry(shape: readonly number[], axis: number) {
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  return { rows: sizeOf(shape.slice(0, axis)) * inner, len, inner };
}

/**
 * The forward (inputs [x]) or the backward (inputs [y, dy]) of the softmax
 * family along params.axis; `out` may be given (same shape and dtype).
 */
function rowOp(
  rt: Runtime,
  op: SoftmaxOp,
  mode: 'forward' | 'backward',
  inputs: Tensor[],
  params: SoftmaxParams & { out?: Tensor },
): Tensor {
  const a = inputs[0];
  const p = resolveParams(op, a.shape.length, params);
  checkBindable(rt.limits, op, mode === 'forward' ? 'x' : 'y', a.byteLength);
  const out = rt.output(op, p.out, a, inputs);
  const g = geometry(a.shape, p.axis);
  recordRows(rt, {
    op,
    mode,
    log: op === 'logSoftmax',
    labels: false,
    inputs,
    out,
    extra: [],
    ...g,
    plan: planFor(rt, g.rows, g.len, g.inner, true, true),
    // The backward takes y, already signed: the sign is in `factor` only.
    signBit: mode === 'forward' && op === 'softmin' ? 0x80000000 : 0,
    invT: p.invT,
    factor: p.factor,
    smoothC: 0,
    keep: 1,
  });
  return out;
}

/** y = softmax-family(x) along params.axis; `out` may be given (same shape and dtype). */
export function softmaxForward(
  rt: Runtime,
  op: SoftmaxOp,
  x: Tensor,
  params: SoftmaxParams & { out?: Tensor } = {},
): Tensor {
  return rowOp(rt, op, 'forward', [checkInput(rt, op, 'x', x)], params);
}

/** dx from the forward output y and dy: softmax dx = y (dy - sum(dy y)); logSoftmax dx = dy - exp(y) sum(dy). */
export function softmaxBackward(
  rt: Runtime,
  op: SoftmaxOp,
  inputs: { y: Tensor; dy: Tensor },
  params: SoftmaxParams & { out?: Tensor } = {},
): Tensor {
  const y = checkInput(rt, op, 'y', inputs.y);
  const dy = checkInput(rt, op, 'dy', inputs.dy);
  checkSameLayout(op, 'y', y, 'dy', dy);
  return rowOp(rt, op, 'backward', [y, dy], params);
}

const OP_CE = 'softmaxCrossEntropy';

/** Labels as i32 words with ignored rows marked -1, after checking each against [0, classes). */
function labelWords(
  labels: Int32Array | Uint32Array,
  rows: number,
  classes: number,
  ignore: number | undefined,
) {
  if (labels.length !== rows) {
    throw new InvalidArgumentError(
      `${OP_CE}: target has ${labels.length} labels but logits have ${rows} rows`,
      'SHAPE_MISMATCH',
    );
  }
  const words = new Int32Array(Math.max(1, rows));
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const l = labels[r];
    if (l === ignore) {
      words[r] = -1;
      continue;
    }
    if (l < 0 || l >= classes) {
      throw new InvalidArgumentError(
        `${OP_CE}: target[${r}] = ${l} is outside [0, ${classes})` +
          (ignore === undefined ? '' : ` and is not ignoreIndex (${ignore})`),
        'INVALID_PARAMETER',
      );
    }
    words[r] = l;
    count++;
  }
  return { words, count };
}

/** Fused loss and gradient: { loss ([rows] for 'none', else []), dlogits ([rows, classes]) }. */
export function softmaxCrossEntropy(
  rt: Runtime,
  logits: Tensor,
  target: Tensor | Int32Array | Uint32Array,
  options: CrossEntropyOptions = {},
): { loss: Tensor; dlogits: Tensor } {
  rt.checkTensor(OP_CE, 'logits', logits);
  if (logits.shape.length !== 2) {
    throw new InvalidArgumentError(
      `${OP_CE}: logits must have shape [rows, classes], got ${shapeText(logits.shape)}`,
      'SHAPE_MISMATCH',
    );
  }
  const [rows, classes] = logits.shape;
  const o = checkObject(OP_CE, 'options', options);
  checkKeys(OP_CE, 'option', o, ['ignoreIndex', 'labelSmoothing', 'reduction']);
  const reduction = o.reduction ?? 'mean';
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') {
    throw new InvalidArgumentError(
      `${OP_CE}: reduction must be 'none', 'mean' or 'sum', got ${describe(reduction)}`,
      'INVALID_PARAMETER',
    );
  }
  const s = o.labelSmoothing ?? 0;
  if (typeof s !== 'number' || !(s >= 0 && s < 1)) {
    throw new InvalidArgumentError(
      `${OP_CE}: labelSmoothing must be in [0, 1), got ${describe(s)}`,
      'INVALID_PARAMETER',
    );
  }
  const ignore = o.ignoreIndex;
  if (ignore !== undefined && (typeof ignore !== 'number' || !Number.isSafeInteger(ignore))) {
    throw new InvalidArgumentError(
      `${OP_CE}: ignoreIndex must be an integer, got ${describe(ignore)}`,
      'INVALID_PARAMETER',
    );
  }
  const labels = target instanceof Int32Array || target instanceof Uint32Array;
  let count = rows;
  let words: Int32Array | null = null;
  if (labels) {
    ({ words, count } = labelWords(target, rows, classes, ignore as number | undefined));
  } else {
    if (!(target instanceof Tensor)) {
      throw new InvalidArgumentError(
        `${OP_CE}: target must be an Int32Array or Uint32Array of labels or a probability Tensor, got ${describe(target)}`,
      );
    }
    rt.checkTensor(OP_CE, 'target', target);
    checkSameLayout(OP_CE, 'logits', logits, 'target', target);
    if (ignore !== undefined) {
      throw new InvalidArgumentError(
        `${OP_CE}: ignoreIndex applies to integer labels, not a probability target`,
      );
    }
  }
  checkBindable(rt.limits, OP_CE, 'logits', logits.byteLength);

  const scale = reduction === 'mean' ? (count > 0 ? 1 / count : 0) : 1;
  const dlogits = rt.allocate(logits.shape, logits.dtype, `${OP_CE} dlogits`);
  const lossRows = rt.allocate(
    [rows],
    'float32',
    reduction === 'none' ? `${OP_CE} loss` : `${OP_CE} row losses`,
  );
  const extra: BufferRange[] = [];
  let labelTensor: Tensor | null = null;
  if (words) {
    labelTensor = rt.allocate([words.length], 'float32', `${OP_CE} labels`);
    rt.upload(labelTensor, words);
    extra.push(tensorRange(labelTensor));
  }
  extra.push(tensorRange(lossRows));
  recordRows(rt, {
    op: OP_CE,
    mode: 'ce',
    log: false,
    labels,
    inputs: labels ? [logits] : [logits, target as Tensor],
    out: dlogits,
    extra,
    rows,
    len: classes,
    inner: 1,
    // The row loss is summed in the same workgroup, so rows are never split.
    plan: planFor(rt, rows, classes, 1, false),
    signBit: 0,
    invT: 1,
    factor: scale,
    smoothC: classes > 0 ? s / classes : 0,
    keep: 1 - s,
  });
  labelTensor?.destroy();
  if (rows > 0 && classes === 0) {
    // No kernel ran (nothing to write in dlogits): an empty row has loss 0.
    rt.upload(lossRows, new Float32Array(rows));
  }
  if (reduction === 'none') return { loss: lossRows, dlogits };

  const loss = rt.allocate([], 'float32', `${OP_CE} loss`);
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 2).set([rows, 0]);
  new Float32Array(u, 8, 2).set([scale, NaN]);
  const pipeline = rt.pipeline('softmax|ce-sum', `${OP_CE} ${reduction}`, lossSumShader);
  rt.dispatch(pipeline, u, [tensorRange(lossRows), tensorRange(loss)], 1);
  lossRows.destroy();
  return { loss, dlogits };
}
