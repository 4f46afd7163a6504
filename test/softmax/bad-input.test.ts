/** The softmax family's bad input: errors before any GPU work, naming the op and the argument. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { sharedActivations } from '../helpers/gpu.js';

import { resetTuningAfterEach } from './common.js';

resetTuningAfterEach();

describe('bad input throws before any GPU work', () => {
  it('names the op and the argument', async () => {
    const act = await sharedActivations();
    const x = act.tensor(new Float32Array(6), [2, 3]);
    const y = act.tensor(new Float32Array(6), [3, 2]);
    const h = act.tensor(new Float32Array(6), [2, 3], { dtype: 'float16' });
    const scalar = act.tensor(new Float32Array(1), []);
    await act.flush();
    const before = act.stats();
    const bad: [() => unknown, RegExp][] = [
      [() => act.forward('softmax', x, { axis: 2 }), /softmax: axis 2 is out of range/],
      [() => act.forward('softmax', x, { axis: -3 }), /softmax: axis -3/],
      [() => act.forward('softmax', x, { axis: 0.5 }), /softmax: axis must be an integer/],
      [() => act.forward('logSoftmax', x, { temperature: 0 }), /logSoftmax: temperature/],
      [() => act.forward('softmax', x, { temperature: -1 }), /softmax: temperature/],
      [() => act.forward('softmax', x, { temperature: Infinity }), /softmax: temperature/],
      [() => act.forward('softmax', x, { temperature: NaN }), /softmax: temperature/],
      [() => act.forward('softmax', x, { temperature: '2' as never }), /softmax: temperature/],
      [
        () => act.forward('softmax', x, { temprature: 2 } as never),
        /softmax: unknown option "temprature"/,
      ],
      [() => act.forward('softmax', scalar), /softmax: x has shape \[\]/],
      [() => act.forward('softmax', x, { out: y }), /softmax: out has shape/],
      [() => act.forward('softmax', x, { out: h }), /softmax: out is float16/],
      [() => act.forward('softmax', 'x' as never), /softmax: x must be a Tensor/],
      [() => act.backward('softmax', { y: x, dy: y }), /softmax: dy has shape/],
      [() => act.backward('logSoftmax', { y: x, dy: h }), /logSoftmax: dy is float16/],
      [() => act.backward('softmax', { x, dy: x } as never), /softmax: backward takes \{ y, dy \}/],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array([0, 3])),
        /softmaxCrossEntropy: target\[1\] = 3/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array([0, -1])),
        /softmaxCrossEntropy: target\[1\] = -1/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array([0])),
        /softmaxCrossEntropy: target has 1 labels/,
      ],
      [() => act.softmaxCrossEntropy(x, y), /softmaxCrossEntropy: target has shape/],
      [() => act.softmaxCrossEntropy(x, h), /softmaxCrossEntropy: target is float16/],
      [() => act.softmaxCrossEntropy(x, [0, 1] as never), /softmaxCrossEntropy: target must be/],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { labelSmoothing: 1 }),
        /labelSmoothing must be in \[0, 1\)/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { labelSmoothing: -0.1 }),
        /labelSmoothing/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { labelSmoothing: NaN }),
        /labelSmoothing/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { reduction: 'avg' as never }),
        /reduction must be/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { ignoreIndex: 1.5 }),
        /ignoreIndex must be an integer/,
      ],
      [
        () => act.softmaxCrossEntropy(x, x, { ignoreIndex: 0 }),
        /ignoreIndex applies to integer labels/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { ignore: 0 } as never),
        /unknown option "ignore"/,
      ],
      [
        () => act.softmaxCrossEntropy(x, new Int32Array(2), { out: x } as never),
        /unknown option "out"/,
      ],
      [
        () => act.softmaxCrossEntropy(y.shape.length ? x : x, new Int32Array(2), 3 as never),
        /options must be an object/,
      ],
      [
        () => act.softmaxCrossEntropy(act.tensor(new Float32Array(2), [2]), new Int32Array(2)),
        /logits must have shape/,
      ],
    ];
    for (const [call, message] of bad) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(message);
    }
    expect(act.stats().recordedDispatches).toBe(before.recordedDispatches);
    for (const t of [x, y, h, scalar]) t.destroy();
  });
});
