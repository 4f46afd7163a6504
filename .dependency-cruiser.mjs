// dependency-cruiser: the layering rules of STYLE.md, checked by `npm run check`
// (`depcruise src bench`). Type-only imports count: a rule about what a module
// may lean on holds for its types too.
//
// Shaders are imported as `../../shaders/x.wgsl?raw` (Vite turns them into
// text). The resolver drops the `?raw` query and finds the .wgsl file, so each
// shader is a module of the graph (with no dependencies of its own) and the
// rules below can name it; not-to-unresolvable makes sure every import, the
// shaders included, is seen.

/** Code that generates or runs GPU work: what a CPU reference must never lean on. */
const GPU_SIDE = [
  '^src/.+/codegen[^/]*\\.ts$',
  '^src/runtime/',
  '^src/.+/host[^/]*\\.ts$',
  '^src/api\\.ts$',
  '^src/wgsl/',
  '\\.wgsl$',
];

/** The float64 references and their entry; every module they reach is held to the same rule. */
const REFERENCE = [
  '^src/reference\\.ts$',
  '^src/.+/reference\\.ts$',
  '^src/elementwise/math64\\.ts$',
  '^src/reference-entry\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle in src/ or bench/ (type-only imports included).',
      from: { path: '^(src|bench)/' },
      to: { circular: true },
    },
    {
      name: 'reference-not-gpu-side',
      severity: 'error',
      comment:
        'A CPU reference (or a module it imports, at any depth) reaches codegen, runtime, host ' +
        'or WGSL code: the reference must not lean on what it checks (STYLE.md, Layout).',
      from: { path: REFERENCE },
      to: { path: GPU_SIDE, reachable: true },
    },
    {
      name: 'core-not-family',
      severity: 'error',
      comment: 'src/core/ is what every family uses; it must not import a family or the runtime.',
      from: { path: '^src/core/' },
      to: { path: '^src/(elementwise|softmax|fused|interop|runtime)/' },
    },
    {
      name: 'src-not-bench-or-test',
      severity: 'error',
      comment: 'The library must not import benchmark or test code.',
      from: { path: '^src/' },
      to: { path: '^(bench|test)/' },
    },
    {
      name: 'src-no-packages',
      severity: 'error',
      comment:
        'The package keeps zero runtime dependencies: src/ imports no npm package and no Node ' +
        'built-in (it runs in browsers; Node users bring their own WebGPU).',
      from: { path: '^src/' },
      to: {
        dependencyTypes: [
          'npm',
          'npm-dev',
          'npm-optional',
          'npm-peer',
          'npm-no-pkg',
          'npm-unknown',
          'core',
        ],
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import the cruiser cannot resolve is an import the rules above cannot see; ' +
        'resolve it (or list the package) rather than leave a hole.',
      from: { path: '^(src|bench)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // Packages resolve through their "exports" as Vite and Node (ESM) resolve them.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'default', 'types'],
    },
  },
};
