/** Parameter cases derived from the activation table: defaults, and every parameter moved off its default. */
import type { ParamSpec } from '../../src/elementwise/spec.js';
import { activations, type ActivationName } from '../../src/elementwise/table.js';

export function paramCases(op: ActivationName): Record<string, number | string>[] {
  const specs = Object.entries(activations[op].params as Record<string, ParamSpec>);
  // The tensor parameter (prelu's slope) is required: every case passes it, at its sample value.
  const tp = (activations[op] as { tensorParam?: string }).tensorParam;
  const base: Record<string, number | string> = {};
  if (tp) base[tp] = (activations[op].params as Record<string, { default: number }>)[tp].default;
  const cases: Record<string, number | string>[] = [base];
  const moved: Record<string, number | string> = {};
  for (const [name, spec] of specs) {
    if (spec.kind === 'enum') {
      for (const v of spec.values) if (v !== spec.default) cases.push({ [name]: v });
    } else {
      moved[name] = spec.default * 2 + 0.5;
    }
  }
  if (Object.keys(moved).length > 0) cases.push(moved);
  return cases;
}
