// biasAct forward: y = act(x + bias[c]) with c = g mod C, the channel of
// element g of x [..., C]. One pass: x is read once, y written once.
//
// src/fused-codegen.ts fills the double-braced slots: operand bindings and
// their ld_/st_ accessors (vector words of 4 lanes, or single elements), the
// activation's functions from the table (act_forward), and the body: 'rows'
// (C a multiple of 4: invocation t takes column word t mod cw down a run of
// `per` rows, neighbouring invocations on neighbouring words of a row) or
// 'flat' (one word or element per invocation, any C).
// A dispatch covers whole rows of x (a sub-range when x is over the binding limit).

struct Params {
  n: u32,       // elements of this dispatch
  nwords: u32,  // storage words covering them (flat vector layout)
  c: u32,       // C, the channel count (bias length)
  per: u32,     // rows: rows per invocation
  rows: u32,    // rows: rows of this dispatch
  cw: u32,      // rows: words per row (C / 4)
  _p0: u32,
  _p1: u32,
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
  let t = (wid.y * groups.x + wid.x) * WG + lid;
  {{BODY}}
}
