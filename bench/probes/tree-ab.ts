/**
 * node scripts/with-webgpu.mjs node --import tsx bench/probes/tree-ab.ts <other-tree> [samples] [ops] [reps]
 *
 * The kernels of this tree against another checkout's (e.g. `git worktree add
 * /tmp/base main`, with node_modules linked), on one device in one process,
 * samples alternating A B B A, as worker-thread CPU time per call: the check
 * that a refactor left the speed alone. Runs relu, gelu and sigmoid forward
 * and backward at 16M, softmax [4096 x 4096] forward and backward, and
 * biasAct gelu forward and backward on [16384 x 1024]. Given `ops` (a comma
 * list such as relu,elu,tanh; relu.backward for a backward), only those
 * elementwise ops at 16M;
 * `reps` calls per sample (default 1) take the CPU clock's 10 ms tick below
 * the difference sought.
 */
import { register } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { create, globals } from 'webgpu';
import { alternateCpu, median } from './cpu-time.js';

register('../raw-hooks.mjs', import.meta.url);
const other = resolve(process.argv[2] ?? '');
const samples = Number(process.argv[3] ?? 7);
const only = process.argv[4]?.split(',');
const reps = Number(process.argv[5] ?? 1);
const fusedEntry = (root: string) =>
  ['src/fused/index.ts', 'src/fused-entry.ts'].map((f) => `${root}/${f}`).find(existsSync)!;

interface Side {
  name: string;
  act: {
    tensor(d: Float32Array, s: number[]): Tensor;
    empty(s: number[]): Tensor;
    forward(op: string, x: Tensor, p?: object): Tensor;
    backward(op: string, i: object, p?: object): Tensor;
    flush(): Promise<void>;
  };
  fused: {
    biasAct(act: unknown, op: string, x: Tensor, b: Tensor, p?: object): Tensor;
    biasActBackward(act: unknown, op: string, i: object, p?: object): { dx: Tensor; dbias: Tensor };
  };
}
interface Tensor {
  destroy(): void;
}

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = (await gpu.requestAdapter())!;
const device = await adapter.requestDevice({
  requiredLimits: {
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  },
});
const here = resolve(new URL('../..', import.meta.url).pathname);
const sides: Side[] = [];
for (const [name, root] of [
  ['this tree', here],
  ['other tree', other],
] as const) {
  const core = await import(pathToFileURL(`${root}/src/index.ts`).href);
  const fused = await import(pathToFileURL(fusedEntry(root)).href);
  sides.push({ name, act: await core.createActivations({ device }), fused });
}

const N = 16 * 2 ** 20;
const data = (n: number, f: (i: number) => number) =>
  Float32Array.from({ length: n }, (_, i) => f(i));
const xs = data(N, (i) => Math.sin(i * 0.37) * 8);
const dys = data(N, (i) => Math.cos(i * 0.11));
const bias = data(1024, (i) => Math.sin(i));

type Job = (s: Side, t: Record<string, Tensor>) => void;
const jobs: [string, number[], Job][] = [];
for (const op of ['relu', 'gelu', 'sigmoid']) {
  jobs.push([`${op} forward 16M`, [N], (s, t) => s.act.forward(op, t.x, { out: t.out })]);
  jobs.push([
    `${op} backward 16M`,
    [N],
    (s, t) => s.act.backward(op, { x: t.x, dy: t.dy }, { out: t.out }),
  ]);
}
jobs.push([
  'softmax [4096 x 4096] forward',
  [4096, 4096],
  (s, t) => s.act.forward('softmax', t.x, { out: t.out }),
]);
jobs.push([
  'softmax [4096 x 4096] backward',
  [4096, 4096],
  (s, t) => s.act.backward('softmax', { y: t.y, dy: t.dy }, { out: t.out }),
]);
jobs.push([
  'biasAct gelu forward [16384 x 1024]',
  [16384, 1024],
  (s, t) => s.fused.biasAct(s.act, 'gelu', t.x, t.bias, { out: t.out }),
]);
jobs.push([
  'biasAct gelu backward [16384 x 1024]',
  [16384, 1024],
  (s, t) => {
    const r = s.fused.biasActBackward(
      s.act,
      'gelu',
      { x: t.x, bias: t.bias, dy: t.dy },
      { out: t.out },
    );
    r.dbias.destroy();
  },
]);

if (only) {
  jobs.length = 0;
  for (const name of only) {
    const [op, dir] = name.split('.');
    jobs.push(
      dir === 'backward'
        ? [
            `${op} backward 16M`,
            [N],
            (s, t) => s.act.backward(op, { x: t.x, dy: t.dy }, { out: t.out }),
          ]
        : [`${op} forward 16M`, [N], (s, t) => s.act.forward(op, t.x, { out: t.out })],
    );
  }
}

console.log(
  `worker CPU ms per ${reps} call(s), median of ${samples}; ratio = this tree / other tree`,
);
for (const [label, shape, job] of jobs) {
  const tensors = sides.map((s) => {
    const x = s.act.tensor(xs, shape);
    return {
      x,
      dy: s.act.tensor(dys, shape),
      y: s.act.forward('softmax', x),
      bias: s.act.tensor(bias, [1024]),
      out: s.act.empty(shape),
    };
  });
  const {
    a: here,
    b: there,
    ratios,
  } = await alternateCpu(async (j) => {
    for (let r = 0; r < reps; r++) job(sides[j], tensors[j]);
    await sides[j].act.flush();
  }, samples);
  console.log(
    `${label.padEnd(38)} this ${median(here).toFixed(0).padStart(5)}  other ${median(there).toFixed(0).padStart(5)}  ratio ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
  );
  for (const t of tensors) for (const v of Object.values(t)) v.destroy();
}
device.destroy();
process.exit(0);
