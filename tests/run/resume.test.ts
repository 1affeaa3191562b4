/**
 * Resume keeps its promises: a new --steps is recorded (a resumed run resumed again continues to
 * it), another backend is warned about, the wall-clock budget counts training time only, and a
 * damaged checkpoint.json falls back to checkpoint.prev.json (or is refused naming both files).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { InputError } from '../../src/errors.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/run/checkpoint.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { readMetrics } from '../../src/run/metrics.js';
import { readRunConfig, runExperiment, type StopSignal } from '../../src/run/runner.js';

before(async () => {
  await initBackend('wasm');
});

const base = { model: 'tfim', n: 4, hidden: 4, samples: 16, 'eval-samples': 32, backend: 'wasm', 'checkpoint-every': 2 } as const;
const newRun = (over: Partial<ExperimentConfig> = {}): ExperimentConfig =>
  resolveExperiment({}, { ...base, out: join(mkdtempSync(join(tmpdir(), 'vmc-resume-')), 'run'), ...over });

/** Runs (or resumes) and stops once `stopAt` steps are done in total. */
async function runUntil(config: ExperimentConfig, stopAt: number, resumeDir?: string) {
  const signal: StopSignal = { stop: false };
  return runExperiment({ config, resumeDir, quiet: true, signal, onStep: (r) => (signal.stop = r.step >= stopAt) });
}

function warnings(dir: string): string[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.level === 'warn')
    .map((l) => l.msg as string);
}

test('--steps given on resume is recorded: resuming again continues to it', async () => {
  const first = await runUntil(newRun({ steps: 4 }), 2);
  const dir = first.dir;
  assert.equal(first.summary.status, 'interrupted');
  assert.equal(first.summary.steps, 2);
  // resume with --steps 7, interrupted again at 5
  const second = await runUntil({ ...readRunConfig(dir), steps: 7 }, 5, dir);
  assert.equal(second.summary.status, 'interrupted');
  assert.equal(readRunConfig(dir).steps, 7, 'config.json records the new --steps');
  // resume without flags: continues to 7, not the original 4
  const third = await runExperiment({ config: readRunConfig(dir), resumeDir: dir, quiet: true });
  assert.equal(third.summary.status, 'completed');
  assert.equal(third.summary.steps, 7);
  assert.deepEqual(readMetrics(join(dir, 'metrics.csv')).rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7]);
});

test('another --backend on resume is warned about (float32 kernels differ); the same one is not', async () => {
  const { dir } = await runUntil(newRun({ steps: 3 }), 1);
  await runUntil(readRunConfig(dir), 2, dir);
  assert.deepEqual(warnings(dir), []);
  const r = await runExperiment({ config: { ...readRunConfig(dir), backend: 'cpu' }, resumeDir: dir, quiet: true });
  assert.equal(r.summary.backend, 'cpu');
  const w = warnings(dir);
  assert.equal(w.length, 1);
  assert.match(w[0]!, /computed on the wasm backend and now continues on cpu.*not be bit-identical/);
  assert.equal(readRunConfig(dir).backend, 'cpu', 'config.json records the backend now in use');
  await initBackend('wasm');
});

test('the wall-clock budget on resume counts training time only, not earlier start-up or evaluation', async () => {
  const { dir } = await runUntil(newRun({ steps: 100 }), 2);
  // an earlier process that spent 1000 s outside the training loop (start-up, exact reference, …)
  const ck = loadCheckpoint(dir);
  const extra = ck.extra as { wallSeconds: number; trainingSeconds: number };
  assert.ok(extra.trainingSeconds > 0 && extra.trainingSeconds <= extra.wallSeconds);
  saveCheckpoint(dir, { ...ck, extra: { ...extra, wallSeconds: 1000 + extra.wallSeconds } });
  const r = await runExperiment({ config: { ...readRunConfig(dir), steps: 5, 'budget-seconds': 600 }, resumeDir: dir, quiet: true });
  assert.equal(r.summary.status, 'completed');
  assert.equal(r.summary.steps, 5, 'training continues: 1000 s of non-training time do not count');
  assert.ok(r.summary.wall_seconds >= 1000, 'the wall time still counts everything');
  // and the budget does stop training once the training time itself is spent
  const again = loadCheckpoint(dir);
  saveCheckpoint(dir, { ...again, extra: { ...(again.extra as object), trainingSeconds: 601 } });
  const stopped = await runExperiment({ config: { ...readRunConfig(dir), steps: 9 }, resumeDir: dir, quiet: true });
  assert.equal(stopped.summary.steps, 5);
  assert.match(stopped.summary.message ?? '', /time budget of 600 s reached after 5 steps/);
});

test('a damaged checkpoint.json: named, the previous checkpoint is used, the run completes; both damaged: refused', async () => {
  const { dir } = await runUntil(newRun({ steps: 100 }), 3); // checkpoints at step 2, then 3 on stopping
  assert.equal(loadCheckpoint(dir).step, 3);
  assert.equal(loadCheckpoint(dir, { previous: true }).step, 2);
  const text = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
  writeFileSync(join(dir, 'checkpoint.json'), text.slice(0, Math.floor(text.length / 2))); // truncated
  const r = await runExperiment({ config: { ...readRunConfig(dir), steps: 5 }, resumeDir: dir, quiet: true });
  assert.equal(r.summary.status, 'completed');
  assert.equal(r.summary.steps, 5);
  const w = warnings(dir);
  assert.equal(w.length, 1);
  assert.match(w[0]!, /checkpoint\.json: checkpoint is not valid JSON.*resumed from the previous checkpoint \(step 2/);
  assert.ok(existsSync(join(dir, 'checkpoint.damaged.json')));
  assert.deepEqual(readMetrics(join(dir, 'metrics.csv')).rows.map((row) => row.step), [1, 2, 3, 4, 5], 'metrics cut back to step 2, then 3..5');
  assert.equal(loadCheckpoint(dir).step, 5);

  // a change that keeps valid JSON (one digit of a parameter) is caught by the checksum
  const ck = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
  const at = ck.indexOf('"values":[') + ck.slice(ck.indexOf('"values":[')).search(/[1-9]/);
  const digit = ck[at]!;
  writeFileSync(join(dir, 'checkpoint.json'), ck.slice(0, at) + (digit === '1' ? '2' : '1') + ck.slice(at + 1));
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof InputError && /checkpoint\.json: checkpoint is damaged: its contents do not match its checksum/.test(e.message));
  writeFileSync(join(dir, 'checkpoint.prev.json'), '{"format":"vmc-checkpoint"');
  await assert.rejects(
    runExperiment({ config: { ...readRunConfig(dir), steps: 6 }, resumeDir: dir, quiet: true }),
    (e: unknown) => e instanceof InputError && /no usable checkpoint: .*checkpoint\.json: .*checksum.*; .*checkpoint\.prev\.json: checkpoint is not valid JSON/.test(e.message),
  );
});
