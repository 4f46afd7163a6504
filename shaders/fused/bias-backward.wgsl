// biasAct backward, one pass over x (or y) and dy:
//   dx = dy * act'(x + bias)   (or dy * act'(y) for ops whose derivative is a function of y)
//   partial column sums of dx, one per (slice of rows, column word).
// Each invocation owns one column word and walks a fixed run of rows, so the
// partial is a fixed-order sum and no barrier or atomic is needed. Neighbouring
// invocations own neighbouring columns: every row read is contiguous.
// shaders/fused-bias-merge.wgsl then sums the partials of each column.

struct Params {
  rows: u32,     // rows of x [..., C]
  cw: u32,       // column words per row (C / 4 in the vector layout, else C)
  slices: u32,   // slices of rows
  per: u32,      // rows per slice
  sbase: u32,    // this dispatch's first slice (a dispatch covers a sub-range of rows)
  _p0: u32,
  _p1: u32,
  _p2: u32,
  p: vec4<f32>,  // the activation's parameters, in table order
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{MATH}}

{{OP}}

{{STORAGE}}

const WG: u32 = 256u;

fn biased(x: f32, b: f32) -> f32 {
  return select(x + b, x, b == 0.0);
}

fn lane_backward(a: f32, b: f32, dy: f32) -> f32 {
  let z = {{Z}};
  let d = dy * {{DERIVATIVE}}(z);
  // A NaN operand gives NaN: pass that operand's own bits through.
  return select(select(d, dy, is_nan(dy)), z, is_nan(z));
}

{{MAP}}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * groups.x + wid.x) * WG + lid;
  let s = t / P.cw;
  let col = t - s * P.cw;
  if (s >= P.slices) { return; }
  let r0 = s * P.per;
  let r1 = min(r0 + P.per, P.rows);
  let b = {{BIAS}};
  var acc = Lanes(0.0);
  for (var r = r0; r < r1; r++) {
    let i = r * P.cw + col;
    let d = map_lanes(ld_a(i), b, ld_dy(i));
    st_dx(i, d);
    acc += d;
  }
  partials[(P.sbase + s) * P.cw + col] = acc;
}
