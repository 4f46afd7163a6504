/**
 * Argument checks. Each throws an InvalidArgumentError naming the op and the
 * argument, what was expected and what came, before any GPU work is queued.
 */
import {
  activationNames,
  activations,
  type ActivationName,
  type NumberParam,
  type ParamSpec,
  type ParamValues,
} from '../elementwise/table.js';
import { InvalidArgumentError } from './errors.js';
import type { DType } from '../elementwise/codegen.js';
import { sizeOf, Tensor } from './tensor.js';

export { sizeOf };

/** A short, safe description of any value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as Uint8Array).length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return typeof v;
}

/** A shape as messages show it: `[2, 3]`. */
export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** An options object (undefined reads as {}); arrays and tensors are refused. */
export function checkObject(op: string, arg: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) {
    throw new InvalidArgumentError(`${op}: ${arg} must be an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

/** Unknown keys are refused: a misspelt option is an error, not ignored. */
export function checkKeys(op: string, what: string, given: object, valid: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!valid.includes(key)) {
      throw new InvalidArgumentError(
        `${op}: unknown ${what} ${JSON.stringify(key)}; valid ${what}s are: ${valid.join(', ') || '(none)'}`,
      );
    }
  }
}

/** `shape` (argument `arg`) must hold the `n` elements of `data`. */
export function checkSize(
  op: string,
  arg: string,
  shape: readonly number[],
  data: string,
  n: number,
): void {
  if (sizeOf(shape) !== n) {
    throw new InvalidArgumentError(
      `${op}: ${arg} ${shapeText(shape)} holds ${sizeOf(shape)} elements but ${data} has ${n}`,
      'SHAPE_MISMATCH',
    );
  }
}

export function isActivationName(op: unknown): op is ActivationName {
  return typeof op === 'string' && Object.prototype.hasOwnProperty.call(activations, op);
}

export function checkOp(op: unknown, extra: readonly string[] = []): asserts op is ActivationName {
  if (!isActivationName(op)) {
    const valid = [...activationNames, ...extra].join(', ');
    throw new InvalidArgumentError(
      `unknown op ${describe(op)}; valid ops are: ${valid}`,
      'UNKNOWN_OP',
    );
  }
}

export function checkDType(op: string, arg: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new InvalidArgumentError(
      `${op}: ${arg} must be 'float32' or 'float16', got ${describe(dtype)}`,
      'DTYPE_MISMATCH',
    );
  }
  return dtype;
}

/** A shape: an array of non-negative safe integers whose product is a safe integer. */
export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new InvalidArgumentError(
      `${op}: ${arg} must be an array of integers, got ${describe(shape)}`,
    );
  }
  let size = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgumentError(
        `${op}: ${arg}[${i}] must be a non-negative integer, got ${describe(d)}`,
      );
    }
    size *= d;
  });
  if (!Number.isSafeInteger(size)) {
    throw new InvalidArgumentError(`${op}: ${arg} ${shapeText(shape)} has more than 2^53 elements`);
  }
  return [...shape];
}

/** What each range of a numeric parameter admits besides being a finite number. */
const RANGES: Record<NumberParam['range'], [string, (v: number) => boolean]> = {
  finite: ['a finite number', () => true],
  positive: ['a finite number > 0', (v) => v > 0],
  nonzero: ['a finite non-zero number', (v) => v !== 0],
};

function checkNumber(op: string, name: string, spec: NumberParam, v: unknown): number {
  const [expected, ok] = RANGES[spec.range];
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new InvalidArgumentError(
      `${op}: ${name} must be ${expected}, got ${describe(v)}`,
      'INVALID_PARAMETER',
    );
  }
  return v;
}

/**
 * Resolves an op's parameters: defaults filled in, each checked against its
 * range, unknown keys refused (a misspelt option is an error, not ignored).
 * `allowed` names the non-parameter options the calling function accepts.
 * The op's tensor parameter, when given as a tensor, is left to the caller.
 */
export function resolveParams(
  op: ActivationName,
  params: unknown,
  allowed: readonly string[],
): ParamValues {
  const given = checkObject(op, 'params', params);
  const specs = activations[op].params as Record<string, ParamSpec>;
  const tensorParam = (activations[op] as { tensorParam?: string }).tensorParam;
  checkKeys(op, 'option', given, [...Object.keys(specs), ...allowed]);
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = given[name];
    if (v === undefined) {
      out[name] = spec.default;
    } else if (spec.kind === 'enum') {
      if (typeof v !== 'string' || !spec.values.includes(v)) {
        throw new InvalidArgumentError(
          `${op}: ${name} must be one of ${spec.values.map((s) => `'${s}'`).join(', ')}, got ${describe(v)}`,
          'INVALID_PARAMETER',
        );
      }
      out[name] = v;
    } else if (name === tensorParam && typeof v === 'object' && v !== null) {
      out[name] = NaN; // a tensor: checked and bound by the caller
    } else {
      out[name] = checkNumber(op, name, spec, v);
    }
  }
  if (op === 'hardTanh' && (out.min as number) > (out.max as number)) {
    throw new InvalidArgumentError(
      `hardTanh: min must be <= max, got min ${out.min} and max ${out.max}`,
      'INVALID_PARAMETER',
    );
  }
  return out;
}

/** The float values of params in table order, as they travel in the uniform buffer. */
export function paramSlots(op: ActivationName, values: ParamValues): number[] {
  const specs = activations[op].params as Record<string, ParamSpec>;
  return Object.entries(specs).map(([name, spec]) =>
    spec.kind === 'enum' ? spec.values.indexOf(values[name] as string) : (values[name] as number),
  );
}

/** b must have a's shape and dtype (dy against x, out against x, ...). */
export function checkSameLayout(op: string, an: string, a: Tensor, bn: string, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new InvalidArgumentError(
      `${op}: ${bn} has shape ${shapeText(b.shape)} but ${an} has shape ${shapeText(a.shape)}`,
      'SHAPE_MISMATCH',
    );
  }
  if (a.dtype !== b.dtype) {
    throw new InvalidArgumentError(
      `${op}: ${bn} is ${b.dtype} but ${an} is ${a.dtype}`,
      'DTYPE_MISMATCH',
    );
  }
}

/**
 * An output may be exactly an input's range (in place) or in another buffer:
 * WebGPU forbids one buffer bound both read-only and writable in a dispatch,
 * so even a disjoint range of an input's buffer is refused here, not by the
 * device at submission.
 */
export function checkOutputOverlap(op: string, out: Tensor, inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (t.buffer !== out.buffer || t === out) continue;
    if (t.byteOffset !== out.byteOffset || t.byteLength !== out.byteLength) {
      throw new InvalidArgumentError(
        `${op}: out shares an input's buffer at another range; it must be exactly that input (in place) or in another buffer`,
      );
    }
  }
}
