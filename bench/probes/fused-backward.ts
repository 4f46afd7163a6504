/**
 * node --import tsx bench/probes/fused-backward.ts > k.json, then
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/wgsl-probe.ts k.json 5
 *
 * The biasAct backward's loop (one column word down 64 rows, dx stored, the
 * dbias partial accumulated) beside the core's one word per invocation, with
 * gelu's derivative from the library's own table, in variants: without the
 * accumulation, with a constant row bound, 16 rows, and unrolled by four
 * (bench/notes/fused.md, fused backward). A probe of cost, not a kernel to ship.
 */
import { register } from 'node:module';

register('../raw-hooks.mjs', import.meta.url);
const { activationSource } = await import('../../src/fused/codegen.js');
const { default: math } = await import('../../shaders/common/math.wgsl?raw');

const N4 = 4 << 20; // vec4 words of 16M float32
const head = `@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<f32>>;
${math}
${activationSource('gelu', [0])}
fn lane_backward(a: f32, b: f32, dy: f32) -> f32 {
  let z = select(a + b, a, b == 0.0);
  let d = dy * act_derivative(z);
  return select(select(d, dy, is_nan(dy)), z, is_nan(z));
}
fn map_lanes(a: vec4<f32>, b: vec4<f32>, dy: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(lane_backward(a.x, b.x, dy.x), lane_backward(a.y, b.y, dy.y),
                   lane_backward(a.z, b.z, dy.z), lane_backward(a.w, b.w, dy.w));
}
`;
const entry = (wg: number, body: string) => `@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nw.x + wid.x) * ${wg}u + lid;
${body}
}`;
const step = (
  off: string,
  name: string,
) => `    let ${name} = map_lanes(a[i${off}], b, dy[i${off}]);
    y[i${off}] = ${name};`;
function rows(per: number, opts: { acc?: boolean; constBound?: boolean; unroll?: boolean } = {}) {
  const acc = opts.acc !== false;
  const loop = opts.unroll
    ? `  var r = r0;
  for (; r + 4u <= r1; r += 4u) {
    let i = r * 64u + col;
${step('', 'd0')}
${step(' + 64u', 'd1')}
${step(' + 128u', 'd2')}
${step(' + 192u', 'd3')}
    ${acc ? 'acc += (d0 + d1) + (d2 + d3);' : ''}
  }`
    : `  for (var r = r0; r < r1; r++) {
    let i = r * 64u + col;
${step('', 'd')}
    ${acc ? 'acc += d;' : ''}
  }`;
  return entry(
    256,
    `  let s = t / 64u;
  let col = t - s * 64u;
  if (s >= 65536u / ${per}u) { return; }
  let r0 = s * ${per}u;
  let r1 = ${opts.constBound ? `r0 + ${per}u` : `min(r0 + ${per}u, 65536u)`};
  let b = partials[col];
  var acc = vec4<f32>(0.0);
${loop}
  partials[1024u + t] = acc;`,
  );
}
const bindings = ['src', 'src', 'dst', 'aux'];
const kernels = [
  {
    name: 'core: one word per invocation',
    invocations: N4,
    wg: 256,
    code:
      head +
      entry(
        256,
        `  if (t >= arrayLength(&y)) { return; }
  y[t] = map_lanes(a[t], vec4(0.0), dy[t]);
  if (t == 0xffffffffu) { partials[0] = vec4(1.0); }`,
      ),
  },
  { name: 'fused: 64 rows, dbias partial', per: 64, opts: {} },
  { name: 'fused: 64 rows, no accumulation', per: 64, opts: { acc: false } },
  { name: 'fused: 64 rows, constant bound', per: 64, opts: { constBound: true } },
  { name: 'fused: 16 rows', per: 16, opts: {} },
  { name: 'fused: 64 rows unrolled by 4', per: 64, opts: { unroll: true } },
].map((k) =>
  'code' in k
    ? { ...k, bindings }
    : {
        name: k.name,
        invocations: N4 / k.per!,
        wg: 256,
        bindings,
        code: head + rows(k.per!, k.opts),
      },
);
process.stdout.write(JSON.stringify(kernels));
