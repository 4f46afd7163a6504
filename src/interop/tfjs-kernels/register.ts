/**
 * registerTfjsKernels: replaces TF.js's WebGPU kernels (and gradients) for
 * the activations and softmax with ours, adds the ops TF lacks, and gives a
 * handle that counts where each call ran and puts TF's registry back exactly.
 */
import type { Activations } from '../../api.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { describe } from '../../core/validate.js';
import { Delegate, Instances, runOnTf } from './bridge.js';
import {
  replacedKernelNames,
  replacedKernels,
  type KernelDef,
  type ReplacedKernel,
} from './kernels.js';
import { newOpKernels } from './ops.js';
import { makeOps, type TfjsOps } from './op-functions.js';
import { registerLayerActivations, type TfSerializationLike } from './layers.js';
import {
  isWebGPUBackend,
  type TfGradConfig,
  type TfKernelArgs,
  type TfKernelConfig,
  type TfNamespaceLike,
  type TfTensorInfo,
} from './types.js';

/** The TF kernel names registerTfjsKernels can replace. */
export type TfjsKernelName =
  | 'Relu'
  | 'Relu6'
  | 'LeakyRelu'
  | 'Prelu'
  | 'Elu'
  | 'Selu'
  | 'Sigmoid'
  | 'Tanh'
  | 'Softplus'
  | 'Softmax'
  | 'LogSoftmax';

export interface TfjsKernelsOptions {
  /** TF kernels to replace (default: all of TfjsKernelName). The new ops are always added. */
  ops?: readonly TfjsKernelName[];
  /** Replace their gradients too (default true). */
  gradients?: boolean;
  /**
   * tfjs-layers activations by name (default true): 'gelu', 'gelu_new',
   * 'mish', 'swish', 'softsign', 'hardSigmoid' run ours, and 'silu' is added,
   * for layers built after this call (import tfjs-layers before it).
   */
  layers?: boolean;
}

/** Calls per kernel name: run by our kernels, or handed to TF's own. */
export type TfjsKernelStats = Record<string, { ours: number; delegated: number }>;

export interface TfjsKernelsHandle {
  /** The instance made on TF's device at registration (a re-created backend gets its own). */
  readonly act: Activations;
  /** The ops TF.js has no kernel for, run by ours, with gradients. */
  readonly ops: TfjsOps;
  /** Calls so far, per kernel name (gradient kernels as `WebGPUActivations.<Name>Grad`). */
  stats(): TfjsKernelStats;
  /** Puts back TF's kernels and gradients exactly as they were, and frees our instances. */
  restore(): void;
}

const BACKEND = 'webgpu';

interface Saved {
  name: string;
  kernel: TfKernelConfig | undefined;
}

/**
 * Replaces TF.js's WebGPU kernels for the activations and softmax with ours
 * (and their gradients), and registers the new ops. The active backend must
 * be 'webgpu' (`await tf.setBackend('webgpu')` first).
 *
 * @example
 * ```ts
 * await tf.setBackend('webgpu');
 * const handle = await registerTfjsKernels(tf);
 * await model.fit(xs, ys);          // relu, softmax... and their gradients run on ours
 * console.log(handle.stats());
 * handle.restore();
 * ```
 */
export async function registerTfjsKernels(
  tf: TfNamespaceLike,
  options: TfjsKernelsOptions = {},
): Promise<TfjsKernelsHandle> {
  const fn = 'registerTfjsKernels';
  if (typeof tf !== 'object' || tf === null || typeof tf.registerKernel !== 'function') {
    throw new InvalidArgumentError(`${fn}: tf must be the TF.js namespace, got ${describe(tf)}`);
  }
  const active = tf.getBackend();
  const backend = tf.backend();
  if (active !== BACKEND || !isWebGPUBackend(backend)) {
    throw new InvalidArgumentError(
      `${fn}: the active TF.js backend is ${describe(active)}, not 'webgpu'; ` +
        "import '@tensorflow/tfjs-backend-webgpu' and await tf.setBackend('webgpu') first",
      'UNSUPPORTED',
    );
  }
  const only = options.ops;
  if (only !== undefined) {
    for (const n of only) {
      if (!(replacedKernelNames as string[]).includes(n)) {
        throw new InvalidArgumentError(
          `${fn}: options.ops: unknown kernel ${describe(n)}; valid: ${replacedKernelNames.join(', ')}`,
        );
      }
    }
  }
  const withGradients = options.gradients !== false;
  const instances = new Instances();
  const act = instances.get(backend.device);
  const counts: TfjsKernelStats = {};
  const count = (name: string, key: 'ours' | 'delegated') => {
    (counts[name] ??= { ours: 0, delegated: 0 })[key]++;
  };
  const kernels: Saved[] = [];
  const grads: { name: string; grad: TfGradConfig | undefined }[] = [];

  const setKernel = (def: KernelDef, original: TfKernelConfig | undefined) => {
    kernels.push({ name: def.name, kernel: original });
    if (original) tf.unregisterKernel(def.name, BACKEND);
    const kernelFunc = (args: TfKernelArgs): TfTensorInfo | TfTensorInfo[] => {
      const inputs = def.inputs.map((n) => args.inputs[n]);
      const attrs = args.attrs ?? {};
      try {
        const [out] = runOnTf(
          instances,
          args.backend,
          inputs,
          [def.outShape ? def.outShape(inputs.map((t) => t.shape)) : inputs[0].shape],
          (a, ins, outs) => def.run(a, ins, outs[0], attrs),
          original !== undefined,
        );
        count(def.name, 'ours');
        return out;
      } catch (e) {
        if (!(e instanceof Delegate)) throw e;
        count(def.name, 'delegated');
        if (original) return original.kernelFunc(args);
        throw new InvalidArgumentError(
          `${def.name}: not run (${e.message}); TF.js has no kernel of this name to hand the call to`,
          'UNSUPPORTED',
        );
      }
    };
    tf.registerKernel({ ...original, kernelName: def.name, backendName: BACKEND, kernelFunc });
  };

  const setGradient = (k: ReplacedKernel) => {
    const name = k.forward.name;
    const original = tf.getGradient(name);
    grads.push({ name, grad: original });
    const saveNames = [...(k.save.inputsToSave ?? []), ...(k.save.outputsToSave ? ['y'] : [])];
    const sameSaves =
      original !== undefined &&
      JSON.stringify(original.inputsToSave ?? []) === JSON.stringify(k.save.inputsToSave ?? []) &&
      JSON.stringify(original.outputsToSave ?? []) === JSON.stringify(k.save.outputsToSave ?? []);
    for (const g of Object.values(k.grads)) if (g !== 'zeros') setKernel(g, undefined);
    tf.registerGradient({
      kernelName: name,
      ...k.save,
      gradFunc: (dy, saved, attrs) => {
        const named: Record<string, unknown> = { dy };
        saveNames.forEach((n, i) => (named[n] = saved[i]));
        const out: Record<string, () => unknown> = {};
        for (const [input, g] of Object.entries(k.grads)) {
          out[input] = () => {
            const engine = tf.engine();
            if (g === 'zeros') return engine.runKernel('ZerosLike', { x: named[input] });
            try {
              const ins = Object.fromEntries(g.inputs.map((n) => [n, named[n]]));
              return engine.runKernel(g.name, ins, attrs);
            } catch (e) {
              if (!(e instanceof InvalidArgumentError) || !sameSaves) throw e;
              return original!.gradFunc(dy, saved, attrs)[input]();
            }
          };
        }
        return out;
      },
    });
  };

  for (const k of replacedKernels) {
    const name = k.forward.name;
    if (only && !(only as string[]).includes(name)) continue;
    setKernel(k.forward, tf.getKernel(name, BACKEND));
    if (withGradients) setGradient(k);
  }
  for (const k of newOpKernels) {
    setKernel(k.forward, tf.getKernel(k.forward.name, BACKEND));
    setGradient(k);
  }

  const ops = makeOps(tf);
  const serialization = tf.serialization as Partial<TfSerializationLike> | undefined;
  const undoLayers =
    options.layers !== false && typeof serialization?.SerializationMap?.getMap === 'function'
      ? registerLayerActivations(serialization as TfSerializationLike, ops)
      : () => {};
  let restored = false;
  return {
    act,
    ops,
    stats: () => structuredClone(counts),
    restore: () => {
      if (restored) return;
      restored = true;
      for (const { name, kernel } of kernels.reverse()) {
        tf.unregisterKernel(name, BACKEND);
        if (kernel) tf.registerKernel(kernel);
      }
      for (const { name, grad } of grads.reverse()) {
        if (grad) tf.registerGradient(grad);
        else tf.unregisterGradient(name);
      }
      undoLayers();
      instances.disposeAll();
    },
  };
}
