// node bench/probes/softmax-minimum.mjs [R] > k.json: the hand-written softmax kernels of bench/notes/softmax.md
// ("what a softmax forward costs here"), R vec4 per row (1024: rows of 4096 floats; 64: of 256),
// for bench/probes/wgsl-probe.ts. No NaN/Inf handling: a probe of cost, not a kernel to ship.
const N4 = 4 << 20;
const R = Number(process.argv[2] ?? 1024);
const head = `enable subgroups;
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
`;
const main = (body) => `@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) t: u32) {
  let i = (wid.y * nw.x + wid.x) * 128u + lid;
  let row = i / 4u; let base = row * ${R}u;
  let hi = ${R}u;
${body}
}`;
const L2E = '1.4426950408889634';
function variant({ sg = false, nan = false, xor = false, expd = false, sel = false, dyn = false }) {
  const ld = (q) =>
    xor ? `bitcast<vec4<f32>>(bitcast<vec4<u32>>(a[base + ${q}]) ^ vec4(0u))` : `a[base + ${q}]`;
  const red = (x, op) => (sg ? `subgroup${op}(${x})` : x);
  const bound = dyn ? 'min(hi, arrayLength(&y))' : 'hi';
  const ex = (v) =>
    expd
      ? `exp2(max((${v} * fa - vec4(fma)) * fb2, vec4(-150.0)))`
      : `exp2((${v} - vec4(mm)) * ${L2E})`;
  return `
  var m = vec4(-3.4e38);
  var bad = vec4(0u);
  for (var q = t; q < ${bound}; q += 4u) { let v = ${ld('q')}; m = max(m, v); ${nan ? 'bad |= select(vec4(0u), vec4(1u), (bitcast<vec4<u32>>(v) & vec4(0x7fffffffu)) > vec4(0x7f800000u));' : ''} }
  let mm = ${red('max(max(m.x, m.y), max(m.z, m.w))', 'Max')};
  let nn = ${red('max(max(bad.x, bad.y), max(bad.z, bad.w))', 'Max')};
  let fa = select(1.0, 0.5, nn > 7u); let fb2 = select(1.0, 2.0, nn > 7u) * ${L2E}; let fma = mm * fa;
  var s = vec4(0.0);
  for (var q = t; q < ${bound}; q += 4u) { s += ${ex(ld('q'))}; }
  let inv = 1.0 / ${red('((s.x + s.y) + (s.z + s.w))', 'Add')};
  for (var q = t; q < ${bound}; q += 4u) { let v = ${ld('q')}; ${sel ? `y[base + q] = select(${ex('v')} * inv, vec4(0.0), v == vec4(-3.4e38));` : `y[base + q] = ${ex('v')} * inv;`} }`;
}
const K = [];
K.push({
  name: 'copy',
  invocations: N4,
  code:
    head +
    `@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nw.x + wid.x) * 128u + lid;
  if (i >= arrayLength(&y)) { return; }
  y[i] = a[i];
}`,
});
const steps = [
  {},
  { sg: true },
  { sg: true, nan: true },
  { sg: true, nan: true, xor: true },
  { sg: true, nan: true, xor: true, expd: true },
  { sg: true, nan: true, xor: true, expd: true, sel: true },
  { sg: true, nan: true, xor: true, expd: true, sel: true, dyn: true },
];
K.push({
  name: 'exp',
  invocations: N4,
  code: K[0].code.replace('y[i] = a[i];', 'y[i] = exp(a[i]);'),
});
K.push({
  name: 'exp2clamp',
  invocations: N4,
  code: K[0].code.replace(
    'y[i] = a[i];',
    `y[i] = exp2(max((a[i] - vec4(0.5)) * ${L2E}, vec4(-150.0)));`,
  ),
});
K.push({
  name: `R${R} loop copy`,
  invocations: N4 / (R / 4),
  code: head + main(`  for (var q = t; q < hi; q += 4u) { y[base + q] = a[base + q]; }`),
});
K.push({
  name: `R${R} online 2-pass`,
  invocations: N4 / (R / 4),
  code:
    head +
    main(`
  var m = -3.4e38;
  var s = vec4(0.0);
  for (var q = t; q < hi; q += 4u) {
    let v = a[base + q];
    let m2 = max(m, max(max(v.x, v.y), max(v.z, v.w)));
    s = s * exp2((m - m2) * ${L2E}) + exp2((v - vec4(m2)) * ${L2E});
    m = m2;
  }
  let inv = 1.0 / ((s.x + s.y) + (s.z + s.w));
  for (var q = t; q < hi; q += 4u) { y[base + q] = exp2((a[base + q] - vec4(m)) * ${L2E}) * inv; }`),
});
for (const s of steps)
  K.push({
    name: `R${R} ` + (Object.keys(s).join('+') || 'plain'),
    invocations: N4 / (R / 4),
    code: head + main(variant(s)),
  });
process.stdout.write(JSON.stringify(K));
