/**
 * The activation table's parameters and names, checked: op names, parameter
 * values against their ranges (defaults filled in), their uniform slots, and
 * which input a backward starts from. Each throws an InvalidArgumentError
 * naming the op and the argument before any GPU work is queued.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { checkKeys, checkObject, describe } from '../core/validate.js';
import { acceptsY, activationNames, activations, type ActivationName } from './table.js';
import type { NumberParam, ParamSpec, ParamValues } from './spec.js';

function isActivationName(op: unknown): op is ActivationName {
  return typeof op === 'string' && Object.prototype.hasOwnProperty.call(activations, op);
}

/**
 * An activation name from the table. `extra` lists further names the caller
 * accepts (for the message); `caller` prefixes the message where the op is an
 * argument of another function (`biasAct: unknown op ...`).
 */
export function checkOp(
  op: unknown,
  extra: readonly string[] = [],
  caller?: string,
): asserts op is ActivationName {
  if (!isActivationName(op)) {
    const valid = [...activationNames, ...extra].join(', ');
    throw new InvalidArgumentError(
      `${caller ? `${caller}: ` : ''}unknown op ${describe(op)}; valid ops are: ${valid}`,
      'UNKNOWN_OP',
    );
  }
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
    // The tensor parameter is required: left out, it falls through to checkNumber, which names it.
    if (v === undefined && name !== tensorParam) {
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

/**
 * A backward's inputs hold exactly one of x and y (with dy), and y only for
 * ops whose derivative is a function of the output. Returns which one came.
 * `label` names the caller in messages; `passX` says what to pass instead of y.
 */
export function backwardSource(
  label: string,
  op: ActivationName,
  inputs: { x?: unknown; y?: unknown },
  passX = 'x',
): 'x' | 'y' {
  const hasX = inputs.x !== undefined;
  const hasY = inputs.y !== undefined;
  if (hasX === hasY) {
    throw new InvalidArgumentError(
      `${label}: backward takes exactly one of x or y (with dy), got ${hasX ? 'both' : 'neither'}`,
    );
  }
  if (hasY && !acceptsY(op)) {
    throw new InvalidArgumentError(
      `${label}: backward from y is not available for this op (only sigmoid and tanh); pass ${passX}`,
    );
  }
  return hasX ? 'x' : 'y';
}

/** backwardParams and gradParams: only prelu has a tensor parameter. */
export function checkPrelu(fn: string, op: unknown): void {
  checkOp(op);
  if (op !== 'prelu') {
    throw new InvalidArgumentError(`${fn}: only prelu has a tensor parameter, got ${describe(op)}`);
  }
}
