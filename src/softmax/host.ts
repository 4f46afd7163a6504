/**
 * The softmax family (softmax, logSoftmax, softmin) on the GPU: argument
 * checks, then the row kernel that src/softmax/plan.ts picks for the shape,
 * recorded by src/softmax/record.ts.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { bytesPerElement, Tensor } from '../core/tensor.js';
import {
  bindingLimit,
  checkKeys,
  checkObject,
  checkSameLayout,
  describe,
} from '../core/validate.js';
import type { Runtime } from '../runtime/runtime.js';
import { geometry, planRows } from './plan.js';
import { recordRows } from './record.js';
import type { SoftmaxOp, SoftmaxParams } from './table.js';

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
  const out = rt.output(op, p.out, a, inputs);
  const g = geometry(a.shape, p.axis);
  const subgroups = rt.features.has('subgroups');
  recordRows(rt, {
    op,
    mode,
    log: op === 'logSoftmax',
    labels: false,
    inputs,
    out,
    extra: [],
    ...g,
    // Tensors larger than one binding run in windows; a row larger than one is split.
    plan: planRows(g.rows, g.len, g.inner, {
      split: true,
      subgroups,
      rows: true,
      bindElems: bindingLimit(rt.limits) / bytesPerElement(a.dtype),
    }),
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
