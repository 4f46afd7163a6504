// scaledMaskedSoftmax's soft-capping (Gemma 2), spliced in only with softcap:
// c * tanh(v / c), tanh's argument clamped where tanh is +-1 in f32 (so +-Inf
// give +-c; NaN stays NaN), and its derivative in x, sech^2(scale * x / c) =
// 4e / (1 + e)^2 with e = exp(-2 |scale * x / c|) (no cancellation near +-c).
fn cap_of(v: Lanes) -> Lanes {
  let t = tanh(clamp(v / P.cap, Lanes(-10.0), Lanes(10.0)));
  return select(P.cap * t, v, is_nan(v));
}

fn cap_d(x: Lanes) -> Lanes {
  let e = exp(-2.0 * min(abs(P.scale * x / P.cap), Lanes(50.0)));
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}
