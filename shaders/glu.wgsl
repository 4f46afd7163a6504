// Gated linear units: out = act(u) * v, where (u, v) are the halves (a, b) of
// x's last axis 2H (or two separate tensors a and b), u the gated half: b for
// glu (a * sigmoid(b)), a for swiglu / geglu / reglu (act(a) * b). The
// activation's functions come from the table (act_forward, act_derivative).
// Backward: du = dy * v * act'(u), dv = dy * act(u), written into the same
// layout as the input. A NaN in any operand gives NaN (decided on the bits).

struct Params {
  n: u32,       // output words (or elements): rows * hw
  hw: u32,      // H in words (vector layout) or elements
  _p0: u32,
  _p1: u32,
  p: vec4<f32>, // the activation's parameters, in table order
  nan: f32,     // WGSL const-expressions cannot make NaN: it comes from the host
  _p2: f32,
  _p3: f32,
  _p4: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{MATH}}

{{OP}}

{{STORAGE}}

const WG: u32 = 256u;

fn glu_forward(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return P.nan; }
  return act_forward({{U}}) * {{V}};
}

fn glu_du(a: f32, b: f32, dy: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_nan(dy)) { return P.nan; }
  return dy * {{V}} * act_derivative({{U}});
}

fn glu_dv(a: f32, b: f32, dy: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_nan(dy)) { return P.nan; }
  return dy * act_forward({{U}});
}

{{MAP}}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= P.n) { return; }
  let row = i / P.hw;
  let c = i - row * P.hw;
  {{BODY}}
}
