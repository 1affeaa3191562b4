/** `vmc compare`: train several ansätze with an equal budget on one model and tabulate them. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import {
  checkAnsatzEntries,
  compareText,
  DEFAULT_ANSATZE,
  entriesFromList,
  runComparison,
  type AnsatzEntry,
} from '../compare/compare.js';
import { existsSync, statSync } from 'node:fs';
import { readExperimentFile } from '../run/experiment-file.js';
import { OPTIONS, type ExperimentConfig, type OptionKey } from '../run/experiment.js';
import { readRunConfig } from '../run/runner.js';
import { outputModes, signalExitCode, withInterrupt } from './interrupt.js';
import { flagsToSettings, sharedOptions, yargsOptions } from './options.js';

export const command = 'compare [experiment]';
export const describe = 'compare ansätze on one model with an equal budget (table, compare.json/.md/.svg)';

const KEYS = (Object.keys(OPTIONS) as OptionKey[]).filter((k) => k !== 'ansatz');

export function builder(y: Argv): Argv {
  return y
    .positional('experiment', {
      type: 'string',
      describe: 'experiment file; its "ansatze" list gives each ansatz with its own settings. Or a run directory (of vmc run or vmc fit): its settings — model, lattice, ansatz, … — are the base',
    })
    .options(yargsOptions(KEYS))
    .option('ansatz', { type: 'string', requiresArg: true, group: 'Ansatz:', describe: `comma list of ansätze, e.g. rnn,rbm,flow (overrides the file's list) [default: ${DEFAULT_ANSATZE.join(',')}]` })
    .options(sharedOptions(['quiet', 'json'], { quiet: 'here: the final table', json: 'here: compare.json' }))
    .example('$0 compare experiments/compare-tfim-chain.json', 'RNN, RBM and flow on the TFIM chain')
    .example('$0 compare --model tfim --n 12 --ansatz rnn,flow --steps 200', 'from flags')
    .example('$0 compare --model heisenberg --n 10 --sign marshall --magnetization 0 --budget-seconds 60 --steps 100000', 'one minute of training each');
}

/**
 * The settings of an experiment file, or of a run directory's config.json (its experiment
 * settings only: not where it was written, not what a fit or a comparison adds).
 */
function settingsSource(path: string): Partial<ExperimentConfig> & Record<string, unknown> {
  if (!(existsSync(path) && statSync(path).isDirectory())) return readExperimentFile(path, { ansatze: checkAnsatzEntries });
  const run = readRunConfig(path) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(OPTIONS)) if (key in run && key !== 'out' && run[key] !== undefined) out[key] = run[key];
  return out as Partial<ExperimentConfig>;
}

export async function handler(argv: ArgumentsCamelCase): Promise<void> {
  const flags = flagsToSettings(argv, KEYS);
  const source = (argv.experiment as string | undefined) ?? 'flags';
  const file = argv.experiment ? settingsSource(argv.experiment as string) : {};
  const { ansatze, ...base } = file as Partial<ExperimentConfig> & { ansatze?: AnsatzEntry[] };
  let entries: AnsatzEntry[];
  if (argv.ansatz !== undefined) entries = entriesFromList(String(argv.ansatz), ansatze);
  else if (ansatze) entries = ansatze;
  else entries = entriesFromList(base.ansatz ?? DEFAULT_ANSATZE.join(','));
  delete base.ansatz;

  const { tty, silent } = outputModes(argv);
  const quiet = Boolean(argv.quiet) || silent;
  await withInterrupt('stopping after this step; the comparison so far is written', async (signal) => {
    const result = await runComparison({
      base,
      flags,
      entries,
      source,
      quiet: quiet || !tty,
      silent,
      tty,
      signal,
      onMessage: quiet ? undefined : (line) => process.stdout.write(line + '\n'),
    });
    if (argv.json) process.stdout.write(JSON.stringify(result) + '\n');
    else process.stdout.write('\n' + compareText(result) + `wrote compare.json, compare.md, compare.svg to ${result.dir}\n`);
    if (result.status === 'interrupted') process.exitCode = signalExitCode(signal.received ?? 'SIGINT');
    else if (result.rows.some((r) => r.status === 'diverged')) process.exitCode = 1;
  }, { always: true });
}
