// Float64 reference for erf/erfc, used to check the float32 WGSL version.
// |x| < 1: positive-term series (no cancellation); |x| >= 1: continued fraction for erfc,
// so erfc stays relatively accurate until it underflows (x ~ 27).

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/** exp(-x*x) without the rounding error of x*x (x = hi + lo, hi*hi exact). */
function expMinusSquare(x: number): number {
  const hi = Math.round(x * 65536) / 65536;
  const lo = x - hi;
  return Math.exp(-lo * (x + hi)) * Math.exp(-hi * hi);
}

/** erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)), for |x| < ~3. */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

/** erfc(x) for x >= 1: exp(-x^2)/sqrt(pi) * 2x / (2x^2+1 - 1*2/(2x^2+5 - 3*4/(...))), modified Lentz. */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  const z = 2 * x * x;
  let f = z + 1;
  let c = f;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = -(2 * n - 1) * (2 * n);
    const b = z + 1 + 4 * n;
    d = b + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return ((ONE_OVER_SQRT_PI * 2 * x) / f) * expMinusSquare(x);
}

/** Error function in float64 (~1e-15 relative). */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const r = a < 1 ? erfSeries(a) : a >= 6 ? 1 : 1 - erfcFraction(a);
  return x < 0 ? -r : r;
}

/** Complementary error function 1 - erf(x) in float64, relatively accurate for large x. */
export function erfc64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 1) return 1 - erf64(x);
  if (x > 27.3) return 0;
  return erfcFraction(x);
}

// float64 helpers of the reference: written for accuracy, not speed.
export const sigmoid64 = (x: number) =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
export const softplus64 = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const SQRT1_2 = Math.SQRT1_2;
export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
export const GELU_TANH_K = Math.sqrt(2 / Math.PI);
export const gaussCdf64 = (x: number) =>
  // 0.5 * erfc(-x / sqrt 2), written so the left tail keeps relative accuracy.
  x < 0 ? 0.5 * (1 - erf64(-x * SQRT1_2)) : 0.5 * (1 + erf64(x * SQRT1_2));
