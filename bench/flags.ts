/**
 * Command-line flags of `npm run bench` and `npm run bench:node`
 * (--ops a,b --sizes 1M ... or --ops=a,b) as the key -> value pairs the page
 * reads from its URL query. No library import: the browser runner stays light.
 */
const FLAGS = ['ops', 'sizes', 'dtypes', 'peers', 'shapes', 'samples', 'latency'];
/**
 * Flags that take no value: --full (every op, size, dtype and fused row
 * unless selected) and --table (the terminal also prints every row and the
 * floors; --full implies it).
 */
const SWITCHES = ['full', 'table'];

/** argv to key -> value ('1' for a switch); an unknown flag or one without a value throws. */
export function parseFlags(argv: string[]): URLSearchParams {
  const q = new URLSearchParams();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (m && SWITCHES.includes(m[1])) {
      q.set(m[1], m[2] ?? '1');
      continue;
    }
    if (!m || !FLAGS.includes(m[1]))
      throw new Error(
        `bench: unknown argument ${argv[i]}; options: ${[...SWITCHES, ...FLAGS].map((k) => `--${k}`).join(' ')}`,
      );
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new Error(`bench: --${m[1]} needs a value`);
    q.set(m[1], v);
  }
  return q;
}
