/**
 * vmc run --pretrain: NLL pre-training on exact samples, then VMC, in one run directory (both
 * phases logged and plotted); a run stopped inside the pre-training and resumed reproduces the
 * uninterrupted run's numbers; bad pre-training data are refused before the run directory exists.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { sampleGroundState, uniqueGroundState } from '../../src/exact/ground-samples.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { formatSamples } from '../../src/measure/sample-file.js';
import { loadCheckpoint } from '../../src/run/checkpoint.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { readMetrics } from '../../src/run/metrics.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { testBackend } from '../backend.js';
import { expectInputError } from '../input-error.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmc-pretrain-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let data = '';
before(async () => {
  await initBackend(testBackend());
  const lattice = chain(6, 'open');
  const gs = uniqueGroundState(compileHamiltonian(loadModel('tfim', { h: 1 }), lattice), lattice);
  const s = sampleGroundState(gs, 600, new Rng(9));
  data = join(tmp, 'data.csv');
  writeFileSync(data, formatSamples(s.configs, 600, 6, s.logAbsPsi, s.phase, 'csv'));
});

const config = (out: string, extra: Partial<ExperimentConfig> = {}): ExperimentConfig =>
  resolveExperiment({}, {
    model: 'tfim', n: 6, param: { h: 1 }, hidden: 6, steps: 6, samples: 100, 'eval-samples': 400, backend: 'wasm', seed: 4,
    pretrain: data, 'pretrain-epochs': 3, 'pretrain-batch-size': 50, 'pretrain-lr': 1e-2, 'checkpoint-every': 5, out, ...extra,
  });

test('pre-training then VMC in one run directory; stopped inside the pre-training and resumed, the same numbers', async () => {
  const whole = join(tmp, 'whole');
  const a = await runExperiment({ config: config(whole), quiet: true, silent: true });
  assert.equal(a.summary.status, 'completed');
  const pre = readMetrics(join(whole, 'pretrain.csv')).rows;
  assert.deepEqual(pre.map((r) => r.epoch), [1, 2, 3]);
  assert.deepEqual(pre.map((r) => r.step), [12, 24, 36]);
  assert.ok(pre[2].train_nll! < pre[0].train_nll!, 'the NLL falls during pre-training');
  assert.equal(readMetrics(join(whole, 'metrics.csv')).rows.length, 6);
  for (const f of ['nll.svg', 'energy.svg']) assert.ok(existsSync(join(whole, f)), f);
  const log = readFileSync(join(whole, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.filter((l) => l.phase === 'pretrain' && l.msg === 'pre-training epoch').length, 3);

  // stopped after 20 pre-training mini-batches (inside epoch 2), then resumed
  const parts = join(tmp, 'parts');
  let reads = 0;
  const signal = {
    get stop() {
      return ++reads > 20;
    },
  };
  const b = await runExperiment({ config: config(parts), signal, quiet: true, silent: true });
  assert.equal(b.summary.status, 'interrupted');
  assert.equal(readMetrics(join(parts, 'pretrain.csv')).rows.length, 1);
  const c = await runExperiment({ config: config(parts), resumeDir: parts, quiet: true, silent: true });
  assert.equal(c.summary.status, 'completed');
  assert.equal(c.summary.energy, a.summary.energy);
  assert.deepEqual(readMetrics(join(parts, 'pretrain.csv')).rows.map((r) => r.train_nll), pre.map((r) => r.train_nll));
  assert.deepEqual(readMetrics(join(parts, 'metrics.csv')).rows.map((r) => r.energy), readMetrics(join(whole, 'metrics.csv')).rows.map((r) => r.energy));
  assert.deepEqual(loadCheckpoint(parts).variables, loadCheckpoint(whole).variables);
});

test('pre-training data that do not fit the lattice are refused before a run directory is made', async () => {
  const bad = join(tmp, 'bad.txt');
  writeFileSync(bad, '0101\n');
  const out = join(tmp, 'never');
  await assert.rejects(runExperiment({ config: config(out, { pretrain: bad }), quiet: true, silent: true }), (e: Error) => {
    expectInputError(() => {
      throw e;
    }, bad, /line 1: 4 sites, but --n 6 has 6/);
    return true;
  });
  assert.ok(!existsSync(out));
});
