/**
 * scripts/device-bench.sh, the Node benchmark packed for a GPU machine with
 * no Node.js: what it carries starts here on SwiftShader (WEBGPU_ACT_REAL_GPU
 * unset) with the carried Node, not one on the PATH, and writes its results.
 *
 * A quick pack (`pack --raw`: the bundle, the binaries as links, no xz) with
 * dawn.node then compressed as a carried pack holds it, so the unpacking is
 * run too. What the real GPU gives is not tested here: no GPU here, and
 * nothing depends on one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const tmp = mkdtempSync(join(tmpdir(), 'webgpu-act-device-bench-'));
const pack = join(tmp, 'pack');
const bin = join(tmp, 'bin');

/** Every command on this PATH, linked into one folder, but Node and what runs on it. */
function pathWithoutNode(): string {
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (/^(node|nodejs|npm|npx|corepack|pnpm|yarn)$/.test(name) || existsSync(join(bin, name)))
        continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

/** The run step with a tiny selection, in an environment of its own. */
function run(out: string, extra: Record<string, string>) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: bin,
    DEVICE_BENCH_DIR: pack,
    DEVICE_BENCH_WORK: join(tmp, 'work'),
    OUT: out,
  };
  for (const k of ['WEBGPU_ACT_REAL_GPU', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'LD_LIBRARY_PATH'])
    delete env[k];
  Object.assign(env, extra);
  const flags = ['--ops', 'relu', '--sizes', '1K', '--dtypes', 'float32', '--samples', '2'];
  return spawnSync('bash', ['scripts/device-bench.sh', 'run', ...flags, '--latency', '0'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 90_000,
  });
}

describe.skipIf(!existsSync(SWIFTSHADER_ICD) || process.platform !== 'linux')(
  'device bench pack',
  () => {
    beforeAll(() => {
      execFileSync(process.execPath, ['scripts/device-bench/pack.mjs', '--raw', '--dir', pack], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      const dawn = join(pack, 'dawn.node');
      execFileSync('sh', ['-c', 'xz -0 -T0 -c "$1" > "$1.xz" && rm "$1"', 'sh', dawn]);
      pathWithoutNode();
    }, 60_000);
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('has no Node on the PATH the run gets', () => {
      const r = spawnSync('sh', ['-c', 'command -v node'], { env: { PATH: bin } });
      expect(r.status).not.toBe(0);
    });

    it('runs the bundle with the carried Node on SwiftShader and writes its results', () => {
      const out = join(tmp, 'out');
      const r = run(out, {});
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(readdirSync(out).sort()).toEqual(
        ['log.txt', 'manifest.json', 'node-custom.json', 'summary.md'].sort(),
      );
      const results = JSON.parse(readFileSync(join(out, 'node-custom.json'), 'utf8'));
      expect(results.adapter.architecture).toMatch(/swiftshader/i);
      const ours = results.rows.filter((row: { impl: string }) => row.impl === 'ours');
      expect(ours.length).toBe(2); // relu forward and backward
      for (const row of ours) expect(row.ms).toBeGreaterThan(0);
      expect(results.rows.some((row: { impl: string }) => row.impl === 'ceiling')).toBe(true);
      const summary = readFileSync(join(out, 'summary.md'), 'utf8');
      expect(summary).toContain('Vulkan driver: SwiftShader');
      expect(summary).toMatch(/Total: \d+ s; ok/);
      expect(existsSync(join(tmp, 'work', 'dist', 'linux-x64', 'dawn.node'))).toBe(true);
    }, 90_000);

    it('does not take a CPU adapter for GPU figures (WEBGPU_ACT_REAL_GPU=1)', () => {
      const out = join(tmp, 'out-real');
      const r = run(out, { WEBGPU_ACT_REAL_GPU: '1', VK_ICD_FILENAMES: SWIFTSHADER_ICD });
      expect(r.status).toBe(1);
      expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('NOT GPU FIGURES');
    }, 90_000);
  },
);
