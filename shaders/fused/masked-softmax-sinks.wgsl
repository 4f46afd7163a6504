// scaledMaskedSoftmax backward with attention sinks: dsinks[h], the rows'
// shares (dsr, one per row, written by the row kernel) summed over head h's
// rows in row order, one invocation per head (deterministic, bitwise).
struct Q {
  heads: u32,
  mrows: u32,   // x.shape[-2]
  groups: u32,  // rows / (heads * mrows): the leading blocks each head recurs in
  _p: u32,
}

@group(0) @binding(0) var<uniform> q: Q;
@group(0) @binding(1) var<storage, read> dsr: array<f32>;
@group(0) @binding(2) var<storage, read_write> ds: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let h = id.x;
  if (h >= q.heads) { return; }
  var s = 0.0;
  for (var g = 0u; g < q.groups; g++) {
    let b = (g * q.heads + h) * q.mrows;
    for (var i = 0u; i < q.mrows; i++) { s += dsr[b + i]; }
  }
  ds[h] = s;
}
