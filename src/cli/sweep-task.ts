#!/usr/bin/env node
/**
 * One SLURM array task of a sweep: `sweep-task DIR INDEX` does what `vmc sweep DIR --point INDEX`
 * does — runs the point's vmc run (fresh or resumed) and records the outcome — from an entry
 * point that loads only the sweep modules, so the process that waits for vmc run stays small.
 *
 * SLURM signals every process of the task (time limit, scancel): vmc run saves a checkpoint;
 * this process ignores the signal so that it outlives vmc run and records what happened.
 * Exit codes: 0 completed, 1 failed, 130/143 interrupted, 2 invalid input.
 */
import { InputError } from '../errors.js';
import { recordExitCode } from '../sweep/point.js';
import { runOnePoint } from '../sweep/sweep.js';

const [dir, index] = process.argv.slice(2);
const ignore = (): void => {};
process.on('SIGINT', ignore);
process.on('SIGTERM', ignore);
try {
  if (dir === undefined || index === undefined || !/^\d+$/.test(index)) throw new InputError('usage: sweep-task SWEEP_DIR POINT_INDEX', 'sweep-task');
  const r = await runOnePoint(dir, Number(index));
  process.stdout.write(`point ${r.name}: ${r.status}${r.message ? ` (${r.message})` : ''}\n`);
  process.exitCode = recordExitCode(r);
} catch (e) {
  process.stderr.write(`vmc: ${e instanceof InputError ? 'error' : 'failed'}: ${(e as Error)?.message ?? String(e)}\n`);
  process.exitCode = e instanceof InputError ? 2 : 1;
}
