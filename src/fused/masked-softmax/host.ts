/**
 * scaledMaskedSoftmax's host: softmax(scale * x + mask) along the last axis
 * (additive, boolean and causal masking) and its backward from y, one row
 * per invocation or per subgroup. Arguments, `out` included, are checked
 * before any GPU work; tensors over the binding limit are processed in
 * sub-ranges of whole rows.
 */
import { bytesPerElement, ceil4, subRange, tensorRange, type Tensor } from '../../core/tensor.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { checkBindable, checkKeys, checkObject, checkRank } from '../../core/validate.js';
import type { BufferRange, Runtime } from '../../runtime/runtime.js';
import { writeThrough } from '../../runtime/scratch.js';
import { fusedTuning } from '../table.js';
import { checkPair } from '../checks.js';
import { inPlaceMap, outOf, outputOf, planOut } from '../out.js';
import { bindOrder, chunkRows, chunks } from '../rows.js';
import { inPlaceKey, WG } from '../codegen.js';
import {
  attentionKey,
  maskedSoftmaxOperands,
  sinkSumShader,
  maskedSoftmaxShader,
  NO_ATTENTION,
  type MaskedSoftmaxKernel,
} from './codegen.js';
import {
  resolveMaskOptions,
  SMS,
  type MaskedSoftmaxOptions,
  type ResolvedMask,
} from './options.js';

function subgroupPlan(rt: Runtime): { subgroups: boolean; rowsPerGroup: number } {
  if (fusedTuning.useSubgroups && rt.features.has('subgroups')) {
    const info = (rt.device as { adapterInfo?: { subgroupMaxSize?: number } }).adapterInfo;
    const max = Math.min(WG, info?.subgroupMaxSize ?? 128);
    return { subgroups: true, rowsPerGroup: Math.max(1, WG / max) };
  }
  return { subgroups: false, rowsPerGroup: WG };
}

/** Offsets past 2^24 act as 2^24 (f32-exact in ALiBi's j - i - offset; past any row's columns). */
const MAX_OFFSET = 2 ** 24;

function maskedSoftmaxUniforms(
  rows: number,
  cols: number,
  mrows: number,
  m: ResolvedMask,
  rbase: number,
): ArrayBuffer {
  const u = new ArrayBuffer(112);
  const l = m.layout ?? {
    rdim: [1, 1, 1, 1],
    rstride: [1, 1, 1, 1],
    mstride: [0, 0, 0, 0],
    mcol: 0,
  };
  new Uint32Array(u, 0, 8).set([
    rows,
    cols,
    mrows,
    m.causal ? 1 : 0,
    Math.min(m.offset, MAX_OFFSET),
    l.mcol,
    rbase,
    m.sbase,
  ]);
  new Uint32Array(u, 32, 12).set([...l.rdim, ...l.rstride, ...l.mstride]);
  new Float32Array(u, 80, 4).set([m.scale, -Infinity, NaN, m.softcap]);
  new Uint32Array(u, 96, 4).set([m.bsize, m.heads, m.kbase, m.abase]);
  return u;
}

function rowGeometry(x: Tensor) {
  const r = x.shape.length;
  const cols = x.shape[r - 1];
  const mrows = r >= 2 ? x.shape[r - 2] : 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  return { cols, mrows, rows };
}

/** Records the row kernel over x's rows, in sub-ranges of whole rows over the binding limit. */
function maskedSoftmaxRows(
  rt: Runtime,
  k: MaskedSoftmaxKernel,
  m: ResolvedMask,
  g: ReturnType<typeof rowGeometry>,
  perChunk: number,
  operands: Record<string, Tensor>,
  extra: BufferRange[],
): void {
  const plan = subgroupPlan(rt);
  const pipeline = rt.pipeline(
    `fused|sms|${k.direction}|${k.dtype}|${k.layout}|${k.mask}|${k.maskDtype}|${k.subgroups}|${inPlaceKey(k.inPlace)}|${attentionKey(k.att)}`,
    `${SMS} ${k.direction} ${k.dtype}${k.direction === 'forward' ? ` mask ${k.mask}` : ''}`,
    () => maskedSoftmaxShader(k),
  );
  const rb = g.cols * bytesPerElement(k.dtype);
  const order = maskedSoftmaxOperands(k);
  for (const [r0, nr] of chunks(g.rows, perChunk)) {
    const ranges: Record<string, BufferRange> = {};
    for (const [name, t] of Object.entries(operands)) ranges[name] = subRange(t, r0 * rb, nr * rb);
    rt.dispatch(
      pipeline,
      maskedSoftmaxUniforms(nr, g.cols, g.mrows, m, r0),
      [...bindOrder(order, ranges), ...extra],
      Math.ceil(nr / plan.rowsPerGroup),
    );
  }
}

/** y = softmax(scale * x + mask) along the last axis, with boolean and causal masking. */
export function maskedSoftmaxForward(
  rt: Runtime,
  x: Tensor,
  options?: MaskedSoftmaxOptions,
): Tensor {
  rt.checkTensor(SMS, 'x', x);
  checkRank(SMS, 'x', x, 1, '[..., rows, cols]');
  const m = resolveMaskOptions(rt, x, options);
  const plan = planOut(
    rt,
    SMS,
    outOf(options),
    x.shape,
    x.dtype,
    [
      ['x', x],
      ['mask', m.tensor],
      ...m.auxTensors.map(({ tensor, at }): [string, Tensor] => [
        at < m.sbase ? 'alibi' : 'sinks',
        tensor,
      ]),
    ],
    ['x'],
  );
  const g = rowGeometry(x);
  const perChunk = chunkRows(rt, SMS, g.rows, [g.cols * bytesPerElement(x.dtype)]);
  const out = outputOf(rt, plan, x.shape, x.dtype, `${SMS} output`);
  if (g.rows === 0) return out;
  let owned: Tensor | null = null;
  let mask: BufferRange | null = m.tensor ? tensorRange(m.tensor) : null;
  if (m.data) {
    const words = Math.ceil(m.data.byteLength / 4);
    owned = rt.allocate([Math.max(1, words)], 'float32', `${SMS} mask`);
    rt.upload(owned, m.data);
    mask = { buffer: owned.buffer, offset: 0, size: ceil4(m.data.byteLength) };
  }
  let aux: BufferRange | null = null;
  let ownedAux: Tensor | null = null;
  if (m.aux) {
    ownedAux = rt.allocate([m.aux.length], 'float32', `${SMS} offsets, key lengths, slopes`);
    rt.upload(ownedAux, m.aux);
    aux = tensorRange(ownedAux);
    // Slopes or sinks given as tensors: their f32 words copied in on the GPU.
    for (const { tensor, at } of m.auxTensors)
      rt.copy(tensorRange(tensor), subRange(ownedAux, 4 * at, 4 * m.heads));
  }
  writeThrough(rt, out, plan.scratch, `${SMS} output scratch`, (target) =>
    maskedSoftmaxRows(
      rt,
      {
        direction: 'forward',
        dtype: x.dtype,
        layout: g.cols % 4 === 0 ? 'vector' : 'element',
        mask: m.kind,
        maskDtype: m.maskDtype,
        subgroups: subgroupPlan(rt).subgroups,
        inPlace: inPlaceMap(plan, 'out'),
        att: m.flags,
      },
      m,
      g,
      perChunk,
      { x, out: target },
      [mask, aux].filter((r): r is BufferRange => r !== null),
    ),
  );
  owned?.destroy();
  ownedAux?.destroy();
  return out;
}

/**
 * dx = scale * y * (dy - sum(dy * y)) per row, from the forward output y.
 * Takes the forward's options (checked the same way); masked entries have y
 * = 0 and so get dx = 0.
 */
export function maskedSoftmaxBackward(
  rt: Runtime,
  inputs: { y: Tensor; dy: Tensor; x?: Tensor },
  options?: MaskedSoftmaxOptions,
): Tensor | { dx: Tensor; dsinks: Tensor } {
  const o = checkObject(SMS, 'backward inputs', inputs);
  checkKeys(SMS, 'backward input', o, ['y', 'dy', 'x']);
  const [y, dy] = checkPair(rt, SMS, 'y', o.y, 'dy', o.dy, '[..., rows, cols]');
  const m = resolveMaskOptions(rt, y, options);
  // Soft-capping's derivative needs x (y alone does not give tanh's argument); nothing else does.
  let x: Tensor | null = null;
  if (m.flags.softcap) {
    if (o.x === undefined) {
      throw new InvalidArgumentError(
        `${SMS}: backward with softcap takes { y, dy, x } (x, the forward's input, gives the tanh derivative)`,
      );
    }
    x = checkPair(rt, SMS, 'y', y, 'x', o.x, '[..., rows, cols]')[1];
  } else if (o.x !== undefined) {
    throw new InvalidArgumentError(
      `${SMS}: backward takes x only with softcap (its derivative); without it, pass { y, dy }`,
    );
  }
  const plan = planOut(
    rt,
    SMS,
    outOf(options),
    y.shape,
    y.dtype,
    [
      ['y', y],
      ['dy', dy],
      ['x', x],
    ],
    ['y', 'dy'],
  );
  const g = rowGeometry(y);
  const perChunk = chunkRows(rt, SMS, g.rows, [g.cols * bytesPerElement(y.dtype)]);
  const sinks = m.flags.sinks;
  if (sinks) checkBindable(rt.limits, SMS, 'the per-row sink gradients', g.rows * 4);
  const dx = outputOf(rt, plan, y.shape, y.dtype, `${SMS} dx`);
  const dsinks = sinks ? rt.allocate([m.heads], 'float32', `${SMS} dsinks`) : null;
  const result = () => (dsinks ? { dx, dsinks } : dx);
  if (g.rows === 0) {
    if (dsinks) rt.upload(dsinks, new Float32Array(m.heads));
    return result();
  }
  // With sinks each row writes its share of dsinks to dsr (the sink values are not needed: y has them).
  const dsr = sinks ? rt.allocate([g.rows], 'float32', `${SMS} per-row sink gradients`) : null;
  writeThrough(rt, dx, plan.scratch, `${SMS} output scratch`, (target) =>
    maskedSoftmaxRows(
      rt,
      {
        direction: 'backward',
        dtype: y.dtype,
        layout: g.cols % 4 === 0 ? 'vector' : 'element',
        mask: 'none',
        maskDtype: 'float32',
        subgroups: subgroupPlan(rt).subgroups,
        inPlace: inPlaceMap(plan, 'dx'),
        att: { ...NO_ATTENTION, softcap: m.flags.softcap, sinks },
      },
      { ...m, kind: 'none', layout: null },
      g,
      perChunk,
      x ? { y, dy, x, dx: target } : { y, dy, dx: target },
      dsr ? [tensorRange(dsr)] : [],
    ),
  );
  if (dsinks && dsr) {
    const groups = g.rows / (g.mrows * m.heads);
    const u = new Uint32Array([m.heads, g.mrows, groups, 0]);
    rt.dispatch(
      rt.pipeline('fused|sms|sinks', `${SMS} dsinks`, () => sinkSumShader),
      u.buffer,
      [tensorRange(dsr), tensorRange(dsinks)],
      Math.ceil(m.heads / 64),
    );
    dsr.destroy();
  }
  return result();
}
