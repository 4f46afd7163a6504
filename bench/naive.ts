/**
 * The naive baseline: one f32 element per thread, the op's table body
 * spliced into the plainest possible kernel, default parameters, float32
 * and elementwise ops only.
 */
import mathSource from '../shaders/common/math.wgsl?raw';
import erfSource from './erf.wgsl?raw';
import { activations, softmaxOps, type ActivationName } from '../src/index.js';
import {
  buffer,
  dispatchCase,
  grid,
  mapKernel,
  pipeline,
  readBuffer,
  storageDecls,
  WG,
} from './kernels.js';
import type { Direction, PeerImpl } from './types.js';
import { elements } from './rows.js';

/** A WGSL f32 literal for a default parameter value. */
const lit = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);

function naiveShader(op: ActivationName, dir: Direction): string {
  const def = activations[op] as unknown as {
    params: Record<string, { kind: string; default: number | string; values?: readonly string[] }>;
    wgsl: { forward: string; derivative: string };
  };
  const decl: string[] = [];
  const args: string[] = [];
  for (const [name, spec] of Object.entries(def.params)) {
    if (spec.kind === 'enum') {
      decl.push(`, ${name}: u32`);
      args.push(`, ${spec.values!.indexOf(spec.default as string)}u`);
    } else {
      decl.push(`, ${name}: f32`);
      args.push(`, ${lit(spec.default as number)}`);
    }
  }
  const body = dir === 'forward' ? def.wgsl.forward : def.wgsl.derivative;
  const inputs = dir === 'forward' ? ['x'] : ['x', 'dy'];
  const expr = dir === 'forward' ? `f(x[i]${args.join('')})` : `dy[i] * f(x[i]${args.join('')})`;
  return mapKernel(
    `${mathSource}
${erfSource}
fn f(x: f32${decl.join('')}) -> f32 {
  ${body}
}
${storageDecls('f32', inputs)}`,
    expr,
  );
}

export function naivePeer(device: GPUDevice): PeerImpl {
  return {
    name: 'naive',
    lacks: (op) =>
      (softmaxOps as readonly string[]).includes(op)
        ? 'the naive WGSL kernel is elementwise only'
        : null,
    make(op, dir, shape, data, dyData) {
      const n = elements(shape);
      const bytes = n * 4;
      const p = pipeline(device, `naive ${op} ${dir}`, () =>
        naiveShader(op as ActivationName, dir),
      );
      const xs = data.map((d, i) => buffer(device, `naive x ${i}`, bytes, d));
      const y = buffer(device, 'naive y', bytes);
      const rest = dir === 'forward' ? [y] : [buffer(device, 'naive dy', bytes, dyData), y];
      return Promise.resolve(
        dispatchCase(
          device,
          `naive ${op}`,
          p,
          grid(device, Math.ceil(n / WG)),
          xs,
          rest,
          bytes,
          () => readBuffer(device, y, bytes),
        ),
      );
    },
  };
}
