/**
 * The fused ops' `out` in a range of an input's own buffer (written through
 * a scratch tensor and copied into place), and bad `out` refused before any
 * dispatch with the inputs unchanged.
 */
import { describe, expect, it } from 'vitest';
import { toHalfArray } from '../../src/core/f16.js';
import * as fref from '../../src/fused/reference.js';
import { InvalidArgumentError } from '../../src/index.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { uniform, uniformAs } from '../helpers/inputs.js';
import { ELEMENTWISE, SOFTMAX, expectClose } from '../helpers/tolerance.js';
import {
  applyBiasAct,
  biasAct,
  biasActBackward,
  glu,
  gluBackward,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';

import { destroy, dtypes, raw } from './common.js';

describe("out in a range of an input's own buffer (written through a scratch tensor)", () => {
  it.each(dtypes)(
    '%s: biasAct, glu and scaledMaskedSoftmax; the half past an odd float16 out survives',
    async (dtype) => {
      const act = await sharedActivations();
      const [rows, c] = [3, 5];
      const n = rows * c;
      const x = uniformAs(n, 30, dtype);
      const bias = uniformAs(c, 31, dtype, -1, 1);
      const eb = dtype === 'float32' ? 4 : 2;
      // x at 0, out at 256, a sentinel right after out; one buffer.
      const buffer = act.device.createBuffer({
        size: 1024,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      act.device.queue.writeBuffer(buffer, 0, new Uint8Array(1024).fill(0x3c));
      const xt = act.wrap(buffer, [rows, c], { dtype });
      const bits = new Uint16Array(16); // whole 4-byte words for writeBuffer
      bits.set(toHalfArray(x));
      act.device.queue.writeBuffer(buffer, 0, dtype === 'float32' ? Float32Array.from(x) : bits);
      const out = act.wrap(buffer, [rows, c], { dtype, byteOffset: 256 });
      const whole = act.wrap(buffer, [1024 / eb], { dtype });
      const bt = act.tensor(bias, [c], { dtype });
      const got = await noGpuErrors(act.device, async () => {
        const r: Record<string, Float32Array | Uint16Array> = {};
        biasAct(act, 'elu', xt, bt, { out });
        r.bias = await raw(out);
        scaledMaskedSoftmax(act, xt, { causal: true, out });
        r.sms = await raw(out);
        const g = act.wrap(buffer, [rows, 2], { dtype, byteOffset: 256 });
        const x2 = act.wrap(buffer, [rows, 4], { dtype });
        glu(act, 'reglu', x2, { out: g });
        r.glu = await raw(g);
        r.whole = await whole.readRaw();
        destroy(g, x2);
        return r;
      });
      destroy(xt, out, whole, bt);
      buffer.destroy();
      expectClose(got.bias, fref.biasActForward('elu', x, bias), dtype, ELEMENTWISE, 'biasAct');
      const wsm = fref.maskedSoftmaxForward(x, [rows, c], { causal: true });
      expectClose(got.sms, wsm, dtype, SOFTMAX, 'scaledMaskedSoftmax');
      const x2 = x.subarray(0, rows * 4);
      const { a, b } = fref.splitHalves(x2, 2);
      expectClose(got.glu, fref.gluForward('reglu', a, b), dtype, ELEMENTWISE, 'glu');
      // The bytes after the last output (glu wrote 6 elements, the others 15) keep the sentinel.
      const bytes = new Uint8Array(got.whole.buffer);
      expect(Array.from(bytes.subarray(256 + n * eb, 512))).toEqual(
        new Array(256 - n * eb).fill(0x3c),
      );
      // And x, before out, is unchanged.
      expectClose(got.whole.subarray(0, n) as never, x, dtype, { atol: 0, rtol: 0 }, 'x unchanged');
    },
  );
});

describe('a bad out is refused before any GPU work, inputs unchanged', () => {
  it('shape, dtype, destroyed, not a tensor, overlaps, and where no out is taken', async () => {
    const act = await sharedActivations();
    const x = uniform(24, -2, 2, 40);
    const xt = act.tensor(x, [4, 6]);
    const bt = act.tensor(uniform(6, -1, 1, 41));
    const dyt = act.tensor(uniform(24, -1, 1, 42), [4, 6]);
    const half = act.tensor(new Float32Array(12), [4, 3]);
    const wrong = act.tensor(new Float32Array(24), [6, 4]);
    const h16 = act.tensor(new Float32Array(24), [4, 6], { dtype: 'float16' });
    const gone = act.tensor(new Float32Array(24), [4, 6]);
    gone.destroy();
    const buffer = act.device.createBuffer({
      size: 512,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const wx = act.wrap(buffer, [4, 6]);
    const wOver = act.wrap(buffer, [2, 6]); // the first half of wx: overlaps, not equal
    const before = act.stats().recordedDispatches;
    const bad = (f: () => unknown, code: string, re: RegExp) => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code).toBe(code);
      expect((err as Error).message).toMatch(re);
    };
    const sms = (o: object) => () => scaledMaskedSoftmax(act, xt, o);
    bad(
      () => biasAct(act, 'relu', xt, bt, { out: wrong }),
      'SHAPE_MISMATCH',
      /out must have the result's shape \[4, 6\], got \[6, 4\]/,
    );
    bad(
      () => biasAct(act, 'relu', xt, bt, { out: h16 }),
      'DTYPE_MISMATCH',
      /biasAct\(relu\): out must be float32/,
    );
    bad(() => biasAct(act, 'relu', xt, bt, { out: gone }), 'TENSOR_DESTROYED', /out was destroyed/);
    bad(
      () => biasAct(act, 'relu', xt, bt, { out: new Float32Array(24) as never }),
      'INVALID_ARGUMENT',
      /out must be a Tensor/,
    );
    bad(() => biasAct(act, 'relu', wx, bt, { out: wOver }), 'SHAPE_MISMATCH', /out must have/);
    bad(
      () => biasActBackward(act, 'relu', { x: xt, bias: bt, dy: dyt }, { out: half }),
      'SHAPE_MISMATCH',
      /out must have/,
    );
    bad(
      () => biasActBackward(act, 'relu', { x: xt, bias: bt, dy: dyt }, { out: gone }),
      'TENSOR_DESTROYED',
      /out was destroyed/,
    );
    bad(
      () => glu(act, 'swiglu', xt, { out: xt }),
      'SHAPE_MISMATCH',
      /swiglu: out must have the result's shape \[4, 3\]/,
    );
    bad(() => glu(act, 'swiglu', xt, { out: h16 }), 'SHAPE_MISMATCH', /out must have/);
    bad(
      () => gluBackward(act, 'glu', { x: xt, dy: half }, { out: half }),
      'SHAPE_MISMATCH',
      /out must have the result's shape \[4, 6\]/,
    );
    bad(
      () => gluBackward(act, 'glu', { a: half, b: half, dy: half }, { out: half } as never),
      'INVALID_ARGUMENT',
      /out applies to the backward from \{ x, dy \} \(dx\), not to \{ a, b, dy \}/,
    );
    bad(sms({ out: wrong }), 'SHAPE_MISMATCH', /scaledMaskedSoftmax: out must have/);
    bad(sms({ out: h16 }), 'DTYPE_MISMATCH', /out must be float32/);
    bad(sms({ out: gone }), 'TENSOR_DESTROYED', /out was destroyed/);
    bad(
      () => scaledMaskedSoftmaxBackward(act, { y: xt, dy: dyt }, { out: wrong }),
      'SHAPE_MISMATCH',
      /out must have/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    // Overlaps: out sharing part of an input's range, or written over an input that cannot be.
    const bw = act.wrap(buffer, [6], { byteOffset: 256 });
    const onBias = act.wrap(buffer, [4, 6], { byteOffset: 256 });
    const partial = act.wrap(buffer, [4, 6], { byteOffset: 0 });
    const x2 = act.wrap(buffer, [4, 6], { byteOffset: 0 });
    bad(
      () => biasAct(act, 'relu', xt, bw, { out: onBias }),
      'INVALID_ARGUMENT',
      /out overlaps bias; out may be exactly x \(in place\) or disjoint/,
    );
    bad(
      () => scaledMaskedSoftmax(act, xt, { mask: partial, out: x2 }),
      'INVALID_ARGUMENT',
      /out overlaps mask/,
    );
    bad(
      () => glu(act, 'swiglu', x2, { out: act.wrap(buffer, [4, 3], { byteOffset: 0 }) }),
      'INVALID_ARGUMENT',
      /swiglu: out overlaps x; out may be disjoint from every input/,
    );
    // Same shapes, partly overlapping: 100-column rows (400 bytes) at 256-byte offsets.
    const big = act.device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE });
    const at = (shape: number[], byteOffset: number) => act.wrap(big, shape, { byteOffset });
    const made = [at([2, 100], 0), at([2, 100], 1024), at([2, 100], 256)];
    const dy100 = act.tensor(new Float32Array(200), [2, 100]);
    const x200 = at([2, 200], 0);
    const dxShifted = at([2, 200], 256);
    bad(
      () => glu(act, 'swiglu', { a: made[0], b: made[1] }, { out: made[2] }),
      'INVALID_ARGUMENT',
      /swiglu: out overlaps a; out may be exactly a or b \(in place\) or disjoint/,
    );
    bad(
      () => gluBackward(act, 'reglu', { x: x200, dy: dy100 }, { out: dxShifted }),
      'INVALID_ARGUMENT',
      /reglu: out overlaps x/,
    );
    destroy(...made, dy100, x200, dxShifted);
    big.destroy();
    bad(
      () => applyBiasAct(act, 'relu', x, new Float32Array(6), { shape: [4, 6], out: xt } as never),
      'INVALID_ARGUMENT',
      /one-call forms on arrays take no out/,
    );
    expect(act.stats().recordedDispatches).toBe(before);
    // Inputs unchanged (and nothing written over them).
    expect(Array.from(await xt.read())).toEqual(Array.from(x));
    expect(Array.from(await bt.read())).toEqual(Array.from(uniform(6, -1, 1, 41)));
    expect(Array.from(await dyt.read())).toEqual(Array.from(uniform(24, -1, 1, 42)));
    expect(Array.from(await half.read())).toEqual(new Array(12).fill(0));
    destroy(xt, bt, dyt, half, wrong, h16, wx, wOver, bw, onBias, partial, x2);
    buffer.destroy();
  });
});
