// dbias: the column sums of the backward kernel's partials, merged in a fixed
// tree of fan-in FAN: each pass sums groups of FAN partials of a column
// (pairwise, in a fixed order) into the next pass's partials, and the last
// pass writes dbias. Short dependent chains (no long serial loop, so a real
// GPU stays busy), no barrier, no atomic: the result is identical from run to
// run, and its rounding error grows with log2 of the row count.

struct Params {
  cw: u32,      // column words
  slices: u32,  // partials per column in this pass
  groups: u32,  // ceil(slices / FAN): partials per column this pass leaves
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{STORAGE}}

const WG: u32 = 256u;
const FAN: u32 = 16u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * groups.x + wid.x) * WG + lid;
  let g = t / P.cw;
  let col = t - g * P.cw;
  if (g >= P.groups) { return; }
  let s0 = g * FAN;
  let s1 = min(s0 + FAN, P.slices);
  // stack[k] holds the sum of a block of 2^k partials (binary counter order).
  var stack: array<Lanes, 5>;
  var depth = 0u;
  for (var s = s0; s < s1; s++) {
    var v = partials[s * P.cw + col];
    var k = s - s0 + 1u;
    while ((k & 1u) == 0u) {
      depth -= 1u;
      v = stack[depth] + v;
      k >>= 1u;
    }
    stack[depth] = v;
    depth += 1u;
  }
  var total = stack[depth - 1u];
  depth -= 1u;
  while (depth > 0u) {
    depth -= 1u;
    total = stack[depth] + total;
  }
  {{STORE}}
}
