// Node runs tests on Dawn through the `webgpu` package; the browser project uses navigator.gpu.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
(globalThis as { __testGPU?: GPU }).__testGPU = create([]);
