/**
 * The unfused sequences' own steps (bench/fused.ts): a bias add, a multiply,
 * a causal mask and its broadcast add, and a two-pass column sum. Each kernel
 * handles 4 elements per invocation as a vec4<f32>: float32 storage as
 * vec4<f32>, float16 storage as vec2<u32> (four halves, unpack2x16float), so
 * both dtypes get the vector loads our library kernels get.
 */
import { ENTRY, storageDecls } from './kernels.js';

type Dt = 'float32' | 'float16';
const quadType = (d: Dt) => (d === 'float32' ? 'vec4<f32>' : 'vec2<u32>');
const load = (d: Dt, e: string) =>
  d === 'float32' ? e : `vec4<f32>(unpack2x16float(${e}.x), unpack2x16float(${e}.y))`;
const store = (d: Dt, v: string) =>
  d === 'float32' ? v : `vec2<u32>(pack2x16float(${v}.xy), pack2x16float(${v}.zw))`;

/**
 * y = f(inputs) over quads: each input is read at `index` (default i, the
 * output quad), so a bias or a mask can repeat along the leading dimensions.
 */
function quadShader(
  dtype: Dt,
  inputs: { name: string; index?: string }[],
  expr: string,
  quads: number,
): string {
  const loads = inputs
    .map((v) => `  let ${v.name}v = ${load(dtype, `${v.name}[${v.index ?? 'i'}]`)};`)
    .join('\n');
  return `${storageDecls(
    quadType(dtype),
    inputs.map((v) => v.name),
  )}
${ENTRY}
  if (i >= ${quads}u) { return; }
${loads}
  let r: vec4<f32> = ${expr};
  y[i] = ${store(dtype, 'r')};
}`;
}

/** h = x + bias for x [rows, c] (c % 4 == 0): the separate bias-add kernel. */
export const biasAddShader = (dtype: Dt, n: number, c: number) =>
  quadShader(dtype, [{ name: 'x' }, { name: 'bias', index: `i % ${c / 4}u` }], 'xv + biasv', n / 4);

/** y = a * b elementwise. */
export const mulShader = (dtype: Dt, n: number) =>
  quadShader(dtype, [{ name: 'a' }, { name: 'b' }], 'av * bv', n / 4);

/** xm = x + mask, mask [s, s] repeated over the leading dimensions of x [..., s, s]. */
export const maskAddShader = (dtype: Dt, n: number, s: number) =>
  quadShader(
    dtype,
    [{ name: 'x' }, { name: 'mask', index: `i % ${(s * s) / 4}u` }],
    'xv + maskv',
    n / 4,
  );

/**
 * The additive causal mask [s, s]: 0 where column <= row, the dtype's most
 * negative finite value above the diagonal (pack2x16float of an infinity is
 * indeterminate, so no -inf; exp of it is 0 all the same).
 */
export function causalMaskShader(dtype: Dt, s: number): string {
  const neg = dtype === 'float32' ? '-3.4028234e38' : '-65504.0';
  return `${storageDecls(quadType(dtype), [])}
${ENTRY}
  if (i >= ${(s * s) / 4}u) { return; }
  let e = i * 4u;
  let row = e / ${s}u;
  let col = vec4<u32>(e % ${s}u) + vec4<u32>(0u, 1u, 2u, 3u);
  let r = select(vec4<f32>(0.0), vec4<f32>(${neg}), col > vec4<u32>(row));
  y[i] = ${store(dtype, 'r')};
}`;
}

/**
 * The column sums of dx [rows, c] in two passes: pass 1 sums `per` rows of one
 * column quad per invocation into float32 partials [slices, c/4]; pass 2 sums
 * the partials of one column quad per invocation into dbias (float32 [c]).
 */
export function columnSumShaders(
  dtype: Dt,
  rows: number,
  c: number,
  per: number,
): { partial: string; merge: string; slices: number } {
  const cw = c / 4;
  const slices = Math.ceil(rows / per);
  const partial = `@group(0) @binding(0) var<storage, read> dx: array<${quadType(dtype)}>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
${ENTRY}
  if (i >= ${slices * cw}u) { return; }
  let s = i / ${cw}u;
  let w = i % ${cw}u;
  let end = min(${rows}u, (s + 1u) * ${per}u);
  var acc = vec4<f32>(0.0);
  for (var r = s * ${per}u; r < end; r++) { acc += ${load(dtype, `dx[r * ${cw}u + w]`)}; }
  y[i] = acc;
}`;
  const merge = `${storageDecls('vec4<f32>', ['p'])}
${ENTRY}
  if (i >= ${cw}u) { return; }
  var acc = vec4<f32>(0.0);
  for (var s = 0u; s < ${slices}u; s++) { acc += p[s * ${cw}u + i]; }
  y[i] = acc;
}`;
  return { partial, merge, slices };
}
