// Assumes subgroups are consecutive runs of local_invocation_index (true of
// the adapters seen; a full workgroup of 256 is a whole number of subgroups).
// A butterfly leaves every lane with the same State: combine is commutative.

var<private> sg_size: u32;

fn threads_per_row() -> u32 {
  return sg_size;
}
fn group_reduce(st: State, lid: u32) -> State {
  var r = st;
  for (var o = 1u; o < sg_size; o <<= 1u) {
    r = combine(r, from_partial(subgroupShuffleXor(to_partial(r), o)));
  }
  return r;
}
fn group_sum(v: f32, lid: u32) -> f32 {
  var r = v;
  for (var o = 1u; o < sg_size; o <<= 1u) {
    r += subgroupShuffleXor(r, o);
  }
  return r;
}
