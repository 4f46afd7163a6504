#!/usr/bin/env node
// The README's test command: the whole Vitest suite on real WebGPU, in Node
// (Dawn) and in headless Chromium, then the page checks. Ends with
// one plain line "N passed, N failed" summing every part.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extra = process.argv.slice(2);
const report = join(mkdtempSync(join(tmpdir(), 'vitest-')), 'report.json');
const vitest = spawnSync(
  'node',
  [
    'scripts/with-webgpu.mjs',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...extra,
  ],
  { stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed +=
    r.numFailedTests +
    (r.numTotalTestSuites > 0 && r.success === false && r.numFailedTests === 0 ? 1 : 0);
} else {
  failed += 1;
}
if (vitest.status !== 0 && failed === 0) failed = 1;

// The page checks: the benchmark page, and the learning and training-example pages.
for (const check of ['bench/page.check.ts', 'docs/pages.check.ts']) {
  if (extra.length > 0 || !existsSync(check)) continue;
  const page = spawnSync('node', ['scripts/with-webgpu.mjs', 'node', '--import', 'tsx', check], {
    stdio: 'inherit',
  });
  if (page.status === 0) passed += 1;
  else failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
