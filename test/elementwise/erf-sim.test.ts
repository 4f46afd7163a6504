import { describe, it, expect } from 'vitest';
import { erf64, erfc64 } from '../../src/elementwise/math64';
import erfWgsl from '../../bench/erf.wgsl?raw';

const f = Math.fround;

/** Coefficients of the Horner expression `let <name> = ...;` in erf.wgsl, in order. */
function coefficients(name: string): number[] {
  const m = new RegExp(`let ${name} = ([^;]*);`).exec(erfWgsl);
  if (!m) throw new Error(`no 'let ${name}' in erf.wgsl`);
  return (m[1].match(/-?\d+\.\d+(?:e-?\d+)?/g) ?? []).map((s) => f(Number(s)));
}
const Q = coefficients('q');
const E = coefficients('e');

/** c0 + y * (c1 + y * (...)) rounded to f32 after every operation, as in the shader. */
function horner32(c: number[], y: number): number {
  let s = c[c.length - 1];
  for (let k = c.length - 2; k >= 0; k--) s = f(f(s * y) + c[k]);
  return s;
}

/** Float32 transliteration of erfc_pos in bench/erf.wgsl. */
function erfcPos32(t: number): number {
  const a = Math.min(Math.max(t, 0), 10.5);
  const d = f(1 / f(a + 2));
  const y = f(f(a - 2) * d);
  const q = horner32(Q, y);
  const h = f(Math.floor(f(a * 256)) / 256);
  const hh = f(h * h);
  const lo = f(f(a - h) * f(a + h));
  const n = Math.round(f(hh * f(1.44269504)));
  const r = f(f(f(hh - f(n * 0.693145751953125)) - f(n * f(1.42860677e-6))) + lo);
  const res = f(f(f(f(Math.exp(-r)) * q) * d) * 2 ** -n);
  return t >= 10.5 ? 0 : res;
}

/** Float32 transliteration of erf_f32 in bench/erf.wgsl. */
function erf32(x: number): number {
  const a = Math.min(Math.abs(x), 4);
  const r = a < 1 ? f(a + f(a * horner32(E, f(a * a)))) : f(1 - erfcPos32(a));
  return x < 0 || Object.is(x, -0) ? -r : r;
}

describe('erf64 / erfc64', () => {
  const cases: [(x: number) => number, number, number][] = [
    [erf64, 0.5, 0.5204998778130465],
    [erf64, 1, 0.8427007929497149],
    [erf64, 2, 0.9953222650189527],
    [erfc64, 3, 2.209049699858544e-5],
    [erfc64, 5, 1.5374597944280349e-12],
    [erfc64, 10, 2.088487583762545e-45],
  ];
  it('matches known values to 1e-14 relative', () => {
    expect(erf64(0)).toBe(0);
    for (const [fn, x, v] of cases) {
      expect(Math.abs(fn(x) / v - 1), `${fn.name}(${x})`).toBeLessThan(1e-14);
      expect(Math.abs(fn(-x) / (fn === erf64 ? -v : 2 - v) - 1)).toBeLessThan(1e-14);
    }
  });
  it('is consistent: erf + erfc = 1, erfc underflows past 27', () => {
    for (let x = -3; x <= 6; x += 0.01)
      expect(Math.abs(erf64(x) + erfc64(x) - 1)).toBeLessThan(1e-15);
    expect(erfc64(26.5)).toBeGreaterThan(0);
    expect(erfc64(28)).toBe(0);
    expect(erf64(Infinity)).toBe(1);
    expect(erf64(-Infinity)).toBe(-1);
  });
});

describe('float32 simulation of bench/erf.wgsl', () => {
  it('parses the shader coefficients', () => {
    expect(Q).toHaveLength(9);
    expect(E).toHaveLength(7);
  });

  it('erf_f32: max abs error <= 2e-7, odd, +-1 at +-inf', () => {
    const xs: number[] = [];
    for (let i = -60000; i <= 60000; i++) xs.push(f(i * 1e-4));
    xs.push(1e-45, 1e-38, 1e-30, 1e-10, 3.7, 3.9, 4, 5, 1e10, 1e30, 3.4028234663852886e38);
    let worst = 0;
    let notOdd = 0;
    for (const x of xs) {
      const y = erf32(x);
      if (erf32(-x) !== -y) notOdd++;
      worst = Math.max(worst, Math.abs(y - erf64(x)));
    }
    expect(notOdd).toBe(0);
    expect(worst).toBeLessThanOrEqual(2e-7);
    expect(erf32(Infinity)).toBe(1);
    expect(erf32(-Infinity)).toBe(-1);
    expect(Object.is(erf32(-0), -0)).toBe(true);
  });

  it('erfc_pos: max relative error <= 3e-6 on [1, 9], 0 past 10.5', () => {
    let worst = 0;
    for (let i = 0; i <= 80000; i++) {
      const t = f(1 + i * 1e-4);
      worst = Math.max(worst, Math.abs(erfcPos32(t) / erfc64(t) - 1));
    }
    expect(worst).toBeLessThanOrEqual(3e-6);
    expect(erfcPos32(10.5)).toBe(0);
    expect(erfcPos32(Infinity)).toBe(0);
  });
});
