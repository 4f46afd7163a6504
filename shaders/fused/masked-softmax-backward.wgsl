// scaledMaskedSoftmax backward from y: the body of main
// (shaders/fused-softmax.wgsl) for one row, dx = scale * y * (dy - sum(dy * y))
// (times sech^2(scale * x / c) with softcap c: DX);
// the sum skips y = 0 (masked entries), a NaN in y or dy makes the row NaN.
var accw = Lanes(0.0);
var nanw = LB(false);
{{YSUM_DECL}}
for (var w = t; w < cw; w += W) {
  let y = ld_y(base + w);
  let dy = ld_dy(base + w);
  let bad = is_nan(y) | is_nan(dy);
  nanw = nanw | bad;
  accw += select(y * dy, Lanes(0.0), bad | (y == Lanes(0.0)));
  {{YSUM_ADD}}
}
let acc = red_add(hsum(accw));
let nan = red_max(select(0.0, 1.0, any(nanw)));
for (var w = t; w < cw; w += W) {
  let y = ld_y(base + w);
  let dy = ld_dy(base + w);
  st_dx(base + w, select({{DX}}, Lanes(P.nan), nan != 0.0));
}
// With sinks: the row's share of dsinks, -(1 - sum(y)) * sum(dy * y) (summed per head after).
{{SINK}}
