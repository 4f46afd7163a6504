/**
 * Every activation, forward and backward, float32 and float16, on real WebGPU,
 * against the float64 reference. Outputs are poisoned with NaN first, so an
 * element the kernel never wrote fails.
 */
import { describe, expect, it } from 'vitest';
import { activationNames, acceptsY, type ActivationName } from '../../src/elementwise/table.js';
import { toHalfArray, fromHalfArray } from '../../src/core/f16.js';
import * as ref from '../../src/elementwise/reference.js';
import type { Activations, Tensor } from '../../src/index.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { elementwiseInputs, uniform } from '../helpers/inputs.js';
import { paramCases } from '../helpers/cases.js';
import { ELEMENTWISE, halfMismatches, mismatches, report } from '../helpers/tolerance.js';

function poisoned(act: Activations, n: number, dtype: 'float32' | 'float16'): Tensor {
  return dtype === 'float32'
    ? act.tensor(new Float32Array(n).fill(NaN), [n])
    : act.tensor(new Uint16Array(n).fill(0x7e00), [n], { dtype });
}

/** Upstream gradients: moderate values, with a NaN and zeros mixed in. */
function gradients(n: number, seed: number): Float32Array {
  const dy = uniform(n, -2, 2, seed);
  dy[3 % n] = NaN;
  dy[7 % n] = 0;
  return dy;
}

const N = 1999; // not a multiple of 4 or 8: the tail word is exercised

describe.each(activationNames)('%s', (op: ActivationName) => {
  describe.each(paramCases(op))('params %j', (params) => {
    it('float32 forward matches the float64 reference', async () => {
      const act = await sharedActivations();
      const x = elementwiseInputs(N, 1);
      const xt = act.tensor(x);
      const out = poisoned(act, x.length, 'float32');
      const got = await noGpuErrors(act.device, async () => {
        act.forward(op, xt, { ...params, out } as never);
        return out.read();
      });
      const ms = mismatches(got, ref.forward(op, x, params), ELEMENTWISE, [x]);
      xt.destroy();
      out.destroy();
      expect(ms, report(ms)).toEqual([]);
    });

    it("float32 backward matches dy * f'(x) in float64", async () => {
      const act = await sharedActivations();
      const x = elementwiseInputs(N, 2);
      const dy = gradients(x.length, 3);
      const xt = act.tensor(x);
      const dyt = act.tensor(dy);
      const out = poisoned(act, x.length, 'float32');
      const got = await noGpuErrors(act.device, async () => {
        act.backward(op, { x: xt, dy: dyt }, { ...params, out } as never);
        return out.read();
      });
      const ms = mismatches(got, ref.backward(op, x, dy, params), ELEMENTWISE, [x, dy]);
      for (const t of [xt, dyt, out]) t.destroy();
      expect(ms, report(ms)).toEqual([]);
    });

    it('float16 forward is within 1 ulp of the correctly rounded result', async () => {
      const act = await sharedActivations();
      const bits = toHalfArray(elementwiseInputs(N, 4));
      const x = fromHalfArray(bits);
      const xt = act.tensor(bits, [bits.length], { dtype: 'float16' });
      const out = poisoned(act, bits.length, 'float16');
      act.forward(op, xt, { ...params, out } as never);
      const got = (await out.readRaw()) as Uint16Array;
      const want = toHalfArray(ref.forward(op, x, params));
      const ms = halfMismatches(got, want, 1, [x]);
      xt.destroy();
      out.destroy();
      expect(ms, report(ms)).toEqual([]);
    });

    it('float16 backward is within 1 ulp of the correctly rounded result', async () => {
      const act = await sharedActivations();
      const x = fromHalfArray(toHalfArray(elementwiseInputs(N, 5)));
      const dy = fromHalfArray(toHalfArray(gradients(x.length, 6)));
      const xt = act.tensor(x, [x.length], { dtype: 'float16' });
      const dyt = act.tensor(dy, [x.length], { dtype: 'float16' });
      const out = poisoned(act, x.length, 'float16');
      act.backward(op, { x: xt, dy: dyt }, { ...params, out } as never);
      const got = (await out.readRaw()) as Uint16Array;
      const want = toHalfArray(ref.backward(op, x, dy, params));
      const ms = halfMismatches(got, want, 1, [x, dy]);
      for (const t of [xt, dyt, out]) t.destroy();
      expect(ms, report(ms)).toEqual([]);
    });
  });

  it('runs in place (out: x) with the same result', async () => {
    const act = await sharedActivations();
    const x = elementwiseInputs(257, 7);
    const xt = act.tensor(x);
    const y = act.forward(op, xt, { ...paramCases(op)[0], out: xt } as never);
    expect(y).toBe(xt);
    const ms = mismatches(await xt.read(), ref.forward(op, x, paramCases(op)[0]), ELEMENTWISE, [x]);
    xt.destroy();
    expect(ms, report(ms)).toEqual([]);
  });

  it('backward in place over dy (out: dy)', async () => {
    const act = await sharedActivations();
    const x = elementwiseInputs(101, 8);
    const dy = gradients(x.length, 9);
    const xt = act.tensor(x);
    const dyt = act.tensor(dy);
    act.backward(op, { x: xt, dy: dyt }, { ...paramCases(op)[0], out: dyt } as never);
    const p = paramCases(op)[0];
    const ms = mismatches(await dyt.read(), ref.backward(op, x, dy, p), ELEMENTWISE, [x, dy]);
    xt.destroy();
    dyt.destroy();
    expect(ms, report(ms)).toEqual([]);
  });
});

describe.each(activationNames.filter(acceptsY))('%s from y', (op: ActivationName) => {
  it('backward from the forward output y matches', async () => {
    const act = await sharedActivations();
    const x = elementwiseInputs(N, 10);
    const y = new Float32Array(ref.forward(op, x));
    const dy = gradients(x.length, 11);
    const yt = act.tensor(y);
    const dyt = act.tensor(dy);
    const out = poisoned(act, x.length, 'float32');
    act.backward(op, { y: yt, dy: dyt }, { out });
    const got = await out.read();
    const ms = mismatches(got, ref.backward(op, y, dy, {}, { fromY: true }), ELEMENTWISE, [y, dy]);
    for (const t of [yt, dyt, out]) t.destroy();
    expect(ms, report(ms)).toEqual([]);
  });
});

describe('lengths', () => {
  it.each([0, 1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 1023, 1025])(
    'relu and sigmoid over %i elements, both dtypes',
    async (n) => {
      const act = await sharedActivations();
      for (const op of ['relu', 'sigmoid'] as const) {
        const x = uniform(n, -10, 10, n + 1);
        for (const dtype of ['float32', 'float16'] as const) {
          const xv = dtype === 'float16' ? fromHalfArray(toHalfArray(x)) : x;
          const xt = act.tensor(xv, [n], { dtype });
          const out = poisoned(act, n, dtype);
          act.forward(op, xt, { out });
          const got = await out.read();
          const want = ref.forward(op, xv);
          const wantRounded = dtype === 'float16' ? fromHalfArray(toHalfArray(want)) : want;
          const ms = mismatches(
            got,
            wantRounded,
            dtype === 'float16' ? { atol: 1e-3, rtol: 1e-3 } : ELEMENTWISE,
            [xv],
          );
          xt.destroy();
          out.destroy();
          expect(ms, `${op} ${dtype}: ${report(ms)}`).toEqual([]);
        }
      }
    },
  );

  it('scalar shape [] works', async () => {
    const act = await sharedActivations();
    expect(Array.from(await act.apply('relu', new Float32Array([-2]), { shape: [] }))).toEqual([0]);
  });
});

describe('numerics the issue names', () => {
  const cases: [ActivationName, number, number][] = [
    ['sigmoid', 1e30, 1],
    ['sigmoid', -1e30, 0],
    ['tanh', 1e4, 1],
    ['tanh', -1e4, -1],
    ['softplus', 1e4, 1e4],
    ['logSigmoid', -1e4, -1e4],
    ['elu', -1e30, -1],
    ['selu', -1e30, -1.7580993408473766],
    ['celu', -1e30, -1],
    ['gelu', -1e30, 0],
    ['gelu', 1e30, 1e30],
    ['silu', -1e30, 0],
    ['silu', 1e30, 1e30],
    ['mish', -1e30, 0],
    ['mish', 1e30, 1e30],
  ];
  it.each(cases)('%s(%d) = %d, finite', async (op, x, want) => {
    const act = await sharedActivations();
    const [got] = await act.apply(op, new Float32Array([x]));
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 + 4e-6 * Math.abs(want));
  });
});
