/**
 * Large tensors: 20M elements, a grid of more than 65,535 workgroups, and
 * the device's largest buffer (1 GiB on SwiftShader) through the elementwise
 * ops and the softmax family's two extreme shapes. `npm run test:stress`
 * (STRESS=1) runs every op at the largest size; CI runs three.
 */
import { describe, expect, it } from 'vitest';
import { activationNames, type ActivationName } from '../../src/elementwise/table.js';
import { OutOfMemoryError, type Tensor } from '../../src/index.js';
import { foldGrid } from '../../src/runtime/runtime.js';
import * as ref from '../../src/elementwise/reference.js';
import type { SoftmaxOp } from '../../src/softmax/table.js';
import * as sref from '../../src/softmax/reference.js';
import { noGpuErrors, sharedActivations } from '../helpers/gpu.js';
import { uniform } from '../helpers/inputs.js';
import { close, ELEMENTWISE, mismatches, report, type Tolerance } from '../helpers/tolerance.js';

describe('large tensors', () => {
  it('20,000,000 elements through relu and sigmoid backward', async () => {
    const act = await sharedActivations();
    const n = 20_000_000;
    const x = uniform(n, -50, 50, 21);
    const y = await act.apply('relu', x);
    let bad = 0;
    for (let i = 0; i < n; i++) if (y[i] !== (x[i] > 0 ? x[i] : 0)) bad++;
    expect(bad).toBe(0);
    const dy = uniform(n, -1, 1, 22);
    const dx = await act.grad('sigmoid', x, dy);
    const ms = mismatches(dx, ref.backward('sigmoid', x, dy), ELEMENTWISE);
    expect(ms, report(ms)).toEqual([]);
  });

  it('folds a grid of more than 65,535 workgroups into two dimensions (scalar layout, 20,000,001 elements)', async () => {
    const act = await sharedActivations();
    const n = 20_000_001;
    // An unpadded user buffer forces one element per invocation: 78,126 workgroups of 256.
    const buffer = act.device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const x = uniform(n, -5, 5, 23);
    act.device.queue.writeBuffer(buffer, 0, x);
    const t = act.wrap(buffer, [n]);
    const out = act.tensor(new Float32Array(n).fill(NaN));
    act.forward('hardSwish', t, { out });
    const got = await out.read();
    const ms = mismatches(got, ref.forward('hardSwish', x), ELEMENTWISE);
    expect(ms.length, report(ms)).toBe(0);
    t.destroy();
    out.destroy();
    buffer.destroy();
  });

  it('grids over the limit fold into rows of equal width that cover every workgroup', () => {
    for (const [n, max] of [
      [1, 65535],
      [65535, 65535],
      [65536, 65535],
      [131070, 65535],
      [131071, 65535],
      [262144, 65535],
      [1_000_003, 65535],
      [17, 4],
    ]) {
      const [x, y] = foldGrid(n, max);
      expect(x, `${n} on ${max}`).toBeLessThanOrEqual(max);
      expect(x * y, `${n} on ${max}`).toBeGreaterThanOrEqual(n);
      // The fewest rows, and an overhang under one workgroup per row.
      expect(y, `${n} on ${max}`).toBe(Math.ceil(n / max));
      expect(x * y - n, `${n} on ${max}`).toBeLessThan(y);
    }
  });

  it.each([65535 * 256 - 1, 65535 * 256, 65535 * 256 + 1])(
    '%i elements at the one-dimensional grid limit (scalar layout) are all written',
    async (n) => {
      const act = await sharedActivations();
      const buffer = act.device.createBuffer({
        size: n * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      const x = uniform(n, -3, 3, n);
      act.device.queue.writeBuffer(buffer, 0, x);
      const t = act.wrap(buffer, [n]);
      act.forward('relu6', t, { out: t });
      const got = await t.read();
      let bad = 0;
      for (let i = 0; i < n; i++) if (got[i] !== Math.min(Math.max(x[i], 0), 6)) bad++;
      expect(bad).toBe(0);
      t.destroy();
      buffer.destroy();
    },
  );
});

// ---- the device's largest tensor ---------------------------------------------------

const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const STRESS = env.STRESS === '1';

/** Ops run at the largest size: all of them (forward and backward) under STRESS, two in CI. */
const MAX_OPS: readonly ActivationName[] = STRESS ? activationNames : ['relu', 'sigmoid'];
/** Elements written and read back at a time (the first op reads the whole tensor in one read). */
const PIECE = 16 * 2 ** 20;
/**
 * x in [-8, 8) and dy in [-1, 1): one random 64 MiB pattern each, rotated by a different
 * amount in every 64 MiB piece, so a kernel reading the wrong piece gets different values.
 */
const X_PATTERN = uniform(PIECE, -8, 8, 31);
const DY_PATTERN = uniform(PIECE, -1, 1, 32);
const patternAt = (p: Float32Array, shift: number, i: number) =>
  p[(i + shift * Math.floor(i / PIECE)) % PIECE];
const xAt = (i: number) => patternAt(X_PATTERN, 7919, i);
const dyAt = (i: number) => patternAt(DY_PATTERN, 104_729, i);
/** Piece `base / PIECE` of the rotated pattern, into `into`. */
function fillPiece(into: Float32Array, p: Float32Array, shift: number, base: number): void {
  const r = (shift * (base / PIECE)) % PIECE;
  into.set(p.subarray(r));
  into.set(p.subarray(0, r), PIECE - r);
}

/** Indices compared with the reference: a stride, both ends, and both sides of every grid-row fold. */
function sampleIndices(n: number): number[] {
  const set = new Set<number>();
  for (let i = 0; i < n; i += 1021) set.add(i);
  const near = (c: number, r: number) => {
    for (let i = Math.max(0, c - r); i < Math.min(n, c + r); i++) set.add(i);
  };
  near(0, 4096);
  near(n, 4096);
  // A vector kernel covers x workgroups x 256 invocations x 4 elements per grid row.
  const row = foldGrid(Math.ceil(n / 4 / 256), 65535)[0] * 256 * 4;
  for (let c = row; c < n; c += row) near(c, 2048);
  return [...set].sort((a, b) => a - b);
}

describe("the device's largest tensor", () => {
  it(`the largest float32 tensor the device allocates through ${STRESS ? 'every elementwise op' : MAX_OPS.join(', ')}, forward and backward`, async () => {
    const act = await sharedActivations();
    // maxBufferSize is 1 GiB on SwiftShader (268,435,456 float32), but a buffer of exactly that
    // size fails in vkAllocateMemory: 2^30 - 16 bytes is the largest that allocates (measured).
    // Step down 16 bytes at a time, and require each refusal to be a clean OutOfMemoryError.
    const max = act.device.limits.maxBufferSize / 4;
    let x: Tensor | null = null;
    let n = max;
    const refused: number[] = [];
    for (; n > max - 64 && !x; n -= 4) {
      const t = act.empty([n]);
      const e = await act.flush().then(
        () => null,
        (err: unknown) => err,
      );
      if (e === null) x = t;
      else {
        expect(e).toBeInstanceOf(OutOfMemoryError);
        expect((e as OutOfMemoryError).code).toBe('OUT_OF_MEMORY');
        refused.push(n);
        t.destroy();
      }
    }
    if (!x) throw new Error(`no tensor within 256 bytes of maxBufferSize (${max * 4}) allocates`);
    n = x.size;
    expect(n).toBeGreaterThanOrEqual(2 ** 26);
    console.log(
      `[scale] maxBufferSize ${max * 4} bytes; refused (OutOfMemoryError): ${refused.join(', ') || 'none'}; ` +
        `running at ${n} elements (${n * 4} bytes)`,
    );
    const dy = act.empty([n]);
    const poison = act.empty([n]);
    const out = act.empty([n]);
    const chunk = new Float32Array(PIECE);
    for (let base = 0; base < n; base += PIECE) {
      const len = Math.min(PIECE, n - base);
      fillPiece(chunk, X_PATTERN, 7919, base);
      act.device.queue.writeBuffer(x.buffer, base * 4, chunk, 0, len);
      fillPiece(chunk, DY_PATTERN, 104_729, base);
      act.device.queue.writeBuffer(dy.buffer, base * 4, chunk, 0, len);
    }
    chunk.fill(NaN);
    for (let base = 0; base < n; base += PIECE)
      act.device.queue.writeBuffer(poison.buffer, base * 4, chunk, 0, Math.min(PIECE, n - base));
    await act.flush();

    const idx = sampleIndices(n);
    const xs = Float32Array.from(idx, xAt);
    const dys = Float32Array.from(idx, dyAt);
    const times: string[] = [];
    let first = true;
    for (const op of MAX_OPS) {
      for (const direction of ['forward', 'backward'] as const) {
        const t0 = performance.now();
        const p = op === 'prelu' ? { slope: 0.25 } : {}; // prelu's slope is required
        const xt = x;
        // Poison the output, so an element the kernel skips reads NaN.
        const enc = act.device.createCommandEncoder();
        enc.copyBufferToBuffer(poison.buffer, 0, out.buffer, 0, n * 4);
        act.device.queue.submit([enc.finish()]);
        await noGpuErrors(act.device, async () => {
          if (direction === 'forward') act.forward(op, xt, { ...p, out } as never);
          else act.backward(op, { x: xt, dy }, { ...p, out } as never);
          await act.flush();
        });
        const t1 = performance.now();
        // Every element written (no NaN: the inputs are finite, so no reference value is NaN),
        // and the sample matches the float64 reference.
        const want =
          direction === 'forward' ? ref.forward(op, xs, p) : ref.backward(op, xs, dys, p);
        let nan = 0;
        const bad: string[] = [];
        let s = 0;
        const take = (got: Float32Array, base: number) => {
          for (let j = 0; j < got.length; j++) if (got[j] !== got[j]) nan++;
          for (; s < idx.length && idx[s] < base + got.length; s++) {
            const g = got[idx[s] - base];
            if (!Number.isFinite(want[s]) || !close(g, want[s], ELEMENTWISE))
              bad.push(`[${idx[s]}] x=${xs[s]} dy=${dys[s]} got=${g} want=${want[s]}`);
          }
        };
        if (first) {
          take(await out.read(), 0);
          first = false;
        } else {
          for (let base = 0; base < n; base += PIECE) {
            const view = act.wrap(out.buffer, [Math.min(PIECE, n - base)], {
              byteOffset: base * 4,
            });
            take(await view.read(), base);
            view.destroy();
          }
        }
        expect(nan, `${op} ${direction}: unwritten (NaN) elements`).toBe(0);
        expect(s).toBe(idx.length);
        expect(bad.slice(0, 8), `${op} ${direction}: ${bad.length} mismatches`).toEqual([]);
        times.push(
          `${op} ${direction} ${Math.round(t1 - t0)} ms run, ${Math.round(performance.now() - t1)} ms check`,
        );
      }
    }
    console.log(`[scale] ${n} elements (${(n * 4) / 2 ** 30} GiB):\n  ${times.join('\n  ')}`);
    for (const t of [x, dy, poison, out]) t.destroy();
    await act.flush();
  }, 1_800_000);

  const SOFTMAX_OPS: readonly SoftmaxOp[] = STRESS
    ? ['softmax', 'logSoftmax', 'softmin']
    : ['softmax'];
  // The tolerances of test/softmax.test.ts.
  const tolOf = (op: SoftmaxOp, direction: 'forward' | 'backward'): Tolerance =>
    direction === 'backward'
      ? { atol: 1e-6, rtol: 1e-5 }
      : op === 'logSoftmax'
        ? { atol: 1e-5, rtol: 1e-6 }
        : { atol: 1e-6, rtol: 1e-5 };

  describe.each([
    [1, 16_777_216],
    [16_777_216, 1],
  ])('softmax family on [%i, %i]', (rows, len) => {
    it.each(SOFTMAX_OPS)(
      '%s forward and backward',
      async (op) => {
        const act = await sharedActivations();
        const shape = [rows, len];
        const n = rows * len;
        const x = uniform(n, -20, 20, 7);
        const dy = uniform(n, -1, 1, 8);
        const { y, dx } = await noGpuErrors(act.device, async () => {
          const xt = act.tensor(x, shape);
          const dyt = act.tensor(dy, shape);
          const yt = act.tensor(new Float32Array(n).fill(NaN), shape);
          const dxt = act.tensor(new Float32Array(n).fill(NaN), shape);
          act.forward(op, xt, { out: yt });
          act.backward(op, { y: yt, dy: dyt }, { out: dxt });
          const [y, dx] = await Promise.all([yt.read(), dxt.read()]);
          for (const t of [xt, dyt, yt, dxt]) t.destroy();
          return { y, dx };
        });
        // No element left poisoned (every reference value here is finite).
        let nan = 0;
        for (let i = 0; i < n; i++) if (y[i] !== y[i] || dx[i] !== dx[i]) nan++;
        expect(nan).toBe(0);
        // The reference: every row of [1, 16M]; for [16M, 1] a stride of rows and both ends in CI
        // (its float64 reference takes 7-9 s per call over all 16M rows), every row under STRESS.
        const rowsChecked =
          rows === 1 || STRESS ? null : sampleIndices(rows).filter((r) => r < rows);
        const pick = (a: Float32Array) =>
          rowsChecked ? Float32Array.from(rowsChecked, (r) => a[r]) : a;
        const rshape = rowsChecked ? [rowsChecked.length, 1] : shape;
        const wantY = sref.softmaxForward(op, pick(x), rshape);
        const wantDx = sref.softmaxBackward(op, pick(y), pick(dy), rshape);
        const msY = mismatches(pick(y), wantY, tolOf(op, 'forward'));
        expect(msY.length, report(msY)).toBe(0);
        const msDx = mismatches(pick(dx), wantDx, tolOf(op, 'backward'));
        expect(msDx.length, report(msDx)).toBe(0);
      },
      600_000,
    );
  });
});
