/** `vmc run FILE` for an experiment file with a "schedule" (and `vmc run --resume SCHEDULE_DIR`): the stages, then the finite-size table. */
import type { ArgumentsCamelCase } from 'yargs';
import { InputError } from '../errors.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { finiteSizeText } from '../run/finite-size.js';
import { openScheduleDir, planSchedule, readSchedulePlan, runSchedule, type SchedulePlan } from '../run/schedule.js';
import { outputModes, signalExitCode, withInterrupt } from './interrupt.js';

/** Flags that may change when a schedule directory is resumed (every stage takes them). */
const RESUME_SCHEDULE_CHANGEABLE = ['workers', 'backend'] as const;

export async function runScheduleCommand(argv: ArgumentsCamelCase, flags: Partial<ExperimentConfig>, from: { resumeDir: string } | { file: Record<string, unknown>; source: string }): Promise<void> {
  let plan: SchedulePlan;
  if ('resumeDir' in from) {
    const extra = Object.keys(flags).filter((k) => !(RESUME_SCHEDULE_CHANGEABLE as readonly string[]).includes(k));
    if (extra.length) throw new InputError(`only --${RESUME_SCHEDULE_CHANGEABLE.join(', --')} can change when resuming a schedule (got --${extra.join(', --')}); to change steps, edit the file and run it again with the same --out`, '--resume');
    plan = readSchedulePlan(from.resumeDir, flags);
  } else {
    plan = openScheduleDir(planSchedule({ file: from.file as Parameters<typeof planSchedule>[0]['file'], flags, source: from.source }));
  }
  const modes = outputModes(argv);
  await withInterrupt('stopping after this step; saving a checkpoint', async (signal) => {
    const result = await runSchedule(plan, {
      signal,
      ...modes,
      onMessage: modes.quiet || modes.silent ? undefined : (line) => process.stdout.write(line + '\n'),
    });
    if (argv.json) process.stdout.write(JSON.stringify({ ...result.table, schedule_dir: result.dir }) + '\n');
    else process.stdout.write('\n' + finiteSizeText(result.table) + `wrote finite-size.json, finite-size.md, finite-size.svg to ${result.dir}\n`);
    if (result.table.status === 'diverged') {
      process.stderr.write(`vmc: ${result.message}\n`);
      process.exitCode = 1;
    } else if (result.table.status === 'interrupted') {
      process.stderr.write(`vmc: interrupted; continue with: vmc run --resume ${result.dir}\n`);
      process.exitCode = signalExitCode(signal.received ?? 'SIGINT');
    }
  });
}
