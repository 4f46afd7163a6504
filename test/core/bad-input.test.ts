/**
 * Every public function, every class of bad argument: each throws (or
 * rejects with) an ActivationsError with a stable code, before any GPU work
 * is queued, and every input reads back unchanged.
 */
import { describe, expect, it } from 'vitest';
import { ActivationsError, type Activations, type Tensor } from '../../src/index.js';
import { outcome } from '../helpers/errors.js';
import { sharedActivations } from '../helpers/gpu.js';
import {
  biasAct,
  biasActBackward,
  glu,
  gradGlu,
  scaledMaskedSoftmax,
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
