// group_reduce merges the W States of each row in a full-width tree: every
// lane takes part (idle ones hold the identity), so no element is skipped at
// odd lengths and the order, hence the result, is fixed. group_sum is the same
// tree for a plain sum (the cross-entropy row loss).

var<workgroup> sh: array<State, WG>;
var<workgroup> shl: array<f32, WG>;

fn threads_per_row() -> u32 {
  return 1u << P.w_log2;
}

fn group_reduce(st: State, lid: u32) -> State {
  sh[lid] = st;
  workgroupBarrier();
  let t = lid & ((1u << P.w_log2) - 1u);
  for (var width = (1u << P.w_log2) >> 1u; width > 0u; width >>= 1u) {
    if (t < width) {
      sh[lid] = combine(sh[lid], sh[lid + width]);
    }
    workgroupBarrier();
  }
  let r = sh[lid - t];
  workgroupBarrier();
  return r;
}

fn group_sum(v: f32, lid: u32) -> f32 {
  shl[lid] = v;
  workgroupBarrier();
  let t = lid & ((1u << P.w_log2) - 1u);
  for (var width = (1u << P.w_log2) >> 1u; width > 0u; width >>= 1u) {
    if (t < width) {
      shl[lid] += shl[lid + width];
    }
    workgroupBarrier();
  }
  let r = shl[lid - t];
  workgroupBarrier();
  return r;
}
