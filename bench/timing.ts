/**
 * How one op is timed (also shown on the page and written to the JSON as
 * METHOD):
 * - One sample = `reps` ops recorded (ours: into the library's one encoder,
 *   one submission), then submit, then wait for onSubmittedWorkDone; the
 *   sample's time is the wall-clock time from before the first op to the
 *   end of the wait, divided by `reps`. `reps` is calibrated once so a sample
 *   lasts about TARGET_SAMPLE_MS (1 to MAX_REPS ops).
 * - Inputs rotate among INPUTS buffers so no cache holds the input.
 * - One warm-up sample (pipeline compilation, uploads) is thrown away; the
 *   median and the spread (max-min over median) of `samples` samples
 *   (default 7) are reported. A row whose op takes over SLOW_OP_MS keeps at
 *   least MIN_SAMPLES samples and stops once it has used ROW_BUDGET_MS.
 * - Effective GB/s = the minimum bytes the op must move (each input read
 *   once, the output written once) / median time. The ratio divides it by
 *   the ceiling of the same bytes measured in the same run: the vectorised
 *   WGSL copy kernel for one-input ops, the two-input copy kernel for
 *   backward (two reads, one write).
 */
import type { BenchEnv, Case } from './types.js';

export const INPUTS = 3;
const TARGET_SAMPLE_MS = 40;
const MAX_REPS = 100;
const MIN_SAMPLES = 3;
const SLOW_OP_MS = 400;
const ROW_BUDGET_MS = 8000;

export const METHOD =
  'One sample = reps ops recorded back to back (ours: into the library encoder, one submission), then submit and ' +
  'wait for onSubmittedWorkDone; time = wall clock / reps. reps calibrated so a sample lasts ~' +
  `${TARGET_SAMPLE_MS} ms (max ${MAX_REPS}). Inputs rotate among ${INPUTS} buffers. One warm-up sample discarded; ` +
  `median and spread (max-min)/median of 7 samples (at least ${MIN_SAMPLES} for ops over ${SLOW_OP_MS} ms, ` +
  `${ROW_BUDGET_MS / 1000} s per row). GB/s = minimum bytes read+written / median. Ratio = GB/s over the same-run ` +
  'vectorised WGSL copy kernel of the same bytes (forward, softmax forward) or the two-input copy kernel ' +
  '(backward). Peers are checked against our float32 output: |a-b| <= 1e-6 + 4e-6|b|, NaN only where NaN.';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The median of some times, their spread (max-min over the median, in %) and their count. */
export function summarize(times: number[]): { ms: number; spreadPct: number; samples: number } {
  const m = median(times);
  return {
    ms: m,
    spreadPct: ((Math.max(...times) - Math.min(...times)) / m) * 100,
    samples: times.length,
  };
}

export interface Timed {
  ms: number;
  spreadPct: number;
  samples: number;
  reps: number;
}

async function sample(
  env: BenchEnv,
  c: Case,
  reps: number,
  start: number,
  expectMs: number,
): Promise<number> {
  env.expect?.(expectMs);
  const t0 = env.now();
  for (let r = 0; r < reps; r++) await c.step(start + r);
  await c.finish();
  return (env.now() - t0) / reps;
}

/** Warm-up and calibration: the ops per sample, the expected time of one, the next input. */
async function calibrate(
  env: BenchEnv,
  c: Case,
): Promise<{ reps: number; again: number; rep: number }> {
  const one = await sample(env, c, 1, 0, 0); // warm-up: compiles, uploads
  // A slow op needs no calibration sample: one op per sample is already long enough.
  const again = one > SLOW_OP_MS ? one : await sample(env, c, 1, 1, one);
  const reps = Math.max(
    1,
    Math.min(MAX_REPS, Math.round(TARGET_SAMPLE_MS / Math.max(again, 1e-3))),
  );
  return { reps, again, rep: one > SLOW_OP_MS ? 1 : 2 };
}

/**
 * Two cases timed against each other (the attention rows: an option set and
 * plain causal): each calibrated, then `wanted` samples of each in alternating
 * order (A B, B A, ...), so a change of load on a shared machine hits both.
 * Returns each side's figures and the median of the per-pair ratios a / b.
 */
export async function timePair(
  env: BenchEnv,
  a: Case,
  b: Case,
  wanted: number,
): Promise<{ a: Timed; b: Timed; ratio: number }> {
  const cal = [await calibrate(env, a), await calibrate(env, b)];
  const cases = [a, b];
  const times: number[][] = [[], []];
  for (let k = 0; k < wanted; k++) {
    for (const j of k % 2 ? [1, 0] : [0, 1]) {
      const { reps, again } = cal[j];
      // Half the fastest so far: Node sleeps 80% of the expected time, so a slow expectation
      // (the calibration sample, a slow median) would lock itself in.
      const expect = 0.5 * Math.min(again, ...times[j]) * reps;
      times[j].push(await sample(env, cases[j], reps, cal[j].rep, expect));
      cal[j].rep += reps;
    }
  }
  return {
    a: { ...summarize(times[0]), reps: cal[0].reps },
    b: { ...summarize(times[1]), reps: cal[1].reps },
    ratio: median(times[0].map((t, i) => t / times[1][i])),
  };
}

/** Warm-up, calibration, then the samples. */
export async function time(env: BenchEnv, c: Case, wanted: number): Promise<Timed> {
  const { reps, again, rep: first } = await calibrate(env, c);
  let rep = first;
  const times: number[] = [];
  const started = env.now();
  let expect = again * reps;
  while (times.length < wanted) {
    const t = await sample(env, c, reps, rep, expect);
    rep += reps;
    times.push(t);
    expect = median(times) * reps;
    const slow = median(times) > SLOW_OP_MS;
    if (slow && times.length >= MIN_SAMPLES && env.now() - started > ROW_BUDGET_MS) break;
  }
  return { ...summarize(times), reps };
}
