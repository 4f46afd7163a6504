// scaledMaskedSoftmax along the last axis: y = softmax(scale * x + mask), the
// logits formed in f32. Boolean-masked and causally masked entries (column j
// > row i + offset) are left out entirely (as -Inf logits, whatever x holds
// there). Row rules as in the softmax family: -Inf logits get exactly 0, a
// fully masked row gives zeros, +Inf logits share the mass evenly, a NaN logit
// makes the row NaN.
// Backward from y: dx = scale * y * (dy - sum(dy * y)), a NaN in y or dy
// making the row NaN (the mask needs no gradient: masked y are 0).
//
// One subgroup per row (lanes stride the row, then a butterfly merges their
// states: no barrier, which is also what keeps SwiftShader fast), or one
// invocation per row where the adapter has no subgroups.

struct Params {
  rows: u32,        // rows (product of x's leading dims)
  cols: u32,        // the last axis
  mrows: u32,       // x.shape[-2]: the causal row index is row mod mrows
  causal: u32,      // 1: mask column j > i + offset
  offset: u32,      // causal offset, clamped to cols by the host
  mcol: u32,        // mask stride along the last axis (0: broadcast, 1)
  _p0: u32,
  _p1: u32,
  rdim: vec4<u32>,    // the mask's kept runs of leading dims: their sizes,
  rstride: vec4<u32>, // x's row stride over each run,
  mstride: vec4<u32>, // and the mask's element stride
  scale: f32,
  ninf: f32,          // WGSL const-expressions may not make -Inf or NaN
  nan: f32,
  _p2: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_pos_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0x7f800000u;
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

{{STORAGE}}

const WG: u32 = 256u;

// exp of a non-positive argument; the clamp keeps -Inf away from exp (whose
// value there WGSL leaves open) and still underflows to 0.
fn exp_neg(d: f32) -> f32 {
  return exp(max(d, -104.0));
}

// Online max-and-sum. m: the largest finite logit so far; s: sum of exp(z - m)
// over finite z (0 while there is none); inf: +Inf logits; nan: 1 once any is NaN.
struct State {
  m: f32,
  s: f32,
  inf: f32,
  nan: f32,
}

fn add_logit(st: State, z: f32) -> State {
  var r = st;
  if (is_nan(z)) {
    r.nan = 1.0;
  } else if (is_pos_inf(z)) {
    r.inf += 1.0;
  } else if (!is_neg_inf(z)) {
    if (r.s == 0.0) {
      r.m = z;
      r.s = 1.0;
    } else if (z > r.m) {
      r.s = r.s * exp_neg(r.m - z) + 1.0;
      r.m = z;
    } else {
      r.s += exp_neg(z - r.m);
    }
  }
  return r;
}

fn combine(a: State, b: State) -> State {
  var r = State(a.m, a.s, a.inf + b.inf, max(a.nan, b.nan));
  if (a.s == 0.0) {
    r.m = b.m;
    r.s = b.s;
  } else if (b.s != 0.0) {
    let m = max(a.m, b.m);
    r.m = m;
    r.s = a.s * exp_neg(a.m - m) + b.s * exp_neg(b.m - m);
  }
  return r;
}

fn prob(f: State, z: f32) -> f32 {
  if (f.nan != 0.0) {
    return P.nan;
  }
  if (f.inf > 0.0) {
    return select(0.0, 1.0 / f.inf, is_pos_inf(z));
  }
  if (f.s == 0.0 || is_neg_inf(z)) {
    return 0.0;
  }
  return exp_neg(z - f.m) / f.s;
}

// Element offset of the row's mask entries (NumPy broadcasting over x's leading dims).
fn mask_base(row: u32) -> u32 {
  let c = (vec4<u32>(row) / P.rstride) % P.rdim;
  return dot(c, P.mstride);
}

// The logit of element j of a row: -Inf where masked.
fn logit(g: u32, mb: u32, j: u32, lim: u32) -> f32 {
  if (j >= lim) {
    return P.ninf;
  }
  {{MASK}}
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32{{SUBGROUP_ARG}}) {
  let wg = wid.y * groups.x + wid.x;
  let W = {{W}};
  let t = lid % W;
  let row = wg * (WG / W) + lid / W;
  // A subgroup holds one row: the exit is uniform across it.
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  {{BODY}}
}
