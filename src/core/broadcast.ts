/**
 * NumPy broadcasting of a smaller operand (prelu's slope, an attention mask)
 * against x: the one check of the rules with its messages, the collapse of
 * the dims into at most four alternating kept / broadcast runs that the
 * kernels take, and the index the float64 references use.
 */
import { InvalidArgumentError } from './errors.js';
import { shapeText } from './validate.js';

/** Runs a kernel can walk: its uniforms hold four dims per layout. */
export const MAX_RUNS = 4;

/**
 * The operand's extent along each of x's dims (1 where it is missing or
 * broadcast), after checking NumPy's rules. A mismatch names the dim by the
 * operand's own index (`'operand'`) or by x's (`'x'`).
 */
export function alignBroadcast(
  op: string,
  arg: string,
  xshape: readonly number[],
  pshape: readonly number[],
  dimOf: 'operand' | 'x' = 'operand',
): number[] {
  const mismatch = (why: string) =>
    new InvalidArgumentError(
      `${op}: ${arg} of shape ${shapeText(pshape)} cannot broadcast to x's shape ${shapeText(xshape)}${why}`,
      'SHAPE_MISMATCH',
    );
  const lead = pshape.length - xshape.length;
  for (let i = 0; i < lead; i++) if (pshape[i] !== 1) throw mismatch('');
  return xshape.map((xd, d) => {
    const pi = d + lead;
    const pd = pi >= 0 ? pshape[pi] : 1;
    if (pd !== xd && pd !== 1) throw mismatch(` (dim ${dimOf === 'x' ? d : pi}: ${pd} vs ${xd})`);
    return pd;
  });
}

/** The error for an operand whose kept and broadcast dims alternate more than MAX_RUNS times. */
export function tooManyRuns(
  op: string,
  arg: string,
  xshape: readonly number[],
  pshape: readonly number[],
): InvalidArgumentError {
  return new InvalidArgumentError(
    `${op}: ${arg} of shape ${shapeText(pshape)} alternates between broadcast and kept dims ` +
      `more than ${MAX_RUNS} times against x's shape ${shapeText(xshape)}; reshape to fewer runs`,
    'UNSUPPORTED',
  );
}

/** x's dims collapsed into runs for a kernel that walks every element of x. */
export interface BroadcastLayout {
  /** x's collapsed dims, innermost last, padded to four at the front. */
  dim: number[];
  xstride: number[];
  /** The operand's stride along each collapsed dim (0 where broadcast). */
  stride: number[];
  /** Elements of x per operand element. */
  members: number;
}

/** The operand broadcast to x, collapsed to at most four runs that alternate kept / broadcast. */
export function collapseBroadcast(
  op: string,
  arg: string,
  xshape: readonly number[],
  pshape: readonly number[],
): BroadcastLayout {
  const pd = alignBroadcast(op, arg, xshape, pshape);
  const runs: { size: number; kept: boolean }[] = [];
  xshape.forEach((xd, i) => {
    if (xd === 1) return;
    const kept = pd[i] === xd;
    const last = runs[runs.length - 1];
    if (last && last.kept === kept) last.size *= xd;
    else runs.push({ size: xd, kept });
  });
  if (runs.length > MAX_RUNS) throw tooManyRuns(op, arg, xshape, pshape);
  while (runs.length < MAX_RUNS) runs.unshift({ size: 1, kept: false });
  const dim = runs.map((r) => r.size);
  const xstride = [0, 0, 0, 0];
  const stride = [0, 0, 0, 0];
  let xs = 1;
  let ps = 1;
  let members = 1;
  for (let d = MAX_RUNS - 1; d >= 0; d--) {
    xstride[d] = xs;
    xs *= dim[d];
    if (runs[d].kept) {
      stride[d] = ps;
      ps *= dim[d];
    } else {
      members *= dim[d];
    }
  }
  return { dim, xstride, stride, members };
}

/** The operand's flat index for x's flat index i (NumPy broadcasting; pshape already checked). */
export function broadcastIndex(
  xshape: readonly number[],
  pshape: readonly number[],
  i: number,
): number {
  let idx = 0;
  let pstride = 1;
  let rest = i;
  for (let d = xshape.length - 1; d >= 0; d--) {
    const c = rest % xshape[d];
    rest = Math.floor(rest / xshape[d]);
    const pd = d - (xshape.length - pshape.length);
    if (pd >= 0) {
      if (pshape[pd] !== 1) idx += c * pstride;
      pstride *= pshape[pd];
    }
  }
  return idx;
}
