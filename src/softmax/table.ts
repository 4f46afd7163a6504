/**
 * The softmax family as data: its ops, their parameters, and one docs line
 * per op (and for the fused cross-entropy), from which the README's op table
 * and the API reference's Ops page (docs/ops.gen.ts) are generated.
 */

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
