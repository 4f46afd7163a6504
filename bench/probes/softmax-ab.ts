/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/softmax-ab.ts [samples] [shapes] [ops]
 *
 * Softmax-family forward/backward in Node + Dawn beside the vec4 copy kernel
 * (forward) or the two-input copy kernel (backward), samples alternating, as
 * worker-thread CPU time per op: the A/B probe for kernel changes (wall time
 * on this shared machine swings 2x, CPU time ~15%). shapes e.g.
 * 4096x4096,65536x256; ops e.g. softmax,logSoftmax:backward. With OTHER=<a
 * checkout> (e.g. `git worktree add /tmp/base main`, node_modules linked),
 * the other tree's kernels take the copy kernel's place on the same device:
 * ratio = this tree / the other tree, per sample pair (median, min-max).
 */
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { create, globals } from 'webgpu';
import { alternateCpu, median } from './cpu-time.js';

register('../raw-hooks.mjs', import.meta.url);
const { createActivations } = await import('../../src/index.js');
const { copyKernels } = await import('../kernels.js');
const { softmaxTuning } = await import('../../src/softmax/plan.js');
// Experiments: SOFTMAX_TUNING='{"rowsKv":4}' overrides the kernel choice.
Object.assign(softmaxTuning, JSON.parse(process.env.SOFTMAX_TUNING ?? '{}'));

const samples = Number(process.argv[2] ?? 5);
const shapes = (process.argv[3] ?? '4096x4096,65536x256,256x65536,8x2097152')
  .split(',')
  .map((s) => s.split('x').map(Number));
const ops = (process.argv[4] ?? 'softmax,logSoftmax').split(',');

Object.assign(globalThis, globals);
const gpu = create([]);
const act = await createActivations({ gpu });
const copies = copyKernels(act.device);
const other = process.env.OTHER
  ? await (
      await import(pathToFileURL(`${resolve(process.env.OTHER)}/src/index.ts`).href)
    ).createActivations({ device: act.device })
  : undefined;

for (const shape of shapes) {
  const n = shape[0] * shape[1];
  const xs = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 8);
  const dys = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11));
  const x = act.tensor(xs, shape);
  const y = act.forward('softmax', x);
  const dy = act.tensor(dys, shape);
  const out = act.empty(shape);
  for (const spec of ops) {
    const [op, dir = 'forward'] = spec.split(':') as ['softmax' | 'logSoftmax', string?];
    const label = `${shape.join('x')} ${op} ${dir}`.padEnd(32);
    if (other) {
      // The other tree's tensors hold the same data (its own Tensor class).
      const ox = other.tensor(xs, shape);
      const [oy, ody, oout] = [
        other.forward('softmax', ox),
        other.tensor(dys, shape),
        other.empty(shape),
      ];
      const run =
        (a: typeof act, [tx, ty, tdy, tout]: unknown[]) =>
        async () => {
          if (dir === 'forward') a.forward(op, tx as never, { out: tout as never });
          else a.backward(op, { y: ty, dy: tdy } as never, { out: tout as never });
          await a.flush();
        };
      const sides = [run(act, [x, y, dy, out]), run(other, [ox, oy, ody, oout])];
      const { a, b, ratios } = await alternateCpu((j) => sides[j](), samples);
      const r = (v: number) => v.toFixed(2);
      console.log(
        `${label} this ${median(a).toFixed(0)} ms  other ${median(b).toFixed(0)} ms  this/other ${r(median(ratios))} (${r(Math.min(...ratios))}-${r(Math.max(...ratios))})`,
      );
      for (const t of [ox, oy, ody, oout]) t.destroy();
      continue;
    }
    const copy = copies.make(dir === 'forward' ? 'copy-kernel' : 'copy2-kernel', n * 4);
    const { a: ours, b: copyCpu } = await alternateCpu(async (j) => {
      if (j === 0) {
        if (dir === 'forward') act.forward(op, x, { out });
        else act.backward(op, { y, dy }, { out });
        await act.flush();
      } else {
        copy.step(0);
        await copy.finish();
      }
    }, samples);
    const ratio = median(copyCpu.map((c, i) => c / ours[i]));
    console.log(
      `${label} ours ${median(ours).toFixed(0)} ms  copy ${median(copyCpu).toFixed(0)} ms  ratio to copy ${ratio.toFixed(2)}`,
    );
    copy.dispose();
  }
  for (const t of [x, y, dy, out]) t.destroy();
}
act.device.destroy();
process.exit(0);
