/**
 * Run by test/oom.node.test.ts in a process of its own: asks for tensors
 * until the device runs out of memory, then checks what the library did
 * about it, and prints one JSON line of facts for the test to assert.
 *
 * SwiftShader's "device memory" is this process's heap, written (zeroed) as
 * it is allocated, so asking until allocation fails would take the whole
 * machine. The process first caps its own address space (RLIMIT_AS, through
 * prlimit) at what it uses plus 384 MiB. It then asks for 64 MiB tensors while
 * more than 64 + 128 MiB are left, then for a 256 MiB one, whose
 * vkAllocateMemory fails for real. The 128-192 MiB still free are what a real
 * GPU would leave untouched: host memory for Dawn's own bookkeeping and for
 * readbacks (with no room at all, Dawn itself crashes in its next submit, as
 * seen here). Reads go in 4 MiB pieces for the same reason.
 */
import { register } from 'node:module';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

register('../../bench/raw-hooks.mjs', import.meta.url);
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const { createActivations, ActivationsError, OutOfMemoryError } =
  await import('../../src/index.js');
const ref = await import('../../src/elementwise/reference.js');
const { close, ELEMENTWISE } = await import('../../src/core/tolerance.js');
type Tensor = import('../../src/index.js').Tensor;

const MiB = 2 ** 20;
const N = 16 * MiB; // elements of one tensor: 64 MiB of float32
const PIECE = MiB; // elements read back at a time (4 MiB)
const BUDGET = 384 * MiB;
const HEADROOM = 128 * MiB;

const facts: Record<string, unknown> = {};
const vmBytes = () =>
  Number(/VmSize:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
const x = (i: number) => ((i % 2001) - 1000) / 8;
const settle = <T>(p: Promise<T>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => describeError(e),
  );

function describeError(e: unknown) {
  if (!(e instanceof Error)) return { thrown: String(e) };
  return {
    name: e.name,
    message: e.message,
    code: (e as { code?: string }).code ?? null,
    activations: e instanceof ActivationsError,
    outOfMemory: e instanceof OutOfMemoryError,
  };
}

const started = performance.now();
const act = await createActivations({ gpu: create([]) });
const uncaptured: string[] = [];
act.device.addEventListener('uncapturederror', (e) => {
  uncaptured.push((e as GPUUncapturedErrorEvent).error.message.split('\n')[0]);
});

// The input, written in pieces.
const src = act.empty([N]);
const piece = new Float32Array(PIECE);
for (let base = 0; base < N; base += PIECE) {
  for (let j = 0; j < PIECE; j++) piece[j] = x(base + j);
  act.device.queue.writeBuffer(src.buffer, base * 4, piece);
}

type Check = { op: 'identity' | 'leakyRelu' | 'elu'; alpha?: number };

/** Mismatches of the N elements of buffer at byteOffset against the float64 reference on x. */
async function check(buffer: GPUBuffer, byteOffset: number, c: Check): Promise<number> {
  let bad = 0;
  for (let base = 0; base < N; base += PIECE) {
    const view = act.wrap(buffer, [PIECE], { byteOffset: byteOffset + base * 4 });
    const got = await view.read();
    view.destroy();
    for (let j = 0; j < PIECE; j++) piece[j] = x(base + j);
    const want = ref.forward(c.op, piece, c.op === 'leakyRelu' ? { alpha: c.alpha } : {});
    for (let j = 0; j < PIECE; j++) if (!close(got[j], want[j], ELEMENTWISE)) bad++;
  }
  return bad;
}

/** A 256 MiB tensor whose quarters are computed from src by leakyRelu (alpha 1/3, 1/5, 1/7, 1/9). */
function askBig(): Tensor {
  const big = act.empty([4 * N]);
  for (let q = 0; q < 4; q++) {
    const view = act.wrap(big.buffer, [N], { byteOffset: q * N * 4 });
    act.forward('leakyRelu', src, { alpha: 1 / (2 * q + 3), out: view });
    view.destroy();
  }
  return big;
}

async function checkBig(big: Tensor): Promise<number> {
  let bad = 0;
  for (let q = 0; q < 4; q++)
    bad += await check(big.buffer, q * N * 4, { op: 'leakyRelu', alpha: 1 / (2 * q + 3) });
  return bad;
}

// Compile and run everything once before the cap (the JIT needs memory too).
const warm = askBig();
facts.warmMismatches = await check(warm.buffer, 0, { op: 'leakyRelu', alpha: 1 / 3 });
warm.destroy();
await act.flush();

const limit = Math.floor(vmBytes() + BUDGET);
const capped = spawnSync('prlimit', ['--pid', String(process.pid), `--as=${limit}:`], {
  encoding: 'utf8',
});
if (capped.status !== 0) {
  console.log(JSON.stringify({ error: `prlimit failed: ${capped.error ?? capped.stderr}` }));
  process.exit(1);
}
facts.limitMiB = Math.round(limit / MiB);

// Ask for tensors until allocation fails: 64 MiB ones while they fit with room to spare, then 256 MiB.
const t0 = performance.now();
const outs: { t: Tensor; alpha: number }[] = [];
facts.earlierFlushes = [];
while (limit - vmBytes() > N * 4 + HEADROOM && outs.length < 16) {
  const alpha = 2 ** -(outs.length + 1);
  outs.push({ t: act.forward('leakyRelu', src, { alpha }), alpha });
  (facts.earlierFlushes as unknown[]).push(await settle(act.flush()));
}
facts.allocated = outs.length;
facts.leftMiB = Math.round((limit - vmBytes()) / MiB);
// The failing request, used at once by four ops (recorded before the failure is known).
const big = askBig();
facts.flushError = await settle(act.flush());
facts.secondFlush = await settle(act.flush());
facts.allocateMs = Math.round(performance.now() - t0);
facts.uncapturedAtFailure = [...uncaptured];

// The tensor that failed is refused before any GPU work, by ops and by read.
const before = act.stats().recordedDispatches;
try {
  act.forward('relu', big);
  facts.useFailed = 'accepted';
} catch (e) {
  facts.useFailed = describeError(e);
}
facts.dispatchesAfterUse = act.stats().recordedDispatches - before;
facts.readFailed = await settle(big.read());

// Earlier tensors, and the input, still read back correctly.
const t1 = performance.now();
facts.earlierMismatches = [];
for (const o of outs) {
  const bad = await check(o.t.buffer, 0, { op: 'leakyRelu', alpha: o.alpha });
  (facts.earlierMismatches as number[]).push(bad);
}
facts.srcMismatches = await check(src.buffer, 0, { op: 'identity' });
facts.checkMs = Math.round(performance.now() - t1);

// Destroying them gives the memory back: the request that failed now succeeds.
big.destroy();
for (const o of outs) o.t.destroy();
await act.flush();
facts.liveBytesAfterDestroy = act.stats().liveBytes;
facts.srcBytes = src.buffer.size;
const again = askBig();
facts.flushAgain = await settle(act.flush());
facts.againMismatches = await checkBig(again);
facts.uncaptured = uncaptured;
facts.totalMs = Math.round(performance.now() - started);

console.log(JSON.stringify(facts));
process.exit(0);
