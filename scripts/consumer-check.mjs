#!/usr/bin/env node
// npm run check:consumer: the package as a user gets it. Builds, packs
// (npm pack), installs the tarball into a fresh project in a temp folder,
// type-checks a consumer against the shipped declarations (tsc, with
// moduleResolution bundler and node16, skipLibCheck off) and runs it in Node.
// The consumer imports every public name of every entry, listed below, and
// fails when one is gone: a refactor that drops a public name must change
// this list on purpose. Importing must not touch navigator.gpu (no GPU here).
//
// --keep leaves the temp project in place and prints its path.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');

// The public API, written out from the entry files as of the folder move
// (src/index.ts, src/fused/index.ts, src/interop/index.ts,
// src/reference-entry.ts at 4cbe67c; src/interop/tfjs-kernels/index.ts since). `values` are checked at run time and
// by tsc; `types` by tsc only, each used in a type position (with type
// arguments where it takes some). `namespaces`: the members of a namespace
// export (`export * as reference`), checked the same way.
const API = {
  'webgpu-activations': {
    values: [
      'createActivations',
      'Activations',
      'softmaxOps',
      'Tensor',
      'activations',
      'activationNames',
      'ActivationsError',
      'InvalidArgumentError',
      'WebGPUUnavailableError',
      'DeviceLostError',
      'OutOfMemoryError',
      'GPUError',
      'toHalfBits',
      'fromHalfBits',
    ],
    types: [
      'CallOptions',
      'ArrayOptions',
      'OpName',
      "OpParams<'relu'>",
      'SlopeValue',
      'CreateOptions',
      'Stats',
      'SoftmaxOp',
      'SoftmaxParams',
      'CrossEntropyOptions',
      'ActivationName',
      "ActivationParams<'leakyRelu'>",
      'ActivationDef',
      'ParamSpec',
      'DType',
      'ErrorCode',
    ],
  },
  'webgpu-activations/fused': {
    values: [
      'gluKinds',
      'fusedTuning',
      'biasAct',
      'biasActBackward',
      'glu',
      'gluBackward',
      'scaledMaskedSoftmax',
      'scaledMaskedSoftmaxBackward',
      'applyBiasAct',
      'gradBiasAct',
      'applyGlu',
      'gradGlu',
      'applyScaledMaskedSoftmax',
      'gradScaledMaskedSoftmax',
    ],
    types: [
      'GluKind',
      'GluParams',
      'GluInput',
      'MaskedSoftmaxOptions',
      'MaskValue',
      'BiasActBackwardInputs',
    ],
  },
  'webgpu-activations/interop': {
    values: ['fromTfTensor', 'toTfTensor', 'fromOrtTensor', 'toOrtTensor'],
    types: [
      'TfTensorLike',
      'TfWebGPUBackendLike',
      'FromTfOptions',
      'TfLike<unknown>',
      'ToTfOptions',
      'OrtTensorLike',
      'OrtFromGpuBufferOptions',
      'OrtLike<unknown>',
    ],
  },
  'webgpu-activations/tfjs': {
    values: ['registerTfjsKernels'],
    types: [
      'TfjsKernelName',
      'TfjsKernelsHandle',
      'TfjsKernelsOptions',
      'TfjsKernelStats',
      'TfjsOps',
      'TfMaskedSoftmaxOptions<unknown>',
      'TfGradConfig',
      'TfKernelArgs',
      'TfKernelConfig',
      'TfKernelFunc',
      'TfNamespaceLike',
      'TfTensorInfo',
    ],
  },
  'webgpu-activations/reference': {
    values: ['reference', 'softmaxReference', 'fusedReference', 'close', 'ELEMENTWISE'],
    types: ['Tolerance'],
    namespaces: {
      reference: {
        values: ['withDefaults', 'forward', 'backward', 'broadcastIndex', 'preluSlopeGrad'],
        types: [],
      },
      softmaxReference: {
        values: ['forEachRow', 'softmaxRow', 'softmaxForward', 'softmaxBackward', 'crossEntropy'],
        types: ['RefOp', 'RefParams', 'RefCrossEntropyOptions'],
      },
      fusedReference: {
        values: [
          'biased',
          'biasActForward',
          'biasActBackward',
          'splitHalves',
          'joinHalves',
          'gluForward',
          'gluBackward',
          'broadcastAt',
          'maskedLogits',
          'maskedSoftmaxForward',
          'maskedSoftmaxBackward',
        ],
        types: ['RefMaskOptions'],
      },
    },
  },
};

const ident = (type) => type.split('<')[0];

/** One consumer module per entry: named imports, the values in a record, the types in a tuple. */
function consumerModule(specifier, { values, types, namespaces = {} }) {
  const imports = [...values, ...types.map((t) => `type ${ident(t)}`)].join(',\n  ');
  const record = [
    ...values.map((v) => `  ${JSON.stringify(v)}: ${v},`),
    ...Object.entries(namespaces).flatMap(([ns, m]) =>
      m.values.map((v) => `  ${JSON.stringify(`${ns}.${v}`)}: ${ns}.${v},`),
    ),
  ].join('\n');
  const typeUses = [
    ...types,
    ...Object.entries(namespaces).flatMap(([ns, m]) => m.types.map((t) => `${ns}.${t}`)),
  ];
  return [
    `import {\n  ${imports},\n} from '${specifier}';`,
    `import * as all from '${specifier}';`,
    '',
    `export const specifier = '${specifier}';`,
    `/** Every public value, by name: checked to be defined at run time. */`,
    `export const values: Record<string, unknown> = {\n${record}\n};`,
    `/** Every public type, used in a type position: tsc fails if one is gone. */`,
    `export type Types = [\n  ${typeUses.join(',\n  ') || 'never'},\n];`,
    `/** What the module exports at run time, for names missing from the list. */`,
    `export const exported: Record<string, unknown> = all;`,
    '',
  ].join('\n');
}

const MAIN = `// Importing the package must not touch navigator.gpu: a trap is set first,
// then the consumers are imported (dynamically, so the trap comes before them).
export {};
const touched: string[] = [];
Object.defineProperty(globalThis, 'navigator', {
  configurable: true,
  value: {
    get gpu(): never {
      touched.push(new Error('navigator.gpu read while importing').stack ?? '');
      throw new Error('navigator.gpu read while importing');
    },
  },
});
const consumers = await Promise.all([${Object.keys(API)
  .map((_, i) => `import('./entry${i}.js')`)
  .join(', ')}]);
let missing = 0;
let checked = 0;
for (const c of consumers) {
  for (const [name, value] of Object.entries(c.values)) {
    checked += 1;
    if (value === undefined) {
      missing += 1;
      console.error(\`\${c.specifier}: \${name} is undefined\`);
    }
  }
  const extra = Object.keys(c.exported).filter((k) => !(k in c.values));
  if (extra.length > 0) console.log(\`note: \${c.specifier} also exports \${extra.join(', ')} (not in the list)\`);
}
if (touched.length > 0) {
  console.error(touched.join('\\n'));
  throw new Error('importing the package read navigator.gpu');
}
if (missing > 0) throw new Error(\`\${missing} public value(s) undefined\`);
console.log(\`consumer: \${checked} public values defined, across \${consumers.length} entries\`);
`;

const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const step = (what) => console.log(`[consumer] ${what}`);
const t0 = performance.now();

step('build');
sh(process.execPath, ['scripts/build.mjs'], ROOT);

const dir = mkdtempSync(join(tmpdir(), 'webgpu-act-consumer-'));
try {
  step(`npm pack into ${dir}`);
  const [packed] = JSON.parse(
    sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT),
  );
  const tarball = join(dir, packed.filename);

  const app = join(dir, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  step('npm install the tarball (offline)');
  sh('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--no-package-lock'], app);
  // The WebGPU types a TypeScript user adds themselves; taken from this repo, not the registry.
  mkdirSync(join(app, 'node_modules', '@webgpu'), { recursive: true });
  symlinkSync(
    join(ROOT, 'node_modules', '@webgpu', 'types'),
    join(app, 'node_modules', '@webgpu', 'types'),
    'dir',
  );

  Object.entries(API).forEach(([specifier, api], i) =>
    writeFileSync(join(app, 'src', `entry${i}.ts`), consumerModule(specifier, api)),
  );
  writeFileSync(join(app, 'src', 'main.ts'), MAIN);
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    types: ['@webgpu/types'],
    strict: true,
    // The shipped declarations are checked too, not skipped.
    skipLibCheck: false,
    isolatedModules: true,
  };
  const configs = {
    bundler: { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true },
    node16: { module: 'Node16', moduleResolution: 'Node16', outDir: 'out' },
  };
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [name, options] of Object.entries(configs)) {
    const file = join(app, `tsconfig.${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, include: ['src'] }),
    );
    step(`tsc, moduleResolution ${name}`);
    try {
      sh(process.execPath, [tsc, '-p', file], app);
    } catch (e) {
      console.error(e.stdout);
      throw new Error(`the consumer does not type-check with moduleResolution ${name}`);
    }
  }
  step('node out/main.js');
  process.stdout.write(sh(process.execPath, [join(app, 'out', 'main.js')], app));
  console.log(`[consumer] ok in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  if (keep) console.log(`[consumer] kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
