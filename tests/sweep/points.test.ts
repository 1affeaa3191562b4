/**
 * What a sweep does with each point, without running one: the state derived from its files, the
 * vmc commands that remain (fresh, resumed, measured), the outcome of an exit, the plan of a
 * re-run (skip finished, resume interrupted, failed only with retryFailed), the manifest check,
 * the lock, and the sbatch script.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, derivePointState, paths, readRecord, writeManifest, writeRecord, type PointRecord, type RunFilesState } from '../../src/sweep/manifest.js';
import { classifyExit, errorLine, pointCommands, recordExitCode } from '../../src/sweep/point.js';
import { arrayRanges, sbatchScript, shellQuote } from '../../src/sweep/slurm.js';
import { parseSweep } from '../../src/sweep/spec.js';
import { newManifest, openManifest, refreshStates, runSweep } from '../../src/sweep/sweep.js';

const files = (over: Partial<RunFilesState> = {}): RunFilesState => ({ summary: null, checkpoint: false, measured: false, exists: false, ...over });
const rec = (over: Partial<PointRecord>): PointRecord => ({ status: 'running', phase: 'run', host: 'h', pid: 1, executor: 'local', started_at: '2026-01-01T00:00:00Z', ...over });
const alive = () => true;
const dead = () => false;

test('state of a point from its files', () => {
  assert.equal(derivePointState(files(), null, false, dead).status, 'pending');
  assert.equal(derivePointState(files({ summary: 'completed', checkpoint: true }), null, false, dead).status, 'completed');
  // measuring: completed only with measure.json; until then there is something left to do
  assert.equal(derivePointState(files({ summary: 'completed', checkpoint: true }), null, true, dead).status, 'pending');
  assert.equal(derivePointState(files({ summary: 'completed', checkpoint: true, measured: true }), null, true, dead).status, 'completed');
  assert.equal(derivePointState(files({ checkpoint: true }), rec({ status: 'running' }), false, alive).status, 'running');
  // a running record whose process is gone (the sweep was killed): interrupted, resumable
  const stale = derivePointState(files({ checkpoint: true }), rec({ status: 'running' }), false, dead);
  assert.equal(stale.status, 'interrupted');
  assert.match(stale.message!, /ended without recording an outcome/);
  assert.equal(derivePointState(files({ checkpoint: true }), rec({ status: 'interrupted', message: 'stopped by SIGINT' }), false, dead).status, 'interrupted');
  assert.equal(derivePointState(files({ checkpoint: true, summary: 'interrupted' }), null, false, dead).status, 'interrupted');
  const failed = derivePointState(files({ checkpoint: true }), rec({ status: 'failed', message: 'killed by SIGKILL' }), false, dead);
  assert.deepEqual([failed.status, failed.message], ['failed', 'killed by SIGKILL']);
  const diverged = derivePointState(files({ summary: 'diverged', summaryMessage: 'energy is NaN at step 7', checkpoint: true }), null, false, dead);
  assert.deepEqual([diverged.status, diverged.message], ['failed', 'energy is NaN at step 7']);
});

test('the commands that remain: fresh, resumed from a checkpoint, measured', () => {
  const p = { name: '003-h=1' };
  const fresh = pointCommands('/s', p, { trained: false, measured: false, checkpoint: false }, null);
  assert.deepEqual(fresh, [{ phase: 'run', args: ['run', '/s/points/003-h=1.json', '--out', '/s/003-h=1', '--quiet'], fresh: true }]);
  const resume = pointCommands('/s', p, { trained: false, measured: false, checkpoint: true }, { samples: 400, only: ['magnetization', 'renyi'] });
  assert.deepEqual(resume.map((c) => c.args), [
    ['run', '--resume', '/s/003-h=1', '--quiet'],
    ['measure', '/s/003-h=1', '--quiet', '--samples', '400', '--only', 'magnetization,renyi'],
  ]);
  assert.deepEqual(pointCommands('/s', p, { trained: true, measured: false, checkpoint: true }, {}).map((c) => c.args), [['measure', '/s/003-h=1', '--quiet']]);
  assert.deepEqual(pointCommands('/s', p, { trained: true, measured: false, checkpoint: true }, null), []);
});

test('outcome of a vmc process: exit codes, signals, the one-line error', () => {
  const none = '/nonexistent-run-dir';
  assert.equal(errorLine('progress\nvmc: error: lattice: a chain needs --n\n'), 'error: lattice: a chain needs --n');
  assert.equal(errorLine('warning\nsomething else broke\n'), 'something else broke');
  assert.equal(errorLine(''), null);
  assert.deepEqual(classifyExit(2, null, 'vmc: error: S.json: n: expected an integer\n', 'run', none), { status: 'failed', message: 'error: S.json: n: expected an integer' });
  assert.deepEqual(classifyExit(null, 'SIGKILL', '', 'run', none), { status: 'failed', message: 'killed by SIGKILL' });
  assert.deepEqual(classifyExit(130, null, '', 'run', none), { status: 'interrupted', message: 'stopped by SIGINT' });
  assert.deepEqual(classifyExit(null, 'SIGTERM', '', 'measure', none), { status: 'interrupted', message: 'measure: stopped by SIGTERM' });
  assert.match(classifyExit(0, null, '', 'run', none).message!, /without a completed summary/);
  assert.deepEqual(classifyExit(0, null, '', 'measure', none), { status: 'completed' });
  assert.deepEqual(classifyExit(1, null, 'vmc: failed: out of disk\n', 'measure', none), { status: 'failed', message: 'measure: failed: out of disk' });
  assert.equal(recordExitCode({ status: 'interrupted', exit_code: 130, signal: null }), 130);
  assert.equal(recordExitCode({ status: 'interrupted', exit_code: null, signal: 'SIGTERM' }), 143);
  assert.equal(recordExitCode({ status: 'failed', exit_code: 2, signal: null }), 1);
});

const SWEEP = { base: { model: 'tfim', n: 4, hidden: 4, samples: 16, steps: 3 }, grid: { seed: [1, 2] }, zip: { 'param.h': [0.5, 1], steps: [3, 6] } };

test('re-running plans: finished points skipped, interrupted resumed, failed only with retryFailed, bad settings fail alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-sweep-plan-'));
  const spec = parseSweep({ ...SWEEP, grid: { seed: [1, 2, 3] }, zip: { 'param.h': [0.5, 1], magnetization: [null, 0] } }, { file: 'S.json' });
  const m = newManifest(spec);
  writeManifest(dir, m);
  const names = m.points.map((p) => p.name);
  assert.equal(names.length, 6);
  // 0 completed, 2 failed, 4 interrupted with a checkpoint, the rest pending; odd points fix S^z, which the TFIM does not conserve
  mkdirSync(join(dir, names[0]!));
  writeFileSync(join(dir, names[0]!, 'summary.json'), JSON.stringify({ status: 'completed' }));
  mkdirSync(paths.points(dir));
  writeRecord(dir, names[2]!, rec({ status: 'failed', message: 'killed by SIGKILL', pid: 0 }));
  mkdirSync(join(dir, names[4]!));
  writeFileSync(join(dir, names[4]!, 'checkpoint.json'), '{}');
  const plan = await runSweep({ dir, dryRun: true });
  assert.equal(plan.status, 'dry-run');
  assert.deepEqual(plan.plan!.map((p) => [p.index, p.commands[0]!.split(' ').slice(0, 3).join(' ')]), [[4, 'vmc run --resume']]);
  // the points with a fixed S^z do not make a model: they fail before anything runs, the others are untouched
  assert.deepEqual(plan.counts, { completed: 1, failed: 4, interrupted: 1 });
  const retry = await runSweep({ dir, dryRun: true, retryFailed: true });
  assert.deepEqual(retry.plan!.map((p) => p.index), [2, 4]);
  assert.match(retry.plan![0]!.commands[0]!, new RegExp(`^vmc run ${paths.experiment(dir, names[2]!)} --out ${join(dir, names[2]!)} --quiet$`));
});

test('the manifest holds the sweep: the same file continues it, other settings are refused naming the difference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-sweep-manifest-'));
  const spec = parseSweep(SWEEP, { file: 'S.json' });
  const m = newManifest(spec);
  assert.deepEqual(m.varying, ['seed', 'param.h', 'steps']);
  assert.deepEqual(m.points.map((p) => [p.name, p.status]), [
    ['000-seed=1_h=0.5_steps=3', 'pending'],
    ['001-seed=1_h=1_steps=6', 'pending'],
    ['002-seed=2_h=0.5_steps=3', 'pending'],
    ['003-seed=2_h=1_steps=6', 'pending'],
  ]);
  assert.deepEqual(m.points[3]!.settings, { model: 'tfim', n: 4, hidden: 4, samples: 16, steps: 6, seed: 2, param: { h: 1 } });
  writeManifest(dir, m);
  assert.equal(openManifest(dir, spec).fresh, false);
  const measured = openManifest(dir, parseSweep({ ...SWEEP, measure: true }, { file: 'S.json' }));
  assert.deepEqual(measured.manifest.measure, {});
  assert.throws(
    () => openManifest(dir, parseSweep({ ...SWEEP, base: { ...SWEEP.base, samples: 32 } }, { file: 'S.json' })),
    /holds a sweep with other settings: point 000-seed=1_h=0\.5_steps=3 has other settings \(samples: 16 → 32\)/,
  );
  assert.throws(() => openManifest(dir, parseSweep({ ...SWEEP, grid: { seed: [1, 2, 3] } }, { file: 'S.json' })), /4 points there, 6 in the file/);
  const other = mkdtempSync(join(tmpdir(), 'vmc-sweep-other-'));
  writeFileSync(join(other, 'x'), '');
  assert.throws(() => openManifest(other, spec), /exists and is not a sweep directory/);
});

test('one vmc sweep per directory: the lock refuses a second one and is taken over when its holder is gone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-sweep-lock-'));
  const release = acquireLock(dir);
  assert.throws(() => acquireLock(dir), /another vmc sweep \(pid \d+, started .*\) works on this directory/);
  release();
  acquireLock(dir)();
  writeFileSync(paths.lock(dir), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started_at: 'then' }));
  const again = acquireLock(dir);
  again();
});

test('sbatch script: one array index per point, the SLURM settings, the extra lines, the task command', () => {
  assert.equal(arrayRanges([0, 1, 2, 3, 5, 7, 8]), '0-3,5,7-8');
  assert.equal(arrayRanges([4]), '4');
  assert.equal(shellQuote('/a/b=c'), '/a/b=c');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  const spec = parseSweep({ ...SWEEP, description: 'test sweep' }, { file: 'S.json' });
  const m = newManifest(spec);
  const script = sbatchScript({
    dir: '/data/my sweep',
    manifest: m,
    indices: [0, 1, 3],
    settings: { partition: 'short', time: '00:30:00', mem: '2G', sbatch: ['--account=abc'], setup: ['module load nodejs'], 'max-parallel': 2 },
    cpusPerTask: 1,
    cwd: '/home/me',
    task: ['/usr/bin/node', '/opt/vmc/dist/src/cli/sweep-task.js'],
    jobName: 'vmc-my sweep',
    resumes: (i) => i === 3,
  });
  const lines = script.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  for (const l of ['#SBATCH --job-name=vmc-my_sweep', '#SBATCH --array=0-1,3%2', '#SBATCH --output="/data/my sweep/slurm/%A_%a.out"', '#SBATCH --chdir=/home/me', '#SBATCH --cpus-per-task=1', '#SBATCH --partition=short', '#SBATCH --time=00:30:00', '#SBATCH --mem=2G', '#SBATCH --account=abc', 'module load nodejs']) {
    assert.ok(lines.includes(l), `missing line ${l}\n${script}`);
  }
  assert.ok(lines.some((l) => /^#\s+0 {2}vmc run '?\/data\/my sweep\/points\/000-seed=1_h=0\.5_steps=3\.json'? --out/.test(l)), script);
  assert.ok(lines.some((l) => l === '#     3  vmc run --resume /data/my sweep/003-seed=2_h=1_steps=6 --quiet'), script);
  assert.equal(lines.filter((l) => l.startsWith('#SBATCH')).length, 9);
  assert.equal(lines[lines.length - 2], `exec /usr/bin/node /opt/vmc/dist/src/cli/sweep-task.js '/data/my sweep' "$SLURM_ARRAY_TASK_ID"`);
});

test('SLURM states: a pending task is queued; a task that ended without a word is failed or interrupted as sacct says', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-sweep-slurmstate-'));
  const spec = parseSweep(SWEEP, { file: 'S.json' });
  const m = newManifest(spec);
  m.slurm_jobs.push({ job_id: '77', submitted_at: '2026-01-01T00:00:00.000Z', indices: [0, 1, 2, 3], script: 'x' });
  writeManifest(dir, m);
  mkdirSync(paths.points(dir));
  // 0 completed; 1 started and vanished (killed with its wrapper); 2 still pending; 3 cancelled before it started (then: as if it had started and hit its time limit)
  mkdirSync(join(dir, m.points[0]!.name));
  writeFileSync(join(dir, m.points[0]!.name, 'summary.json'), JSON.stringify({ status: 'completed' }));
  writeRecord(dir, m.points[1]!.name, rec({ status: 'running', executor: 'slurm', slurm_job: '77_1', host: 'node7', started_at: '2026-01-01T00:01:00.000Z' }));
  // stand-ins for SLURM's commands: squeue lists index 2 as pending; sacct has the ended tasks
  const bin = mkdtempSync(join(tmpdir(), 'vmc-fake-slurm-'));
  writeFileSync(join(bin, 'squeue'), '#!/bin/sh\necho "2 PENDING"\n', { mode: 0o755 });
  writeFileSync(join(bin, 'sacct'), '#!/bin/sh\nprintf "77_0|COMPLETED|0:0\\n77_1|OUT_OF_MEMORY|0:125\\n77_3|CANCELLED by 0|0:0\\n"\n', { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    const states = refreshStates(dir, m, { persist: true });
    assert.deepEqual(states.map((s) => s.status), ['completed', 'failed', 'queued', 'pending']);
    assert.equal(states[1]!.message, 'SLURM job 77_1 ended OUT_OF_MEMORY (exit 0:125) without recording an outcome');
    assert.equal(states[3]!.message, 'SLURM job 77_3 ended CANCELLED before it started');
    writeRecord(dir, m.points[3]!.name, rec({ status: 'running', executor: 'slurm', slurm_job: '77_3', host: 'node7', started_at: '2026-01-01T00:01:00.000Z' }));
    writeFileSync(join(bin, 'sacct'), '#!/bin/sh\nprintf "77_3|TIMEOUT|0:0\\n"\n', { mode: 0o755 });
    const later = refreshStates(dir, m);
    assert.equal(later[3]!.status, 'interrupted');
    assert.match(later[3]!.message!, /^SLURM job 77_3 ended TIMEOUT/);
    // persisted: the next look (e.g. after sacct has forgotten the job) says the same
    assert.equal(readRecord(dir, m.points[1]!.name)!.status, 'failed');
  } finally {
    process.env.PATH = path;
  }
});
