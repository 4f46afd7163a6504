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
