// scaledMaskedSoftmax forward: the body of main (shaders/fused-softmax.wgsl)
// for one row, words w of it taken by the row's lanes in turn. Three passes
// over the unmasked words (largest finite logit and the NaN / +Inf counts;
// sum of exp; write); causally masked words are written 0 without being read.
// Loop bounds, not branches, send a rare row (a NaN, a +Inf, no finite
// logit) to the last loop. KEEP / again: the second and third passes form the
// logits again, or (float32 with softcap: tanh costs more than a store and a
// load) read back what the first pass wrote into out (the rare loop forms them
// again: out past the row's limit was not written).
// ROW sets off (the causal offset: the uniform one, or this batch entry's) and,
// with ALiBi, the row's slope and -(i + off); LIMIT applies the key length.
let gr = P.rbase + row;
let mb = mask_base(gr);
{{ROW}}
var lim = P.cols;
if (P.causal != 0u) {
  lim = min(P.cols, gr % P.mrows + min(off, P.cols) + 1u);
}
{{LIMIT}}
let wl = (lim + LANES - 1u) / LANES;
var mw = Lanes(-FMAX);
var nanw = LB(false);
var infw = Lanes(0.0);
for (var w = t; w < wl; w += W) {
  let z = logit(base + w, mb, w * LANES, lim);
  mw = max(mw, select(Lanes(-FMAX), z, is_finite(z)));
  nanw = nanw | is_nan(z);
  infw += select(Lanes(0.0), Lanes(1.0), is_pos_inf(z));
  {{KEEP}}
}
// SINK_M / SINK_S: with sinks, the head's sink logit joins the max and the sum.
let m = {{SINK_M}};
let nan = red_max(select(0.0, 1.0, any(nanw)));
let inf = red_add(hsum(infw));
var sw = Lanes(0.0);
for (var w = t; w < wl; w += W) {
  sw += term(again(base + w, mb, w * LANES, lim), m);
}
let s = {{SINK_S}};
let rare = nan != 0.0 || inf != 0.0 || s == 0.0;
let inv = 1.0 / s;
for (var w = t; w < select(wl, 0u, rare); w += W) {
  st_out(base + w, term(again(base + w, mb, w * LANES, lim), m) * inv);
}
for (var w = wl + (t + W - wl % W) % W; w < select(cw, 0u, rare); w += W) {
  st_out(base + w, Lanes(0.0));
}
// A NaN row is all NaN; +Inf logits share the mass; no finite logit: zeros.
for (var w = t; w < select(0u, cw, rare); w += W) {
  let z = logit(base + w, mb, w * LANES, lim);
  let pinf = select(Lanes(0.0), Lanes(1.0 / inf), is_pos_inf(z));
  st_out(base + w, select(pinf, Lanes(P.nan), nan != 0.0));
}
