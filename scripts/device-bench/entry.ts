/**
 * The entry of the device bench's bundle (scripts/device-bench/pack.mjs
 * bundles it, with bench/ and src/, into one .mjs that the carried Node runs;
 * scripts/device-bench.sh says how). It runs the Node benchmark's own main
 * (bench/node-main.ts, what `npm run bench:node` runs) with the flags given,
 * so the figures are those of `bench:node`. The shaders are inlined by the
 * bundler (Vite's `?raw`), so no module hooks are needed here.
 *
 * `--adapters` instead lists the adapters Dawn sees (what Dawn prints when
 * asked for one that is not there): the run script's diagnosis when no
 * adapter is found.
 *
 * The exit code goes to $WEBGPU_ACT_EXIT_FILE before the process exits:
 * Dawn can crash while the process tears down (see scripts/with-webgpu.mjs),
 * and the verdict is the bench's, not the teardown's.
 */
import { writeFileSync } from 'node:fs';
import { create } from 'webgpu';
import { main } from '../../bench/node-main.js';

function exit(code: number): never {
  const file = process.env.WEBGPU_ACT_EXIT_FILE;
  if (file) writeFileSync(file, String(code));
  process.exit(code);
}

async function listAdapters(): Promise<void> {
  // Dawn answers a request for an adapter that is not there with the list of those it sees.
  const gpu = create(['adapter=device-bench-list-adapters']);
  try {
    const a = await gpu.requestAdapter();
    console.log(a ? `adapter: ${a.info.vendor} ${a.info.description}` : 'no adapter');
  } catch (e) {
    console.log(String((e as Error)?.message ?? e));
  }
}

const argv = process.argv.slice(2);
await (argv[0] === '--adapters' ? listAdapters() : main(argv)).then(
  () => exit(0),
  (e: unknown) => {
    console.error(`device-bench: ${(e as Error)?.stack ?? e}`);
    exit(1);
  },
);
