/**
 * Section 3 of the learning page: the vanishing gradient. The mean input
 * gradient through stacks of 1..50 layers of sigmoid, tanh, ReLU and GELU,
 * on a log scale, against sigmoid's bound 0.25^depth.
 */
import type { ActivationName, Activations, Tensor } from '../src/index.js';
import { gaussian, rng } from '../examples/mlp/data.js';
import { $, rerender, t } from './page.js';
import { drawChart, PALETTE } from './plots.js';

const DEPTH = 50;
const BATCH = 256;

/**
 * Mean |dL/dx0| through stacks x_k = f(x_{k-1}) of depth 1..DEPTH, with
 * dL/dx_depth = 1: one backward kernel per layer, chained. Each depth's
 * input gradient lands in its own 1 KiB slice of one buffer (offsets are
 * multiples of 256), read once at the end.
 */
async function vanishing(act: Activations, op: ActivationName): Promise<number[]> {
  const u = rng(42);
  const xs: Tensor[] = [act.tensor(Float32Array.from({ length: BATCH }, () => gaussian(u)))];
  for (let k = 1; k < DEPTH; k++) xs.push(act.forward(op, xs[k - 1]));
  const all = act.empty([DEPTH, BATCH]);
  const ones = act.tensor(new Float32Array(BATCH).fill(1));
  const made: Tensor[] = [...xs, ones];
  for (let d = 1; d <= DEPTH; d++) {
    let g = ones;
    for (let k = d - 1; k >= 0; k--) {
      const out =
        k === 0 ? act.wrap(all.buffer, [BATCH], { byteOffset: (d - 1) * BATCH * 4 }) : undefined;
      g = act.backward(op, { x: xs[k], dy: g }, out ? { out } : undefined);
      made.push(g);
    }
  }
  const grads = await all.read();
  for (const m of made) m.destroy();
  all.destroy();
  return Array.from({ length: DEPTH }, (_, d) => {
    let s = 0;
    for (let i = 0; i < BATCH; i++) s += Math.abs(grads[d * BATCH + i]);
    return s / BATCH;
  });
}

export async function setupVanishing(act: Activations): Promise<void> {
  const ops: ActivationName[] = ['sigmoid', 'tanh', 'relu', 'gelu'];
  const results: number[][] = [];
  for (const op of ops) results.push(await vanishing(act, op));
  const depths = Array.from({ length: DEPTH }, (_, i) => i + 1);
  const draw = () =>
    drawChart($('vanish'), {
      xs: depths,
      logY: true,
      yMin: 1e-32,
      yMax: 10,
      xLabel: t('depth'),
      legend: 'bottom',
      series: [
        ...ops.map((op, i) => ({ ys: results[i], colour: PALETTE[i], label: op })),
        {
          ys: depths.map((d) => 0.25 ** d),
          colour: '#868e96',
          dashed: true,
          label: t('vanishBound'),
        },
      ],
    });
  rerender.push(draw);
  draw();
}
