// Backward from the forward output y (x need not be kept):
//   softmax    dx = (sign / T) * y * (dy - sum(dy * y))
//   logSoftmax dx = (sign / T) * (dy - exp(y) * sum(dy))
// A NaN in y or dy makes the row NaN; a logSoftmax row of all -Inf (fully
// masked in the forward) gets a zero gradient.

const LOG: bool = {{LOG}};
const HAS_LOSS: bool = false;

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

alias Elem = vec2<f32>; // (y, dy)

// s: the row's sum; live: entries that are not -Inf (logSoftmax); nan: any NaN.
struct State {
  s: f32,
  live: u32,
  nan: u32,
  _pad: u32,
}

fn identity() -> State {
  return State(0.0, 0u, 0u, 0u);
}

fn load_elem(g: u32, j: u32) -> Elem {
  return vec2<f32>(load_in0(g), load_in1(g));
}

fn accumulate(st: State, e: Elem) -> State {
  var r = st;
  if (is_nan(e.x) || is_nan(e.y)) {
    r.nan = 1u;
  } else if (LOG) {
    r.s += e.y;
    r.live += select(1u, 0u, is_neg_inf(e.x));
  } else if (e.x != 0.0) {
    // Skipping y = 0 keeps a masked entry's dy (even an infinite one) out of the sum.
    r.s += e.x * e.y;
  }
  return r;
}

fn combine(a: State, b: State) -> State {
  return State(a.s + b.s, a.live + b.live, a.nan | b.nan, 0u);
}

fn to_partial(st: State) -> vec4<f32> {
  return vec4<f32>(st.s, f32(st.live), f32(st.nan), 0.0);
}

fn from_partial(p: vec4<f32>) -> State {
  return State(p.x, u32(p.y), u32(p.z), 0u);
}

alias Fin = State;

fn finalize(st: State) -> Fin {
  return st;
}

fn begin_row(row: u32) {}

fn emit(f: Fin, e: Elem, g: u32, j: u32) -> f32 {
  var dx: f32;
  if (f.nan != 0u) {
    dx = P.nan;
  } else if (LOG) {
    dx = select(P.factor * (e.y - exp(max(e.x, -104.0)) * f.s), 0.0, f.live == 0u);
  } else {
    dx = P.factor * e.x * (e.y - f.s);
  }
  store_out(g, dx);
  return 0.0;
}

fn finish_row(row: u32, f: Fin, loss: f32) {}
