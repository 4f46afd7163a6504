/**
 * The shape of an activation table entry: its parameters, WGSL bodies,
 * float64 reference and docs. The entries themselves are in table.ts.
 */
/** A numeric parameter: default, validity rule, one-line doc. */
export interface NumberParam {
  kind: 'number';
  default: number;
  /** 'finite': any finite number; 'positive': finite and > 0; 'nonzero': finite and != 0. */
  range: 'finite' | 'positive' | 'nonzero';
  doc: string;
}

/** A choice among named variants; the index of the choice reaches the shader. */
export interface EnumParam<T extends string = string> {
  kind: 'enum';
  default: T;
  values: readonly T[];
  doc: string;
}

export type ParamSpec = NumberParam | EnumParam;

/** Parameters as the float64 reference receives them: enums as their string. */
export type ParamValues = Record<string, number | string>;

export interface ActivationDef {
  /** One-line formula for docs. */
  formula: string;
  params: Record<string, ParamSpec>;
  /** Output range, for docs and the learning page. */
  range: string;
  /** Where it is typically used. */
  usedIn: 'hidden' | 'output' | 'hidden/output';
  /** What +-Inf give (NaN always gives NaN). */
  nanInf: string;
  /** Needs exp/log/erf (sets its performance floor). */
  transcendental: boolean;
  wgsl: {
    /** Body of `fn op_forward(x: f32) -> f32`. */
    forward: string;
    /**
     * The forward body returns x itself (its bits: payload and sign) for a NaN
     * x, so the kernel compiles in no NaN guard around it. Tested on NaNs
     * (test/elementwise/nan-safe.test.ts).
     */
    keepsNaN?: true;
    /** Body of `fn op_derivative(x: f32) -> f32`: f'(x). */
    derivative: string;
    /** Body of `fn op_derivative_from_y(y: f32) -> f32`, where f' is a function of the output. */
    derivativeFromY?: string;
  };
  ref: {
    forward(x: number, p: ParamValues): number;
    derivative(x: number, p: ParamValues): number;
    derivativeFromY?(y: number, p: ParamValues): number;
  };
  /**
   * Takes a broadcast tensor operand (prelu's slope) besides x. It is required: a call
   * without it is refused (as `tf.prelu(x, alpha)` and `F.prelu(input, weight)` require);
   * its `default` is only the sample value tests and the docs' examples pass.
   */
  tensorParam?: string;
}

/** A numeric parameter's spec. */
export const num = (def: number, range: NumberParam['range'], doc: string): NumberParam => ({
  kind: 'number',
  default: def,
  range,
  doc,
});
