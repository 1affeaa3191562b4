/** `vmc sweep`: a grid of experiments, locally or as a SLURM job array; resumable; one table and plots. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { InputError } from '../errors.js';
import type { PoolStop } from '../sweep/local.js';
import { recordExitCode } from '../sweep/point.js';
import { checkSlurmMem, checkSlurmPartition, checkSlurmTime, readSweepFile, type SlurmSettings } from '../sweep/spec.js';
import { collectSweep, countsText, runOnePoint, runSweep, sweepStatusReport, type SweepResult } from '../sweep/sweep.js';
import { signalExitCode } from './interrupt.js';
import { sharedOptions } from './options.js';

export const command = 'sweep [sweep]';
export const describe = 'run a grid of experiments (locally or as a SLURM job array); table and plots in the sweep directory';

const SLURM = 'SLURM:';
const SWEEP = 'Sweep:';

export function builder(y: Argv): Argv {
  return y
    .positional('sweep', { type: 'string', describe: 'sweep file (or a sweep directory, to continue the sweep recorded there)' })
    .option('executor', { type: 'string', choices: ['local', 'slurm'], requiresArg: true, group: SWEEP, describe: 'run the points here (a pool of vmc processes) or as a SLURM job array [default: the file\'s, else local]' })
    .option('out', { type: 'string', requiresArg: true, group: SWEEP, describe: 'sweep directory [default: the file\'s "out", else runs/<sweep file name>]' })
    .option('jobs', { type: 'number', requiresArg: true, group: SWEEP, describe: 'local: cores of the pool; each run counts its threads (--workers) against them [default: all cores]' })
    .option('retry-failed', { type: 'boolean', group: SWEEP, describe: 'run failed points again (resumed from their checkpoints where they have one)' })
    .option('measure', { type: 'boolean', group: SWEEP, describe: 'measure every point with vmc measure (the file\'s "measure" settings, else its defaults)' })
    .option('dry-run', { type: 'boolean', group: SWEEP, describe: 'print what would run (the sbatch script with --executor slurm) and change nothing' })
    .option('status', { type: 'string', requiresArg: true, group: SWEEP, describe: 'print the state of every point of the sweep in this directory' })
    .option('collect', { type: 'string', requiresArg: true, group: SWEEP, describe: 'write the table and plots of the sweep in this directory as it is now' })
    .option('point', { type: 'number', requiresArg: true, group: SWEEP, describe: 'run point K of the sweep directory given as argument in the foreground (what each SLURM array task runs)' })
    .option('partition', { type: 'string', requiresArg: true, group: SLURM, describe: 'sbatch --partition' })
    .option('time', { type: 'string', requiresArg: true, group: SLURM, describe: 'sbatch --time per point, e.g. 01:00:00' })
    .option('cpus-per-task', { type: 'number', requiresArg: true, group: SLURM, describe: 'sbatch --cpus-per-task [default: the largest "workers" of the points, else 1]' })
    .option('mem', { type: 'string', requiresArg: true, group: SLURM, describe: 'sbatch --mem per point, e.g. 4G' })
    .option('wait', { type: 'boolean', group: SLURM, describe: 'follow the job until it ends and collect (--no-wait: submit and return) [default: true]' })
    .option('poll', { type: 'number', requiresArg: true, group: SLURM, describe: 'seconds between squeue polls while following [default: 30]' })
    .options(sharedOptions(['quiet', 'json'], { quiet: 'here: the final table', json: 'here: the result (or status) as JSON' }))
    .example('$0 sweep experiments/sweep-tfim-chain-h.json', 'the TFIM chain across h = 0.2 … 2.0 on this machine')
    .example('$0 sweep experiments/sweep-tfim-chain-h.json --executor slurm --partition short --time 00:30:00', 'the same as a SLURM job array')
    .example('$0 sweep experiments/sweep-tfim-chain-h.json --executor slurm --dry-run', 'print the sbatch script only')
    .example('$0 sweep --status runs/sweep-tfim-chain-h', 'state of every point (from any shell)')
    .example('$0 sweep --collect runs/sweep-tfim-chain-h', 'table and plots of what has finished');
}

function positiveInt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError('given more than once', flag);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InputError(`expected a positive integer, got ${String(v)}`, flag);
  return v;
}

function single(v: unknown, flag: string): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError('given more than once', flag);
  return String(v);
}

function slurmFlags(argv: Record<string, unknown>): SlurmSettings {
  const out: SlurmSettings = {};
  const partition = single(argv.partition, '--partition');
  const time = single(argv.time, '--time');
  const mem = single(argv.mem, '--mem');
  const cpus = positiveInt(argv.cpusPerTask, '--cpus-per-task');
  if (partition !== undefined) out.partition = checkSlurmPartition(partition, '--partition');
  if (time !== undefined) out.time = checkSlurmTime(time, '--time');
  if (mem !== undefined) out.mem = checkSlurmMem(mem, '--mem');
  if (cpus !== undefined) out['cpus-per-task'] = cpus;
  return out;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function fmt(v: unknown, digits: number, exp = false): string {
  return typeof v === 'number' && Number.isFinite(v) ? (exp ? v.toExponential(digits) : v.toFixed(digits)) : '—';
}

/** The final table: one line per point. */
export function sweepText(r: SweepResult): string {
  const head = ['point', 'status', 'E ± error', 'E/N', 'rel. error', 'steps', 'wall s'];
  const rows = r.rows.map((p) => [
    p.name,
    p.status,
    p.energy === null ? '—' : `${fmt(p.energy, 6)} ± ${fmt(p.energy_error, 1, true)}`,
    fmt(p.energy_per_site, 6),
    fmt(p.relative_error, 2, true),
    p.steps === null ? '—' : String(p.steps),
    fmt(p.wall_seconds, 1),
  ]);
  const widths = head.map((_, c) => Math.max(...[head, ...rows].map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const failed = r.rows.filter((p) => p.status !== 'completed' && p.message).map((p) => `  ${p.name}: ${p.status}: ${p.message}`);
  return [line(head), ...rows.map(line), ...(failed.length ? ['', ...failed] : []), '', `${countsText(r.counts)}; wrote ${r.files.join(', ')} to ${r.dir}`, ''].join('\n');
}

export async function handler(argv: ArgumentsCamelCase): Promise<void> {
  const json = Boolean(argv.json);
  const quiet = Boolean(argv.quiet) || json;
  const say = quiet ? undefined : (line: string) => process.stdout.write(line + '\n');
  const statusDir = single(argv.status, '--status');
  const collectDir = single(argv.collect, '--collect');
  const target = argv.sweep as string | undefined;
  if ([statusDir, collectDir].filter((x) => x !== undefined).length + (argv.point !== undefined ? 1 : 0) > 1) {
    throw new InputError('give one of --status DIR, --collect DIR, --point K', '--status');
  }

  if (statusDir !== undefined) {
    if (target !== undefined) throw new InputError('--status takes the sweep directory as its value; give no other argument', '--status');
    const s = sweepStatusReport(statusDir);
    if (json) process.stdout.write(JSON.stringify(s) + '\n');
    else {
      const w = Math.max(5, ...s.points.map((p) => p.name.length));
      const job = s.slurm_jobs.length ? `; SLURM job${s.slurm_jobs.length > 1 ? 's' : ''} ${s.slurm_jobs.map((j) => j.job_id).join(', ')}` : '';
      process.stdout.write([`sweep ${s.dir}: ${countsText(s.counts)}${job}`, ...s.points.map((p) => `  ${p.name.padEnd(w)}  ${p.status}${p.message ? `: ${p.message}` : ''}`), ''].join('\n'));
    }
    return;
  }
  if (collectDir !== undefined) {
    if (target !== undefined) throw new InputError('--collect takes the sweep directory as its value; give no other argument', '--collect');
    const r = await collectSweep(collectDir);
    process.stdout.write(json ? JSON.stringify(r) + '\n' : sweepText(r));
    return;
  }
  if (target === undefined) throw new InputError('name a sweep file (or a sweep directory), or give --status DIR / --collect DIR', 'vmc sweep');
  if (argv.point !== undefined) {
    const index = argv.point as number;
    if (Array.isArray(index) || !Number.isInteger(index) || index < 0) throw new InputError(`expected a point index ≥ 0, got ${String(index)}`, '--point');
    if (!isDir(target)) throw new InputError('--point needs the sweep directory as argument', target);
    // SLURM signals every process of the task: vmc run saves its checkpoint; this process only
    // has to outlive it to record the outcome
    const ignore = () => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    const r = await runOnePoint(target, index);
    if (!quiet) process.stdout.write(`point ${r.name}: ${r.status}${r.message ? ` (${r.message})` : ''}\n`);
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
    process.exitCode = recordExitCode(r);
    return;
  }

  const dirGiven = isDir(target) && existsSync(join(target, 'sweep.json'));
  const spec = dirGiven ? undefined : readSweepFile(target);
  const out = single(argv.out, '--out');
  if (dirGiven && out !== undefined) throw new InputError('a sweep directory was given; --out names the directory of a sweep file', '--out');
  const poll = argv.poll === undefined ? undefined : Number(argv.poll);
  if (poll !== undefined && !(poll > 0)) throw new InputError(`expected a positive number of seconds, got ${String(argv.poll)}`, '--poll');

  const stop: PoolStop = { requested: false };
  let received: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    const forward = sig === 'SIGHUP' ? 'SIGTERM' : sig;
    if (received) {
      process.stderr.write(`\nvmc: ${sig} again: the running points stop at once (each keeps its last checkpoint)\n`);
      stop.forward?.(forward);
      return;
    }
    received = sig;
    stop.requested = true;
    process.stderr.write(`\nvmc: ${sig}: no new points start; running points save a checkpoint and stop (${sig} again to stop them at once)\n`);
    stop.forward?.(forward);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  try {
    const r = await runSweep({
      spec,
      dir: dirGiven ? target : (out ?? (spec ? undefined : target)),
      executor: argv.executor as 'local' | 'slurm' | undefined,
      jobs: positiveInt(argv.jobs, '--jobs'),
      retryFailed: Boolean(argv.retryFailed),
      measure: Boolean(argv.measure),
      dryRun: Boolean(argv.dryRun),
      slurm: slurmFlags(argv),
      wait: argv.wait === undefined ? undefined : Boolean(argv.wait),
      pollSeconds: poll,
      stop,
      onMessage: say,
    });
    if (r.status === 'dry-run') {
      if (json) process.stdout.write(JSON.stringify(r) + '\n');
      else if (r.script !== undefined) process.stdout.write(r.script);
      else process.stdout.write([`sweep ${r.dir}: ${r.plan!.length} point(s) would run`, ...r.plan!.flatMap((p) => p.commands.map((c) => `  ${p.name}: ${c}`)), ''].join('\n'));
      return;
    }
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
    else if (r.status !== 'submitted') process.stdout.write((say ? '\n' : '') + sweepText(r));
    // 0 only when every point completed (or a SLURM job was left running by --no-wait / Ctrl-C)
    if (received) process.exitCode = signalExitCode(received);
    else if (r.status === 'failed' || r.status === 'interrupted') process.exitCode = 1;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
