/**
 * Debian's Chromium (never a downloaded one) and the flags that give it a
 * WebGPU adapter without a GPU (SwiftShader): shared by Vitest's browser
 * project, the benchmark runner and the page checks.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  ...(process.env.WEBGPU_ACT_REAL_GPU ? [] : ['--use-webgpu-adapter=swiftshader']),
];
