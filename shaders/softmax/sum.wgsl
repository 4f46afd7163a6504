// The cross-entropy's 'mean' / 'sum': one workgroup adds the row losses in a
// fixed order (strided per thread, then a full-width tree), so the result
// repeats bit for bit; a NaN row makes the total NaN, decided on the bits.

struct Params {
  n: u32,
  _p0: u32,
  scale: f32,
  nan: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const WG: u32 = 256u;
var<workgroup> part: array<f32, WG>;
var<workgroup> bad: array<u32, WG>;

// Bit test (as is_nan in math.wgsl): comparisons with NaN may be folded away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  var b = 0u;
  for (var i = lid; i < P.n; i += WG) {
    let v = rows[i];
    if (is_nan(v)) {
      b = 1u;
    } else {
      acc += v;
    }
  }
  part[lid] = acc;
  bad[lid] = b;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (lid < width) {
      part[lid] += part[lid + width];
      bad[lid] |= bad[lid + width];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    out[0] = select(part[0] * P.scale, P.nan, bad[0] != 0u);
  }
}
