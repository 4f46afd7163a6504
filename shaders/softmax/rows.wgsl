// Contiguous rows, one subgroup per row segment, no workgroup barrier.
//
// The fast path of the softmax family where the adapter has 'subgroups' and
// the reduced axis is the last one (forward and backward; cross-entropy and
// strided axes keep shaders/softmax.wgsl). Why this shape:
// - A workgroupBarrier makes SwiftShader run a workgroup as coroutines, 100 to
//   1000x slower; subgroup operations are plain SIMD there. On a hardware GPU
//   a subgroup per row is also the cheapest reduction (no shared memory).
// - V is vec4<f32> where the row length is a multiple of 4 (16-byte loads and
//   stores; float16 moves 4 halves as one vec2<u32>, whole words, no atomics),
//   else f32 (float16 then stores each half atomically, as softmax.wgsl does).
// - Each lane keeps its first KV vectors of the segment in registers, so a
//   row of up to KV * VW * subgroup_size elements is read from memory once;
//   the rest of a longer row is read twice: once for its statistics (a
//   running maximum and a sum of exp2 rescaled when the maximum grows, and a
//   NaN flag on the bits), once for the writes; 4 vectors per loop iteration
//   (a non-uniform loop's own cost on SwiftShader is of the order of its
//   body). Backward: one sum, then the writes.
// - A segment is a whole row (PHASE 0), or a chunk of a very long row: PHASE 1
//   writes each chunk's partial (max, sum, NaN flag), PHASE 2 merges all of
//   its row's partials and writes its chunk, so few long rows fill the GPU.
// - Subgroups take segments in a grid-stride loop, so the host need not know
//   the subgroup size the compiler chose (it sizes the grid from the
//   adapter's smallest); the loop bound is uniform across a subgroup. A
//   tensor over one binding runs as windows of whole segments, segments
//   `first` to `end` bound from element `elem0` (src/softmax/windows.ts).
//
// Assumes each subgroup is a run of consecutive local_invocation_index (true
// of the adapters seen), as shaders/softmax.wgsl does.

struct Params {
  rows: u32,
  len: u32,       // elements per row
  inner: u32,     // 1 here
  chunks: u32,    // segments per row (PHASE 1 and 2), else 1
  chunk_len: u32, // elements per segment (a multiple of VW)
  sign_bit: u32,  // 0x80000000 for softmin
  _p0: u32,
  first: u32,     // this dispatch's first segment (a window of a tensor over one binding), else 0
  inv_t: f32,
  factor: f32,    // backward: sign / T
  _p2: f32,
  _p3: f32,
  ninf: f32,
  nan: f32,
  end: u32,       // segments from `end` on are another dispatch's
  elem0: u32,     // the element the bound window starts at (a multiple of VW)
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{TYPES}}

{{STORAGE}}

const LOG: bool = {{LOG}};
const BACKWARD: bool = {{BACKWARD}};
const PHASE: u32 = {{PHASE}}u;
// At least 4: the cache gives up to 3 slots to the blocks of 4 vectors.
const KV: u32 = max({{KV}}u, 4u);
// No sign flip and T = 1: value() is x and (v - m) / T is v - m.
const UNIT: bool = {{UNIT}};
// False where every lane's vectors fit its cache (the host knows the row
// length and the adapter's smallest subgroup): the loops past the cache are
// compiled out, which SwiftShader would otherwise charge short rows for
// (the unrolled write loops, never entered, made [65536 x 256] 15% slower).
const STREAM: bool = {{STREAM}};
const KC: u32 = max(KV, 1u);
// The dy cache exists in the backward only.
const KB: u32 = select(1u, KC, BACKWARD);
const WG: u32 = 128u;
const LOG2E: f32 = 1.4426950408889634;

// The largest magnitude on the bits, per lane: above 0x7f800000 only for a NaN
// (comparisons with NaN may fold; an integer max is two instructions).
fn abs_bits(v: V) -> VU {
  return bitcast<VU>(v) & VU(0x7fffffffu);
}

fn value(x: V) -> V {
  if (UNIT) {
    return x;
  }
  return bitcast<V>(bitcast<VU>(x) ^ VU(P.sign_bit));
}

// Row constants of the forward, set once a segment's statistics are known.
// (v - m) / T is computed as (v * A - m * A) * B with (A, B) = (1/T, 1) where
// 1/T < 1 (no overflow of the difference when the quotient would not) and
// (1, 1/T) otherwise: exactly the order of scaled_diff in softmax-state.wgsl.
var<private> f_a: f32;
var<private> f_b: f32;
var<private> f_ma: f32;  // m * A
var<private> f_b2: f32;  // B * log2(e): exp(d) = exp2(d2)

// The lowest finite f32: the online maximum starts there, so that an exp
// never sees -Inf - -Inf (a row of -Inf alone ends with a sum near 0).
const LOWEST: f32 = -0x1.fffffep+127f;

fn set_scale() {
  f_a = select(select(1.0, P.inv_t, P.inv_t < 1.0), 1.0, UNIT);
  f_b = select(select(P.inv_t, 1.0, P.inv_t < 1.0), 1.0, UNIT);
  f_b2 = f_b * LOG2E;
}

fn set_max(m: f32) {
  f_ma = m * f_a;
}

// exp((v - m) / T) for v <= m, ma = m * A; the clamp keeps -Inf away from
// exp2 and still underflows to 0.
fn expv(v: V, ma: V) -> V {
  if (UNIT) {
    return exp2(max((v - ma) * LOG2E, V(-150.0)));
  }
  return exp2(max((v * f_a - ma) * f_b2, V(-150.0)));
}

fn expd(v: V) -> V {
  return expv(v, V(f_ma));
}

// Row statistics: m the maximum; s the sum of expd (or, when m is +Inf, the count
// of +Inf entries); nan 1 if any NaN. Backward: s the reduced sum, live 1 unless
// every y is -Inf (logSoftmax).
var<private> r_m: f32;
var<private> r_s: f32;
var<private> r_inv: f32;
var<private> r_logs: f32;
var<private> r_nan: u32;
var<private> r_live: u32;
// Forward: 1 if some entry may be infinite (the largest magnitude bits reach
// 0x7f800000), so a -Inf entry needs its exact 0; split rows carry it in the
// partial's 4th word, where the backward carries r_live.
var<private> r_inf: u32;

// Forward output of one vector of values v.
fn forward_of(v: V) -> V {
  let pinf = -P.ninf;
  if (r_nan != 0u) {
    return V(P.nan);
  }
  if (r_m == pinf) {
    // The +Inf entries share the mass evenly (the limit as they grow together).
    if (LOG) {
      return select(V(P.ninf), V(-log(r_s)), v == V(pinf));
    }
    return select(V(0.0), V(r_inv), v == V(pinf));
  }
  if (r_m == P.ninf) {
    // Every entry -Inf: a fully masked row.
    return select(V(0.0), V(P.ninf), LOG);
  }
  return forward_fast(v);
}

// forward_of where the row has no NaN and no +Inf (branch-free).
fn forward_fast(v: V) -> V {
  if (LOG && UNIT) {
    return (v - V(f_ma)) - V(r_logs);
  }
  if (LOG) {
    return (v * f_a - V(f_ma)) * f_b - V(r_logs);
  }
  return select(expd(v) * r_inv, V(0.0), v == V(P.ninf));
}

// backward_of where the row has no NaN (and, for logSoftmax, some live entry).
fn backward_fast(y: V, dy: V) -> V {
  if (LOG) {
    return P.factor * (dy - exp2(max(y * LOG2E, V(-150.0))) * r_s);
  }
  return P.factor * y * (dy - r_s);
}

fn backward_of(y: V, dy: V) -> V {
  if (r_nan != 0u) {
    return V(P.nan);
  }
  if (LOG && r_live == 0u) {
    return V(0.0);
  }
  return backward_fast(y, dy);
}

// One vector of a usual row, read from memory.
fn write_fast(g: u32) {
  if (BACKWARD) {
    store_out(g, backward_fast(load_in0(g), load_in1(g)));
  } else {
    store_out(g, forward_fast(value(load_in0(g))));
  }
}

fn write_finite(g: u32) {
  store_out(g, expd(value(load_in0(g))) * r_inv);
}

fn finish_stats(t: u32) {
  r_inv = 1.0 / r_s;
  r_logs = log(max(r_s, 1.0));
}

// SwiftShader runs both sides of a branch it cannot prove uniform, masked,
// but leaves a loop as soon as no lane is active. So the per-row cases that
// stream from memory (the rare rows, the +Inf count, the tail) are loops
// whose bound is the case's condition: a case not taken costs one
// comparison, not its whole body. The cache loops keep the constant bound KV
// and test inside: a GPU compiler then unrolls them and keeps c0/c1 in
// registers (a runtime bound would index them dynamically, in scratch memory).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_size) sgs: u32,
        @builtin(subgroup_invocation_id) t: u32) {
  let per = max(WG / sgs, 1u);
  let stride = groups.x * groups.y * per;
  let nv = P.len / VW;
  let cv = P.chunk_len / VW;
  let pinf = -P.ninf;
  // Declared once: WGSL zero-fills a function variable at its declaration,
  // which inside the loop cost a store per slot per row.
  var c0: array<V, KC>;
  var c1: array<V, KB>;
  set_scale();
  for (var seg = (wid.y * groups.x + wid.x) * per + lid / sgs + P.first; seg < P.end; seg += stride) {
    let row = seg / P.chunks;
    let lo = (seg - row * P.chunks) * cv;
    let hi = min(nv, lo + cv);
    let base = row * nv - P.elem0 / VW;
    let first = lo + t;
    // This lane's cached vectors: first + k * sgs for k < kn <= KV, 0-3 fewer
    // than KV where that leaves the rest of its n vectors whole blocks of 4.
    let n = (max(hi, first) - first + sgs - 1u) / sgs;
    let kn = select(n, KV - ((KV - n) & 3u), n > KV);
    let tail = first + kn * sgs;

    // ---- statistics --------------------------------------------------------
    if (PHASE != 2u) {
      var bad = VU(0u);
      if (!BACKWARD) {
        var m = V(LOWEST);
        for (var k = 0u; k < KV; k++) {
          if (k < kn) {
            let v = value(load_in0(base + first + k * sgs));
            c0[k] = v;
            m = max(m, v);
            bad = max(bad, abs_bits(v));
          }
        }
        // The rest of the segment in one read: per component, a running
        // maximum and the sum of exp relative to it, rescaled when a block
        // raises the maximum (a loop gated on it: rare after the first blocks).
        var s = V(0.0);
        if (STREAM) {
          var qt = tail;
          for (; qt + 3u * sgs < hi; qt += 4u * sgs) {
            let v0 = value(load_in0(base + qt));
            let v1 = value(load_in0(base + qt + sgs));
            let v2 = value(load_in0(base + qt + 2u * sgs));
            let v3 = value(load_in0(base + qt + 3u * sgs));
            bad = max(bad, max(max(abs_bits(v0), abs_bits(v1)), max(abs_bits(v2), abs_bits(v3))));
            let nm = max(m, max(max(v0, v1), max(v2, v3)));
            for (var grow = any(nm > m); grow; grow = false) {
              s *= expv(m, nm * f_a);
              m = nm;
            }
            let ma = m * f_a;
            s += (expv(v0, ma) + expv(v1, ma)) + (expv(v2, ma) + expv(v3, ma));
          }
        }
        r_m = subgroupMax(hmax(m));
        let big = subgroupMax(hmaxu(bad));
        r_nan = select(0u, 1u, big > 0x7f800000u);
        r_inf = select(0u, 1u, big >= 0x7f800000u);
        set_max(r_m);
        // The usual row: the sum of exp((v - m) / T). With a +Inf the sum
        // counts the +Inf entries instead; a NaN row needs none.
        let usual = r_nan == 0u && r_m != pinf;
        let count_inf = r_nan == 0u && r_m == pinf;
        // Each component's sum, rescaled to the row's maximum (where the
        // blocks ran: a short row pays for no exp here).
        s = select(V(0.0), s, usual);
        for (var g = STREAM && usual && tail < hi; g; g = false) {
          s *= expd(m);
        }
        for (var k = 0u; k < KV; k++) {
          if (usual && k < kn) {
            if (LOG) {
              s += expd(c0[k]);
            } else {
              // Keep exp(v - m): the writes then only scale it (one exp per element).
              let e = expd(c0[k]);
              c0[k] = e;
              s += e;
            }
          }
        }
        for (var q = select(hi, first, count_inf); q < hi; q += sgs) {
          s += select(V(0.0), V(1.0), value(load_in0(base + q)) == V(pinf));
        }
        r_s = subgroupAdd(hsum(s));
        if (usual && r_s < 0.5) {
          // No finite entry (the maximum, if any, adds exp(0) = 1): every
          // entry is -Inf, a fully masked row.
          r_m = P.ninf;
          r_s = 0.0;
        }
      } else {
        var s = V(0.0);
        var live = VU(0u);
        for (var k = 0u; k < KV; k++) {
          if (k < kn) {
            let q = first + k * sgs;
            let y = load_in0(base + q);
            let dy = load_in1(base + q);
            c0[k] = y;
            c1[k] = dy;
            bad = max(bad, max(abs_bits(y), abs_bits(dy)));
            if (LOG) {
              s += dy;
              live |= select(VU(0u), VU(1u), y != V(P.ninf));
            } else {
              // Skipping y = 0 keeps a masked entry's dy (even an infinite one) out of the sum.
              s += select(y * dy, V(0.0), y == V(0.0));
            }
          }
        }
        for (var q = tail; q < hi; q += sgs) {
          let y = load_in0(base + q);
          let dy = load_in1(base + q);
          bad = max(bad, max(abs_bits(y), abs_bits(dy)));
          if (LOG) {
            s += dy;
            live |= select(VU(0u), VU(1u), y != V(P.ninf));
          } else {
            s += select(y * dy, V(0.0), y == V(0.0));
          }
        }
        r_s = subgroupAdd(hsum(s));
        r_nan = select(0u, 1u, subgroupMax(hmaxu(bad)) > 0x7f800000u);
        r_live = subgroupMax(hmaxu(live));
        r_m = 0.0;
      }
      if (PHASE == 1u) {
        if (t == 0u) {
          store_partial(seg, vec4<f32>(r_m, r_s, f32(r_nan), f32(select(r_inf, r_live, BACKWARD))));
        }
        continue;
      }
    } else {
      // Merge the row's partials: every chunk of the row does this itself.
      let first_chunk = row * P.chunks;
      var pm = P.ninf;
      var pn = 0.0;
      var pl = 0.0;
      for (var c = t; c < P.chunks; c += sgs) {
        let p = load_partial(first_chunk + c);
        pm = max(pm, p.x);
        pn = max(pn, p.z);
        pl = max(pl, p.w);
      }
      r_nan = u32(subgroupMax(pn));
      r_live = u32(subgroupMax(pl));
      r_inf = r_live;
      var ps = 0.0;
      if (BACKWARD) {
        for (var c = t; c < P.chunks; c += sgs) {
          ps += load_partial(first_chunk + c).y;
        }
      } else {
        r_m = subgroupMax(pm);
        set_max(r_m);
        for (var c = t; c < P.chunks; c += sgs) {
          let p = load_partial(first_chunk + c);
          if (r_m == pinf) {
            ps += select(0.0, p.y, p.x == pinf);
          } else if (p.y != 0.0) {
            ps += p.y * exp2(max((p.x * f_a - f_ma) * f_b2, -150.0));
          }
        }
      }
      r_s = subgroupAdd(ps);
    }
    finish_stats(t);

    // ---- writes ------------------------------------------------------------
    // The usual rows take a branch-free loop; the rare ones (a NaN, a +Inf, a
    // fully masked row or logSoftmax gradient) a general one from memory.
    var rare: bool;
    if (BACKWARD) {
      rare = r_nan != 0u || (LOG && r_live == 0u);
    } else {
      rare = r_nan != 0u || r_m == pinf || r_m == P.ninf;
    }
    for (var q = select(hi, first, rare); q < hi; q += sgs) {
      if (BACKWARD) {
        store_out(base + q, backward_of(load_in0(base + q), load_in1(base + q)));
      } else {
        store_out(base + q, forward_of(value(load_in0(base + q))));
      }
    }
    // PHASE 2 gathered no cache: it reads its chunk again.
    if (PHASE != 2u) {
      for (var k = 0u; k < KV; k++) {
        if (!rare && k < kn) {
          let q = first + k * sgs;
          if (BACKWARD) {
            store_out(base + q, backward_fast(c0[k], c1[k]));
          } else if (LOG) {
            store_out(base + q, forward_fast(c0[k]));
          } else {
            store_out(base + q, c0[k] * r_inv);
          }
        }
      }
    }
    // The streamed vectors (past the cache, or all of a PHASE 2 chunk).
    let start = select(select(tail, first, PHASE == 2u), hi, rare);
    if (STREAM) {
      var q = start;
      // A softmax row with no infinite entry has no -Inf to test for: its own loop.
      var qf = hi;
      if (!BACKWARD && !LOG && r_inf == 0u) {
        qf = q;
        q = hi;
      }
      for (; q + 3u * sgs < hi; q += 4u * sgs) {
        write_fast(base + q);
        write_fast(base + q + sgs);
        write_fast(base + q + 2u * sgs);
        write_fast(base + q + 3u * sgs);
      }
      for (; qf + 3u * sgs < hi; qf += 4u * sgs) {
        write_finite(base + qf);
        write_finite(base + qf + sgs);
        write_finite(base + qf + 2u * sgs);
        write_finite(base + qf + 3u * sgs);
      }
      // The last vectors (fewer than 4 per lane) of either kind.
      for (q = min(q, qf); q < hi; q += sgs) {
        write_fast(base + q);
      }
    }
  }
}
