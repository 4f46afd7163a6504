// knip: no unused file, export or dependency (`npm run check`). Every entry
// below is a way the code is reached from outside: the package's five
// entries, what npm scripts, tests and pages run, and one-off probes.
// Vitest's test files and setup files and the scripts that package.json's
// scripts run (scripts/build.mjs, setup.mjs, test.mjs, with-webgpu.mjs,
// consumer-check.mjs; docs/ops.gen.ts) are found by knip's plugins on their own.

/** @type {import('knip').KnipConfig} */
export default {
  entry: [
    // The package's entries (package.json "exports"; knip cannot map dist/fused.js back to src/).
    'src/index.ts',
    'src/fused/index.ts',
    'src/interop/index.ts',
    'src/interop/tfjs-kernels/index.ts',
    'src/reference-entry.ts',
    // Pages served by Vite: their module scripts (see the html compiler below).
    'bench/index.html',
    'docs/index.html',
    'examples/mlp/index.html',
    // Commands that npm scripts run through scripts/with-webgpu.mjs (knip does not look past
    // the wrapper): `npm run bench`, `bench:node`, `check:pages`, and the page checks that
    // scripts/test.mjs spawns.
    'bench/run.ts',
    'bench/node.ts',
    'bench/page.check.ts',
    'docs/pages.check.ts',
    // One-off probes, each run by hand as `node --import tsx bench/probes/<name>` (STYLE.md);
    // cpu-time.ts is not one: it is what the probes import.
    'bench/probes/**/*.{ts,mjs}',
    '!bench/probes/cpu-time.ts',
    // Spawned as a child process by test/runtime/oom.node.test.ts.
    'test/runtime/oom-child.ts',
    // Likewise, run through scripts/with-webgpu.mjs by `npm run verify`.
    'scripts/verify.mjs',
    // Run by hand to refit the erf polynomial (its header says how).
    'scripts/fit-erf.mjs',
  ],
  project: [
    'src/**/*.ts',
    'bench/**/*.{ts,mjs}',
    'test/**/*.ts',
    'docs/**/*.ts',
    'examples/**/*.ts',
    'scripts/**/*.mjs',
    '{bench,docs,examples}/**/*.html',
  ],
  // `<script type="module" src="./main.ts">` in an entry page counts as an import of main.ts.
  compilers: {
    html: (text) =>
      [...text.matchAll(/<script\b[^>]*\bsrc=["']([^"']+)["'][^>]*>/g)]
        .map(([, src]) => `import '${src}';`)
        .join('\n'),
  },
  ignoreBinaries: [
    // scripts/device-bench/pack.mjs strips the carried node and dawn.node with binutils' strip; not an npm binary.
    'strip',
    // scripts/setup.mjs asks the system's ldconfig for the Vulkan loader; not an npm binary.
    'ldconfig',
    // test/runtime/oom-child.ts runs under util-linux's prlimit to cap its memory; not an npm binary.
    'prlimit',
  ],
};
