/**
 * The GLU family's host: out = act(u) * v over the halves of x [..., 2H] (or
 * a and b [..., H] given apart), glu, swiglu, geglu and reglu, forward and
 * backward. Arguments, `out` included, are checked before any GPU work;
 * tensors over the binding limit are processed in sub-ranges of whole rows.
 */
import { enumKey } from '../../elementwise/codegen.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { bytesPerElement, subRange, Tensor, type DType } from '../../core/tensor.js';
import {
  checkKeys,
  checkObject,
  checkRank,
  checkSameDType,
  describe,
  sameShape,
} from '../../core/validate.js';
import type { BufferRange, Runtime } from '../../runtime/runtime.js';
import { writeThrough } from '../../runtime/scratch.js';
import { gluKinds, gluVariants, type GluKind } from '../table.js';
import { checkPair, opParams, params4 } from '../checks.js';
import { inPlaceMap, outOf, outputOf, planOut } from '../out.js';
import { bindOrder, chunkRows, chunks } from '../rows.js';
import { inPlaceKey, WG, wordLanes, type FusedLayout } from '../codegen.js';
import { gluOperands, gluShader, type GluKernel } from './codegen.js';

/** GLU parameters: geglu takes gelu's { approximate: 'none' | 'tanh' }; the others none. */
export interface GluParams {
  approximate?: 'none' | 'tanh';
  /** Write the result here (forward; backward from { x, dy }: dx). */
  out?: Tensor;
}

function checkGluKind(kind: unknown): GluKind {
  if (typeof kind !== 'string' || !(gluKinds as string[]).includes(kind)) {
    throw new InvalidArgumentError(
      `glu: unknown kind ${describe(kind)}; valid kinds are: ${gluKinds.join(', ')}`,
      'UNKNOWN_OP',
    );
  }
  return kind as GluKind;
}

/** The gate's operands: one tensor [..., 2H], or { a, b } each [..., H]. */
export type GluInput = Tensor | { a: Tensor; b: Tensor };

interface GluGeometry {
  split: boolean;
  tensors: Tensor[];
  /** The output (or each half's) shape [..., H]. */
  half: number[];
  dtype: DType;
  h: number;
  rows: number;
  /** Rows per dispatch (sub-ranges over the binding limit). */
  perChunk: number;
}

function gluGeometry(rt: Runtime, kind: GluKind, input: unknown): GluGeometry {
  let g: Omit<GluGeometry, 'perChunk'>;
  if (input instanceof Tensor) {
    rt.checkTensor(kind, 'x', input);
    checkRank(kind, 'x', input, 1, '[..., 2H]');
    const last = input.shape[input.shape.length - 1];
    if (last % 2 !== 0) {
      throw new InvalidArgumentError(
        `${kind}: x's last dimension must be even (2H, split into halves a and b), got ${last}`,
        'SHAPE_MISMATCH',
      );
    }
    const h = last / 2;
    g = {
      split: false,
      tensors: [input],
      half: [...input.shape.slice(0, -1), h],
      dtype: input.dtype,
      h,
      rows: h === 0 ? 0 : input.size / last,
    };
  } else {
    const o = checkObject(kind, 'input', input);
    checkKeys(kind, 'input', o, ['a', 'b']);
    const [a, b] = checkPair(rt, kind, 'a', o.a, 'b', o.b, '[..., H]');
    const h = a.shape[a.shape.length - 1];
    g = {
      split: true,
      tensors: [a, b],
      half: [...a.shape],
      dtype: a.dtype,
      h,
      rows: h === 0 ? 0 : a.size / h,
    };
  }
  const hb = g.h * bytesPerElement(g.dtype);
  return { ...g, perChunk: chunkRows(rt, kind, g.rows, g.split ? [hb] : [2 * hb, hb]) };
}

function gluDispatch(
  rt: Runtime,
  kind: GluKind,
  direction: 'forward' | 'backward',
  g: GluGeometry,
  slots: number[],
  operands: Record<string, Tensor>,
  inPlace: Record<string, string>,
): void {
  if (g.rows === 0) return;
  const layout: FusedLayout = g.h % 4 === 0 ? 'vector' : 'element';
  const lanes = wordLanes(layout);
  const hw = g.h / lanes;
  const { dtype, split } = g;
  const op = gluVariants[kind].op;
  const k: GluKernel = { kind, slots, dtype, layout, direction, split, inPlace };
  const pipeline = rt.pipeline(
    `fused|glu|${kind}|${enumKey(op, slots)}|${direction}|${dtype}|${layout}|${split}|${inPlaceKey(inPlace)}`,
    `${kind} ${direction} ${dtype} ${layout}${split ? ' (a, b)' : ''}`,
    () => gluShader(k),
  );
  const hb = g.h * bytesPerElement(dtype);
  const order = gluOperands(k);
  for (const [r0, nr] of chunks(g.rows, g.perChunk)) {
    const n = nr * hw;
    const u = new ArrayBuffer(48);
    new Uint32Array(u, 0, 4).set([n, hw, 0, 0]);
    new Float32Array(u, 16, 8).set([...params4(slots), NaN, 0, 0, 0]);
    const ranges: Record<string, BufferRange> = {};
    for (const [name, t] of Object.entries(operands)) {
      // x and dx hold both halves: rows of 2H.
      const rb = name === 'x' || name === 'dx' ? 2 * hb : hb;
      ranges[name] = subRange(t, r0 * rb, nr * rb);
    }
    rt.dispatch(pipeline, u, bindOrder(order, ranges), Math.ceil(n / WG));
  }
}

function gluSlots(kind: GluKind, params: unknown): number[] {
  return opParams(kind, gluVariants[kind].op, params);
}

/** out [..., H] = act(u) * v over the halves of x [..., 2H] (or a and b [..., H]). */
export function gluForward(
  rt: Runtime,
  kindIn: unknown,
  input: GluInput,
  params?: GluParams,
): Tensor {
  const kind = checkGluKind(kindIn);
  const g = gluGeometry(rt, kind, input);
  const slots = gluSlots(kind, params);
  const names = g.split ? ['a', 'b'] : ['x'];
  const named = names.map((n, i) => [n, g.tensors[i]] as [string, Tensor]);
  // From { a, b } the output may be a or b (each element is read, then written, by one invocation).
  const plan = planOut(rt, kind, outOf(params), g.half, g.dtype, named, g.split ? names : []);
  const out = outputOf(rt, plan, g.half, g.dtype, `${kind} output`);
  writeThrough(rt, out, plan.scratch, `${kind} output scratch`, (target) =>
    gluDispatch(
      rt,
      kind,
      'forward',
      g,
      slots,
      { ...Object.fromEntries(named), out: target },
      inPlaceMap(plan, 'out'),
    ),
  );
  return out;
}

/**
 * Backward of a GLU: from { x, dy } gives dx [..., 2H] (da and db side by
 * side; params.out takes it, and may be x); from { a, b, dy } gives { da, db }.
 */
export function gluBackward(
  rt: Runtime,
  kindIn: unknown,
  inputs: { x: Tensor; dy: Tensor } | { a: Tensor; b: Tensor; dy: Tensor },
  params?: GluParams,
): Tensor | { da: Tensor; db: Tensor } {
  const kind = checkGluKind(kindIn);
  const o = checkObject(kind, 'backward inputs', inputs);
  const split = o.x === undefined;
  checkKeys(kind, 'backward input', o, split ? ['a', 'b', 'dy'] : ['x', 'dy']);
  const g = gluGeometry(rt, kind, split ? { a: o.a, b: o.b } : o.x);
  rt.checkTensor(kind, 'dy', o.dy);
  const dy = o.dy as Tensor;
  if (!sameShape(dy.shape, g.half)) {
    throw new InvalidArgumentError(
      `${kind}: dy must have the output's shape [${g.half.join(', ')}], got [${dy.shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  checkSameDType(kind, split ? 'a' : 'x', g.tensors[0], 'dy', dy);
  const slots = gluSlots(kind, params);
  if (split) {
    if (outOf(params) !== undefined) {
      throw new InvalidArgumentError(
        `${kind}: out applies to the backward from { x, dy } (dx), not to { a, b, dy }`,
      );
    }
    const da = rt.allocate(g.half, g.dtype, `${kind} da`, true);
    const db = rt.allocate(g.half, g.dtype, `${kind} db`, true);
    const [a, b] = g.tensors;
    gluDispatch(rt, kind, 'backward', g, slots, { a, b, dy, da, db }, {});
    return { da, db };
  }
  const x = g.tensors[0];
  const plan = planOut(
    rt,
    kind,
    outOf(params),
    x.shape,
    g.dtype,
    [
      ['x', x],
      ['dy', dy],
    ],
    ['x'],
  );
  const dx = outputOf(rt, plan, x.shape, g.dtype, `${kind} dx`);
  writeThrough(rt, dx, plan.scratch, `${kind} output scratch`, (target) =>
    gluDispatch(rt, kind, 'backward', g, slots, { x, dy, dx: target }, inPlaceMap(plan, 'dx')),
  );
  return dx;
}
