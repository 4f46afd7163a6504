/**
 * What the fused families declare rather than compute: the GLU variants
 * (each a table activation and the half it gates) and the kernels' tuning.
 * Data only, so that the hosts, the codegen and the float64 reference can
 * all read it without the reference reaching GPU code.
 */
import type { ActivationName } from '../elementwise/table.js';

/** Each GLU variant: the table activation it applies and which half it gates. */
export const gluVariants = {
  glu: { op: 'sigmoid', gated: 'b', formula: 'a * sigmoid(b)' },
  swiglu: { op: 'silu', gated: 'a', formula: 'silu(a) * b' },
  geglu: {
    op: 'gelu',
    gated: 'a',
    formula: "gelu(a) * b (approximate: 'none' erf form, or 'tanh')",
  },
  reglu: { op: 'relu', gated: 'a', formula: 'relu(a) * b' },
} as const satisfies Record<string, { op: ActivationName; gated: 'a' | 'b'; formula: string }>;

export type GluKind = keyof typeof gluVariants;

/** The GLU kinds, in table order. */
export const gluKinds = Object.keys(gluVariants) as GluKind[];

/** Tuning of the fused kernels; mutable so tests can force every path on small shapes. */
export const fusedTuning = {
  /** biasAct: aim for about this many invocations (runs of rows x column words). */
  targetThreads: 65536,
  /** biasAct backward: at least this many rows per invocation. */
  minRowsPerSlice: 8,
  /** biasAct forward: at most this many rows per invocation. */
  maxForwardRows: 16,
  /** scaledMaskedSoftmax: one subgroup per row where the adapter has subgroups. */
  useSubgroups: true,
};
