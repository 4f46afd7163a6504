/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/fused-parts.ts [ops]
 *
 * The fused biasAct backward (+ dbias) beside the core backward of the same
 * activation alone, and (op "swiglu") the fused swiglu forward beside the
 * core silu forward alone, [65536 x 256] float32 (a and b each) in Node +
 * Dawn, worker-thread CPU time per call, samples interleaved: how much of a
 * fused kernel's time is the activation's own arithmetic (bench/notes/fused.md).
 * FUSED_TUNING='{"minRowsPerSlice":64}' overrides the fused kernels' tuning.
 */
import { register } from 'node:module';
import { create, globals } from 'webgpu';
import type { ActivationName } from '../../src/elementwise/table.js';
import { median, workerCpu } from './cpu-time.js';

register('../raw-hooks.mjs', import.meta.url);
const { createActivations } = await import('../../src/index.js');
const fused = await import('../../src/fused/index.js');
const { fusedTuning } = await import('../../src/fused/table.js');
Object.assign(fusedTuning, JSON.parse(process.env.FUSED_TUNING ?? '{}'));

Object.assign(globalThis, globals);
const act = await createActivations({ gpu: create([]) });
const shape = [65536, 256];
const n = shape[0] * shape[1];
const x = act.tensor(
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3),
  shape,
);
const dy = act.tensor(
  Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.1)),
  shape,
);
const bias = act.tensor(
  Float32Array.from({ length: 256 }, (_, i) => i / 256),
  [256],
);
const out = act.empty(shape);
const cases: [string, () => void][] = [];
for (const op of (process.argv[2] ?? 'relu,gelu,swiglu').split(',') as ActivationName[]) {
  if ((op as string) === 'swiglu') {
    cases.push([`core silu forward`, () => act.forward('silu', x, { out })]);
    cases.push([`fused swiglu forward`, () => fused.glu(act, 'swiglu', { a: x, b: dy }, { out })]);
    continue;
  }
  cases.push([`core ${op} backward`, () => act.backward(op, { x, dy }, { out } as never)]);
  cases.push([
    `fused ${op} backward + dbias`,
    () => fused.biasActBackward(act, op, { x, bias, dy }, { out } as never).dbias.destroy(),
  ]);
}
const cpu = cases.map(() => [] as number[]);
for (let s = 0; s < 7; s++)
  for (let i = 0; i < cases.length; i++) {
    const c0 = workerCpu();
    cases[i][1]();
    await act.flush();
    if (s > 0) cpu[i].push((workerCpu() - c0) * 1000);
  }
cases.forEach(([name], i) => console.log(`${name.padEnd(32)} ${median(cpu[i]).toFixed(0)} ms`));
process.exit(0);
