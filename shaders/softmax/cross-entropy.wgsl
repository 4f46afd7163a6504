// Fused softmax cross-entropy over logits [rows, classes], in one pass:
//   t' = (1 - s) * t + s / C       (label smoothing s)
//   loss_row = -sum_c t'_c * log p_c   (0 * -Inf counts as 0)
//   dlogits = (p - t') * factor    (factor = 1 / count for 'mean', else 1)
// Ignored and fully masked rows give loss 0 and zero gradient.

const HAS_LOSS: bool = true;

alias Elem = vec2<f32>; // (logit, target before smoothing)

// begin_row and load_target come from src/softmax-kernels.ts: a one-hot
// target from the row's label (ignored rows are marked -1 by the host), or a
// probability read from the target tensor.
var<private> row_label: i32;
var<private> row_ignored: bool;

fn load_elem(g: u32, j: u32) -> Elem {
  return vec2<f32>(load_in0(g), load_target(g, j));
}

fn accumulate(st: State, e: Elem) -> State {
  var r = add_value(st, e.x);
  if (is_nan(e.y)) {
    r.nan = 1u;
  }
  return r;
}

fn emit(f: Fin, e: Elem, g: u32, j: u32) -> f32 {
  if (row_ignored || masked(f)) {
    store_out(g, 0.0);
    return 0.0;
  }
  if (f.nan != 0u) {
    store_out(g, P.nan);
    return 0.0;
  }
  let tc = P.keep * e.y + P.smooth_c;
  store_out(g, (prob(f, e.x) - tc) * P.factor);
  if (tc == 0.0) {
    return 0.0;
  }
  return -tc * log_prob(f, e.x);
}

fn finish_row(row: u32, f: Fin, loss: f32) {
  var l = loss;
  if (row_ignored || masked(f)) {
    l = 0.0;
  } else if (f.nan != 0u) {
    l = P.nan;
  }
  loss_rows[row] = l;
}
