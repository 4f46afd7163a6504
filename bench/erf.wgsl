// erf / erfc in f32 (WGSL has no erf). Coefficients: relative-error minimax fits in float64 by
// scripts/fit-erf.mjs. Measured in a float32 simulation (test/erf-sim.test.ts): erf_f32 max abs
// error 7.9e-8 over all f32; erfc_pos max relative error 3.3e-7 on [1, 9.2] (every f32).
// No shipped kernel calls these (gelu uses erfc_gauss in math.wgsl), so the package does not
// import this file: the erf tests and the benchmark's plain kernels do.

// erfc(t) for t >= 1 (below 1 the fit is extrapolated: use 1 - erf_f32 there). Relatively
// accurate until the result leaves the normal f32 range (t ~ 9.2); 0 for t >= 10.5.
// erfc(t) = exp(-t^2) * Q(y) / (t + 2), y = (t - 2) / (t + 2); fit error of Q 2.7e-9.
fn erfc_pos(t: f32) -> f32 {
  let a = clamp(t, 0.0, 10.5);
  let d = 1.0 / (a + 2.0);
  let y = (a - 2.0) * d;
  let q = 1.02158272 + y * (-0.687160611 + y * (0.279472291 + y * (-0.0364450403 + y * (
    -0.0215127077 + y * (0.00652526366 + y * (0.00305559975 + y * (-0.00105854531 + y * (
    -0.000288080366))))))));
  // t^2 = h^2 + (t - h)(t + h) with h = t on a 1/256 grid: h^2 is exact, so the rounding of t^2
  // (up to ~100 * 6e-8 absolute in the exponent) does not leak into the result.
  let h = floor(a * 256.0) * (1.0 / 256.0);
  let hh = h * h;
  let lo = (a - h) * (a + h);
  // exp(-t^2) = 2^-n * exp(-r), |r| < 0.45: GPU exp error grows with |arg|, ldexp is exact.
  // ln2 = 0.693145751953125 + 1.42860677e-6; n * 0.693145751953125 is exact for n < 256.
  let n = round(hh * 1.44269504);
  let r = ((hh - n * 0.693145751953125) - n * 1.42860677e-6) + lo;
  let res = ldexp(exp(-r) * q * d, -i32(n));
  return select(res, 0.0, t >= 10.5);
}

// erf(x) for all f32 x; odd (keeps the sign of -0), erf(+-inf) = +-1. NaN input gives an
// unspecified value (WGSL min/abs need not propagate NaN).
fn erf_f32(x: f32) -> f32 {
  // erf(4) = 1 - 1.5e-8 already rounds to 1; clamping also keeps a * a finite.
  let a = min(abs(x), 4.0);
  var r: f32;
  if (a < 1.0) {
    // erf(a) = a + a * E(a^2), E(u) = erf(a)/a - 1 (the leading 1 stays exact); fit error 1.2e-9.
    let u = a * a;
    let e = 0.128379166 + u * (-0.376126260 + u * (0.112835854 + u * (-0.0268538129 + u * (
      0.00518832775 + u * (-0.000801019371 + u * 0.0000785386146)))));
    r = a + a * e;
  } else {
    r = 1.0 - erfc_pos(a);
  }
  return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(x) & 0x80000000u));
}
