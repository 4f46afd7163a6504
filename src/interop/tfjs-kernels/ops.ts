/**
 * Ops TF.js has no kernel for, given to TF.js as kernels of their own names
 * (`WebGPUActivations.<op>`) with gradients, so they work under tf.tidy,
 * tf.grad, tf.valueAndGrad and in model.fit like any TF op. The op functions
 * (handle.ops) call `engine().runKernel` with the op's parameters as attrs.
 */
import type { ActivationName } from '../../elementwise/table.js';
import type { Tensor } from '../../core/tensor.js';
import * as fused from '../../fused/index.js';
import type { Activations } from '../../api.js';
import { elementwise, GRAD_PREFIX, type KernelDef, type ReplacedKernel } from './kernels.js';

type Attrs = Record<string, unknown>;

/** The activations given to TF.js as new ops. */
export const newActivationOps = [
  'gelu',
  'silu',
  'mish',
  'hardSwish',
  'hardSigmoid',
  'softsign',
  'logSigmoid',
  'celu',
] as const satisfies readonly ActivationName[];

/** The GLU family given as ops on x = [..., 2h] (a = first half, b = second). */
export const newGluOps = ['swiglu', 'geglu', 'glu', 'reglu'] as const;

const opName = (op: string) => `${GRAD_PREFIX}${op}`;

/** Our elementwise parameters from TF attrs: every attr whose value is a number or a string. */
function activationParams(attrs: Attrs): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) {
    // `op` names biasAct's activation; it is not one of the activation's parameters.
    if (k !== 'op' && (typeof v === 'number' || typeof v === 'string')) p[k] = v;
  }
  return p;
}

/** Copies `src` (ours, same byte length) into `out` (TF's) and frees src. */
function copyInto(act: Activations, src: Tensor, out: Tensor): void {
  act.runtime.copy(
    { buffer: src.buffer, offset: src.byteOffset, size: out.byteLength },
    { buffer: out.buffer, offset: out.byteOffset, size: out.byteLength },
  );
  src.destroy();
}

const halfLast = (shapes: (readonly number[])[]) => {
  const s = [...shapes[0]];
  s[s.length - 1] = Math.floor(s[s.length - 1] / 2);
  return s;
};

function gluOp(kind: (typeof newGluOps)[number]): ReplacedKernel {
  // Only geglu has a form to choose (its gelu's).
  const params = (a: Attrs) =>
    kind === 'geglu' && a.approximate === 'tanh' ? { approximate: 'tanh' as const } : {};
  return {
    forward: {
      name: opName(kind),
      inputs: ['x'],
      outShape: halfLast,
      run: (act, [x], out, a) => fused.glu(act, kind, x, { ...params(a), out }),
    },
    save: { inputsToSave: ['x'] },
    grads: {
      x: {
        name: `${opName(kind)}Grad`,
        inputs: ['x', 'dy'],
        run: (act, [x, dy], out, a) =>
          fused.gluBackward(act, kind, { x, dy }, { ...params(a), out }),
      },
    },
  };
}

/** biasAct(x, bias): op(x + bias), bias broadcast along the last axis. The activation is attrs.op. */
const biasAct: ReplacedKernel = {
  forward: {
    name: opName('biasAct'),
    inputs: ['x', 'bias'],
    run: (act, [x, bias], out, a) =>
      fused.biasAct(act, a.op as ActivationName, x, bias, { ...activationParams(a), out } as never),
  },
  save: { inputsToSave: ['x', 'bias'] },
  grads: Object.fromEntries(
    (['x', 'bias'] as const).map((input, i): [string, KernelDef] => [
      input,
      {
        name: `${opName('biasAct')}Grad${i === 0 ? '' : 'Bias'}`,
        inputs: ['x', 'bias', 'dy'],
        outShape: (shapes) => shapes[i],
        run: (act, [x, bias, dy], out, a) => {
          const g = fused.biasActBackward(
            act,
            a.op as ActivationName,
            { x, bias, dy },
            activationParams(a) as never,
          );
          const [keep, drop] = i === 0 ? [g.dx, g.dbias] : [g.dbias, g.dx];
          drop.destroy();
          copyInto(act, keep, out);
        },
      },
    ]),
  ),
};

function maskedOptions(a: Attrs): fused.MaskedSoftmaxOptions {
  return {
    scale: typeof a.scale === 'number' ? a.scale : 1,
    causal: a.causal === true,
    offset: typeof a.offset === 'number' ? a.offset : 0,
  };
}

/** scaledMaskedSoftmax(x, mask?) over the last axis; the mask gets a zero gradient. */
function maskedSoftmax(withMask: boolean): ReplacedKernel {
  const name = opName(withMask ? 'scaledMaskedSoftmaxWithMask' : 'scaledMaskedSoftmax');
  const inputs = withMask ? ['x', 'mask'] : ['x'];
  return {
    forward: {
      name,
      inputs,
      run: (act, [x, mask], out, a) =>
        fused.scaledMaskedSoftmax(act, x, { ...maskedOptions(a), mask, out }),
    },
    save: { outputsToSave: [true] },
    grads: {
      x: {
        name: `${name}Grad`,
        inputs: ['y', 'dy'],
        run: (act, [y, dy], out, a) =>
          fused.scaledMaskedSoftmaxBackward(act, { y, dy }, { ...maskedOptions(a), out }),
      },
      ...(withMask ? { mask: 'zeros' as const } : {}),
    } as ReplacedKernel['grads'],
  };
}

/** Every new op as a kernel, with its gradient kernels. */
export const newOpKernels: ReplacedKernel[] = [
  ...newActivationOps.map((op) => elementwise(opName(op), op, activationParams)),
  ...newGluOps.map(gluOp),
  biasAct,
  maskedSoftmax(false),
  maskedSoftmax(true),
];
