#!/usr/bin/env node
// `npm run verify`: every op, forward and backward, on this machine's own
// WebGPU adapter (drivers differ, above all in NaN handling), against the
// float64 reference. Prints, per op, the adapter, the max error relative to
// the tolerance, and pass/fail. Uses the built package (dist/).
import { create, globals } from 'webgpu';
import { exitWith } from './exit.mjs';
import { activationNames, createActivations } from '../dist/index.js';
import { close, ELEMENTWISE, reference } from '../dist/reference.js';

Object.assign(globalThis, globals);
const gpu = create([]);
const act = await createActivations({ gpu });
const adapterInfo = act.device.adapterInfo ?? {};
const adapter =
  [adapterInfo.vendor, adapterInfo.architecture, adapterInfo.description]
    .filter(Boolean)
    .join(' ') || 'unknown';

const SPECIAL = [
  0,
  -0,
  1e-45,
  -1e-45,
  1e-40,
  1e-30,
  -1e-30,
  1e30,
  -1e30,
  3.4e38,
  -3.4e38,
  Infinity,
  -Infinity,
  NaN,
];
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const n = 1 << 16;
const x = new Float32Array(n + SPECIAL.length);
for (let i = 0; i < n; i++) x[i] = -100 + 200 * random();
x.set(SPECIAL, n);
const dy = new Float32Array(x.length).map(() => -2 + 4 * random());

/** Worst |got - want| / (atol + rtol |want|): <= 1 passes; Infinity for a NaN or Inf mismatch. */
function worst(got, want) {
  let w = 0;
  for (let i = 0; i < got.length; i++) {
    if (close(got[i], want[i], ELEMENTWISE)) {
      if (Number.isFinite(got[i]) && Number.isFinite(want[i]))
        w = Math.max(
          w,
          Math.abs(got[i] - want[i]) / (ELEMENTWISE.atol + ELEMENTWISE.rtol * Math.abs(want[i])),
        );
    } else return Infinity;
  }
  return w;
}

console.log(`adapter: ${adapter}${act.device.adapterInfo?.isFallbackAdapter ? ' (fallback)' : ''}`);
console.log(
  `tolerance: |gpu - ref| <= ${ELEMENTWISE.atol} + ${ELEMENTWISE.rtol} |ref|; error shown as a fraction of it\n`,
);
console.log('op'.padEnd(18) + 'forward'.padEnd(12) + 'backward'.padEnd(12) + 'result');
let failures = 0;
for (const op of activationNames) {
  const fwd = worst(await act.apply(op, x), reference.forward(op, x));
  const bwd = worst(await act.grad(op, x, dy), reference.backward(op, x, dy));
  const ok = fwd <= 1 && bwd <= 1;
  if (!ok) failures++;
  const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : 'NaN/Inf!');
  console.log(op.padEnd(18) + fmt(fwd).padEnd(12) + fmt(bwd).padEnd(12) + (ok ? 'pass' : 'FAIL'));
}
console.log(`\n${activationNames.length - failures} passed, ${failures} failed`);
exitWith(failures === 0 ? 0 : 1);
