/**
 * Randomised: random ops, parameters, lengths, dtypes and values (special
 * values included), every output within tolerance of the float64 reference.
 * The seed is printed; set PROPERTY_SEED to replay a failure, PROPERTY_RUNS
 * to run more cases.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { ParamSpec } from '../../src/elementwise/spec.js';
import { activationNames, activations, type ActivationName } from '../../src/elementwise/table.js';
import { fromHalfArray, toHalfArray } from '../../src/core/f16.js';
import * as ref from '../../src/elementwise/reference.js';
import { sharedActivations } from '../helpers/gpu.js';
import { SPECIAL } from '../helpers/inputs.js';
import { ELEMENTWISE, halfMismatches, mismatches, report } from '../helpers/tolerance.js';

// process.env exists in Node only; the browser run uses the defaults.
const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const seed = Number(env.PROPERTY_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(env.PROPERTY_RUNS ?? 10_000);

const value = fc.oneof(
  fc.float({ min: -100, max: 100, noNaN: true }),
  fc.constantFrom(...SPECIAL, NaN),
  fc.float(),
);

function paramArb(op: ActivationName) {
  const specs = Object.entries(activations[op].params as Record<string, ParamSpec>);
  const fields: Record<string, fc.Arbitrary<number | string>> = {};
  for (const [name, spec] of specs) {
    if (spec.kind === 'enum') fields[name] = fc.constantFrom(...spec.values);
    else if (spec.range === 'positive') fields[name] = fc.double({ min: 0.1, max: 5, noNaN: true });
    // Parameters are float32 on the GPU, which may flush subnormal ones to zero: draw 0 or |v| >= 1e-6.
    else
      fields[name] = fc
        .double({ min: -3, max: 3, noNaN: true })
        .filter((v) =>
          v === 0
            ? spec.range === 'finite'
            : Math.abs(v) >= 1e-6 && (spec.range !== 'nonzero' || Math.abs(v) > 0.05),
        );
  }
  // The tensor parameter (prelu's slope) is required; the others may be left to their defaults.
  const tp = (activations[op] as { tensorParam?: string }).tensorParam;
  return fc.record(fields, { requiredKeys: tp ? [tp] : [] });
}

const caseArb = fc.constantFrom(...activationNames).chain((op) =>
  fc.record({
    op: fc.constant(op),
    params: paramArb(op).filter((p) => op !== 'hardTanh' || (p.min ?? -1) <= (p.max ?? 1)),
    dtype: fc.constantFrom('float32' as const, 'float16' as const),
    backward: fc.boolean(),
    x: fc.array(value, { minLength: 0, maxLength: 70 }),
    dy: fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 70, maxLength: 70 }),
  }),
);

it(`random ops, parameters, lengths and values match the reference (seed ${seed})`, async () => {
  console.log(`property seed: ${seed} (PROPERTY_SEED=${seed} to replay)`);
  const act = await sharedActivations();
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ op, params, dtype, backward, x: xs, dy: dys }) => {
      const round = (a: ArrayLike<number>) =>
        dtype === 'float16' ? fromHalfArray(toHalfArray(a)) : new Float32Array(a);
      const x = round(xs);
      const dy = round(dys.slice(0, x.length));
      const p = { ...params, dtype } as never;
      const got = backward ? await act.grad(op, x, dy, p) : await act.apply(op, x, p);
      const want = backward ? ref.backward(op, x, dy, params) : ref.forward(op, x, params);
      const ms =
        dtype === 'float32'
          ? mismatches(got, want, ELEMENTWISE, [x])
          : halfMismatches(toHalfArray(got), toHalfArray(want), 1, [x]);
      expect(
        ms,
        `${op} ${JSON.stringify(params)} ${dtype} ${backward ? 'backward' : 'forward'}\n${report(ms)}`,
      ).toEqual([]);
    }),
    { seed, numRuns },
  );
});

/** Counterexamples the property test found once, kept as fixed cases. */
it.each([
  ['leakyRelu', { alpha: -5e-324 }, 'float16', false, [-3.4028234663852886e38]],
  ['softplus', { threshold: 0 }, 'float32', false, [1.401298464324817e-45]],
  ['softplus', { threshold: 0 }, 'float32', true, [1.401298464324817e-45]],
  ['hardSigmoid', { beta: 0 }, 'float32', true, [1e-45]],
] as const)('regression: %s %j %s backward=%s on %j', async (op, params, dtype, backward, xs) => {
  const act = await sharedActivations();
  const round = (a: ArrayLike<number>) =>
    dtype === 'float16' ? fromHalfArray(toHalfArray(a)) : new Float32Array(a);
  const x = round(xs);
  const dy = round(new Array(x.length).fill(1));
  const got = backward
    ? await act.grad(op, x, dy, { ...params, dtype })
    : await act.apply(op, x, { ...params, dtype });
  const want = backward ? ref.backward(op, x, dy, params) : ref.forward(op, x, params);
  const ms =
    dtype === 'float32'
      ? mismatches(got, want, ELEMENTWISE, [x])
      : halfMismatches(toHalfArray(got), toHalfArray(want), 1, [x]);
  expect(ms, report(ms)).toEqual([]);
});
