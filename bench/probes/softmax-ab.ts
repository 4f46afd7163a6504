/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/softmax-ab.ts [samples] [shapes] [ops]
 *
 * Softmax-family forward/backward in Node + Dawn beside the vec4 copy kernel
 * (forward) or the two-input copy kernel (backward), samples alternating, as
 * worker-thread CPU time per op: the A/B probe for kernel changes (wall time
 * on this shared machine swings 2x, CPU time ~15%). shapes e.g.
 * 4096x4096,65536x256; ops e.g. softmax,logSoftmax:backward.
 */
import { register } from 'node:module';
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
const act = await createActivations({ gpu: create([]) });
const copies = copyKernels(act.device);

for (const shape of shapes) {
  const n = shape[0] * shape[1];
  const x = act.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 8),
    shape,
  );
  const y = act.forward('softmax', x);
  const dy = act.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11)),
    shape,
  );
  const out = act.empty(shape);
  for (const spec of ops) {
    const [op, dir = 'forward'] = spec.split(':') as ['softmax' | 'logSoftmax', string?];
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
      `${`${shape.join('x')} ${op} ${dir}`.padEnd(32)} ours ${median(ours).toFixed(0)} ms  copy ${median(copyCpu).toFixed(0)} ms  ratio to copy ${ratio.toFixed(2)}`,
    );
    copy.dispose();
  }
  for (const t of [x, y, dy, out]) t.destroy();
}
act.device.destroy();
process.exit(0);
