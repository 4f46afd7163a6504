/**
 * The activation table: every elementwise activation is declared here once.
 *
 * Each entry holds the op's parameters (defaults and valid ranges), the WGSL
 * forward and derivative (function bodies over `x: f32`, with each parameter
 * available under its own name), the float64 reference forward and
 * derivative, a one-line formula and its NaN/Inf behaviour. Kernels, the
 * public API's types, tests, the README table and the benchmark all derive
 * from this object, so adding an activation is one entry.
 *
 * NaN handling is not left to WGSL's `max`/`select`/comparisons: the generic
 * kernel returns NaN for a NaN input (and for a NaN upstream gradient)
 * before the op's body is consulted, so the bodies below may assume x is not
 * NaN, unless the entry says `keepsNaN` (its forward returns x's own bits for
 * every NaN x; the kernel then has no guard). They must still give the
 * mathematical limit at +-Inf.
 *
 * Bodies choose per element with `select`, not `if`: SwiftShader evaluates
 * both sides of a per-lane `if` anyway and pays for the masking on top
 * (measured in the bench notes), and on a GPU the two sides diverge within a
 * warp on mixed data all the same. `if` stays for a compiled-in enum (gelu's
 * approximate), which folds away.
 */
import { GELU_TANH_K, INV_SQRT_2PI, gaussCdf64, sigmoid64, softplus64 } from './math64.js';
import { num, type ActivationDef, type EnumParam, type ParamValues } from './spec.js';

const n = (p: ParamValues, k: string) => p[k] as number;

export const activations = {
  identity: {
    formula: 'x',
    params: {},
    range: '(-inf, inf)',
    usedIn: 'output',
    nanInf: '+-Inf -> +-Inf',
    transcendental: false,
    wgsl: { forward: 'return x;', derivative: 'return 1.0;' },
    ref: { forward: (x) => x, derivative: () => 1 },
  },
  relu: {
    formula: 'max(0, x)',
    params: {},
    range: '[0, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: false,
    wgsl: {
      // Above -Inf's bits as i32 (-8388608): x >= +0 (subnormals too) and every NaN; -0, x < 0 below.
      forward: 'return select(0.0, x, bitcast<i32>(x) > -8388608);',
      keepsNaN: true,
      derivative: 'return select(0.0, 1.0, positive_or_nan(x));',
    },
    ref: { forward: (x) => (x > 0 ? x : 0), derivative: (x) => (x > 0 ? 1 : 0) },
  },
  relu6: {
    formula: 'min(max(0, x), 6)',
    params: {},
    range: '[0, 6]',
    usedIn: 'hidden',
    nanInf: '+Inf -> 6, -Inf -> 0',
    transcendental: false,
    wgsl: {
      forward: 'return clamp(x, 0.0, 6.0);',
      derivative: 'return select(0.0, 1.0, positive_or_nan(x) && x < 6.0);',
    },
    ref: {
      forward: (x) => Math.min(Math.max(x, 0), 6),
      derivative: (x) => (x > 0 && x < 6 ? 1 : 0),
    },
  },
  leakyRelu: {
    formula: 'x if x > 0 else alpha * x',
    params: { alpha: num(0.01, 'finite', 'slope for x <= 0') },
    range: '(-inf, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> -Inf * sign(alpha) (0 for alpha = 0)',
    transcendental: false,
    wgsl: {
      forward: 'return select(select(alpha * x, 0.0, alpha == 0.0), x, positive_or_nan(x));',
      keepsNaN: true,
      derivative: 'return select(alpha, 1.0, positive_or_nan(x));',
    },
    ref: {
      forward: (x, p) => (x > 0 ? x : n(p, 'alpha') === 0 ? 0 : n(p, 'alpha') * x),
      derivative: (x, p) => (x > 0 ? 1 : n(p, 'alpha')),
    },
  },
  prelu: {
    formula: 'x if x > 0 else slope * x (slope broadcast to x)',
    // Required: 0.25 is only PyTorch's initial value for a learned slope, not a functional default.
    params: { slope: num(0.25, 'finite', 'a number, or a tensor broadcast to x (NumPy rules)') },
    tensorParam: 'slope',
    range: '(-inf, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> -Inf * sign(slope) (0 for slope = 0)',
    transcendental: false,
    wgsl: {
      forward: 'return select(select(slope * x, 0.0, slope == 0.0), x, positive_or_nan(x));',
      keepsNaN: true,
      derivative: 'return select(slope, 1.0, positive_or_nan(x));',
    },
    ref: {
      forward: (x, p) => (x > 0 ? x : n(p, 'slope') === 0 ? 0 : n(p, 'slope') * x),
      derivative: (x, p) => (x > 0 ? 1 : n(p, 'slope')),
    },
  },
  elu: {
    formula: 'x if x > 0 else alpha * (exp(x) - 1)',
    params: { alpha: num(1, 'finite', 'saturation value for x -> -inf is -alpha') },
    range: '(-alpha, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> -alpha',
    transcendental: true,
    wgsl: {
      forward: 'return select(alpha * expm1(x), x, positive_or_nan(x));',
      keepsNaN: true,
      derivative: 'return select(alpha * exp(x), 1.0, positive_or_nan(x));',
    },
    ref: {
      forward: (x, p) => (x > 0 ? x : n(p, 'alpha') * Math.expm1(x)),
      derivative: (x, p) => (x > 0 ? 1 : n(p, 'alpha') * Math.exp(x)),
    },
  },
  selu: {
    formula: 'scale * (x if x > 0 else alpha * (exp(x) - 1))',
    params: {
      alpha: num(1.6732632423543772, 'finite', 'negative saturation factor'),
      scale: num(1.0507009873554805, 'finite', 'output scale'),
    },
    range: '(-scale * alpha, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> -scale * alpha',
    transcendental: true,
    wgsl: {
      forward: 'return scale * select(alpha * expm1(x), x, positive_or_nan(x));',
      derivative: 'return scale * select(alpha * exp(x), 1.0, positive_or_nan(x));',
    },
    ref: {
      forward: (x, p) => n(p, 'scale') * (x > 0 ? x : n(p, 'alpha') * Math.expm1(x)),
      derivative: (x, p) => n(p, 'scale') * (x > 0 ? 1 : n(p, 'alpha') * Math.exp(x)),
    },
  },
  celu: {
    formula: 'max(0, x) + min(0, alpha * (exp(x / alpha) - 1))',
    params: { alpha: num(1, 'positive', 'saturation value (> 0, as in the CELU paper)') },
    range: '(-alpha, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> -alpha',
    transcendental: true,
    wgsl: {
      forward: 'return select(alpha * expm1(x / alpha), x, positive_or_nan(x));',
      keepsNaN: true,
      derivative: 'return select(exp(x / alpha), 1.0, positive_or_nan(x));',
    },
    ref: {
      forward: (x, p) => (x > 0 ? x : n(p, 'alpha') * Math.expm1(x / n(p, 'alpha'))),
      derivative: (x, p) => (x > 0 ? 1 : Math.exp(x / n(p, 'alpha'))),
    },
  },
  gelu: {
    formula:
      "x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); 'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
    params: {
      approximate: {
        kind: 'enum',
        default: 'none',
        values: ['none', 'tanh'],
        doc: "'none': exact erf form; 'tanh': the tanh approximation",
      } satisfies EnumParam<'none' | 'tanh'>,
    },
    range: '[-0.17, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: true,
    wgsl: {
      forward: 'if (approximate == 0u) { return gelu_erf(x); }\n  return gelu_tanh(x);',
      derivative:
        'if (approximate == 0u) { return gelu_erf_derivative(x); }\n  return gelu_tanh_derivative(x);',
    },
    ref: {
      forward: (x, p) => {
        if (p.approximate === 'tanh') {
          if (!Number.isFinite(x)) return x > 0 ? x : 0;
          return x * sigmoid64(2 * GELU_TANH_K * (x + 0.044715 * x * x * x));
        }
        if (x === -Infinity) return 0;
        return x * gaussCdf64(x);
      },
      derivative: (x, p) => {
        if (p.approximate === 'tanh') {
          if (Math.abs(x) > 1e10) return x > 0 ? 1 : 0;
          const u = 2 * GELU_TANH_K * (x + 0.044715 * x * x * x);
          const du = 2 * GELU_TANH_K * (1 + 3 * 0.044715 * x * x);
          return sigmoid64(u) + x * sigmoid64(u) * sigmoid64(-u) * du;
        }
        if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
        return gaussCdf64(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
      },
    },
  },
  silu: {
    formula: 'x * sigmoid(x)',
    params: {},
    range: '[-0.28, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: true,
    wgsl: {
      forward: 'return silu(x);',
      derivative: 'return silu_derivative(x);',
    },
    ref: {
      forward: (x) => (x === -Infinity ? 0 : x * sigmoid64(x)),
      derivative: (x) =>
        Number.isFinite(x) ? sigmoid64(x) * (1 + x * sigmoid64(-x)) : x > 0 ? 1 : 0,
    },
  },
  mish: {
    formula: 'x * tanh(softplus(x))',
    params: {},
    range: '[-0.31, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: true,
    wgsl: { forward: 'return mish(x);', derivative: 'return mish_derivative(x);' },
    ref: {
      forward: (x) => (x === -Infinity ? 0 : x === Infinity ? x : x * Math.tanh(softplus64(x))),
      derivative: (x) => {
        if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
        const t = Math.tanh(softplus64(x));
        return t + x * (1 - t * t) * sigmoid64(x);
      },
    },
  },
  softplus: {
    formula: 'log(1 + exp(beta x)) / beta, or x where beta x > threshold',
    params: {
      beta: num(1, 'positive', 'sharpness'),
      threshold: num(20, 'finite', 'above beta x > threshold the op is linear'),
    },
    range: '(0, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: true,
    wgsl: {
      // x > threshold / beta, not beta * x > threshold: the product of a subnormal x flushes to 0.
      forward: 'return select(softplus(beta * x) / beta, x, gt(x, threshold / beta));',
      derivative: 'return select(sigmoid(beta * x), 1.0, gt(x, threshold / beta));',
    },
    ref: {
      forward: (x, p) => {
        const z = n(p, 'beta') * x;
        return z > n(p, 'threshold') ? x : softplus64(z) / n(p, 'beta');
      },
      derivative: (x, p) => {
        const z = n(p, 'beta') * x;
        return z > n(p, 'threshold') ? 1 : sigmoid64(z);
      },
    },
  },
  softsign: {
    formula: 'x / (1 + |x|)',
    params: {},
    range: '(-1, 1)',
    usedIn: 'hidden',
    nanInf: '+-Inf -> +-1',
    transcendental: false,
    wgsl: {
      forward: 'return select(x / (1.0 + abs(x)), sign(x), abs(x) > 1e30);',
      derivative: 'let d = 1.0 + abs(x);\n  return select(1.0 / (d * d), 0.0, abs(x) > 1e30);',
    },
    ref: {
      forward: (x) => (Number.isFinite(x) ? x / (1 + Math.abs(x)) : Math.sign(x)),
      derivative: (x) => (Number.isFinite(x) ? 1 / (1 + Math.abs(x)) ** 2 : 0),
    },
  },
  tanh: {
    formula: 'tanh(x)',
    params: {},
    range: '(-1, 1)',
    usedIn: 'hidden',
    nanInf: '+-Inf -> +-1',
    transcendental: true,
    wgsl: {
      forward: 'return tanh_stable(x);',
      derivative: 'return tanh_derivative(x);',
      derivativeFromY: 'return (1.0 - y) * (1.0 + y);',
    },
    ref: {
      forward: (x) => Math.tanh(x),
      derivative: (x) => {
        if (!Number.isFinite(x)) return 0;
        const e = Math.exp(-2 * Math.abs(x));
        return (4 * e) / ((1 + e) * (1 + e));
      },
      derivativeFromY: (y) => (1 - y) * (1 + y),
    },
  },
  sigmoid: {
    formula: '1 / (1 + exp(-x))',
    params: {},
    range: '(0, 1)',
    usedIn: 'output',
    nanInf: '+Inf -> 1, -Inf -> 0',
    transcendental: true,
    wgsl: {
      forward: 'return sigmoid(x);',
      derivative: 'return sigmoid(x) * sigmoid(-x);',
      derivativeFromY: 'return y * (1.0 - y);',
    },
    ref: {
      forward: (x) => sigmoid64(x),
      derivative: (x) => sigmoid64(x) * sigmoid64(-x),
      derivativeFromY: (y) => y * (1 - y),
    },
  },
  hardSigmoid: {
    formula: 'clamp(alpha x + beta, 0, 1) (PyTorch: alpha = 1/6, beta = 1/2; ONNX/Keras: 0.2, 0.5)',
    params: {
      alpha: num(1 / 6, 'nonzero', 'slope'),
      beta: num(0.5, 'finite', 'offset'),
    },
    range: '[0, 1]',
    usedIn: 'hidden/output',
    nanInf: '+-Inf -> the clamp bound on that side',
    transcendental: false,
    wgsl: {
      forward: 'return clamp(alpha * x + beta, 0.0, 1.0);',
      // x against the kinks, not alpha x + beta against 0 and 1: that product underflows for a subnormal x.
      derivative:
        'let k0 = -beta / alpha;\n  let k1 = (1.0 - beta) / alpha;\n  return select(0.0, alpha, gt(x, min(k0, k1)) && gt(max(k0, k1), x));',
    },
    ref: {
      forward: (x, p) => Math.min(Math.max(n(p, 'alpha') * x + n(p, 'beta'), 0), 1),
      derivative: (x, p) => {
        const z = n(p, 'alpha') * x + n(p, 'beta');
        return z > 0 && z < 1 ? n(p, 'alpha') : 0;
      },
    },
  },
  hardSwish: {
    formula: 'x * relu6(x + 3) / 6',
    params: {},
    range: '[-0.375, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: false,
    wgsl: {
      forward: 'return select(select(x * (x + 3.0) * (1.0 / 6.0), x, x >= 3.0), 0.0, x <= -3.0);',
      derivative: 'return select(select(1.0, x * (1.0 / 3.0) + 0.5, x <= 3.0), 0.0, x < -3.0);',
    },
    ref: {
      forward: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6),
      derivative: (x) => (x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1),
    },
  },
  hardTanh: {
    formula: 'clamp(x, min, max)',
    params: {
      min: num(-1, 'finite', 'lower bound'),
      max: num(1, 'finite', 'upper bound, >= min'),
    },
    range: '[min, max]',
    usedIn: 'hidden',
    nanInf: '+Inf -> max, -Inf -> min',
    transcendental: false,
    wgsl: {
      forward: 'return clamp(x, min, max);',
      derivative: 'return select(0.0, 1.0, gt(x, min) && gt(max, x));',
    },
    ref: {
      forward: (x, p) => Math.min(Math.max(x, n(p, 'min')), n(p, 'max')),
      derivative: (x, p) => (x > n(p, 'min') && x < n(p, 'max') ? 1 : 0),
    },
  },
  logSigmoid: {
    formula: 'log(sigmoid(x)) = -softplus(-x)',
    params: {},
    range: '(-inf, 0)',
    usedIn: 'output',
    nanInf: '+Inf -> 0, -Inf -> -Inf',
    transcendental: true,
    wgsl: {
      forward: 'return -softplus(-x);',
      derivative: 'return sigmoid(-x);',
    },
    ref: { forward: (x) => -softplus64(-x), derivative: (x) => sigmoid64(-x) },
  },
  thresholdedRelu: {
    formula: 'x if x > alpha else 0',
    params: { alpha: num(1, 'finite', 'threshold') },
    range: '{0} or (alpha, inf)',
    usedIn: 'hidden',
    nanInf: '+Inf -> +Inf, -Inf -> 0',
    transcendental: false,
    wgsl: {
      forward: 'return select(0.0, x, gt(x, alpha));',
      derivative: 'return select(0.0, 1.0, gt(x, alpha));',
    },
    ref: {
      forward: (x, p) => (x > n(p, 'alpha') ? x : 0),
      derivative: (x, p) => (x > n(p, 'alpha') ? 1 : 0),
    },
  },
} satisfies Record<string, ActivationDef>;

export type ActivationName = keyof typeof activations;

/** Every op name, in table order. */
export const activationNames = Object.keys(activations) as ActivationName[];

/** The user-facing parameter object of one op (all optional, defaults from the table). */
export type ActivationParams<Op extends ActivationName> = {
  [
    K in keyof (typeof activations)[Op]['params']
  ]?: (typeof activations)[Op]['params'][K] extends EnumParam<infer T> ? T : number;
};

/** Ops whose derivative can be taken from the forward output y instead of x. */
export function acceptsY(op: ActivationName): boolean {
  return (activations[op] as ActivationDef).wgsl.derivativeFromY !== undefined;
}

export function defOf(op: ActivationName): ActivationDef {
  return activations[op] as ActivationDef;
}
