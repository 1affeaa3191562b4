/** `vmc sample RUN_DIR --count K`: configurations with log|ψ| and phase, as CSV or JSON lines. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { BackendChoice } from '../backend.js';
import { InputError } from '../errors.js';
import { sampleRun, type SampleFormat } from '../measure/sample-file.js';
import { writeFileAtomic } from '../run/run-dir.js';
import { seedFlag, sharedOptions } from './options.js';

export const command = 'sample <run>';
export const describe = 'draw configurations from a trained state, with log|ψ| and phase (CSV or JSON lines)';

const GROUP = 'Sampling:';

export function builder(y: Argv): Argv {
  return y
    .positional('run', { type: 'string', describe: 'run directory (with config.json and checkpoint.json)' })
    .option('count', { type: 'number', demandOption: true, requiresArg: true, group: GROUP, describe: 'number of configurations' })
    .option('format', { type: 'string', choices: ['csv', 'jsonl'], requiresArg: true, group: GROUP, describe: 'csv: config bit string,log_abs_psi,phase; jsonl: one JSON object a line [default: csv; jsonl with --json]' })
    .options(
      sharedOptions(['quiet', 'json', 'backend', 'seed', 'out'], {
        quiet: 'here: no line on stderr naming the file written',
        json: 'here: the samples as JSON lines, the same as --format jsonl',
        backend: "here [default: the run's]",
        seed: 'here: of the sampler [default: 1]',
        out: 'here: the output file, written atomically [default: stdout]',
      }),
    )
    .example('$0 sample runs/x --count 1000 --out samples.csv', '1000 samples as CSV')
    .example('$0 sample runs/x --count 100 --format jsonl', 'JSON lines on stdout');
}

export async function handler(argv: ArgumentsCamelCase): Promise<void> {
  const count = argv.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new InputError(`expected a positive integer, got ${String(count)}`, '--count');
  const seed = seedFlag(argv, 1);
  if (argv.json && argv.format === 'csv') throw new InputError('--json prints JSON lines; it cannot be combined with --format csv', '--json');
  const format = (argv.format as SampleFormat | undefined) ?? (argv.json ? 'jsonl' : 'csv');
  const r = await sampleRun(argv.run as string, { count, seed, format, backend: argv.backend as BackendChoice | undefined });
  const out = argv.out as string | undefined;
  if (out) {
    writeFileAtomic(out, r.text);
    if (!argv.quiet) process.stderr.write(`wrote ${r.count} samples of ${r.nSites} sites (${r.sampler} sampler; log|ψ| ${r.normalized ? 'normalised' : 'unnormalised'}) to ${out}\n`);
  } else {
    process.stdout.write(r.text);
  }
}
