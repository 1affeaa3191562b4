/**
 * Running one point of a sweep: the `vmc run` (and, with measuring, `vmc measure`) invocations
 * that bring it to completion, started as child processes, with the outcome recorded in the
 * point's status file. The local pool and every SLURM array task (`vmc sweep DIR --point K`)
 * run points through this one function, so both executors issue the same commands:
 *
 *   fresh:   vmc run <sweep>/points/<name>.json --out <sweep>/<name> --quiet
 *   resume:  vmc run --resume <sweep>/<name> --quiet          (a checkpoint exists)
 *   measure: vmc measure <sweep>/<name> --quiet [--samples K] [--seed S] [--only LIST]
 *
 * Outcomes: exit 0 → completed (training: summary.json must say so); exit 130/143 or SIGINT/
 * SIGTERM → interrupted (resumable); any other exit or signal → failed, with vmc's one-line
 * error (or "killed by SIGKILL") as the message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../paths.js';
import { derivePointState, paths, readRecord, runFilesState, writeRecord, type DerivedState, type ManifestPoint, type PointRecord } from './manifest.js';
import type { MeasureSettings } from './spec.js';

/** This Node running one of the package's entry points in src/cli (the sources through tsx, or the build). */
function entryCommand(name: string): string[] {
  if (fileURLToPath(import.meta.url).endsWith('.ts')) return [process.execPath, '--import', 'tsx', join(packageRoot(), 'src', 'cli', `${name}.ts`)];
  return [process.execPath, join(packageRoot(), 'dist', 'src', 'cli', `${name}.js`)];
}

/** The command that starts vmc. */
export function vmcCommand(): string[] {
  return entryCommand('main');
}

/**
 * The command of a SLURM array task: `sweep-task DIR INDEX` is `vmc sweep DIR --point INDEX`
 * without loading TensorFlow and the plotting library into the waiting process (the point's
 * vmc run loads them).
 */
export function taskCommand(): string[] {
  return entryCommand('sweep-task');
}

/** The exit code of a process that ran a point: 0 completed, 1 failed, 130/143 interrupted by SIGINT/SIGTERM. */
export function recordExitCode(r: Pick<PointRecord, 'status' | 'exit_code' | 'signal'>): number {
  if (r.status === 'completed') return 0;
  if (r.status === 'interrupted') return r.exit_code === 130 || r.signal === 'SIGINT' ? 130 : 143;
  return 1;
}

export interface PointCommand {
  phase: 'run' | 'measure';
  /** arguments after `vmc` */
  args: string[];
  /** a fresh start: the run directory is removed first if it exists (it then has no checkpoint) */
  fresh?: boolean;
}

/** vmc measure's flags for the sweep's measure settings. */
export function measureArgs(m: MeasureSettings): string[] {
  return [
    ...(m.samples !== undefined ? ['--samples', String(m.samples)] : []),
    ...(m.seed !== undefined ? ['--seed', String(m.seed)] : []),
    ...(m.only !== undefined ? ['--only', m.only.join(',')] : []),
  ];
}

/** The commands that remain to bring a point to completion, from its state. */
export function pointCommands(dir: string, point: Pick<ManifestPoint, 'name'>, state: Pick<DerivedState, 'trained' | 'measured' | 'checkpoint'>, measure: MeasureSettings | null): PointCommand[] {
  const runDir = paths.run(dir, point.name);
  const out: PointCommand[] = [];
  if (!state.trained) {
    out.push(
      state.checkpoint
        ? { phase: 'run', args: ['run', '--resume', runDir, '--quiet'] }
        : { phase: 'run', args: ['run', paths.experiment(dir, point.name), '--out', runDir, '--quiet'], fresh: true },
    );
  }
  if (measure && !state.measured) out.push({ phase: 'measure', args: ['measure', runDir, '--quiet', ...measureArgs(measure)] });
  return out;
}

/** vmc's one-line error from the tail of its stderr ("vmc: error: …" / "vmc: failed: …"), or the last line. */
export function errorLine(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const vmc = lines.filter((l) => /^vmc: (error|failed): /.test(l));
  const line = vmc.length > 0 ? vmc[vmc.length - 1]! : lines[lines.length - 1];
  return line === undefined ? null : line.replace(/^vmc: /, '');
}

export interface Outcome {
  status: 'completed' | 'interrupted' | 'failed';
  message?: string;
}

/** The outcome of one vmc process from its exit and stderr. */
export function classifyExit(code: number | null, signal: string | null, stderr: string, phase: 'run' | 'measure', runDir: string): Outcome {
  const prefix = phase === 'measure' ? 'measure: ' : '';
  if (signal === 'SIGINT' || signal === 'SIGTERM' || code === 130 || code === 143) {
    const sig = signal ?? (code === 130 ? 'SIGINT' : 'SIGTERM');
    return { status: 'interrupted', message: `${prefix}stopped by ${sig}` };
  }
  if (signal) return { status: 'failed', message: `${prefix}killed by ${signal}` };
  const files = runFilesState(runDir);
  if (code === 0) {
    if (phase === 'run' && files.summary !== 'completed') return { status: 'failed', message: `vmc run ended without a completed summary (status ${files.summary ?? 'missing'})` };
    return { status: 'completed' };
  }
  if (phase === 'run' && files.summary === 'diverged' && files.summaryMessage) return { status: 'failed', message: files.summaryMessage };
  return { status: 'failed', message: prefix + (errorLine(stderr) ?? `vmc ${phase} exited with code ${code}`) };
}

export interface RunPointOptions {
  dir: string;
  point: ManifestPoint;
  measure: MeasureSettings | null;
  vmc: string[];
  executor: 'local' | 'slurm';
  /** own process group (the local pool forwards signals itself), or the caller's (a SLURM task: SLURM signals every process) */
  detached: boolean;
  /** called with each child when it starts, and with null when it ends */
  onChild?: (child: ChildProcess | null) => void;
  /** "<job>_<index>" under SLURM */
  slurmJob?: string;
}

const TAIL = 8192;

/** Brings one point to completion (or as far as it goes) and records the outcome. */
export async function runPoint(opts: RunPointOptions): Promise<PointRecord> {
  const { dir, point } = opts;
  const runDir = paths.run(dir, point.name);
  const state = derivePointState(runFilesState(runDir), readRecord(dir, point.name), opts.measure !== null, () => false);
  const commands = pointCommands(dir, point, state, opts.measure);
  const started = new Date().toISOString();
  const base = { host: hostname(), executor: opts.executor, started_at: started, ...(opts.slurmJob ? { slurm_job: opts.slurmJob } : {}) };
  let record: PointRecord = { ...base, status: 'completed', phase: opts.measure ? 'measure' : 'run', pid: process.pid, ended_at: started, exit_code: 0 };
  const log = openSync(paths.log(dir, point.name), 'a');
  try {
    for (const cmd of commands) {
      if (cmd.fresh && existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
      const argv = [...opts.vmc, ...cmd.args];
      writeSync(log, `\n=== ${new Date().toISOString()} on ${base.host}${opts.slurmJob ? ` (SLURM job ${opts.slurmJob})` : ''}: vmc ${cmd.args.join(' ')}\n`);
      const { code, signal, stderr, pid } = await runChild(argv, log, opts, (child) => {
        writeRecord(dir, point.name, { ...base, status: 'running', phase: cmd.phase, pid: child.pid ?? process.pid, command: argv });
      });
      const outcome = classifyExit(code, signal, stderr, cmd.phase, runDir);
      record = { ...base, ...outcome, phase: cmd.phase, pid, ended_at: new Date().toISOString(), exit_code: code, signal, command: argv };
      writeSync(log, `=== ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}\n`);
      if (outcome.status !== 'completed') break;
    }
  } finally {
    closeSync(log);
  }
  writeRecord(dir, point.name, record);
  return record;
}

interface ChildExit {
  code: number | null;
  signal: string | null;
  stderr: string;
  pid: number;
}

function runChild(argv: string[], log: number, opts: RunPointOptions, onStart: (child: ChildProcess) => void): Promise<ChildExit> {
  return new Promise((resolve) => {
    let tail = '';
    const child = spawn(argv[0]!, argv.slice(1), { detached: opts.detached, stdio: ['ignore', log, 'pipe'] });
    let done = false;
    const finish = (e: ChildExit): void => {
      if (done) return;
      done = true;
      opts.onChild?.(null);
      resolve(e);
    };
    child.on('error', (e) => finish({ code: null, signal: null, stderr: `vmc: failed: cannot start ${argv[0]}: ${e.message}`, pid: child.pid ?? 0 }));
    if (child.pid !== undefined) {
      onStart(child);
      opts.onChild?.(child);
    }
    child.stderr!.on('data', (chunk: Buffer) => {
      writeSync(log, chunk);
      tail = (tail + chunk.toString('utf8')).slice(-TAIL);
    });
    child.on('close', (code, signal) => finish({ code, signal, stderr: tail, pid: child.pid ?? 0 }));
  });
}
