/**
 * Worker-thread CPU time of this process, for the Node A/B probes in this
 * folder (fused-ab.ts, softmax-ab.ts, fused-parts.ts, wgsl-probe.ts): on a
 * shared machine wall time swings 2x between samples, while the CPU time
 * SwiftShader's threads spend on a kernel stays within ~15%. Linux only.
 * The median (the upper middle of an even count) is the probes' one median.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds of every thread of this process but the main (JS) one. */
export function workerCpu(): number {
  let t = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue;
    try {
      const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t += (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (CLK_TCK 100)
    } catch {
      // The thread ended.
    }
  }
  return t;
}

export const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * Two runs timed against each other: one warm-up each, then `samples` pairs
 * in alternating order (A B, B A, ...) so drift in the machine's speed falls
 * on both. Returns each side's worker CPU ms per sample and the per-sample
 * ratios A / B.
 */
export async function alternateCpu(
  run: (side: 0 | 1) => Promise<void>,
  samples: number,
): Promise<{ a: number[]; b: number[]; ratios: number[] }> {
  const timed = async (side: 0 | 1) => {
    const c0 = workerCpu();
    await run(side);
    return (workerCpu() - c0) * 1000;
  };
  await timed(0);
  await timed(1);
  const cpu: number[][] = [[], []];
  for (let k = 0; k < samples; k++)
    for (const j of k % 2 ? ([1, 0] as const) : ([0, 1] as const)) cpu[j].push(await timed(j));
  return { a: cpu[0], b: cpu[1], ratios: cpu[0].map((c, i) => c / cpu[1][i]) };
}
