// Gated linear units: out = act(u) * v, where (u, v) are the halves (a, b) of
// x's last axis 2H (or two separate tensors a and b), u the gated half: b for
// glu (a * sigmoid(b)), a for swiglu / geglu / reglu (act(a) * b). The
// activation's functions come from the table (act_forward, act_derivative).
// Backward: du = dy * v * act'(u), dv = dy * act(u), written into the same
// layout as the input. A NaN in any operand gives NaN (decided on the bits).

struct Params {
  n: u32,       // output words (or elements) of this dispatch: rows * hw
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

// A NaN operand gives NaN, decided on the bits with one compare and a select:
// SwiftShader runs both sides of a per-lane branch (an `if` here cost about a
// quarter of swiglu's time).
fn any_nan(a: f32, b: f32, c: f32) -> bool {
  let m = 0x7fffffffu;
  return max(max(bitcast<u32>(a) & m, bitcast<u32>(b) & m), bitcast<u32>(c) & m) > 0x7f800000u;
}

fn glu_forward(a: f32, b: f32) -> f32 {
  return select(act_forward({{U}}) * {{V}}, P.nan, any_nan(a, b, 0.0));
}

fn glu_du(a: f32, b: f32, dy: f32) -> f32 {
  return select(dy * {{V}} * act_derivative({{U}}), P.nan, any_nan(a, b, dy));
}

fn glu_dv(a: f32, b: f32, dy: f32) -> f32 {
  return select(dy * act_forward({{U}}), P.nan, any_nan(a, b, dy));
}

{{MAP}}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= P.n) { return; }
  {{BODY}}
}
