import { describe, expect, it } from 'vitest';
import { activationNames, acceptsY, type ActivationName } from '../../src/elementwise/table.js';
import {
  elementwiseShader,
  type Direction,
  type ElementwiseKernel,
} from '../../src/elementwise/codegen.js';
import { sharedActivations } from '../helpers/gpu.js';

/** Every kernel variant the host can ask for, per op. */
function variants(op: ActivationName): ElementwiseKernel[] {
  const directions: Direction[] = acceptsY(op)
    ? ['forward', 'backward', 'backwardFromY']
    : ['forward', 'backward'];
  const out: ElementwiseKernel[] = [];
  for (const direction of directions)
    for (const dtype of ['float32', 'float16'] as const)
      for (const layout of ['vector', 'scalar'] as const)
        for (const inPlace of [null, 0, ...(direction === 'forward' ? [] : [1])] as (
          0 | 1 | null
        )[])
          for (const broadcastParam of op === 'prelu' ? [false, true] : [false])
            for (const wholeWords of [false, true])
              for (const e of op === 'gelu' ? [0, 1] : [0])
                out.push({
                  op,
                  direction,
                  dtype,
                  layout,
                  inPlace,
                  broadcastParam,
                  workgroupSize: 256,
                  enums: [e],
                  wholeWords,
                });
  return out;
}

describe.each(activationNames)('generated WGSL for %s', (op) => {
  it('compiles without errors or warnings on this adapter, in every variant', async () => {
    const { device } = await sharedActivations();
    const problems: string[] = [];
    for (const k of variants(op)) {
      const code = elementwiseShader(k);
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code, label: `${op} test` });
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
    for (const k of variants(op)) expect(elementwiseShader(k)).not.toMatch(/\{\{[A-Z_]+\}\}/);
  });
});
