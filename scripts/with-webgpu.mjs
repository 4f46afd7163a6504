#!/usr/bin/env node
// Runs a command with the environment real WebGPU needs here: Dawn (the `webgpu`
// package) needs a Vulkan driver; on a machine without a GPU that is the
// SwiftShader driver Debian's Chromium ships. A machine with a GPU driver (or
// WEBGPU_ACT_REAL_GPU=1) keeps its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env = { ...process.env };

function hasGpu() {
  // Mesa installs Vulkan drivers for GPUs that are not there; a device node tells.
  if (existsSync('/dev/nvidia0')) return true;
  return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
}

if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && !env.WEBGPU_ACT_REAL_GPU && !hasGpu()) {
  if (existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'xdg-'));

// Dawn in Node can crash while the process tears down (seen here: SIGSEGV or
// "std::system_error" from a futex, after all work had finished). Scripts
// that finish their work write their exit code here first, so the verdict is
// theirs and not the teardown's.
const exitFile = join(mkdtempSync(join(tmpdir(), 'webgpu-exit-')), 'code');
env.WEBGPU_ACT_EXIT_FILE = exitFile;

const [cmd, ...args] = process.argv.slice(2);
const local = join(process.cwd(), 'node_modules', '.bin', cmd);
const r = spawnSync(existsSync(local) ? local : cmd, args, { stdio: 'inherit', env });
if (r.status !== 0 && existsSync(exitFile)) {
  const code = Number(readFileSync(exitFile, 'utf8'));
  console.error(
    `[with-webgpu] the process ended with ${r.signal ?? r.status} during teardown after reporting exit code ${code}`,
  );
  process.exit(code);
}
process.exit(r.status ?? 1);
