/**
 * A tensor or buffer of another instance on its own GPUDevice, passed as
 * each tensor argument of every public function: DEVICE_MISMATCH with no
 * dispatch recorded, no tensor leaked, and the inputs unchanged on both devices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivationsError,
  createActivations,
  type Activations,
  type Tensor,
} from '../../src/index.js';
import { outcome } from '../helpers/errors.js';
import { sharedActivations, testGPU } from '../helpers/gpu.js';
import {
  biasAct,
  biasActBackward,
  glu,
  gluBackward,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';

/** The tensors each call takes; every case swaps one of them for the other device's twin. */
interface Kit {
  x: Tensor; // [4]
  dy: Tensor; // [4]
  slope: Tensor; // [4]
  x3: Tensor; // [3, 4]
  dy3: Tensor; // [3, 4]
  bias: Tensor; // [4]
  half: Tensor; // [3, 2]
  a: Tensor; // [3, 2]
  b: Tensor; // [3, 2]
}

const KIT_SHAPES: Record<keyof Kit, number[]> = {
  x: [4],
  dy: [4],
  slope: [4],
  x3: [3, 4],
  dy3: [3, 4],
  bias: [4],
  half: [3, 2],
  a: [3, 2],
  b: [3, 2],
};

function makeKit(act: Activations, seed: number): { kit: Kit; data: Record<string, Float32Array> } {
  const data: Record<string, Float32Array> = {};
  const kit = {} as Kit;
  let k = seed;
  for (const [name, shape] of Object.entries(KIT_SHAPES) as [keyof Kit, number[]][]) {
    const n = shape.reduce((p, d) => p * d, 1);
    data[name] = new Float32Array(n).map(() => ((k++ * 7919) % 97) / 10 - 4.8);
    kit[name] = act.tensor(data[name], shape);
  }
  return { kit, data };
}

/** Each public entry point that takes a tensor, with the tensor named by `arg` taken from `t` (the other device's kit). */
const OTHER_DEVICE: [string, keyof Kit, (act: Activations, t: Kit) => unknown][] = [
  ['forward(x)', 'x', (a, t) => a.forward('relu', t.x)],
  ['forward(params.out)', 'x', (a, t) => a.forward('relu', own.x, { out: t.x })],
  ['forward prelu slope', 'slope', (a, t) => a.forward('prelu', own.x, { slope: t.slope })],
  ['backward(x)', 'x', (a, t) => a.backward('elu', { x: t.x, dy: own.dy })],
  ['backward(dy)', 'dy', (a, t) => a.backward('elu', { x: own.x, dy: t.dy })],
  ['backward(y)', 'x', (a, t) => a.backward('sigmoid', { y: t.x, dy: own.dy })],
  [
    'backward(params.out)',
    'x',
    (a, t) => a.backward('elu', { x: own.x, dy: own.dy }, { out: t.x }),
  ],
  [
    'backward prelu slope',
    'slope',
    (a, t) => a.backward('prelu', { x: own.x, dy: own.dy }, { slope: t.slope }),
  ],
  [
    'backwardParams(x)',
    'x',
    (a, t) => a.backwardParams('prelu', { x: t.x, dy: own.dy }, { slope: 0.25 }),
  ],
  [
    'backwardParams(dy)',
    'dy',
    (a, t) => a.backwardParams('prelu', { x: own.x, dy: t.dy }, { slope: 0.25 }),
  ],
  [
    'backwardParams(slope)',
    'slope',
    (a, t) => a.backwardParams('prelu', { x: own.x, dy: own.dy }, { slope: t.slope }),
  ],
  [
    'apply prelu slope',
    'slope',
    (a, t) => a.apply('prelu', new Float32Array(4), { slope: t.slope }),
  ],
  ['softmax forward(x)', 'x3', (a, t) => a.forward('softmax', t.x3)],
  ['logSoftmax forward(x)', 'x3', (a, t) => a.forward('logSoftmax', t.x3)],
  ['softmax forward(out)', 'x3', (a, t) => a.forward('softmax', own.x3, { out: t.x3 })],
  ['softmax backward(y)', 'x3', (a, t) => a.backward('softmax', { y: t.x3, dy: own.dy3 })],
  ['softmax backward(dy)', 'dy3', (a, t) => a.backward('softmax', { y: own.x3, dy: t.dy3 })],
  [
    'softmin backward(out)',
    'x3',
    (a, t) => a.backward('softmin', { y: own.x3, dy: own.dy3 }, { out: t.x3 }),
  ],
  ['softmaxCrossEntropy(logits)', 'x3', (a, t) => a.softmaxCrossEntropy(t.x3, own.dy3)],
  ['softmaxCrossEntropy(target)', 'dy3', (a, t) => a.softmaxCrossEntropy(own.x3, t.dy3)],
  ['biasAct(x)', 'x3', (a, t) => biasAct(a, 'gelu', t.x3, own.bias)],
  ['biasAct(bias)', 'bias', (a, t) => biasAct(a, 'gelu', own.x3, t.bias)],
  [
    'biasActBackward(x)',
    'x3',
    (a, t) => biasActBackward(a, 'gelu', { x: t.x3, bias: own.bias, dy: own.dy3 }),
  ],
  [
    'biasActBackward(bias)',
    'bias',
    (a, t) => biasActBackward(a, 'gelu', { x: own.x3, bias: t.bias, dy: own.dy3 }),
  ],
  [
    'biasActBackward(dy)',
    'dy3',
    (a, t) => biasActBackward(a, 'gelu', { x: own.x3, bias: own.bias, dy: t.dy3 }),
  ],
  ['biasActBackward(y)', 'x3', (a, t) => biasActBackward(a, 'tanh', { y: t.x3, dy: own.dy3 })],
  ['glu(x)', 'x3', (a, t) => glu(a, 'swiglu', t.x3)],
  ['glu({ a })', 'a', (a, t) => glu(a, 'swiglu', { a: t.a, b: own.b })],
  ['glu({ b })', 'b', (a, t) => glu(a, 'swiglu', { a: own.a, b: t.b })],
  ['gluBackward(x)', 'x3', (a, t) => gluBackward(a, 'geglu', { x: t.x3, dy: own.half })],
  ['gluBackward(dy)', 'half', (a, t) => gluBackward(a, 'geglu', { x: own.x3, dy: t.half })],
  [
    'gluBackward({ a })',
    'a',
    (a, t) => gluBackward(a, 'reglu', { a: t.a, b: own.b, dy: own.half }),
  ],
  [
    'gluBackward({ b })',
    'b',
    (a, t) => gluBackward(a, 'reglu', { a: own.a, b: t.b, dy: own.half }),
  ],
  ['scaledMaskedSoftmax(x)', 'x3', (a, t) => scaledMaskedSoftmax(a, t.x3, { scale: 0.5 })],
  ['scaledMaskedSoftmax(mask)', 'dy3', (a, t) => scaledMaskedSoftmax(a, own.x3, { mask: t.dy3 })],
  [
    'scaledMaskedSoftmaxBackward(y)',
    'x3',
    (a, t) => scaledMaskedSoftmaxBackward(a, { y: t.x3, dy: own.dy3 }),
  ],
  [
    'scaledMaskedSoftmaxBackward(dy)',
    'dy3',
    (a, t) => scaledMaskedSoftmaxBackward(a, { y: own.x3, dy: t.dy3 }),
  ],
  ['wrap(another device tensor.buffer)', 'x', (a, t) => a.wrap(t.x.buffer, [4])],
];

/** This device's kit, set up before the cases run (the calls above refer to it). */
let own: Kit;

describe('tensors and buffers from another device', () => {
  let act: Activations;
  let other: Activations;
  let ownData: Record<string, Float32Array>;
  let theirs: Kit;
  let theirData: Record<string, Float32Array>;

  beforeAll(async () => {
    act = await sharedActivations();
    // A second adapter and device: createActivations with no device requests its own.
    other = await createActivations({ gpu: testGPU() });
    expect(other.device).not.toBe(act.device);
    ({ kit: own, data: ownData } = makeKit(act, 1));
    ({ kit: theirs, data: theirData } = makeKit(other, 50));
    await Promise.all([act.flush(), other.flush()]);
  });

  afterAll(async () => {
    // Every input on both devices still holds what was uploaded.
    for (const [kit, data] of [
      [own, ownData],
      [theirs, theirData],
    ] as const) {
      for (const name of Object.keys(KIT_SHAPES) as (keyof Kit)[]) {
        expect(Array.from(await kit[name].read()), name).toEqual(Array.from(data[name]));
      }
    }
    other.dispose();
    other.device.destroy();
  });

  it.each(OTHER_DEVICE)('%s: DEVICE_MISMATCH before any GPU work', async (_name, arg, call) => {
    const before = [act.stats(), other.stats()];
    const e = await outcome(() => call(act, theirs));
    expect(e, (e as Error)?.message).toBeInstanceOf(ActivationsError);
    expect((e as ActivationsError).code, (e as Error).message).toBe('DEVICE_MISMATCH');
    expect((e as Error).message).toMatch(/another GPU device/);
    for (const [i, s] of [act.stats(), other.stats()].entries()) {
      expect(s.recordedDispatches).toBe(before[i].recordedDispatches);
      expect(s.liveTensors).toBe(before[i].liveTensors);
    }
    expect(Array.from(await theirs[arg].read())).toEqual(Array.from(theirData[arg]));
  });

  it("wrap() of another device's raw GPUBuffer: refused at first use, once the device answers; nothing uncaptured", async () => {
    const raw = () => {
      const b = other.device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      other.device.queue.writeBuffer(b, 0, new Float32Array([1, -2, 3, -4]));
      return b;
    };
    // WebGPU gives a buffer no device to compare, so wrap() itself cannot tell: it asks the
    // device in an error scope; until the answer, work on the buffer runs in scopes too.
    const late = raw();
    const w = act.wrap(late, [4]);
    await act.flush().then(
      () => expect.unreachable('flush resolved'),
      (e: ActivationsError) => expect(e.code).toBe('DEVICE_MISMATCH'),
    );
    const before = act.stats().recordedDispatches;
    expect(() => act.forward('relu', w)).toThrow(/another GPU device/);
    expect(() => act.forward('relu', own.x, { out: w })).toThrow(/another GPU device/);
    expect(() => act.wrap(late, [4])).toThrow(/another GPU device/);
    expect(act.stats().recordedDispatches).toBe(before);
    w.destroy();

    // Used at once, before the answer: the work fails in a scope and the next read rejects.
    const early = raw();
    const w2 = act.wrap(early, [4]);
    const y = act.forward('relu', w2);
    await y.read().then(
      () => expect.unreachable('read resolved'),
      (e: ActivationsError) => expect(e.code).toBe('DEVICE_MISMATCH'),
    );
    await act.flush();
    y.destroy();
    w2.destroy();
    // The other device's buffers are untouched.
    for (const b of [late, early]) {
      const r = await other.wrap(b, [4]).read();
      expect(Array.from(r)).toEqual([1, -2, 3, -4]);
      b.destroy();
    }
    // (setup-all.ts asserts no uncaptured error on the shared device after this file.)
  });
});
