/**
 * The TF.js kernels the provider replaces, and the gradient of each: one
 * entry per TF kernel name, with the attributes TF passes mapped onto our
 * op's parameters. A gradient is one dispatch of our backward kernel, run as
 * a kernel of its own name (`WebGPUActivations.<Kernel>Grad`) so that TF's
 * engine records it on the tape like any op.
 */
import type { Activations, CallOptions, OpName, OpParams } from '../../api.js';
import type { Tensor } from '../../core/tensor.js';

type Attrs = Record<string, unknown>;

/** One kernel: the TF inputs it reads (in this order), its output shape, and what it records. */
export interface KernelDef {
  name: string;
  inputs: readonly string[];
  /** Output shape from the inputs' shapes; default: the first input's. */
  outShape?: (shapes: (readonly number[])[]) => readonly number[];
  run(act: Activations, ins: Tensor[], out: Tensor, attrs: Attrs): void;
}

/** A replaced TF kernel: our forward, what its gradient saves, and one gradient kernel per input. */
export interface ReplacedKernel {
  forward: KernelDef;
  save: { inputsToSave?: string[]; outputsToSave?: boolean[] };
  /** Gradient kernels by the input they differentiate; they take the saved tensors and dy. */
  grads: Record<string, KernelDef | 'zeros'>;
}

export const GRAD_PREFIX = 'WebGPUActivations.';

function num(attrs: Attrs, key: string, fallback: number): number {
  const v = attrs[key];
  return typeof v === 'number' ? v : fallback;
}

/**
 * An elementwise kernel and its gradient. `params` maps TF's attributes to
 * ours; `fromY` ops take their gradient from the output (TF saves y for them).
 */
export function elementwise<Op extends OpName>(
  name: string,
  op: Op,
  params: (attrs: Attrs) => OpParams<Op> | Record<string, unknown>,
  fromY = false,
  inputName = 'x',
): ReplacedKernel {
  return {
    forward: {
      name,
      inputs: [inputName],
      run: (act, [x], out, attrs) =>
        act.forward(op, x, { ...params(attrs), out } as OpParams<Op> & CallOptions),
    },
    save: fromY ? { outputsToSave: [true] } : { inputsToSave: [inputName] },
    grads: {
      [inputName]: {
        name: name.startsWith(GRAD_PREFIX) ? `${name}Grad` : `${GRAD_PREFIX}${name}Grad`,
        inputs: [fromY ? 'y' : 'x', 'dy'],
        run: (act, [v, dy], out, attrs) =>
          act.backward(op, fromY ? { y: v, dy } : { x: v, dy }, {
            ...params(attrs),
            out,
          } as OpParams<Op> & CallOptions),
      },
    },
  };
}

const none = () => ({});

export const replacedKernels: ReplacedKernel[] = [
  elementwise('Relu', 'relu', none),
  elementwise('Relu6', 'hardTanh', () => ({ min: 0, max: 6 })),
  elementwise('LeakyRelu', 'leakyRelu', (a) => ({ alpha: num(a, 'alpha', 0.2) })),
  elementwise('Elu', 'elu', () => ({ alpha: 1 })),
  elementwise('Selu', 'selu', none),
  elementwise('Sigmoid', 'sigmoid', none, true),
  elementwise('Tanh', 'tanh', none, true),
  elementwise('Softplus', 'softplus', none),
  elementwise('Softmax', 'softmax', (a) => ({ axis: num(a, 'dim', -1) }), true, 'logits'),
  elementwise('LogSoftmax', 'logSoftmax', (a) => ({ axis: num(a, 'axis', -1) }), true, 'logits'),
  {
    forward: {
      name: 'Prelu',
      inputs: ['x', 'alpha'],
      run: (act, [x, alpha], out) => act.forward('prelu', x, { slope: alpha, out }),
    },
    save: { inputsToSave: ['x', 'alpha'] },
    grads: {
      x: {
        name: `${GRAD_PREFIX}PreluGrad`,
        inputs: ['x', 'alpha', 'dy'],
        run: (act, [x, alpha, dy], out) => act.backward('prelu', { x, dy }, { slope: alpha, out }),
      },
      alpha: {
        name: `${GRAD_PREFIX}PreluAlphaGrad`,
        inputs: ['x', 'alpha', 'dy'],
        outShape: (shapes) => shapes[1],
        run: (act, [x, alpha, dy], out) => {
          const g = act.backwardParams('prelu', { x, dy }, { slope: alpha }).slope;
          act.runtime.copy(
            { buffer: g.buffer, offset: g.byteOffset, size: out.byteLength },
            { buffer: out.buffer, offset: out.byteOffset, size: out.byteLength },
          );
          g.destroy();
        },
      },
    },
  },
];

/** The TF kernel names the provider replaces. */
export const replacedKernelNames = replacedKernels.map((k) => k.forward.name);
