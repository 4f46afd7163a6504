// float16 storage helpers shared by every kernel that writes halves.

// float16 bits of two f32 values, rounded to nearest. pack2x16float is
// indeterminate outside the f16 range (on SwiftShader an Inf lane also
// corrupted its neighbour), so NaN, Inf and overflow are decided on the bits
// and only finite in-range lanes reach it.
fn half_bits(v: vec2<f32>) -> vec2<u32> {
  let b = bitcast<vec2<u32>>(v);
  let mag = b & vec2<u32>(0x7fffffffu);
  let sign = (b >> vec2<u32>(16u)) & vec2<u32>(0x8000u);
  let p = pack2x16float(select(v, vec2<f32>(0.0), mag >= vec2<u32>(0x477ff000u)));
  let h = vec2<u32>(p & 0xffffu, p >> 16u);
  // 0x477ff000 is 65520: from there on, f16 rounds to Inf.
  let inf = select(h, sign | vec2<u32>(0x7c00u), mag >= vec2<u32>(0x477ff000u));
  return select(inf, vec2<u32>(0x7e00u), mag > vec2<u32>(0x7f800000u));
}

// Bits of a u32 that hold the first `lanes` (0, 1 or 2+) of its two halves.
fn half_mask(lanes: u32) -> u32 {
  return select(select(0u, 0xffffu, lanes == 1u), 0xffffffffu, lanes >= 2u);
}
