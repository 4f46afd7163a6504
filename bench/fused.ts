/**
 * The fused ops beside the unfused sequence of our own kernels (issue 8,
 * "Performance"), on the same tensors, in the same run.
 *
 * - biasAct(op) forward, op relu and gelu: fused biasAct(act, op, x, bias)
 *   vs a bench bias-add kernel (h = x + bias, bench/fused-kernels.ts) then
 *   act.forward(op, h).
 * - biasActBackward(op) with dbias: fused biasActBackward(act, op, { x, bias, dy })
 *   vs act.backward(op, { x: h, dy }) (h = x + bias as the forward stored it)
 *   then a bench two-pass column-sum kernel over dx giving dbias.
 * - swiglu forward: fused glu(act, 'swiglu', { a, b }) vs act.forward('silu', a)
 *   then a bench multiply kernel (y = silu(a) * b).
 * - causalSoftmax forward: fused scaledMaskedSoftmax(act, x, { causal: true })
 *   vs a bench kernel building the additive causal mask [s, s], a bench
 *   broadcast mask-add kernel (xm = x + mask) and act.forward('softmax', xm).
 * - attention (issue 15): scaledMaskedSoftmax (forward or backward) with an
 *   option set of bench/attention.ts vs plain causal, both library calls on
 *   the same tensors; the rows' ratio is option time / plain causal time.
 *
 * Both sides write into outputs and intermediates allocated once, before
 * timing (the fused ops through their `out` option, the library's steps
 * through `out`, the bench kernels into preallocated buffers), so the ratio
 * compares the kernels: a fresh 64 MiB buffer costs here about what the op
 * does (Dawn zero-fills it on first use). dbias, a new [C] tensor per call
 * (pooled by the library), is the one exception. The unfused side records
 * into one encoder of ours per sample, the library's steps through
 * act.encode; the fused side records into the library's encoder and flush()
 * submits.
 *
 * The workloads (shapes, bytes, floors) are in bench/workloads.ts, the
 * comparison of the two sides' outputs in bench/check.ts.
 */
import type { Activations, Tensor } from '../src/index.js';
import {
  biasAct,
  biasActBackward,
  glu,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
  type MaskedSoftmaxOptions,
} from '../src/fused/index.js';
import { attentionOptions } from './attention.js';
import {
  biasAddShader,
  causalMaskShader,
  columnSumShaders,
  maskAddShader,
  mulShader,
} from './fused-kernels.js';
import { benchKernel, encodeKernel } from './kernels.js';
import { describeError, elements, scoped } from './rows.js';
import { INPUTS, timePair, type Timed } from './timing.js';
import type { BenchEnv, Case, Row } from './types.js';
import { makeData, type FusedWorkload } from './workloads.js';

/** A Case plus the outputs to compare (each read as float32). */
interface FusedCase extends Case {
  outputs(): Promise<Float32Array[]>;
}

/** Both sides of one workload, on the same tensors. */
export interface FusedPair {
  fused: FusedCase;
  unfused: FusedCase;
  /** Frees the shared inputs (each case frees its own outputs). */
  dispose(): void;
  /** The unfused sequence, for the row's note. */
  sequence: string;
}

const range = (t: Tensor): GPUBufferBinding => ({
  buffer: t.buffer,
  offset: t.byteOffset,
  size: Math.ceil((t.size * (t.dtype === 'float32' ? 4 : 2)) / 4) * 4,
});

/**
 * The fused side: library calls on the library's encoder, submitted by
 * flush(), writing into preallocated outputs (`keep`, freed by dispose);
 * whatever else a step makes (dbias) is destroyed once the next step has
 * recorded (the library defers the free until its work is submitted), the
 * last step's kept for the comparison.
 */
function libraryCase(act: Activations, keep: Tensor[], run: (rep: number) => Tensor[]): FusedCase {
  let last: Tensor[] = [];
  const drop = () => last.filter((t) => !keep.includes(t)).forEach((t) => t.destroy());
  return {
    step(rep) {
      const made = run(rep);
      drop();
      last = made;
    },
    finish: () => act.flush(),
    outputs: () => Promise.all(last.map((t) => t.read())),
    dispose() {
      drop();
      last = [];
      keep.forEach((t) => t.destroy());
    },
  };
}

/**
 * The unfused side: one encoder of ours per sample, our kernels and act.encode
 * in order, every intermediate and output preallocated (`keep`, freed by
 * dispose). record() returns the step's outputs.
 */
function unfusedCase(
  act: Activations,
  keep: Tensor[],
  record: (enc: GPUCommandEncoder, rep: number) => Tensor[],
): FusedCase {
  const device = act.device;
  let enc: GPUCommandEncoder | null = null;
  let outs: Tensor[] = [];
  return {
    step(rep) {
      enc ??= device.createCommandEncoder({ label: 'bench unfused' });
      outs = record(enc, rep);
    },
    async finish() {
      if (!enc) return;
      device.queue.submit([enc.finish()]);
      enc = null;
      await device.queue.onSubmittedWorkDone();
    },
    outputs: () => Promise.all(outs.map((t) => t.read())),
    dispose: () => keep.forEach((t) => t.destroy()),
  };
}

/** Builds both sides of w on the same data. */
export function fusedPair(act: Activations, w: FusedWorkload): FusedPair {
  const device = act.device;
  const dtype = w.dtype;
  const opts = { dtype };
  const n = elements(w.shape);
  const cols = w.shape[w.shape.length - 1];
  const xData = Array.from({ length: INPUTS }, (_, i) =>
    makeData(n, i + 1, w.op === 'causalSoftmax' || w.op === 'attention' ? 8 : 4),
  );
  const xs = xData.map((d) => act.tensor(d, w.shape, opts));
  const shared: Tensor[] = [...xs];
  const kernel = (label: string, code: string, invocations: number) =>
    benchKernel(device, `bench ${label} ${dtype}`, code, invocations);
  const pair = (fused: FusedCase, unfused: FusedCase, sequence: string): FusedPair => ({
    fused,
    unfused,
    sequence,
    dispose: () => shared.forEach((t) => t.destroy()),
  });
  const full = () => act.empty(w.shape, opts);

  if (w.op === 'biasAct' || w.op === 'biasActBackward') {
    const op = w.act!;
    const biasData = makeData(cols, 50, 1);
    const bias = act.tensor(biasData, [cols], opts);
    shared.push(bias);
    const add = kernel('bias-add', biasAddShader(dtype, n, cols), n / 4);
    if (w.op === 'biasAct') {
      const [y, h, y2] = [full(), full(), full()];
      return pair(
        libraryCase(act, [y], (rep) => [biasAct(act, op, xs[rep % INPUTS], bias, { out: y })]),
        unfusedCase(act, [h, y2], (enc, rep) => {
          encodeKernel(enc, add, add.bind([range(xs[rep % INPUTS]), range(bias), range(h)]));
          act.encode(enc, (a) => a.forward(op, h, { out: y2 }));
          return [y2];
        }),
        `bench bias-add kernel, then forward(${op})`,
      );
    }
    // Backward: the unfused side takes the pre-activation h = x + bias as the unfused forward
    // stored it (made here by the bias-add kernel, so float16 rounds it the same way).
    const hs = xs.map(() => full());
    const setup = device.createCommandEncoder({ label: 'bench h = x + bias' });
    hs.forEach((h, i) => encodeKernel(setup, add, add.bind([range(xs[i]), range(bias), range(h)])));
    device.queue.submit([setup.finish()]);
    const dy = act.tensor(makeData(n, 99, 1), w.shape, opts);
    shared.push(...hs, dy);
    const rows = n / cols;
    const per = 64;
    const sums = columnSumShaders(dtype, rows, cols, per);
    const k1 = kernel('column-sum', sums.partial, sums.slices * (cols / 4));
    const k2 = kernel('column-sum merge', sums.merge, cols / 4);
    const f32 = { dtype: 'float32' as const };
    const [dx, dx2] = [full(), full()];
    const partials = act.empty([sums.slices * cols], f32);
    const dbias2 = act.empty([cols], f32);
    return pair(
      libraryCase(act, [dx], (rep) => {
        const r = biasActBackward(act, op, { x: xs[rep % INPUTS], bias, dy }, { out: dx });
        return [r.dx, r.dbias];
      }),
      unfusedCase(act, [dx2, partials, dbias2], (enc, rep) => {
        act.encode(enc, (a) => a.backward(op, { x: hs[rep % INPUTS], dy }, { out: dx2 }));
        encodeKernel(enc, k1, k1.bind([range(dx2), range(partials)]));
        encodeKernel(enc, k2, k2.bind([range(partials), range(dbias2)]));
        return [dx2, dbias2];
      }),
      `backward(${op}) from h = x + bias, then a bench two-pass column-sum kernel (${per} rows per invocation) for dbias`,
    );
  }

  if (w.op === 'swiglu') {
    const bs = Array.from({ length: INPUTS }, (_, i) =>
      act.tensor(makeData(n, 20 + i, 4), w.shape, opts),
    );
    shared.push(...bs);
    const mul = kernel('multiply', mulShader(dtype, n), n / 4);
    const [y, s, y2] = [full(), full(), full()];
    return pair(
      libraryCase(act, [y], (rep) => [
        glu(act, 'swiglu', { a: xs[rep % INPUTS], b: bs[rep % INPUTS] }, { out: y }),
      ]),
      unfusedCase(act, [s, y2], (enc, rep) => {
        act.encode(enc, (a) => a.forward('silu', xs[rep % INPUTS], { out: s }));
        encodeKernel(enc, mul, mul.bind([range(s), range(bs[rep % INPUTS]), range(y2)]));
        return [y2];
      }),
      'forward(silu) of a, then a bench multiply kernel by b (a and b given apart to both sides)',
    );
  }

  if (w.op === 'attention') {
    // Both sides are library calls on the same x (and dy): the option set, then plain causal.
    const dy = act.tensor(makeData(n, 99, 1), w.shape, opts);
    shared.push(dy);
    const side = (o: MaskedSoftmaxOptions): FusedCase => {
      const out = full();
      // The backward's y: each side's own forward output, per input.
      const ys = w.dir === 'backward' ? xs.map((x) => scaledMaskedSoftmax(act, x, o)) : [];
      shared.push(...ys);
      return libraryCase(act, [out], (rep) => {
        const x = xs[rep % INPUTS];
        if (w.dir === 'forward') return [scaledMaskedSoftmax(act, x, { ...o, out })];
        const y = ys[rep % INPUTS];
        // With sinks: { dx, dsinks }.
        const r = scaledMaskedSoftmaxBackward(act, o.softcap ? { y, dy, x } : { y, dy }, {
          ...o,
          out,
        }) as Tensor | { dx: Tensor; dsinks: Tensor };
        return 'dsinks' in r ? [r.dx, r.dsinks] : [r];
      });
    };
    return pair(
      side(attentionOptions(w.attention!, w.shape)),
      side(attentionOptions('causal', w.shape)),
      `plain causal scaledMaskedSoftmax${w.dir === 'backward' ? 'Backward' : ''} on the same tensors (the ratio: option time / plain causal time)`,
    );
  }

  // causalSoftmax
  const side = cols;
  const build = kernel('causal mask', causalMaskShader(dtype, side), (side * side) / 4);
  const add = kernel('mask-add', maskAddShader(dtype, n, side), n / 4);
  const [y, mask, xm, y2] = [full(), act.empty([side, side], opts), full(), full()];
  return pair(
    libraryCase(act, [y], (rep) => [
      scaledMaskedSoftmax(act, xs[rep % INPUTS], { causal: true, out: y }),
    ]),
    unfusedCase(act, [mask, xm, y2], (enc, rep) => {
      encodeKernel(enc, build, build.bind([range(mask)]));
      encodeKernel(enc, add, add.bind([range(xs[rep % INPUTS]), range(mask), range(xm)]));
      act.encode(enc, (a) => a.forward('softmax', xm, { axis: -1, out: y2 }));
      return [y2];
    }),
    `bench kernels building the additive causal mask [${side} x ${side}] and adding it (broadcast), then forward(softmax)`,
  );
}

/**
 * An attention row: the option set (row `fused`) and plain causal (`unfused`)
 * timed in alternation (timePair), the ratio the median of per-pair ratios;
 * two different ops, so no output comparison.
 */
export async function attentionPair(
  env: BenchEnv,
  device: GPUDevice,
  samples: number,
  pair: FusedPair,
  [fused, unfused]: [Row, Row],
  finish: (row: Row, t: Timed) => void,
): Promise<Row[]> {
  fused.note = unfused.note = `vs: ${pair.sequence}`;
  device.pushErrorScope('validation');
  try {
    const t = await timePair(env, pair.fused, pair.unfused, samples);
    finish(fused, t.a);
    finish(unfused, t.b);
    fused.vsUnfused = t.ratio;
    fused.check = '-';
  } catch (e) {
    fused.error = describeError(e);
  } finally {
    pair.fused.dispose();
    pair.unfused.dispose();
  }
  await scoped(device, fused);
  if (fused.error) fused.vsUnfused = null;
  return [fused, unfused];
}
