// scaledMaskedSoftmax along the last axis: y = softmax(scale * x + mask), the
// logits formed in f32. Boolean-masked and causally masked entries (column j
// > row i + offset) are left out entirely (as -Inf logits, whatever x holds
// there). Row rules as in the softmax family: -Inf logits get exactly 0, a
// fully masked row gives zeros, +Inf logits share the mass evenly, a NaN logit
// makes the row NaN.
// Backward from y: dx = scale * y * (dy - sum(dy * y)), a NaN in y or dy
// making the row NaN (the mask needs no gradient: masked y are 0).
//
// One subgroup per row (lanes stride the row, subgroup reductions merge
// them: no barrier, which is also what keeps SwiftShader fast), or one
// invocation per row where the adapter has no subgroups; a row is taken in
// vec4 words when its length is a multiple of 4, else element by element.
// The bodies are shaders/fused-softmax-forward.wgsl and -backward.wgsl; their
// per-element work is branch-free (SwiftShader runs both sides of a branch).
// A lane reads and writes only its own words (w = t, t + W, ...), reading
// each before writing it, so the output may be an input (in place).

struct Params {
  rows: u32,        // rows of this dispatch (x's leading dims, or a sub-range of them)
  cols: u32,        // the last axis
  mrows: u32,       // x.shape[-2]: the causal row index is row mod mrows
  causal: u32,      // 1: mask column j > i + offset
  offset: u32,      // causal (and ALiBi) offset, clamped to 2^24 by the host
  mcol: u32,        // mask stride along the last axis (0: broadcast, 1)
  rbase: u32,       // this dispatch's first row (a dispatch covers a sub-range of rows)
  sbase: u32,       // aux[sbase + h] head h's sink logit (f32 bits)
  rdim: vec4<u32>,    // the mask's kept runs of leading dims: their sizes,
  rstride: vec4<u32>, // x's row stride over each run,
  mstride: vec4<u32>, // and the mask's element stride
  scale: f32,
  ninf: f32,          // WGSL const-expressions may not make -Inf or NaN
  nan: f32,
  cap: f32,           // softcap c (compiled in only when given)
  bsize: u32,         // rows per batch entry: aux[b] is entry b's offset,
  heads: u32,         // x.shape[-3], for the ALiBi slope of a row's head
  kbase: u32,         // aux[kbase + b] its key length,
  abase: u32,         // aux[abase + h] head h's ALiBi slope (f32 bits)
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{STORAGE}}

const WG: u32 = 256u;

const FMAX: f32 = 3.4028234e38;

// Lane tests on the bits (Lanes: a vec4<f32> word or one f32; LU, LB alike).
fn is_nan(v: Lanes) -> LB {
  return (bitcast<LU>(v) & LU(0x7fffffffu)) > LU(0x7f800000u);
}

fn is_pos_inf(v: Lanes) -> LB {
  return bitcast<LU>(v) == LU(0x7f800000u);
}

fn is_finite(v: Lanes) -> LB {
  return (bitcast<LU>(v) & LU(0x7f800000u)) != LU(0x7f800000u);
}

// exp(z - m) for a finite logit z <= m, 0 for any other z; the clamp keeps
// exp away from -Inf (whose value WGSL leaves open) and still underflows to 0.
fn term(z: Lanes, m: f32) -> Lanes {
  return select(Lanes(0.0), exp(max(z - m, Lanes(-104.0))), is_finite(z));
}

// Element offset of the row's mask entries (NumPy broadcasting over x's leading dims).
fn mask_base(row: u32) -> u32 {
  let c = (vec4<u32>(row) / P.rstride) % P.rdim;
  return dot(c, P.mstride);
}

// The logits of word w of x (j0 its first column): -Inf where masked or at and past lim.
fn logit(w: u32, mb: u32, j0: u32, lim: u32) -> Lanes {
  return select(Lanes(P.ninf), masked_logit(w, mb, j0), LU(j0) + LANE_IDX < LU(lim));
}

fn masked_logit(w: u32, mb: u32, j0: u32) -> Lanes {
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
  let cw = P.cols / LANES;
  let base = row * cw;
  {{BODY}}
}
