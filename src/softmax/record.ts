/**
 * A row job (what to bind, its plan and its uniforms) turned into pipelines
 * and dispatches: the one way the softmax ops and the fused cross-entropy
 * reach the GPU once their arguments are checked.
 */
import { bytesPerElement, subRange, tensorRange, type Tensor } from '../core/tensor.js';
import { bindingLimit, checkBindable } from '../core/validate.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import { writeThrough } from '../runtime/scratch.js';
import { kernelKey, softmaxShader, type KernelSpec, type Mode } from './codegen.js';
import { workgroupsOf, type Plan } from './plan.js';
import { windowsOf, type Window } from './windows.js';

interface Uniforms {
  rows: number;
  len: number;
  inner: number;
  plan: Plan;
  signBit: number;
  invT: number;
  factor: number;
  smoothC: number;
  keep: number;
}

/** The 64-byte Params block of shaders/softmax/skeleton.wgsl and rows.wgsl, for window `w`. */
function packUniforms(u: Uniforms, w: Window): ArrayBuffer {
  const buf = new ArrayBuffer(64);
  new Uint32Array(buf, 0, 8).set([
    u.rows,
    u.len,
    u.inner,
    u.plan.chunks,
    u.plan.chunkLen,
    u.signBit,
    Math.log2(u.plan.w),
    w.first,
  ]);
  new Float32Array(buf, 32, 6).set([u.invT, u.factor, u.smoothC, u.keep, -Infinity, NaN]);
  new Uint32Array(buf, 56, 2).set([w.end, w.elem0]);
  return buf;
}

/** A row-reduction dispatch: what to bind, and the uniforms it carries. */
export interface RowJob extends Uniforms {
  op: string;
  mode: Mode;
  log: boolean;
  labels: boolean;
  inputs: Tensor[];
  out: Tensor;
  /** Cross-entropy: label words and per-row losses, bound after out. */
  extra: BufferRange[];
}

/**
 * Records the row kernel(s) of a job. An output that is also an input is
 * written to a scratch tensor and copied back: WebGPU forbids binding one
 * range both read-only and writable in a dispatch.
 */
export function recordRows(rt: Runtime, job: RowJob): void {
  const { out } = job;
  if (out.size === 0 || job.rows === 0) return;
  const aliased = job.inputs.some(
    (t) => t.buffer === out.buffer && t.byteOffset === out.byteOffset,
  );
  const bytes = bytesPerElement(out.dtype);
  const limit = bindingLimit(rt.limits);
  const { plan } = job;
  // One window of everything, unless the tensors are larger than one binding.
  const whole = out.byteLength <= limit;
  const windows: Window[] = whole
    ? [
        {
          first: 0,
          end: plan.reduce === 'rows' ? job.rows * plan.chunks : 0xffffffff,
          elem0: 0,
          elems: out.size,
        },
      ]
    : windowsOf(job.op, job, bytes, limit);
  if (plan.chunks > 1)
    checkBindable(rt.limits, job.op, "the split rows' partials", job.rows * plan.chunks * 16);
  const info = (
    rt.device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }
  ).adapterInfo;
  // Whole rows that fit every lane's register cache whatever subgroup size the
  // compiler picks (1 where the adapter does not say) need no streaming loops.
  const fits = job.len <= plan.k * (plan.vw ?? 1) * (info?.subgroupMinSize || 1);
  writeThrough(rt, out, aliased, `${job.op} in-place scratch`, (target) => {
    const spec = (phase: 0 | 1 | 2): KernelSpec => ({
      mode: job.mode,
      log: job.log,
      dtype: out.dtype,
      labels: job.labels,
      plan,
      phase,
      unit: plan.reduce === 'rows' && job.signBit === 0 && job.invT === 1,
      stream: plan.reduce !== 'rows' || phase !== 0 || !fits,
    });
    const pipeline = (s: KernelSpec) =>
      rt.pipeline(
        kernelKey(s),
        `softmax-family ${job.mode}${s.log ? ' log' : ''} ${s.dtype} ${s.plan.reduce} k${s.plan.k} vw${s.plan.vw ?? 1} phase ${s.phase}`,
        () => softmaxShader(s),
      );
    const groupsOf = (w: Window) =>
      whole
        ? workgroupsOf(plan, job.rows, info?.subgroupMaxSize ?? 128, info?.subgroupMinSize || 4)
        : plan.reduce === 'rows'
          ? workgroupsOf({ ...plan, chunks: 1 }, w.end - w.first, 0, info?.subgroupMinSize || 4)
          : w.end - w.first;
    // Each window binds the same span of every input and of the output.
    const ranges = (w: Window) => [
      ...[...job.inputs, target].map((t) => subRange(t, w.elem0 * bytes, w.elems * bytes)),
      ...job.extra,
    ];
    const run = (phase: 0 | 1 | 2, more: BufferRange[]) => {
      const p = pipeline(spec(phase));
      for (const w of windows) {
        rt.dispatch(p, packUniforms(job, w), [...ranges(w), ...more], groupsOf(w));
      }
    };
    if (plan.chunks > 1) {
      const partials = rt.allocate([job.rows * plan.chunks * 4], 'float32', `${job.op} partials`);
      // Every chunk's partial is written before any chunk merges its row's.
      run(1, [tensorRange(partials)]);
      run(2, [tensorRange(partials)]);
      // The runtime defers the free until the recorded dispatches are submitted.
      partials.destroy();
    } else {
      run(0, []);
    }
  });
}
