// Forward: y = softmax(v / T) or logSoftmax(v / T), v = sign * x.

const LOG: bool = {{LOG}};
const HAS_LOSS: bool = false;

alias Elem = f32;

fn load_elem(g: u32, j: u32) -> Elem {
  return load_value(g);
}

fn accumulate(st: State, e: Elem) -> State {
  return add_value(st, e);
}

fn begin_row(row: u32) {}

fn emit(f: Fin, e: Elem, g: u32, j: u32) -> f32 {
  if (LOG) {
    store_out(g, log_prob(f, e));
  } else {
    store_out(g, prob(f, e));
  }
  return 0.0;
}

fn finish_row(row: u32, f: Fin, loss: f32) {}
