/**
 * Every public function, every class of bad argument: each throws (or
 * rejects with) an ActivationsError with a stable code, before any GPU work
 * is queued, and every input reads back unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivationsError,
  createActivations,
  type Activations,
  type Tensor,
} from '../../src/index.js';
import { sharedActivations, testGPU } from '../helpers/gpu.js';
import {
  biasAct,
  biasActBackward,
  glu,
  gluBackward,
  gradGlu,
  scaledMaskedSoftmax,
  scaledMaskedSoftmaxBackward,
} from '../../src/fused/index.js';

/** Values of the wrong kind for a tensor, array, number or options argument. */
const BAD: [string, unknown][] = [
  ['a string', 'nonsense'],
  ['null', null],
  ['undefined', undefined],
  ['a plain array', [1, 2, 3]],
  ['a BigInt', 10n],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['a negative number', -1],
  ['a fraction', 1.5],
  ['a Float64Array', new Float64Array(4)],
  ['an object', { foo: 1 }],
];

type Call = (act: Activations, t: { x: Tensor; dy: Tensor; x3: Tensor }, bad: unknown) => unknown;

/** Each public entry point with one argument replaced by the bad value. */
const CALLS: [string, Call][] = [
  ['forward(op)', (a, t, b) => a.forward(b as never, t.x)],
  ['forward(x)', (a, _t, b) => a.forward('relu', b as never)],
  ['forward(params)', (a, t, b) => a.forward('elu', t.x, b as never)],
  ['forward(params.alpha)', (a, t, b) => a.forward('elu', t.x, { alpha: b as never })],
  ['forward(params.out)', (a, t, b) => a.forward('relu', t.x, { out: b as never })],
  // prelu's slope has no default: undefined is refused too.
  ['forward(params.slope)', (a, t, b) => a.forward('prelu', t.x, { slope: b as never })],
  [
    'backward(params.slope)',
    (a, t, b) => a.backward('prelu', { x: t.x, dy: t.dy }, { slope: b as never }),
  ],
  ['biasAct(params.slope)', (a, t, b) => biasAct(a, 'prelu', t.x3, t.x, { slope: b as never })],
  ['backward(inputs)', (a, _t, b) => a.backward('relu', b as never)],
  ['backward(dy)', (a, t, b) => a.backward('relu', { x: t.x, dy: b as never })],
  [
    'backwardParams(x)',
    (a, t, b) => a.backwardParams('prelu', { x: b as never, dy: t.dy }, { slope: 0.25 }),
  ],
  ['tensor(data)', (a, _t, b) => a.tensor(b as never)],
  ['tensor(shape)', (a, _t, b) => a.tensor(new Float32Array(4), b as never)],
  ['tensor(options)', (a, _t, b) => a.tensor(new Float32Array(4), [4], { dtype: b as never })],
  ['empty(shape)', (a, _t, b) => a.empty(b as never)],
  ['wrap(buffer)', (a, _t, b) => a.wrap(b as never, [4])],
  ['wrap(byteOffset)', (a, t, b) => a.wrap(t.x.buffer, [4], { byteOffset: b as never })],
  ['apply(x)', (a, _t, b) => a.apply('relu', b as never)],
  ['apply(shape)', (a, _t, b) => a.apply('relu', new Float32Array(4), { shape: b as never })],
  ['grad(dy)', (a, _t, b) => a.grad('relu', new Float32Array(4), b as never)],
  [
    'gradParams(x)',
    (a, _t, b) => a.gradParams('prelu', b as never, new Float32Array(4), { slope: 0.25 }),
  ],
  ['softmax axis', (a, t, b) => a.forward('softmax', t.x3, { axis: b as never })],
  ['softmax temperature', (a, t, b) => a.forward('softmax', t.x3, { temperature: b as never })],
  ['softmaxCrossEntropy(target)', (a, t, b) => a.softmaxCrossEntropy(t.x3, b as never)],
  ['biasAct(bias)', (a, t, b) => biasAct(a, 'relu', t.x3, b as never)],
  ['biasAct(act)', (_a, t, b) => biasAct(b as never, 'relu', t.x3, t.x3)],
  ['glu(x)', (a, _t, b) => glu(a, 'swiglu', b as never)],
  [
    'gradGlu(act)',
    (_a, _t, b) => gradGlu(b as never, 'swiglu', new Float32Array(4), new Float32Array(2)),
  ],
  ['scaledMaskedSoftmax(scale)', (a, t, b) => scaledMaskedSoftmax(a, t.x3, { scale: b as never })],
  ['encode(encoder)', (a, _t, b) => a.encode(b as never, () => undefined)],
];

// Values that are valid for some arguments (undefined options, a finite number where a number is wanted).
const VALID_FOR: Record<string, string[]> = {
  'forward(params)': ['undefined'],
  'forward(params.alpha)': ['undefined', 'a negative number', 'a fraction'],
  'forward(params.out)': ['undefined'],
  'forward(params.slope)': ['a negative number', 'a fraction'],
  'backward(params.slope)': ['a negative number', 'a fraction'],
  'biasAct(params.slope)': ['a negative number', 'a fraction'],
  'tensor(shape)': ['undefined'],
  'empty(shape)': ['a plain array'],
  'tensor(options)': ['undefined'],
  'wrap(byteOffset)': ['undefined'],
  'apply(shape)': ['undefined'],
  'softmax axis': ['undefined', 'a negative number'],
  'softmax temperature': ['undefined', 'a fraction'],
  'scaledMaskedSoftmax(scale)': ['undefined', 'a negative number', 'a fraction'],
};

async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    const r = fn();
    if (r instanceof Promise) await r;
    return null;
  } catch (e) {
    return e;
  }
}

describe.each(CALLS)('%s', (name, call) => {
  it('refuses every bad argument with an ActivationsError before any GPU work', async () => {
    const act = await sharedActivations();
    const xData = new Float32Array([-1, 2, -3, 4]);
    const x3Data = new Float32Array(12).map((_, i) => i - 6);
    const t = {
      x: act.tensor(xData),
      dy: act.tensor(new Float32Array([1, 1, 1, 1])),
      x3: act.tensor(x3Data, [3, 4]),
    };
    await act.flush();
    const before = act.stats();
    const problems: string[] = [];
    for (const [label, bad] of BAD) {
      if (VALID_FOR[name]?.includes(label)) continue;
      const e = await outcome(() => call(act, t, bad));
      if (!(e instanceof ActivationsError)) {
        problems.push(
          `${label}: ${e === null ? 'accepted' : `threw ${(e as Error)?.name}: ${(e as Error)?.message}`}`,
        );
      } else if (!/^[A-Z_]+$/.test(e.code)) {
        problems.push(`${label}: code ${e.code}`);
      }
    }
    expect(problems).toEqual([]);
    expect(act.stats().recordedDispatches).toBe(before.recordedDispatches);
    expect(Array.from(await t.x.read())).toEqual(Array.from(xData));
    expect(Array.from(await t.x3.read())).toEqual(Array.from(x3Data));
    for (const v of Object.values(t)) v.destroy();
  });
});

describe('prelu without a slope', () => {
  // tf.prelu(x, alpha) and F.prelu(input, weight) require it; 0.25 is only PyTorch's initial
  // value for a learned slope. Every entry point names the op and the argument.
  const calls: [string, (a: Activations, x: Tensor, dy: Tensor) => unknown][] = [
    ['forward', (a, x) => a.forward('prelu', x)],
    ['forward({})', (a, x) => a.forward('prelu', x, {})],
    ['backward', (a, x, dy) => a.backward('prelu', { x, dy })],
    ['backwardParams', (a, x, dy) => a.backwardParams('prelu', { x, dy })],
    ['apply', (a) => a.apply('prelu', new Float32Array(4))],
    ['grad', (a) => a.grad('prelu', new Float32Array(4), new Float32Array(4))],
    ['gradParams', (a) => a.gradParams('prelu', new Float32Array(4), new Float32Array(4))],
    ['biasAct', (a, x) => biasAct(a, 'prelu', x, x)],
    ['biasActBackward', (a, x, dy) => biasActBackward(a, 'prelu', { x, bias: x, dy })],
  ];
  it.each(calls)(
    '%s: INVALID_PARAMETER naming prelu and slope, before any GPU work',
    async (_n, call) => {
      const act = await sharedActivations();
      const data = new Float32Array([-1, 2, -3, 4]);
      const x = act.tensor(data);
      const dy = act.tensor(new Float32Array([1, 1, 1, 1]));
      await act.flush();
      const before = act.stats();
      const e = await outcome(() => call(act, x, dy));
      expect(e).toBeInstanceOf(ActivationsError);
      expect((e as ActivationsError).code).toBe('INVALID_PARAMETER');
      expect((e as Error).message).toMatch(/prelu: slope must be a finite number, got undefined/);
      expect(act.stats().recordedDispatches).toBe(before.recordedDispatches);
      expect(Array.from(await x.read())).toEqual(Array.from(data));
      x.destroy();
      dy.destroy();
    },
  );
});

// ---- tensors and buffers from another device ---------------------------------------

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
