// biasAct forward: y = act(x + bias[c]) with c = g mod C, the channel of
// element g of x [..., C]. One pass: x is read once, y written once.
//
// src/fused-codegen.ts fills the double-braced slots: operand bindings and
// their ld_/st_ accessors (vector words of 4 lanes, or single elements), the
// activation's functions from the table (act_forward), and the body.

struct Params {
  n: u32,       // elements of x
  nwords: u32,  // storage words covering them (vector layout)
  c: u32,       // C, the channel count (bias length)
  _pad: u32,
  p: vec4<f32>, // the activation's parameters, in table order
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{MATH}}

{{OP}}

{{STORAGE}}

const WG: u32 = 256u;

// x + bias in f32. A zero bias leaves x untouched, so a subnormal x reaches
// the activation as itself on devices that flush subnormal sums.
fn biased(x: f32, b: f32) -> f32 {
  return select(x + b, x, b == 0.0);
}

fn lane_forward(x: f32, b: f32) -> f32 {
  let z = biased(x, b);
  return select(act_forward(z), z, is_nan(z));
}

// A channel index past C (at most once around, except for C < 4).
fn wrap(c: u32) -> u32 {
  return select(c, c % P.c, c >= P.c);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  // Grids wider than 65535 workgroups fold into y; the guard drops the overhang.
  let w = (wid.y * groups.x + wid.x) * WG + lid;
  {{BODY}}
}
