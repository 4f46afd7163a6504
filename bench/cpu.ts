/**
 * The plain JavaScript baseline: one single-threaded loop on the CPU over the
 * same inputs (the table's float64 reference function per element; a
 * two-pass row loop for the softmax family), output stored as float32.
 */
import { activations, softmaxOps, type ActivationName } from '../src/index.js';
import { elements } from './rows.js';
import { INPUTS } from './timing.js';
import type { PeerImpl } from './types.js';
import { opParams } from './workloads.js';

type Fn = (x: number, p: Record<string, number | string>) => number;

export function softmaxRows(
  op: string,
  dir: 'forward' | 'backward',
  a: Float32Array,
  dy: Float32Array,
  out: Float32Array,
  cols: number,
) {
  for (let r = 0; r < a.length; r += cols) {
    if (dir === 'forward') {
      const sign = op === 'softmin' ? -1 : 1;
      let max = -Infinity;
      for (let i = r; i < r + cols; i++) max = Math.max(max, sign * a[i]);
      let sum = 0;
      for (let i = r; i < r + cols; i++) sum += Math.exp(sign * a[i] - max);
      if (op === 'logSoftmax') {
        const lse = max + Math.log(sum);
        for (let i = r; i < r + cols; i++) out[i] = a[i] - lse;
      } else {
        for (let i = r; i < r + cols; i++) out[i] = Math.exp(sign * a[i] - max) / sum;
      }
    } else if (op === 'logSoftmax') {
      // a holds y = logSoftmax(x): dx = dy - exp(y) * sum(dy)
      let s = 0;
      for (let i = r; i < r + cols; i++) s += dy[i];
      for (let i = r; i < r + cols; i++) out[i] = dy[i] - Math.exp(a[i]) * s;
    } else {
      // a holds y: softmax dx = y (dy - sum(dy y)); softmin the same, negated
      let s = 0;
      for (let i = r; i < r + cols; i++) s += dy[i] * a[i];
      const sign = op === 'softmin' ? -1 : 1;
      for (let i = r; i < r + cols; i++) out[i] = sign * a[i] * (dy[i] - s);
    }
  }
}

/** Above this the loop is skipped (it is linear in n; at 16M one gelu takes ~8 s and the full run must fit in 20 min). */
const CPU_MAX_ELEMENTS = 1 << 20;

export function cpuPeer(): PeerImpl {
  return {
    name: 'cpu',
    lacks: (_op, _dir, shape) =>
      elements(shape) > CPU_MAX_ELEMENTS
        ? 'the CPU loop does not run above 1M elements (seconds per call)'
        : null,
    make(op, dir, shape, data, dy) {
      const n = elements(shape);
      const out = new Float32Array(n);
      let step: (rep: number) => void;
      if ((softmaxOps as readonly string[]).includes(op)) {
        const cols = shape[shape.length - 1];
        step = (rep) => softmaxRows(op, dir, data[rep % INPUTS], dy, out, cols);
      } else {
        const def = activations[op as ActivationName].ref as { forward: Fn; derivative: Fn };
        const p = opParams(op as ActivationName);
        const f = def.forward;
        const d = def.derivative;
        step =
          dir === 'forward'
            ? (rep) => {
                const x = data[rep % INPUTS];
                for (let i = 0; i < n; i++) out[i] = f(x[i], p);
              }
            : (rep) => {
                const x = data[rep % INPUTS];
                for (let i = 0; i < n; i++) out[i] = dy[i] * d(x[i], p);
              };
      }
      return Promise.resolve({
        step,
        finish: () => Promise.resolve(),
        output: () => Promise.resolve(out.slice()),
        dispose() {},
      });
    },
  };
}
