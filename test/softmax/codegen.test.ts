/**
 * The softmax family's generated WGSL, kernel by kernel: every variant the
 * host can ask for (mode, dtype, each kind of plan and its phases) compiles
 * on this adapter without errors or warnings, and no template slot is left.
 * The numeric tests reach only the plans their shapes pick; this covers the
 * rest (a float16 rows kernel split into chunks, say) as text.
 */
import { describe, expect, it } from 'vitest';
import { softmaxShader, type KernelSpec, type Mode } from '../../src/softmax/codegen.js';
import { planRows, type Plan } from '../../src/softmax/plan.js';
import { sharedActivations } from '../helpers/gpu.js';

/** [rows, len, inner] reaching each kind of plan (see test/softmax/softmax.test.ts for the boundaries). */
const SHAPES: [number, number, number][] = [
  [10, 8, 1], // single: one thread per row
  [2048, 20, 2], // single: a strided axis with many rows
  [10, 9, 1], // workgroup, 4 per thread; subgroup with registers
  [10, 1025, 1], // workgroup, 16 per thread; subgroup streaming is <= 1024
  [10, 4097, 1], // workgroup, streamed
  [1, 65536, 1], // workgroup split into chunks; rows kernel split, vw 4
  [1, 65537, 1], // rows kernel split, vw 1
  [10, 64, 1], // rows kernel, vw 4
  [10, 63, 1], // rows kernel, vw 1
];

function plansFor(mode: Mode, subgroups: boolean): Plan[] {
  const plans = SHAPES.map(([rows, len, inner]) =>
    mode === 'ce'
      ? planRows(rows, len, inner, { split: false, subgroups, rows: false })
      : planRows(rows, len, inner, { subgroups, rows: true }),
  );
  const key = (p: Plan) => JSON.stringify({ ...p, chunkLen: 0, chunks: p.chunks > 1 });
  return [...new Map(plans.map((p) => [key(p), p])).values()];
}

function variants(subgroups: boolean): KernelSpec[] {
  const out: KernelSpec[] = [];
  for (const mode of ['forward', 'backward', 'ce'] as const)
    for (const plan of plansFor(mode, subgroups))
      for (const dtype of ['float32', 'float16'] as const)
        for (const log of mode === 'ce' ? [false] : [false, true])
          for (const labels of mode === 'ce' ? [false, true] : [false])
            for (const phase of plan.chunks > 1 ? ([1, 2] as const) : ([0] as const))
              for (const unit of plan.reduce === 'rows' ? [false, true] : [false])
                for (const stream of plan.reduce === 'rows' && phase === 0 ? [true, false] : [true])
                  out.push({ mode, log, dtype, labels, plan, phase, unit, stream });
  return out;
}

describe('generated WGSL of the softmax family', () => {
  it('covers every kind of plan', () => {
    const reduces = new Set(variants(true).map((k) => `${k.plan.reduce} vw${k.plan.vw ?? 1}`));
    expect([...reduces].sort()).toEqual([
      'rows vw1',
      'rows vw4',
      'single vw1',
      'subgroup vw1',
      'workgroup vw1',
    ]);
  });

  it('compiles without errors or warnings on this adapter, in every variant', async () => {
    const { device } = await sharedActivations();
    const problems: string[] = [];
    // Subgroup kernels need the feature; without it the host never plans them.
    for (const k of variants(device.features.has('subgroups'))) {
      const code = softmaxShader(k);
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code, label: 'softmax codegen test' });
      const info = await module.getCompilationInfo();
      const err = await device.popErrorScope();
      for (const m of info.messages) {
        if (m.type !== 'info')
          problems.push(`${JSON.stringify(k)}: ${m.type} line ${m.lineNum}: ${m.message}`);
      }
      if (err) problems.push(`${JSON.stringify(k)}: ${err.message}`);
    }
    expect(problems).toEqual([]);
  });

  it('has no unfilled template slots', () => {
    for (const k of variants(true)) expect(softmaxShader(k)).not.toMatch(/\{\{[A-Z0-9_]+\}\}/);
  });
});
