import { expect, it } from 'vitest';
import { createActivations } from '../../src/index.js';

it('without any WebGPU, createActivations says how to get it', async () => {
  expect((globalThis as { navigator?: Navigator }).navigator?.gpu).toBeUndefined();
  await expect(createActivations()).rejects.toMatchObject({
    code: 'WEBGPU_UNAVAILABLE',
    message: expect.stringMatching(/enable-unsafe-webgpu.*`webgpu` package/s),
  });
});
