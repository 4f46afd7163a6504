// Numerically careful f32 helpers shared by the activation bodies.
//
// WGSL only bounds exp to 3 + 2|x| ULP and log to an absolute 2^-21 near 1,
// and leaves overflow and NaN behaviour open, so every helper here keeps its
// exp arguments <= 0 (no overflow), avoids log of values near 1 (series
// instead), and says what it returns at +-Inf. Callers guard NaN themselves.

fn is_nan(v: f32) -> bool {
  // Bit test: comparisons with NaN may be folded away by an implementation.
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// x > 0 decided on the bits: subnormals count as positive even where the
// hardware treats them as zero in comparisons (SwiftShader does); NaN of
// either sign counts too, so a body that returns x where this holds keeps
// NaN's own bits and needs no guard. As i32 the sign bit makes x negative and
// +0 is 0; the negative NaNs are the u32 bits above -Inf's. `|`, not `||`:
// no short-circuit to branch on.
fn positive_or_nan(x: f32) -> bool {
  return (bitcast<i32>(x) > 0) | (bitcast<u32>(x) > 0xff800000u);
}

// a > b in IEEE order, decided on the bits, so subnormals compare as the
// numbers they are (not as zero). Neither argument may be NaN.
fn ordered(x: f32) -> i32 {
  let b = bitcast<i32>(x);
  return select(b, -(b & 0x7fffffff), b < 0);
}
fn gt(a: f32, b: f32) -> bool {
  return ordered(a) > ordered(b);
}

// exp(x) - 1 with relative accuracy near 0; -1 at -Inf, +Inf at +Inf.
fn expm1(x: f32) -> f32 {
  // Taylor series to degree 8: truncation error < 1e-8 relative on |x| < 0.5.
  let t = x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
    + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0))))))));
  return select(exp(x) - 1.0, t, abs(x) < 0.5);
}

// log(1 + u) for u in [0, 1], as 2 atanh(u / (2 + u)): no log near 1.
fn log1p_unit(u: f32) -> f32 {
  let s = u / (2.0 + u);
  let s2 = s * s;
  // |s| <= 1/3, so the odd series to s^17 leaves < 1e-9.
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
    + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0 + s2 * (1.0 / 17.0)))))))));
}

// 1 / (1 + exp(-x)) with exp of a non-positive argument only: 0 at -Inf, 1 at +Inf.
fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  let r = 1.0 / (1.0 + e);
  return select(e * r, r, x >= 0.0);
}

// log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): never overflows; +Inf at +Inf, 0 at -Inf.
fn softplus(z: f32) -> f32 {
  return select(0.0, z, z > 0.0) + log1p_unit(exp(-abs(z)));
}

// tanh through expm1 of a non-positive argument: exact +-1 at +-Inf and for |x| > 9.
fn tanh_stable(x: f32) -> f32 {
  let e = expm1(-2.0 * abs(x));
  // -tanh(|x|): the bits of -(-e / (2 + e)), one negation fewer.
  let t = e / (2.0 + e);
  return select(-t, t, x < 0.0);
}

// 1 - tanh(x)^2 = 4 e / (1 + e)^2 with e = exp(-2|x|): no cancellation near saturation.
fn tanh_derivative(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let d = 1.0 + e;
  return 4.0 * e / (d * d);
}

// The saturation guards below are selects, not early returns: SwiftShader
// runs both sides of a branch its SIMD lanes may split on, so an `if` costs
// the branch on top of both paths (10-18% of swiglu, bench/notes/fused.md). Values
// computed past the guards (-Inf * 0 and the like) are never selected.

fn silu(x: f32) -> f32 {
  // Below -110 the true value underflows f32.
  return select(x * sigmoid(x), 0.0, x < -110.0);
}

fn silu_derivative(x: f32) -> f32 {
  let d = sigmoid(x) * (1.0 + x * sigmoid(-x));
  return select(select(d, 1.0, x > 110.0), 0.0, x < -110.0);
}

// tanh(softplus(x)) = m / (m + 2) with m = e^x (e^x + 2): relative accuracy for x -> -inf.
fn mish(x: f32) -> f32 {
  let e = exp(min(x, 20.0));
  let m = e * (e + 2.0);
  return select(select(x * m / (m + 2.0), x, x > 20.0), 0.0, x < -110.0);
}

fn mish_derivative(x: f32) -> f32 {
  let e = exp(min(x, 20.0));
  let m = e * (e + 2.0);
  let d = m + 2.0;
  // tanh(sp) + x sech^2(sp) sigmoid(x), with sech^2(sp) = 4 (m + 1) / (m + 2)^2.
  let g = m / d + x * (4.0 * (m + 1.0) / (d * d)) * (e / (1.0 + e));
  return select(select(g, 1.0, x > 20.0), 0.0, x < -110.0);
}

// gelu's erfc: (erfc(t), exp(-t^2)) for all t >= 0 in one branch-free form, so
// SIMD lanes never diverge and gelu's derivative reuses the exp. Fit (G below)
// by scripts/fit-erf.mjs over [0, 10.5], relative fit error 3.6e-9. exp(-t^2)
// is taken directly: where the rounding of t^2 matters (t > 3) erfc < 2e-5
// and gelu's absolute tolerance covers it.
fn erfc_gauss(t: f32) -> vec2<f32> {
  let a = min(t, 10.5);
  let d = 1.0 / (a + 2.0);
  let y = (a - 2.0) * d;
  let g = 1.02158272 + y * (-0.687160671 + y * (0.279471755 + y * (-0.0364418700 + y * (
    -0.0215055067 + y * (0.00647663279 + y * (0.00306200236 + y * (-0.000834525563 + y * (
    -0.000592698460 + y * (0.0000496413304 + y * 0.0000709328888)))))))));
  let e = exp(-a * a);
  return vec2<f32>(e * g * d, e);
}

const SQRT1_2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;

// (Phi(x), phi(x)): the standard normal CDF and density from one erfc and one
// exp, without branches; the left tail keeps relative accuracy.
fn gauss(x: f32) -> vec2<f32> {
  let e = erfc_gauss(abs(x) * SQRT1_2);
  let tail = 0.5 * e.x;
  return vec2<f32>(select(1.0 - tail, tail, x < 0.0), e.y * INV_SQRT_2PI);
}

fn gelu_erf(x: f32) -> f32 {
  // Phi(-15) * 15 < 1e-49 underflows f32; the select keeps -Inf * 0 from giving NaN.
  return select(x * gauss(x).x, 0.0, x < -15.0);
}

fn gelu_erf_derivative(x: f32) -> f32 {
  let g = gauss(x);
  return select(g.x + x * g.y, select(0.0, 1.0, x > 0.0), abs(x) > 15.0);
}

const GELU_K: f32 = 0.79788456080286536; // sqrt(2 / pi)

// 0.5 x (1 + tanh(u)) = x sigmoid(2u): no cancellation for negative x.
fn gelu_tanh(x: f32) -> f32 {
  let y = x * sigmoid(2.0 * GELU_K * (x + 0.044715 * x * x * x));
  return select(select(y, x, x > 20.0), 0.0, x < -20.0);
}

fn gelu_tanh_derivative(x: f32) -> f32 {
  let u2 = 2.0 * GELU_K * (x + 0.044715 * x * x * x);
  let du2 = 2.0 * GELU_K * (1.0 + 3.0 * 0.044715 * x * x);
  let s = sigmoid(u2);
  let d = s + x * s * sigmoid(-u2) * du2;
  return select(select(d, 1.0, x > 20.0), 0.0, x < -20.0);
}
