// Generic elementwise kernel: forward y = f(x) or backward dx = dy * f'(x).
//
// src/codegen.ts fills the double-braced slots: the storage word type and how a
// word unpacks to f32 lanes (float32 words are bitcast, float16 words hold
// two halves each), the op's functions, and the operand bindings. Math is
// always f32. Each invocation handles four words of every operand.

struct Params {
  n: u32,       // elements covered by this dispatch
  nwords: u32,  // words covered by this dispatch
  base: u32,    // index of this dispatch's first element in the whole tensor
  _pad: u32,
  p: vec4<f32>, // the op's numeric parameters, in table order
  bdim: vec4<u32>,    // broadcast operand: x's collapsed dims
  bxstride: vec4<u32>, // broadcast operand: x's strides over those dims
  bstride: vec4<u32>,  // broadcast operand: its strides (0 where broadcast)
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

{{MATH}}

{{OP}}

{{STORAGE}}

fn one_word(w: u32) {
  let first = w * LANES;
  {{BODY}}
  {{STORE}}
}

// Each invocation handles four adjacent words: the index arithmetic, bounds
// check and buffer clamps of an invocation are paid once per four words,
// which SwiftShader (compute-bound) notices (bench/notes/elementwise.md,
// items 13 and 14). Calls, not a loop: the loop was slower there.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  // Grids wider than 65535 workgroups fold into y; the guard drops the overhang.
  let w = ((wid.y * groups.x + wid.x) * {{WORKGROUP_SIZE}}u + lid) * 4u;
  if (w >= P.nwords) { return; }
  one_word(w);
  if (w + 1u < P.nwords) { one_word(w + 1u); }
  if (w + 2u < P.nwords) { one_word(w + 2u); }
  if (w + 3u < P.nwords) { one_word(w + 3u); }
}
