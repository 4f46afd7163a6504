/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/attention-ab.ts [samples] [elements] [cases] [dirs] [reps]
 *
 * scaledMaskedSoftmax with each attention option (bench/attention.ts) against
 * the plain causal softmax on the same x, in Node + Dawn, samples alternating
 * (A B, B A, ...) as worker-thread CPU time (bench/probes/cpu-time.ts). Prints
 * per case and direction the medians (per op) and the median of per-pair
 * ratios option / plain causal (issue 15 wants <= 1.2). Defaults: 7 samples,
 * 4M elements (x [2, 32, 256, 256]), every case, forward,backward, 4 ops per
 * sample (CPU time comes in 10 ms ticks).
 */
import { register } from 'node:module';
import { create, globals } from 'webgpu';
import { alternateCpu, median } from './cpu-time.js';

register('../raw-hooks.mjs', import.meta.url);
const { createActivations } = await import('../../src/index.js');
const { scaledMaskedSoftmax, scaledMaskedSoftmaxBackward } =
  await import('../../src/fused/index.js');
const { ATTENTION_CASES, attentionOptions, attentionShape } = await import('../attention.js');
const { makeData } = await import('../workloads.js');

const samples = Number(process.argv[2] ?? 7);
const n = Number(process.argv[3] ?? 1 << 22);
const cases = (process.argv[4] ?? ATTENTION_CASES.join(',')).split(
  ',',
) as (typeof ATTENTION_CASES)[number][];
const dirs = (process.argv[5] ?? 'forward,backward').split(',');
// Ops per sample: CPU time is read in 10 ms ticks.
const reps = Number(process.argv[6] ?? 4);

Object.assign(globalThis, globals);
const gpu = create([]);
const act = await createActivations({ gpu });
const shape = attentionShape(n);
const x = act.tensor(makeData(n, 1, 8), shape);
const dy = act.tensor(makeData(n, 99, 1), shape);
const out = act.empty(shape);
const base = attentionOptions('causal', shape);
const y0 = scaledMaskedSoftmax(act, x, base);
console.log(`x [${shape.join(', ')}], ${samples} pairs, worker CPU ms per op`);

for (const dir of dirs) {
  for (const c of cases) {
    const opt = attentionOptions(c, shape);
    const y1 = scaledMaskedSoftmax(act, x, opt);
    const run = (o: typeof opt, y: typeof y0) => {
      if (dir === 'forward') scaledMaskedSoftmax(act, x, { ...o, out });
      else {
        const r: object = scaledMaskedSoftmaxBackward(act, o.softcap ? { y, dy, x } : { y, dy }, {
          ...o,
          out,
        });
        // With sinks: { dx, dsinks }, dsinks new per call.
        if ('dsinks' in r) (r.dsinks as { destroy(): void }).destroy();
      }
    };
    const { a, b, ratios } = await alternateCpu(async (j) => {
      for (let r = 0; r < reps; r++) run(j === 0 ? base : opt, j === 0 ? y0 : y1);
      await act.flush();
    }, samples);
    console.log(
      `${`${dir} ${c}`.padEnd(22)} causal ${(median(a) / reps).toFixed(0)} ms  option ${(median(b) / reps).toFixed(0)} ms  option/causal ${median(ratios.map((r) => 1 / r)).toFixed(2)}`,
    );
    y1.destroy();
  }
}
act.device.destroy();
process.exit(0);
