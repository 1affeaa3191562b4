/**
 * The SLURM executor: one sbatch script with a job array (array index = point index), submitted
 * with `sbatch`, followed with `squeue`, its ended tasks looked up with `sacct` (or, where the
 * cluster keeps no accounting, `scontrol show job`).
 *
 * Each array task runs `vmc sweep <dir> --point $SLURM_ARRAY_TASK_ID`, which issues the point's
 * `vmc run` exactly as the local pool does (src/sweep/point.ts) and records the outcome in the
 * point's status file, so results are collected from the sweep directory (a shared file system)
 * and a task that runs again (resubmission) resumes from its checkpoint. The task's wrapper
 * stays in the job's process group: at the time limit or on `scancel` SLURM sends SIGTERM to
 * every process of the job, `vmc run` saves a checkpoint after its current step, and the point
 * is recorded as interrupted (resumed by the next submission). The wrapper itself ignores the
 * signal so that it can record what happened.
 */
import { spawnSync } from 'node:child_process';
import { InputError } from '../errors.js';
import { paths, type Manifest } from './manifest.js';
import { pointCommands } from './point.js';
import type { SlurmSettings } from './spec.js';

/** A word for bash: single-quoted unless it is plainly safe. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** 0,1,2,3,5,7,8 → "0-3,5,7-8" */
export function arrayRanges(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface ScriptOptions {
  dir: string;
  manifest: Manifest;
  /** point indices to run */
  indices: number[];
  settings: SlurmSettings;
  /** cpus per task when the settings do not give them */
  cpusPerTask: number;
  /** working directory of the tasks (the submitting shell's) */
  cwd: string;
  /** the command of one array task (src/cli/sweep-task.ts), completed by the sweep directory and the index */
  task: string[];
  /** a job name (default vmc-<sweep dir name>) */
  jobName: string;
  /** per point: whether it will resume from a checkpoint (for the comment listing the commands) */
  resumes: (index: number) => boolean;
}

/** A path in an #SBATCH line: double-quoted when it has blanks (sbatch splits the line at them). */
function sbatchPath(p: string): string {
  if (/[\r\n"]/.test(p)) throw new InputError('a path for SLURM cannot contain line breaks or double quotes', p);
  return /\s/.test(p) ? `"${p}"` : p;
}

/** The sbatch script of a submission. */
export function sbatchScript(o: ScriptOptions): string {
  const s = o.settings;
  const about = (o.manifest.description ?? '').replace(/\s+/g, ' ').trim();
  const array = arrayRanges(o.indices) + (s['max-parallel'] ? `%${s['max-parallel']}` : '');
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${o.jobName.replace(/[^A-Za-z0-9._-]+/g, '_')}`,
    `#SBATCH --array=${array}`,
    `#SBATCH --output=${sbatchPath(`${paths.slurmLogs(o.dir)}/%A_%a.out`)}`,
    `#SBATCH --chdir=${sbatchPath(o.cwd)}`,
    `#SBATCH --cpus-per-task=${s['cpus-per-task'] ?? o.cpusPerTask}`,
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.mem ? [`#SBATCH --mem=${s.mem}`] : []),
    ...(s.sbatch ?? []).map((opt) => `#SBATCH ${opt}`),
    '#',
    `# vmc sweep ${o.dir.replace(/\s+/g, ' ')}${about ? ` — ${about.length > 100 ? `${about.slice(0, 99)}…` : about}` : ''}`,
    `# ${o.indices.length} of ${o.manifest.points.length} points; array index = point index. Each task runs`,
    '# `sweep-task DIR INDEX` (= `vmc sweep DIR --point INDEX`), which issues the point\'s vmc run',
    '# (resumed from its checkpoint if it has one) and records the outcome in DIR/points/<name>.status.json:',
  ];
  const measure = o.manifest.measure;
  for (const i of o.indices) {
    const p = o.manifest.points[i]!;
    const cmds = pointCommands(o.dir, p, { trained: false, measured: false, checkpoint: o.resumes(i) }, measure);
    for (const c of cmds) lines.push(`#   ${String(i).padStart(3)}  vmc ${c.args.join(' ')}`);
  }
  lines.push('set -u', ...(s.setup ?? []), `exec ${[...o.task, o.dir].map(shellQuote).join(' ')} "$SLURM_ARRAY_TASK_ID"`, '');
  return lines.join('\n');
}

interface Command {
  code: number | null;
  out: string;
  err: string;
  missing: boolean;
}

function command(name: string, args: string[]): Command {
  const r = spawnSync(name, args, { encoding: 'utf8', timeout: 60_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error && !missing ? String(r.error.message) : ''), missing };
}

/** Submits a script; returns the job id. */
export function submit(scriptPath: string): string {
  const r = command('sbatch', ['--parsable', scriptPath]);
  if (r.missing) throw new InputError('sbatch not found: --executor slurm needs SLURM\'s commands on the PATH (a cluster\'s login node)', '--executor');
  if (r.code !== 0) {
    const msg = r.err.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? `exit code ${r.code}`;
    throw new InputError(`sbatch refused the job: ${msg.replace(/^sbatch: error: /, '')}`, scriptPath);
  }
  const id = r.out.trim().split(/[;\s]/)[0] ?? '';
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id (got ${JSON.stringify(r.out.trim())})`);
  return id;
}

/**
 * The array tasks of `jobId` still in the queue: index → state (PENDING, RUNNING, …); empty when
 * the job has left the queue; null when squeue cannot tell (not installed, controller down).
 */
export function queueStates(jobId: string): Map<number, string> | null {
  const r = command('squeue', ['-h', '-r', '-j', jobId, '-o', '%K %T']);
  if (r.missing) return null;
  if (r.code !== 0) return /Invalid job id/i.test(r.err) ? new Map() : null;
  const out = new Map<number, string>();
  for (const line of r.out.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

export interface EndedTask {
  state: string;
  exit: string;
}

/** Final states of the ended array tasks of `jobId`: sacct, else scontrol (accounting disabled); empty if neither knows. */
export function endedTasks(jobId: string): Map<number, EndedTask> {
  const out = new Map<number, EndedTask>();
  const acct = command('sacct', ['-j', jobId, '-n', '-P', '-X', '-o', 'JobID,State,ExitCode']);
  if (acct.code === 0) {
    for (const line of acct.out.split('\n')) {
      const m = /^(\d+)_(\d+)\|([A-Z_]+)[^|]*\|(\S*)/.exec(line.trim());
      if (m && m[1] === jobId) out.set(Number(m[2]), { state: m[3]!, exit: m[4]! });
    }
    if (out.size > 0) return out;
  }
  const ctl = command('scontrol', ['show', 'job', jobId, '-o']);
  if (ctl.code === 0) {
    for (const line of ctl.out.split('\n')) {
      const task = /\bArrayTaskId=(\d+)\b/.exec(line);
      const state = /\bJobState=([A-Z_]+)/.exec(line);
      const exit = /\bExitCode=(\S+)/.exec(line);
      if (task && state && /\bArrayJobId=(\d+)\b/.exec(line)?.[1] === jobId) out.set(Number(task[1]), { state: state[1]!, exit: exit?.[1] ?? '' });
    }
  }
  return out;
}
