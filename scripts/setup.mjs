#!/usr/bin/env node
// First-use setup for `npm test` and `npm run bench` on a fresh Debian/Ubuntu
// machine: npm packages (npm ci), and Chromium + the Vulkan loader from the
// distribution's packages when missing (Chromium also ships SwiftShader, the
// CPU Vulkan driver that gives WebGPU where there is no GPU). Idempotent and
// quick when everything is there. Plain Node: runs before node_modules exists.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (cmd) => {
  console.log(`[setup] ${cmd}`);
  execSync(cmd, { stdio: 'inherit' });
};

function hasLib(name) {
  try {
    return execSync('ldconfig -p', { encoding: 'utf8' }).includes(name);
  } catch {
    return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].some((d) =>
      existsSync(`${d}/${name}`),
    );
  }
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = [];
if (!existsSync(chromium)) missing.push('chromium');
if (!hasLib('libvulkan.so.1')) missing.push('libvulkan1');
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const install = `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`;
  if (isRoot) run(install);
  else if (existsSync('/usr/bin/sudo')) run(`sudo sh -c '${install}'`);
  else {
    console.error(
      `[setup] missing system packages: ${missing.join(', ')}; install them with: ${install}`,
    );
    process.exit(1);
  }
}

if (!existsSync('node_modules/.bin/vitest') || !existsSync('node_modules/webgpu')) {
  const npmMajor = Number(execSync('npm --version', { encoding: 'utf8' }).split('.')[0]);
  // npm 10 has been seen failing to install Vite 8 on these machines.
  if (npmMajor < 11) run('npm install -g npm@11');
  run('npm ci --no-audit --no-fund');
}
