/**
 * The host API's bad input: specific errors before any GPU work, naming the
 * op and the argument, with the inputs left untouched.
 */
import { describe, expect, it } from 'vitest';
import { createActivations } from '../src/index.js';
import { sharedActivations, testGPU } from './helpers/gpu.js';
import { uniform } from './helpers/inputs.js';

import { rejected, thrown } from './helpers/errors.js';

describe('bad input', () => {
  it('throws specific errors naming the op and argument, queues nothing, and leaves inputs untouched', async () => {
    const act = await sharedActivations();
    const xData = uniform(64, -5, 5, 1);
    const x = act.tensor(xData, [8, 8]);
    const dy = act.tensor(uniform(64, -1, 1, 2), [8, 8]);
    const other = act.tensor(new Float32Array(10), [10]);
    const half = act.tensor(new Float32Array(64), [8, 8], { dtype: 'float16' });
    const dead = act.tensor(new Float32Array(64), [8, 8]);
    dead.destroy();
    await act.flush();
    const before = act.stats().recordedDispatches;
    const cases: [string, () => unknown, string, RegExp][] = [
      [
        'unknown op',
        () => act.forward('relu7' as never, x),
        'UNKNOWN_OP',
        /unknown op "relu7".*relu, relu6/,
      ],
      [
        'non-finite alpha',
        () => act.forward('leakyRelu', x, { alpha: NaN }),
        'INVALID_PARAMETER',
        /leakyRelu: alpha must be a finite number, got NaN/,
      ],
      [
        'beta <= 0',
        () => act.forward('softplus', x, { beta: 0 }),
        'INVALID_PARAMETER',
        /softplus: beta must be a finite number > 0, got 0/,
      ],
      [
        'min > max',
        () => act.forward('hardTanh', x, { min: 2, max: 1 }),
        'INVALID_PARAMETER',
        /hardTanh: min must be <= max/,
      ],
      [
        'celu alpha 0',
        () => act.forward('celu', x, { alpha: 0 }),
        'INVALID_PARAMETER',
        /celu: alpha must be a finite number > 0/,
      ],
      [
        'bad enum',
        () => act.forward('gelu', x, { approximate: 'fast' as never }),
        'INVALID_PARAMETER',
        /gelu: approximate must be one of 'none', 'tanh'/,
      ],
      [
        'misspelt option',
        () => act.forward('elu', x, { alpah: 1 } as never),
        'INVALID_ARGUMENT',
        /elu: unknown option "alpah"/,
      ],
      [
        'string param',
        () => act.forward('elu', x, { alpha: '1' as never }),
        'INVALID_PARAMETER',
        /elu: alpha must be a finite number, got "1"/,
      ],
      [
        'x not a tensor',
        () => act.forward('relu', new Float32Array(4) as never),
        'INVALID_ARGUMENT',
        /relu: x must be a Tensor/,
      ],
      [
        'shape mismatch x/dy',
        () => act.backward('relu', { x, dy: other }),
        'SHAPE_MISMATCH',
        /relu: dy has shape \[10\] but x has shape \[8, 8\]/,
      ],
      [
        'dtype mismatch',
        () => act.backward('relu', { x, dy: half }),
        'DTYPE_MISMATCH',
        /relu: dy is float16 but x is float32/,
      ],
      [
        'out shape mismatch',
        () => act.forward('relu', x, { out: other }),
        'SHAPE_MISMATCH',
        /relu: out has shape/,
      ],
      [
        'destroyed tensor',
        () => act.forward('relu', dead),
        'TENSOR_DESTROYED',
        /relu: x was destroyed/,
      ],
      [
        'y for relu',
        () => act.backward('relu', { y: x, dy }),
        'INVALID_ARGUMENT',
        /relu: backward from y is not available/,
      ],
      [
        'both x and y',
        () => act.backward('sigmoid', { x, y: x, dy }),
        'INVALID_ARGUMENT',
        /exactly one of x or y/,
      ],
      [
        'tensor shape/data',
        () => act.tensor(new Float32Array(5), [2, 2]),
        'SHAPE_MISMATCH',
        /tensor: shape \[2, 2\] holds 4 elements but data has 5/,
      ],
      [
        'fractional shape',
        () => act.tensor(new Float32Array(4), [1.5, 2]),
        'INVALID_ARGUMENT',
        /tensor: shape\[0\] must be a non-negative integer, got 1.5/,
      ],
      [
        'negative shape',
        () => act.empty([-1]),
        'INVALID_ARGUMENT',
        /shape\[0\] must be a non-negative integer, got -1/,
      ],
      [
        'bad dtype',
        () => act.tensor(new Float32Array(4), [4], { dtype: 'float64' as never }),
        'DTYPE_MISMATCH',
        /tensor: options.dtype must be 'float32' or 'float16', got "float64"/,
      ],
      [
        'slope not broadcastable',
        () => act.forward('prelu', x, { slope: other }),
        'SHAPE_MISMATCH',
        /prelu: slope of shape \[10\] cannot broadcast/,
      ],
      [
        'BigInt param',
        () => act.forward('elu', x, { alpha: 1n as never }),
        'INVALID_PARAMETER',
        /elu: alpha must be a finite number, got 1n/,
      ],
    ];
    for (const [name, fn, code, message] of cases) {
      const e = thrown(fn);
      expect(e.code, name).toBe(code);
      expect(e.message, name).toMatch(message);
    }
    expect(act.stats().recordedDispatches).toBe(before);
    expect(Array.from(await x.read())).toEqual(Array.from(xData));
    for (const t of [x, dy, other, half]) t.destroy();
  });

  it('rejects async forms with the same errors', async () => {
    const act = await sharedActivations();
    const e = await rejected(act.apply('elu', new Float32Array(4), { alpha: Infinity }));
    expect(e.message).toMatch(/elu: alpha must be a finite number, got Infinity/);
    const e2 = await rejected(act.grad('relu', new Float32Array(4), new Float32Array(3)));
    expect(e2.code).toBe('SHAPE_MISMATCH');
    const e3 = await rejected(act.apply('relu', [1, 2] as never));
    expect(e3.message).toMatch(/relu: x must be a Float32Array, got an Array of length 2/);
  });

  it('refuses a tensor from another device', async () => {
    const act = await sharedActivations();
    const other = await createActivations({ gpu: testGPU() });
    const t = other.tensor(new Float32Array(4));
    const e = thrown(() => act.forward('relu', t));
    expect(e.code).toBe('DEVICE_MISMATCH');
    t.destroy();
    other.device.destroy();
  });

  it('refuses wrapped buffers without STORAGE, misaligned, or too small', async () => {
    const act = await sharedActivations();
    const noStorage = act.device.createBuffer({ size: 64, usage: GPUBufferUsage.COPY_SRC });
    expect(thrown(() => act.wrap(noStorage, [4])).code).toBe('BUFFER_USAGE');
    const b = act.device.createBuffer({
      size: 1024,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    expect(thrown(() => act.wrap(b, [4], { byteOffset: 4 })).message).toMatch(/multiple of 256/);
    expect(thrown(() => act.wrap(b, [300])).message).toMatch(
      /needs 1200 bytes but the buffer has 1024/,
    );
    noStorage.destroy();
    b.destroy();
  });

  it('an adapterless WebGPU says how to get one', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const e = await rejected(createActivations({ gpu: noAdapter }));
    expect(e.code).toBe('WEBGPU_UNAVAILABLE');
    expect(e.message).toMatch(/enable-unsafe-swiftshader|VK_ICD_FILENAMES/);
  });
});
