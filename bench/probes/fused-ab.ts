/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/fused-ab.ts [samples] [row filter]
 *
 * The fused rows of the benchmark (bench/fused.ts, 16M float32) in Node +
 * Dawn, fused and unfused samples alternating, so a change of load on a
 * shared machine hits both sides alike (the page measures one row after the
 * other). Prints per row the medians and the median of per-pair ratios, of
 * wall time and of worker-thread CPU time (every thread but the JS one, from
 * /proc: Linux only), against the row's floor.
 */
import { register } from 'node:module';
import { create, globals } from 'webgpu';
import { sleepBeforeWaits } from '../dawn.js';
import { median, workerCpu } from './cpu-time.js';

register('../raw-hooks.mjs', import.meta.url);
const { createActivations } = await import('../../src/index.js');
const { fusedPair } = await import('../fused.js');
const { fusedWorkloads } = await import('../workloads.js');

const samples = Number(process.argv[2] ?? 9);
const only = process.argv[3];

Object.assign(globalThis, globals);
const act = await createActivations({ gpu: create([]) });
// Dawn spins the JS thread while a queue wait is pending: sleep through most of it first.
const expect = sleepBeforeWaits(act.device.queue);

for (const w of fusedWorkloads(['fused'], ['float32'], ['16M'])) {
  if (only && !w.name.includes(only)) continue;
  const pair = fusedPair(act, w);
  const sides = [pair.fused, pair.unfused];
  const cpu: number[][] = [[], []];
  const wall: number[][] = [[], []];
  for (const c of sides) {
    c.step(0);
    await c.finish();
  }
  for (let k = 0; k < samples; k++) {
    for (const j of k % 2 ? [1, 0] : [0, 1]) {
      expect(wall[j].length ? median(wall[j]) : 0);
      const c0 = workerCpu();
      const t0 = performance.now();
      sides[j].step(k + 1);
      await sides[j].finish();
      wall[j].push(performance.now() - t0);
      cpu[j].push((workerCpu() - c0) * 1000);
    }
  }
  const ratio = (m: number[][]) => median(m[0].map((v, i) => v / m[1][i])).toFixed(2);
  const ms = (m: number[][]) => `${median(m[0]).toFixed(0)} / ${median(m[1]).toFixed(0)} ms`;
  console.log(
    `${w.name.padEnd(28)} cpu ${ms(cpu)} ratio ${ratio(cpu)}   wall ${ms(wall)} ratio ${ratio(wall)}   floor ${w.floor}`,
  );
  for (const c of sides) c.dispose();
  pair.dispose();
}
act.device.destroy();
process.exit(0);
