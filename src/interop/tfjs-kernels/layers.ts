/**
 * tfjs-layers activations by name: `tf.layers.dense({ units, activation:
 * 'gelu' })` looks 'gelu' up in tfjs-core's serialization map at layer
 * construction. The provider puts its own classes there for the names
 * whose tfjs-layers versions are compositions of several TF ops (gelu,
 * gelu_new, mish, swish, softsign, hardSigmoid) and adds 'silu'; relu,
 * elu, selu, sigmoid, tanh, softplus, softmax... already reach the kernels
 * the provider replaces. Layers built before registration keep the
 * activation object they were given.
 */
import type { TfjsOps } from './op-functions.js';

/** What the provider uses of `tf.serialization` (tfjs-core's, which tfjs-layers registers into). */
export interface TfSerializationLike {
  SerializationMap: { getMap(): { classNameMap: Record<string, unknown> } };
}

type Apply = (x: unknown, alpha?: number) => unknown;

/** An activation class as tfjs-layers' deserializer and layers use it (structural). */
function activationClass(className: string, apply: Apply, original: unknown) {
  const originalApply = (x: unknown, alpha?: number): unknown => {
    const [cls] = original as [new () => { apply: Apply }];
    return new cls().apply(x, alpha);
  };
  return class {
    static readonly className = className;
    static fromConfig(cls: new () => unknown): unknown {
      return new cls();
    }
    getClassName(): string {
      return className;
    }
    getConfig(): Record<string, never> {
      return {};
    }
    apply(x: unknown, alpha?: number): unknown {
      // swish's alpha != 1 has no kernel of ours: the layer's own code runs it.
      return alpha !== undefined && alpha !== 1 && original ? originalApply(x, alpha) : apply(x);
    }
  };
}

/** The names the provider takes over, and the op each runs. */
function byName(ops: TfjsOps): Record<string, Apply> {
  return {
    gelu: (x) => ops.gelu(x),
    gelu_new: (x) => ops.gelu(x, { approximate: 'tanh' }),
    mish: (x) => ops.mish(x),
    swish: (x) => ops.silu(x),
    silu: (x) => ops.silu(x),
    softsign: (x) => ops.softsign(x),
    // tfjs-layers' (and Keras's) hard sigmoid: clip(0.2 x + 0.5, 0, 1).
    hardSigmoid: (x) => ops.hardSigmoid(x, { alpha: 0.2, beta: 0.5 }),
  };
}

/** Registers the activation classes; returns what puts the map back exactly. */
export function registerLayerActivations(
  serialization: TfSerializationLike,
  ops: TfjsOps,
): () => void {
  const map = serialization.SerializationMap.getMap().classNameMap;
  const saved: [string, boolean, unknown][] = [];
  for (const [name, apply] of Object.entries(byName(ops))) {
    const had = Object.prototype.hasOwnProperty.call(map, name);
    saved.push([name, had, map[name]]);
    const cls = activationClass(name, apply, had ? map[name] : undefined);
    map[name] = [cls, cls.fromConfig];
  }
  return () => {
    for (const [name, had, value] of saved.reverse()) {
      if (had) map[name] = value;
      else delete map[name];
    }
  };
}
