// The forward row state of a softmax over v = sign * x, temperature applied
// to differences: (v_i - m) / T, never v / T, so a small T cannot overflow.

fn is_pos_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0x7f800000u;
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

// (a - b) / T for finite a <= b. Where 1/T < 1, scaling first keeps the
// difference of two large values from overflowing when the quotient would
// not; where 1/T >= 1, an overflowed difference is -Inf and so is the answer.
fn scaled_diff(a: f32, b: f32) -> f32 {
  if (P.inv_t < 1.0) {
    return a * P.inv_t - b * P.inv_t;
  }
  return (a - b) * P.inv_t;
}

// exp of a non-positive argument; the clamp keeps -Inf away from exp (whose
// value there WGSL leaves open) and still underflows to 0.
fn exp_neg(d: f32) -> f32 {
  return exp(max(d, -104.0));
}

// m: the largest finite v so far; s: sum of exp((v - m) / T) over finite v,
// 0 while there is none (-Inf entries never enter); inf: how many v are +Inf;
// nan: 1 once any v is NaN.
struct State {
  m: f32,
  s: f32,
  inf: u32,
  nan: u32,
}

fn identity() -> State {
  return State(0.0, 0.0, 0u, 0u);
}

fn add_value(st: State, v: f32) -> State {
  var r = st;
  if (is_nan(v)) {
    r.nan = 1u;
  } else if (is_pos_inf(v)) {
    r.inf += 1u;
  } else if (!is_neg_inf(v)) {
    if (r.s == 0.0) {
      r.m = v;
      r.s = 1.0;
    } else if (v > r.m) {
      // Online softmax: rescale the running sum to the new maximum.
      r.s = r.s * exp_neg(scaled_diff(r.m, v)) + 1.0;
      r.m = v;
    } else {
      r.s += exp_neg(scaled_diff(v, r.m));
    }
  }
  return r;
}

fn combine(a: State, b: State) -> State {
  var r = State(a.m, a.s, a.inf + b.inf, a.nan | b.nan);
  if (a.s == 0.0) {
    r.m = b.m;
    r.s = b.s;
  } else if (b.s != 0.0) {
    let m = max(a.m, b.m);
    r.m = m;
    r.s = a.s * exp_neg(scaled_diff(a.m, m)) + b.s * exp_neg(scaled_diff(b.m, m));
  }
  return r;
}

fn to_partial(st: State) -> vec4<f32> {
  // Counts up to 2^24 are exact in f32, and rows are at most that long here.
  return vec4<f32>(st.m, st.s, f32(st.inf), f32(st.nan));
}

fn from_partial(p: vec4<f32>) -> State {
  return State(p.x, p.y, u32(p.z), u32(p.w));
}

struct Fin {
  m: f32,
  s: f32,
  log_s: f32,
  inf: u32,
  nan: u32,
}

fn finalize(st: State) -> Fin {
  return Fin(st.m, st.s, log(max(st.s, 1.0)), st.inf, st.nan);
}

// A row with no finite and no +Inf entry (all -Inf): fully masked.
fn masked(f: Fin) -> bool {
  return f.s == 0.0 && f.inf == 0u && f.nan == 0u;
}

fn prob(f: Fin, v: f32) -> f32 {
  if (f.nan != 0u) {
    return P.nan;
  }
  if (f.inf > 0u) {
    // The limit as the +Inf entries grow together: they share the mass evenly.
    return select(0.0, 1.0 / f32(f.inf), is_pos_inf(v));
  }
  if (f.s == 0.0 || is_neg_inf(v)) {
    return 0.0;
  }
  return exp_neg(scaled_diff(v, f.m)) / f.s;
}

fn log_prob(f: Fin, v: f32) -> f32 {
  if (f.nan != 0u) {
    return P.nan;
  }
  if (f.inf > 0u) {
    return select(P.ninf, -log(f32(f.inf)), is_pos_inf(v));
  }
  if (f.s == 0.0 || is_neg_inf(v)) {
    return P.ninf;
  }
  return scaled_diff(v, f.m) - f.log_s;
}

fn load_value(g: u32) -> f32 {
  return bitcast<f32>(bitcast<u32>(load_in0(g)) ^ P.sign_bit);
}
