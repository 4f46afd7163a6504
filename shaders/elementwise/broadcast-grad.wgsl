// Gradient of a broadcast tensor parameter (prelu's slope):
//   dparam[s] = sum over the x elements g that read param[s] of dy[g] * d(op)/d(param) at x[g]
// One workgroup per parameter element; its invocations stride over that
// element's members and meet in a full-width tree (idle lanes hold 0), so
// the sum's order is fixed and results repeat bit for bit.

struct Params {
  n: u32,        // elements of x
  count: u32,    // elements of the parameter
  members: u32,  // x elements per parameter element
  _pad: u32,
  dim: vec4<u32>,     // x's collapsed dims (innermost last)
  xstride: vec4<u32>, // x's strides over those dims
  kept: vec4<u32>,    // 1 where the parameter varies along the dim, 0 where broadcast
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> dy: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

{{LOAD}}

// Flat x index of the m-th member of parameter element s.
fn member_index(s_in: u32, m_in: u32) -> u32 {
  var s = s_in;
  var m = m_in;
  var g = 0u;
  for (var d = 3i; d >= 0; d--) {
    let size = P.dim[d];
    var c: u32;
    if (P.kept[d] == 1u) { c = s % size; s = s / size; } else { c = m % size; m = m / size; }
    g += c * P.xstride[d];
  }
  return g;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let s = wid.y * groups.x + wid.x;
  if (s >= P.count) { return; }
  var acc = 0.0;
  for (var m = lid; m < P.members; m += WG) {
    let g = member_index(s, m);
    let xv = load_x(g);
    // d(prelu)/d(slope) is x where x <= 0; NaN x gives NaN.
    acc += load_dy(g) * select(xv, 0.0, xv > 0.0);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (lid < width) { partial[lid] += partial[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[s] = partial[0]; }
}
