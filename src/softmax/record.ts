/**
 * A row job (what to bind, its plan and its uniforms) turned into pipelines
 * and dispatches: the one way the softmax ops and the fused cross-entropy
 * reach the GPU once their arguments are checked.
 */
import { tensorRange, type Tensor } from '../core/tensor.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import { writeThrough } from '../runtime/scratch.js';
import { kernelKey, softmaxShader, type KernelSpec, type Mode } from './codegen.js';
import { workgroupsOf, type Plan } from './plan.js';

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

/** The 64-byte Params block of shaders/softmax/skeleton.wgsl and rows.wgsl. */
function packUniforms(u: Uniforms): ArrayBuffer {
  const buf = new ArrayBuffer(64);
  new Uint32Array(buf, 0, 8).set([
    u.rows,
    u.len,
    u.inner,
    u.plan.chunks,
    u.plan.chunkLen,
    u.signBit,
    Math.log2(u.plan.w),
    0,
  ]);
  new Float32Array(buf, 32, 8).set([u.invT, u.factor, u.smoothC, u.keep, -Infinity, NaN, 0, 0]);
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
  writeThrough(rt, out, aliased, `${job.op} in-place scratch`, (target) => {
    const u = packUniforms({ ...job });
    const ranges = [...job.inputs.map(tensorRange), tensorRange(target), ...job.extra];
    const spec = (phase: 0 | 1 | 2): KernelSpec => ({
      mode: job.mode,
      log: job.log,
      dtype: out.dtype,
      labels: job.labels,
      plan: job.plan,
      phase,
      unit: job.plan.reduce === 'rows' && job.signBit === 0 && job.invT === 1,
    });
    const pipeline = (s: KernelSpec) =>
      rt.pipeline(
        kernelKey(s),
        `softmax-family ${job.mode}${s.log ? ' log' : ''} ${s.dtype} ${s.plan.reduce} k${s.plan.k} vw${s.plan.vw ?? 1} phase ${s.phase}`,
        () => softmaxShader(s),
      );
    const info = (
      rt.device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }
    ).adapterInfo;
    const groups = workgroupsOf(
      job.plan,
      job.rows,
      info?.subgroupMaxSize ?? 128,
      info?.subgroupMinSize || 4,
    );
    if (job.plan.chunks > 1) {
      const partials = rt.allocate(
        [job.rows * job.plan.chunks * 4],
        'float32',
        `${job.op} partials`,
      );
      const withPartials = [...ranges, tensorRange(partials)];
      rt.dispatch(pipeline(spec(1)), u, withPartials, groups);
      rt.dispatch(pipeline(spec(2)), u, withPartials, groups);
      // The runtime defers the free until the recorded dispatches are submitted.
      partials.destroy();
    } else {
      rt.dispatch(pipeline(spec(0)), u, ranges, groups);
    }
  });
}
