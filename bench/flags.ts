/**
 * Command-line flags of `npm run bench` and `npm run bench:node`
 * (--ops a,b --sizes 1M ... or --ops=a,b) as the key -> value pairs the page
 * reads from its URL query. No library import: the browser runner stays light.
 */
const FLAGS = ['ops', 'sizes', 'dtypes', 'peers', 'shapes', 'samples', 'latency'];
/**
 * Flags that take no value: --full (every op, size, dtype and fused row
 * unless selected), --table (the terminal also prints every row and the
 * floors; --full implies it) and --help (prints USAGE).
 */
const SWITCHES = ['full', 'table', 'help'];

/** What --help prints (npm run bench and npm run bench:node). */
export const USAGE = `npm run bench [-- flags]       the page in headless Chromium (bench:node: Node + Dawn)
  (no flags)          the headline: five elementwise ops, softmax, logSoftmax, biasAct(gelu), causalSoftmax at 1M float32
  --full              every op, size, dtype, fused, attention and tfjs-model row (tens of minutes here)
  --table             also print every row and the floors after the summary
  --ops a,b           elementwise or softmax ops by name; fused (biasAct, biasActBackward, swiglu,
                      causalSoftmax beside their unfused sequences); attention (scaledMaskedSoftmax's
                      options softcap 30, alibi, keyLengths, per-batch offsets, sinks and all together,
                      each with causal, forward and backward, as a ratio to plain causal on the same run;
                      bound 1.2; not in the fused group); tfjs-model (page only)
  --sizes 1K,64K,1M,16M   --dtypes float32,float16   --shapes 4096x4096 (softmax rows x cols)
  --peers tf,ort,naive,cpu (none: no peers)   --samples 7   --latency 0 (skip the small-work latency)
  --help              this text`;

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
