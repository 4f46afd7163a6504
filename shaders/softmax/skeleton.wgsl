// Row reductions of the softmax family: one skeleton, the op plugged in.
//
// src/softmax-kernels.ts fills the double-braced slots: the operand bindings
// and how an element is loaded and stored (float32 words, or float16 halves),
// the op (softmax-forward / -backward / -ce.wgsl: its State, how an element
// folds into it, how two States merge, what is written per element), and the
// split-row fragments. Math is always f32.
//
// A row is L elements g = base + j * inner (inner = 1 for the last axis), so
// any axis is reduced in place, without a transpose copy.
//
// W threads reduce one row (a power of two), so a 256-invocation workgroup
// holds 256 / W rows: short rows share a workgroup, long rows get one each,
// and W = 1 makes one thread per row (strided axes, where neighbouring
// threads then read neighbouring addresses). W is a uniform, not a constant,
// so one pipeline serves every row length (compiling is what costs most on
// SwiftShader). Each thread keeps K elements in registers, so x is read from
// memory once; K = 0 streams the row twice (an online max-and-sum, then the
// normalising pass).
//
// PHASE 1 and 2 split a very long row across workgroups: each chunk writes
// its partial State, then each chunk merges its row's partials and writes
// its own elements, so a single row still fills the GPU.
//
// A tensor over one binding runs as several dispatches, each binding a window
// of whole units (workgroups of rows, or chunks): `first` and `end` name the
// units, `elem0` is where the window starts (src/softmax/windows.ts).

struct Params {
  rows: u32,
  len: u32,       // L, the reduced axis
  inner: u32,     // stride between a row's elements
  chunks: u32,    // workgroups per row (PHASE 1 and 2), else 1
  chunk_len: u32, // elements per chunk
  sign_bit: u32,  // 0x80000000 for softmin: v = -x, flipped on the bits so NaN stays NaN
  w_log2: u32,    // log2 of W, the threads per row
  first: u32,     // this dispatch's first workgroup (a window of a tensor over one binding), else 0
  inv_t: f32,     // 1 / temperature
  factor: f32,    // backward: sign / T; cross-entropy: 1 / count for 'mean', else 1
  smooth_c: f32,  // cross-entropy: labelSmoothing / classes
  keep: f32,      // cross-entropy: 1 - labelSmoothing
  // WGSL const-expressions may not produce infinities or NaN, so they come from the host.
  ninf: f32,
  nan: f32,
  end: u32,       // workgroups from `end` on exit (the window's last + 1)
  elem0: u32,     // the element the bound window starts at, subtracted from every index
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

// Bit test (as is_nan in math.wgsl): comparisons with NaN may be folded away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

{{STORAGE}}

{{OP}}

{{PARTIALS}}

const WG: u32 = 256u;
const K: u32 = {{K}}u;
const KC: u32 = max(K, 1u);
const PHASE: u32 = {{PHASE}}u;

{{REDUCE}}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32{{SUBGROUP_ARG}}) {
  // Grids wider than 65535 workgroups fold into y; `live` drops the overhang.
  let wg = wid.y * groups.x + wid.x + P.first;
  {{SUBGROUP_INIT}}let W = threads_per_row();
  let t = lid & (W - 1u);
  var row = wg * (WG / W) + lid / W;
  var lo = 0u;
  var hi = P.len;
  if (PHASE != 0u) {
    // Chunk c of the rows of one slice are neighbours (outer, chunk, inner): on a
    // strided axis they are one contiguous block, so a window is a run of them.
    let outer = wg / (P.chunks * P.inner);
    row = outer * P.inner + wg % P.inner;
    lo = (wg / P.inner % P.chunks) * P.chunk_len;
    hi = min(P.len, lo + P.chunk_len);
  }
  let live = row < P.rows && wg < P.end;
  let base = (row / P.inner) * P.len * P.inner + row % P.inner - P.elem0;
  if (live) {
    begin_row(row);
  }

  var st = identity();
  var cache: array<Elem, KC>;
  if (K > 0u) {
    for (var k = 0u; k < K; k++) {
      let j = lo + t + k * W;
      if (live && j < hi) {
        cache[k] = load_elem(base + j * P.inner, j);
        st = accumulate(st, cache[k]);
      }
    }
  } else if (PHASE != 2u) {
    for (var j = lo + t; live && j < hi; j += W) {
      st = accumulate(st, load_elem(base + j * P.inner, j));
    }
  }
  if (PHASE == 2u && live) {
    st = merge_partials(row, t, W);
  }
  st = group_reduce(st, lid);
  if (PHASE == 1u) {
    if (live && t == 0u) {
      store_partial(wg, st);
    }
    return;
  }

  let f = finalize(st);
  var loss = 0.0;
  if (K > 0u) {
    for (var k = 0u; k < K; k++) {
      let j = lo + t + k * W;
      if (live && j < hi) {
        loss += emit(f, cache[k], base + j * P.inner, j);
      }
    }
  } else {
    for (var j = lo + t; live && j < hi; j += W) {
      let g = base + j * P.inner;
      loss += emit(f, load_elem(g, j), g, j);
    }
  }
  if (HAS_LOSS) {
    loss = group_sum(loss, lid);
    if (live && t == 0u) {
      finish_row(row, f, loss);
    }
  }
}
