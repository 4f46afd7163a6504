// Ends a Node script that used Dawn: records the exit code for
// scripts/with-webgpu.mjs (Dawn may crash during teardown), then exits.
import { writeFileSync } from 'node:fs';

export function exitWith(code) {
  if (process.env.WEBGPU_ACT_EXIT_FILE)
    writeFileSync(process.env.WEBGPU_ACT_EXIT_FILE, String(code));
  process.exit(code);
}
