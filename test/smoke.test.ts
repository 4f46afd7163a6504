import { describe, expect, it } from 'vitest';
import { sharedActivations } from './gpu.js';

describe('smoke', () => {
  it('relu runs', async () => {
    const act = await sharedActivations();
    const y = await act.apply('relu', new Float32Array([-1, 2, -3, 4, 5]));
    expect(Array.from(y)).toEqual([0, 2, 0, 4, 5]);
  });
});
