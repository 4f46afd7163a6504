/**
 * The Chromium project runs every kernel on the shaders as the package ships
 * them, minified (vitest.config.ts adds the build's WGSL plugin there), so
 * the whole browser suite checks the minified WGSL; Node runs them as written.
 */
import { expect, it } from 'vitest';
import math from '../../shaders/common/math.wgsl?raw';
import rows from '../../shaders/softmax/rows.wgsl?raw';

it('the browser suite runs the shipped (minified) shaders', () => {
  for (const source of [math, rows]) {
    expect(source).not.toContain('\n');
    expect(source).not.toContain('//');
  }
});
