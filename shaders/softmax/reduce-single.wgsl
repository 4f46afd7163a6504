// One thread per row: nothing to merge.

fn threads_per_row() -> u32 {
  return 1u;
}
fn group_reduce(st: State, lid: u32) -> State {
  return st;
}
fn group_sum(v: f32, lid: u32) -> f32 {
  return v;
}
