/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/record-cost.ts [rounds]
 *
 * The CPU cost of recording a small op, apart from the GPU's: 100 chained
 * 1K-element relu calls are recorded (timed), then flushed (timed with the
 * rest). Prints microseconds per op for recording and for the whole round.
 * A probe for per-op overhead work (bench/notes/latency.md, "Per-op overhead");
 * the page's latency rows remain the figures of record.
 */
import { register } from 'node:module';

register('../raw-hooks.mjs', import.meta.url);
const { createActivations } = await import('../../src/index.js');
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);

const act = await createActivations({ gpu: create([]) });
const n = 1024;
const x = act.tensor(
  new Float32Array(n).map((_, i) => Math.sin(i)),
  [n],
);
await act.warmup(['relu'], ['float32']);

async function round(): Promise<{ record: number; total: number }> {
  const t0 = performance.now();
  const made = [];
  let y = x;
  for (let i = 0; i < 100; i++) made.push((y = act.forward('relu', y)));
  const t1 = performance.now();
  await act.flush();
  for (const t of made) t.destroy();
  return { record: t1 - t0, total: performance.now() - t0 };
}

for (let i = 0; i < 20; i++) await round(); // warm the pool and the caches
const rounds = Number(process.argv[2] ?? 200);
let record = 0;
let total = 0;
for (let r = 0; r < rounds; r++) {
  const t = await round();
  record += t.record;
  total += t.total;
}
const us = (ms: number) => ((ms / rounds / 100) * 1000).toFixed(1);
console.log(`record ${us(record)} us/op, total ${us(total)} us/op (${rounds} rounds of 100)`);
act.dispose();
process.exit(0);
