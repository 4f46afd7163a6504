/**
 * The runtime's parts, each where it can go wrong: the grid fold, the pool's
 * rule for handing a freed buffer back, uniform slots restarting after a
 * submission, the pipeline cache shared per device, live-byte accounting and
 * dispose(). Each test makes its own instance on the shared device, so the
 * pool and counters start empty.
 */
import { describe, expect, it } from 'vitest';
import { createActivations, type Activations } from '../../src/index.js';
import { BindGroupCache } from '../../src/runtime/bind-groups.js';
import { foldGrid, PAD_BYTES, type Runtime } from '../../src/runtime/runtime.js';
import { UNIFORM_SLOT, Uniforms } from '../../src/runtime/uniforms.js';
import { sharedActivations } from '../helpers/gpu.js';

async function fresh(): Promise<{ act: Activations; rt: Runtime; device: GPUDevice }> {
  const shared = await sharedActivations();
  const act = await createActivations({ device: shared.device });
  return { act, rt: act.runtime, device: act.device };
}

/** Whether `buffer` was destroyed: writing to a destroyed buffer fails validation. */
async function destroyed(device: GPUDevice, buffer: GPUBuffer): Promise<boolean> {
  device.pushErrorScope('validation');
  device.queue.writeBuffer(buffer, 0, new Uint8Array(4));
  return (await device.popErrorScope()) !== null;
}

const TENSOR_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

describe('foldGrid', () => {
  it.each([
    [1, 65535, [1, 1]],
    [65535, 65535, [65535, 1]],
    [65536, 65535, [32768, 2]],
    [2 * 65535 + 1, 65535, [43691, 3]],
    [7, 4, [4, 2]],
    [9, 4, [3, 3]],
  ])('%i workgroups within %i per dimension: %j', (workgroups, max, want) => {
    expect(foldGrid(workgroups, max)).toEqual(want);
  });

  it('covers every workgroup within the limit, with no whole row idle', () => {
    for (const max of [1, 2, 3, 7, 256, 65535]) {
      for (let w = 1; w <= max * max && w < 200_000; w += Math.max(1, Math.floor(w / 7))) {
        const [x, y] = foldGrid(w, max);
        expect(x <= max && y <= max, `${w} in ${max}: ${x} x ${y}`).toBe(true);
        expect(x * y >= w, `${w} in ${max}: ${x} x ${y}`).toBe(true);
        expect(x * (y - 1) < w, `${w} in ${max}: ${x} x ${y}`).toBe(true);
      }
    }
  });
});

describe('buffer pool', () => {
  it('hands a freed buffer back for a request of its padded size that overwrites it, not otherwise', async () => {
    const { act, rt } = await fresh();
    const t = rt.allocate([100], 'float32', 'first');
    const freed = t.buffer;
    t.destroy();
    // reuse = false: the caller reads before writing, so stale contents will not do.
    const zeroed = rt.allocate([100], 'float32', 'zeroed');
    expect(zeroed.buffer).not.toBe(freed);
    const larger = rt.allocate([104], 'float32', 'larger', true);
    expect(larger.buffer).not.toBe(freed);
    // 99 float32 and 200 float16 both pad to the freed 400 bytes.
    expect(Math.ceil((99 * 4) / PAD_BYTES) * PAD_BYTES).toBe(400);
    const again = rt.allocate([99], 'float32', 'again', true);
    expect(again.buffer).toBe(freed);
    // Handed out once: the next request of that size gets a new buffer.
    const half = rt.allocate([200], 'float16', 'half', true);
    expect(half.buffer).not.toBe(freed);
    half.destroy();
    expect(rt.allocate([200], 'float16', 'half again', true).buffer).toBe(half.buffer);
    act.dispose();
  });

  it("never pools a wrapped buffer: it stays the caller's, alive", async () => {
    const { act, rt, device } = await fresh();
    const buffer = device.createBuffer({ label: 'caller', size: 400, usage: TENSOR_USAGE });
    const w = act.wrap(buffer, [100]);
    w.destroy();
    expect(rt.allocate([100], 'float32', 'after wrap', true).buffer).not.toBe(buffer);
    expect(await destroyed(device, buffer)).toBe(false);
    act.dispose();
    expect(await destroyed(device, buffer)).toBe(false);
    buffer.destroy();
  });

  it("keeps a buffer bound into the caller's encoder out of the pool until the queue has run it", async () => {
    const { act, rt, device } = await fresh();
    const x = act.tensor(new Float32Array(256).fill(-1));
    const encoder = device.createCommandEncoder();
    let scratch: GPUBuffer | undefined;
    const y = act.encode(encoder, (a) => {
      const h = a.forward('relu', x);
      scratch = h.buffer;
      // Freed inside encode(): the caller has not submitted, so it is never pooled.
      h.destroy();
      return a.forward('relu', x);
    });
    device.queue.submit([encoder.finish()]);
    const bound = y.buffer;
    y.destroy();
    // Submitted but maybe not run yet: not handed out at once.
    const early = rt.allocate([256], 'float32', 'early', true);
    expect(early.buffer).not.toBe(bound);
    expect(early.buffer).not.toBe(scratch);
    await act.flush();
    const late = rt.allocate([256], 'float32', 'late', true);
    expect(late.buffer).toBe(bound);
    expect(rt.allocate([256], 'float32', 'later', true).buffer).not.toBe(scratch);
    act.dispose();
  });
});

describe('recording and uniforms', () => {
  it('submits on its own after 16 dispatches, then 32, 64 (a flush starts again at 16), and reuses one uniform arena across submissions', async () => {
    const { act, rt } = await fresh();
    const x = act.tensor(new Float32Array(64).fill(-1));
    await act.flush();
    const base = rt.stats().pooledBytes;
    const ys = [];
    for (let i = 1; i <= 120; i++) {
      ys.push(act.forward('leakyRelu', x, { alpha: i }));
      expect(rt.stats().recordedDispatches).toBe(
        i < 16 ? i : i < 48 ? i - 16 : i < 112 ? i - 48 : i - 112,
      );
    }
    await act.flush();
    for (let i = 1; i <= 20; i++) {
      ys.push(act.forward('leakyRelu', x, { alpha: 120 + i }));
      expect(rt.stats().recordedDispatches).toBe(i % 16);
    }
    // 140 dispatches, each with its own slot, yet one 64 KiB arena: slots restart after a submission.
    expect(rt.stats().pooledBytes - base).toBe(64 * 1024);
    // No dispatch saw another's parameters.
    const got = await Promise.all(ys.map((y) => y.read()));
    expect(got.map((y) => y[63])).toEqual(ys.map((_, i) => -(i + 1)));
    act.dispose();
  });
});

describe('Uniforms', () => {
  const words = (...w: number[]) => new Uint32Array(w).buffer;

  it('hands out consecutive slots, and the first again after write()', async () => {
    const { device } = await sharedActivations();
    const u = new Uniforms(device, new BindGroupCache());
    const a = u.slot(words(1));
    const b = u.slot(words(2, 3));
    expect(a).toMatchObject({ offset: 0, size: UNIFORM_SLOT });
    expect(b).toMatchObject({ buffer: a.buffer, offset: UNIFORM_SLOT, size: UNIFORM_SLOT });
    for (let i = 2; i < 256; i++) u.slot(words(i));
    // The 257th slot of one submission opens a second arena.
    const next = u.slot(words(257));
    expect(next.offset).toBe(0);
    expect(next.buffer).not.toBe(a.buffer);
    expect(u.bytes).toBe(2 * 256 * UNIFORM_SLOT);
    u.write();
    const again = u.slot(words(4));
    expect(again).toEqual({ buffer: a.buffer, offset: 0, size: UNIFORM_SLOT });
    expect(u.full).toBe(false);
    u.destroy();
    expect(u.bytes).toBe(0);
  });

  it('shares one immutable buffer per content', async () => {
    const { device } = await sharedActivations();
    const u = new Uniforms(device, new BindGroupCache());
    const a = u.immutable(words(1, 2));
    expect(u.immutable(words(1, 2)).buffer).toBe(a.buffer);
    expect(u.immutable(words(1, 3)).buffer).not.toBe(a.buffer);
    expect(u.bytes).toBe(2 * UNIFORM_SLOT);
    u.destroy();
  });
});

describe('BindGroupCache', () => {
  it('reuses a group only for the same pipeline and ranges of buffers it was told it owns', async () => {
    const { rt, act, device } = await fresh();
    const pipeline = rt.pipeline(
      'runtime.test copy',
      'runtime.test copy',
      () =>
        '@group(0) @binding(0) var<storage, read> a: array<f32>;\n' +
        '@group(0) @binding(1) var<storage, read_write> b: array<f32>;\n' +
        '@compute @workgroup_size(1) fn main() { b[0] = a[0]; }',
    );
    const make = () => device.createBuffer({ size: 512, usage: GPUBufferUsage.STORAGE });
    const [a, b, theirs] = [make(), make(), make()];
    const cache = new BindGroupCache();
    cache.own(a);
    cache.own(b);
    const ranges = (x: GPUBuffer, offset = 0) => [
      { buffer: x, offset, size: 256 },
      { buffer: b, offset: 0, size: 256 },
    ];
    const g = cache.get(device, pipeline, ranges(a));
    expect(cache.get(device, pipeline, ranges(a))).toBe(g);
    expect(cache.get(device, pipeline, ranges(a, 256))).not.toBe(g);
    // A buffer the cache does not own is never held by a cached group.
    const t = cache.get(device, pipeline, ranges(theirs));
    expect(cache.get(device, pipeline, ranges(theirs))).not.toBe(t);
    cache.clear();
    expect(cache.get(device, pipeline, ranges(a))).not.toBe(g);
    for (const x of [a, b, theirs]) x.destroy();
    act.dispose();
  });
});

describe('pipelines', () => {
  const code = () => '@compute @workgroup_size(1) fn main() {}';

  it('are cached per device: a second instance on the device compiles nothing', async () => {
    const { act, rt, device } = await fresh();
    const key = `runtime.test empty ${Math.random()}`;
    let compiled = 0;
    const compile = () => (compiled++, code());
    const p = rt.pipeline(key, 'empty kernel', compile);
    expect(rt.pipeline(key, 'empty kernel', compile)).toBe(p);
    const other = await createActivations({ device });
    expect(other.runtime.pipeline(key, 'empty kernel', compile)).toBe(p);
    expect(compiled).toBe(1);
    expect(other.stats().pipelines).toBe(rt.stats().pipelines);

    const prepared = `runtime.test prepared ${Math.random()}`;
    await rt.prepare(prepared, 'prepared kernel', code);
    const q = rt.pipeline(prepared, 'prepared kernel', () => {
      throw new Error('compiled twice');
    });
    expect(q.label).toBe('prepared kernel');
    await act.flush();
    other.dispose();
    act.dispose();
  });
});

describe('accounting and dispose', () => {
  it('live bytes count padded buffers and return to the baseline', async () => {
    const { act, rt } = await fresh();
    const base = rt.stats();
    expect(base).toMatchObject({ liveTensors: 0, liveBytes: 0 });
    const small = rt.allocate([3], 'float32', 'small');
    expect(rt.stats().liveBytes).toBe(PAD_BYTES);
    const x = act.tensor(new Float32Array(1000).fill(-0.5));
    const y = act.forward('elu', x);
    const dx = act.backward('elu', { x, dy: y });
    expect(rt.stats()).toMatchObject({ liveTensors: 4, liveBytes: PAD_BYTES + 3 * 4000 });
    const wrapped = act.wrap(x.buffer, [10]);
    expect(rt.stats()).toMatchObject({ liveTensors: 5, liveBytes: PAD_BYTES + 3 * 4000 });
    for (const t of [small, y, wrapped, dx, x]) t.destroy();
    await act.flush();
    expect(rt.stats()).toMatchObject({ liveTensors: 0, liveBytes: 0 });
    act.dispose();
  });

  it('dispose() destroys owned and pooled buffers, once, and refuses later work', async () => {
    const { act, rt, device } = await fresh();
    const kept = act.tensor(new Float32Array(16));
    const pooled = rt.allocate([32], 'float32', 'pooled');
    const pooledBuffer = pooled.buffer;
    pooled.destroy();
    expect(rt.stats().pooledBytes).toBeGreaterThan(0);
    act.forward('relu', kept, { out: kept });
    act.dispose();
    expect(kept.destroyed).toBe(true);
    expect(await destroyed(device, kept.buffer)).toBe(true);
    expect(await destroyed(device, pooledBuffer)).toBe(true);
    expect(rt.stats()).toMatchObject({ liveTensors: 0, liveBytes: 0, pooledBytes: 0 });
    act.dispose();
    expect(() => act.tensor(new Float32Array(4))).toThrow(
      expect.objectContaining({
        code: 'TENSOR_DESTROYED',
        message: 'webgpu-activations: this instance was disposed',
      }),
    );
  });
});
