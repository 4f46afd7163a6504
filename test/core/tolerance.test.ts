/** The tolerance helper itself must be able to fail: NaN, Inf and sign cases. */
import { describe, expect, it } from 'vitest';
import { close, ELEMENTWISE } from '../../src/core/tolerance.js';
import { halfUlps } from '../helpers/tolerance.js';

describe('close()', () => {
  it('accepts values within atol + rtol|want|', () => {
    expect(close(1 + 4e-6, 1, ELEMENTWISE)).toBe(true);
    expect(close(5e-7, 0, ELEMENTWISE)).toBe(true);
  });
  it('rejects values outside it', () => {
    expect(close(1 + 6e-6, 1, ELEMENTWISE)).toBe(false);
    expect(close(2e-6, 0, ELEMENTWISE)).toBe(false);
  });
  it('never lets NaN pass unless NaN was wanted', () => {
    expect(close(NaN, 1, ELEMENTWISE)).toBe(false);
    expect(close(1, NaN, ELEMENTWISE)).toBe(false);
    expect(close(NaN, NaN, ELEMENTWISE)).toBe(true);
    expect(close(NaN, Infinity, ELEMENTWISE)).toBe(false);
  });
  it('needs infinities to match exactly, and finite wants to stay finite', () => {
    expect(close(Infinity, Infinity, ELEMENTWISE)).toBe(true);
    expect(close(-Infinity, Infinity, ELEMENTWISE)).toBe(false);
    expect(close(Infinity, 3e38, ELEMENTWISE)).toBe(false);
    expect(close(3.4e38, Infinity, ELEMENTWISE)).toBe(false);
  });
  it('expects Inf where the float64 answer overflows float32', () => {
    expect(close(Infinity, 3.6e38, ELEMENTWISE)).toBe(true);
    expect(close(3.4028234663852886e38, 3.6e38, ELEMENTWISE)).toBe(false);
  });
});

describe('halfUlps()', () => {
  it('counts ulps across zero and refuses NaN against numbers', () => {
    expect(halfUlps(0x3c01, 0x3c00)).toBe(1);
    expect(halfUlps(0x8001, 0x0001)).toBe(2);
    expect(halfUlps(0x8000, 0x0000)).toBe(0);
    expect(halfUlps(0x7e00, 0x3c00)).toBe(Infinity);
    expect(halfUlps(0x7e00, 0x7e01)).toBe(0);
    expect(halfUlps(0x7bff, 0x7c00)).toBe(Infinity);
  });
});
