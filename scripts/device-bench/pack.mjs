#!/usr/bin/env node
// Packs what the Node benchmark needs on a machine that has a GPU but no
// Node.js, npm or network (the device machine): `npm run bench:device:pack`
// or `bash scripts/device-bench.sh pack`. scripts/device-bench.sh says how
// the pack is run there.
//
//   node scripts/device-bench/pack.mjs [--dir DIR] [--raw]
//
// DIR (default .device-bench, git-ignored) receives:
//   bench.mjs             bench/node-main.ts + bench/ + src/ + the webgpu
//                         package's JS in one ES module (Vite, shaders inlined)
//   node.xz               this Node binary (stripped when `strip` is there)
//   dawn.node.xz          the webgpu package's native addon (stripped likewise)
//   lib/libvulkan.so.1    the Vulkan loader (the device may have none)
//   lib-fallback/         libstdc++ and libgcc_s, used only where the
//                         device's own are too old for this Node
//   manifest.json         what was packed, from where, and the sizes
// The binaries are xz-compressed so the pack stays well under the 64 MiB a
// device call carries; a pack reuses them while their sources are unchanged.
// --raw stores them uncompressed and unstripped (symbolic links, not
// copies): a quick pack for the test here (test/package/device-bench.node.test.ts),
// never one to carry.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
for (const [i, a] of args.entries()) {
  if (!['--dir', '--raw'].includes(a) && args[i - 1] !== '--dir') {
    console.error(`device-bench pack: unknown argument ${a}; usage: pack.mjs [--dir DIR] [--raw]`);
    process.exit(2);
  }
}
const dir = resolve(root, option('--dir', process.env.DEVICE_BENCH_DIR ?? '.device-bench'));
const raw = flag('--raw');
const t0 = Date.now();
const log = (line) =>
  console.log(`[device-bench pack ${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    `device-bench pack: the device machine is linux-x64; this is ${process.platform}-${process.arch}`,
  );
  process.exit(1);
}
mkdirSync(dir, { recursive: true });

// ---- the bundle -------------------------------------------------------------

/** The browser-only peers (TF.js, ORT Web): bench/peers.ts imports them on demand; the pack leaves them out. */
function browserPeersLeftOut() {
  const stub = '\0device-bench-browser-peer';
  return {
    name: 'device-bench-browser-peers',
    enforce: 'pre',
    resolveId(id) {
      return /\/peer-(tf|ort)\.js$/.test(id) ? stub : null;
    },
    load(id) {
      if (id !== stub) return null;
      const fail = () => {
        throw new Error('a browser peer, not in the device bundle');
      };
      return `export const tfPeer = ${fail}; export const ortPeer = ${fail};`;
    },
  };
}

rmSync(join(dir, 'bench.mjs'), { force: true });
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  plugins: [browserPeersLeftOut()],
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: join(root, 'scripts/device-bench/entry.ts'),
    outDir: dir,
    emptyOutDir: false,
    copyPublicDir: false,
    minify: false,
    sourcemap: false,
    target: 'node20',
    rollupOptions: {
      output: {
        format: 'es',
        entryFileNames: 'bench.mjs',
        codeSplitting: false,
        // `eslint .` (npm run check) does not read .gitignore: a generated file is not its concern.
        banner: '/* eslint-disable */',
      },
    },
  },
});
log(`bundled bench.mjs (${kib(statSync(join(dir, 'bench.mjs')).size)})`);

// ---- binaries ---------------------------------------------------------------

function kib(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const manifestFile = join(dir, 'manifest.json');
const previous = existsSync(manifestFile) ? JSON.parse(readFileSync(manifestFile, 'utf8')) : {};
const stamp = (file) => {
  const s = statSync(file);
  return `${realpathSync(file)}|${s.size}|${s.mtimeMs}|${raw ? 'raw' : 'xz-6 strip'}`;
};

/** Puts `src` at DIR/name (raw: a symbolic link) or DIR/name.xz, stripped first; reused while `src` is unchanged. */
function packBinary(name, src) {
  const key = stamp(src);
  const xzPath = join(dir, `${name}.xz`);
  const rawPath = join(dir, name);
  const target = raw ? rawPath : xzPath;
  const before = previous.files?.[name];
  if (before?.stamp === key && existsSync(target)) {
    log(`${name}: unchanged, kept`);
    return before;
  }
  rmSync(xzPath, { force: true });
  rmSync(rawPath, { force: true });
  if (raw) {
    symlinkSync(realpathSync(src), rawPath);
    log(`${name}: linked to ${realpathSync(src)}`);
    return { stamp: key, source: src, bytes: statSync(src).size, packed: rawPath };
  }
  let input = src;
  const tmp = join(tmpdir(), `device-bench-${process.pid}-${name}`);
  if (has('strip')) {
    execFileSync('strip', ['-o', tmp, src]);
    input = tmp;
  }
  log(`${name}: compressing ${kib(statSync(input).size)} with xz (a minute for node on 2 cores)`);
  execFileSync('sh', [
    '-c',
    `xz -T0 -6 -c "$1" > "$2.part" && mv "$2.part" "$2"`,
    'sh',
    input,
    xzPath,
  ]);
  rmSync(tmp, { force: true });
  log(`${name}: ${kib(statSync(xzPath).size)} as ${name}.xz`);
  return { stamp: key, source: src, bytes: statSync(src).size, packed: xzPath };
}

/** The system's copy of a shared library (ldconfig's first match, else the usual folders). */
function systemLib(name) {
  try {
    const out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
    const m = out.split('\n').find((l) => l.trim().startsWith(`${name} `) && l.includes('x86-64'));
    if (m) return m.split('=>')[1].trim();
  } catch {
    // no ldconfig: try the folders below
  }
  const found = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib']
    .map((d) => join(d, name))
    .find((f) => existsSync(f));
  if (!found) throw new Error(`device-bench pack: ${name} not found (apt-get install libvulkan1?)`);
  return found;
}

function copyLib(name, folder) {
  mkdirSync(join(dir, folder), { recursive: true });
  const to = join(dir, folder, name);
  rmSync(to, { force: true });
  copyFileSync(realpathSync(systemLib(name)), to);
  chmodSync(to, 0o755);
  return to;
}

const dawnSrc = join(root, 'node_modules/webgpu/dist/linux-x64/dawn.node');
if (!existsSync(dawnSrc)) throw new Error(`device-bench pack: ${dawnSrc} missing (npm ci first)`);
const files = {
  node: packBinary('node', process.execPath),
  'dawn.node': packBinary('dawn.node', dawnSrc),
};
copyLib('libvulkan.so.1', 'lib');
copyLib('libstdc++.so.6', 'lib-fallback');
copyLib('libgcc_s.so.1', 'lib-fallback');

// ---- manifest and size --------------------------------------------------------

const git = (a) => {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
/** Bytes under a folder, links not followed (a --raw pack's links cost nothing to carry... and travel as links). */
function bytesUnder(d) {
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) n += bytesUnder(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}
const total = bytesUnder(dir);
const manifest = {
  packedAt: new Date().toISOString(),
  node: process.version,
  webgpu: JSON.parse(readFileSync(join(root, 'node_modules/webgpu/package.json'), 'utf8')).version,
  commit: git(['rev-parse', 'HEAD']),
  dirty: git(['status', '--porcelain', '--', 'src', 'bench', 'scripts/device-bench']) !== '',
  raw,
  files,
  totalBytes: total,
};
writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
log(`${dir}: ${kib(total)} in all${raw ? ' (raw: links to this machine, not for carrying)' : ''}`);
if (!raw && total > 48 << 20) {
  console.error(
    `device-bench pack: ${kib(total)} leaves too little of a device call's 64 MiB for the working tree`,
  );
  process.exit(1);
}
