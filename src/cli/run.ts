/** `vmc run`: train a wavefunction, from flags and/or an experiment file. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { InputError } from '../errors.js';
import { readExperimentFile } from '../run/experiment-file.js';
import { OPTIONS, resolveExperiment, type OptionKey } from '../run/experiment.js';
import { readRunConfig, runExperiment } from '../run/runner.js';
import { isScheduleDir, SCHEDULE_FILE_KEYS } from '../run/schedule.js';
import { runScheduleCommand } from './run-schedule.js';
import { outputModes, reportOutcome, signalExitCode, withInterrupt } from './interrupt.js';
import { flagsToSettings, sharedOptions, yargsOptions } from './options.js';

export const command = 'run [experiment]';
export const describe = 'train a neural wavefunction by variational Monte Carlo';

const KEYS = Object.keys(OPTIONS) as OptionKey[];

/**
 * Settings that may change on --resume: they change how long a run goes and where it runs, not
 * what it computes — except that another --backend has other float32 kernels (a warning says
 * so). The new values are recorded in the run's config.json.
 */
export const RESUME_CHANGEABLE = ['steps', 'budget-seconds', 'workers', 'backend'] as const;

export function builder(y: Argv): Argv {
  return y
    .positional('experiment', { type: 'string', describe: 'experiment file (flags override its settings)' })
    .options(yargsOptions(KEYS))
    .option('resume', { type: 'string', requiresArg: true, describe: `continue the run in this directory from its newest valid checkpoint; only --${RESUME_CHANGEABLE.join(', --')} may change (recorded in its config.json)`, group: 'Run and output:' })
    .options(sharedOptions(['quiet', 'json'], { quiet: 'here: the final summary line', json: 'here: the final summary' }))
    .example('$0 run experiments/quickstart.json', 'TFIM chain N=20 at h=1 with the RNN (a few minutes)')
    .example('$0 run --model tfim --n 12 --bc periodic --param h=0.7 --steps 600', 'from flags only')
    .example('$0 run --model heisenberg --n 10 --bc periodic --sign marshall --magnetization 0', 'Heisenberg chain in the S^z = 0 sector')
    .example('$0 run --resume runs/20261128-101500-tfim-rnn', 'continue an interrupted run')
    .example('$0 run --init-from runs/x --n 40', 'start from the weights of run x (another size)')
    .example('$0 run experiments/retrain-tfim-chain-demo.json --out runs/demo', 'a size schedule and its finite-size table (run again: continues it)');
}

export async function handler(argv: ArgumentsCamelCase): Promise<void> {
  const flags = flagsToSettings(argv, KEYS);
  let config;
  const resumeDir = argv.resume as string | undefined;
  if (resumeDir) {
    if (argv.experiment) throw new InputError('give either an experiment file or --resume, not both', '--resume');
    if (isScheduleDir(resumeDir)) return runScheduleCommand(argv, flags, { resumeDir });
    const extra = Object.keys(flags).filter((k) => !(RESUME_CHANGEABLE as readonly string[]).includes(k));
    if (extra.length) {
      throw new InputError(`only --${RESUME_CHANGEABLE.join(', --')} can change when resuming (got --${extra.join(', --')})`, '--resume');
    }
    const previous = readRunConfig(resumeDir);
    if ((previous as { command?: string }).command === 'fit') {
      throw new InputError('this is a vmc fit run directory; continue it with vmc fit --resume', '--resume');
    }
    config = { ...previous, ...flags };
  } else {
    const file = argv.experiment ? readExperimentFile(argv.experiment as string, SCHEDULE_FILE_KEYS) : {};
    const source = (argv.experiment as string | undefined) ?? 'flags';
    // a size schedule: its stages, then the finite-size table (src/run/schedule.ts)
    if (file.schedule) return runScheduleCommand(argv, flags, { file, source });
    if (file.extrapolate) throw new InputError('"extrapolate" needs a "schedule" of sizes', source);
    config = resolveExperiment(file, flags, source);
  }
  await withInterrupt('stopping after this step; saving a checkpoint', async (signal) => {
    const { dir, summary } = await runExperiment({
      config,
      resumeDir,
      signal,
      ...outputModes(argv),
    });
    if (argv.json) process.stdout.write(JSON.stringify({ ...summary, run_dir: dir }) + '\n');
    reportOutcome(summary.status, summary.message, `vmc run --resume ${dir}`, signal);
  });
}
