/**
 * The driver and runner end to end: seeded determinism, resume reproducing an uninterrupted run,
 * no tensor leaks across steps, and short runs converging to the exact energy.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { readRunConfig, runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { NumericalError, VmcDriver } from '../../src/vmc/driver.js';
import { AdamOptimizer } from '../../src/vmc/optimizer.js';
import { ExactSampler } from '../../src/sampler/sampler.js';
import { TableWavefunction } from './table-wavefunction.js';

before(async () => {
  await initBackend(testBackend());
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-driver-'));

function config(over: Partial<ExperimentConfig>): ExperimentConfig {
  return resolveExperiment({}, { backend: 'wasm', ...over });
}

function energies(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(0, 4).join(','));
}

test('same seed gives identical numbers; resuming an interrupted run reproduces the uninterrupted run', async () => {
  const base = { model: 'heisenberg', n: 6, bc: 'periodic', sign: 'marshall', magnetization: 0, samples: 64, 'eval-samples': 256, hidden: 16, 'checkpoint-every': 4 } as const;
  const full = await runExperiment({ config: config({ ...base, steps: 12, out: join(tmp(), 'full') }), quiet: true });
  const again = await runExperiment({ config: config({ ...base, steps: 12, out: join(tmp(), 'again') }), quiet: true });
  assert.deepEqual(energies(again.dir), energies(full.dir));
  assert.equal(again.summary.energy, full.summary.energy);

  // interrupt after 5 steps (the stop flag is what Ctrl-C sets), then resume to 12
  const signal = { stop: false };
  let steps = 0;
  const dir = join(tmp(), 'cut');
  const cfg = config({ ...base, steps: 12, out: dir });
  const interrupted = runExperiment({ config: cfg, quiet: true, signal, onStep: () => (signal.stop = ++steps >= 5) });
  const first = await interrupted;
  assert.equal(first.summary.status, 'interrupted');
  assert.equal(first.summary.steps, 5);
  const resumed = await runExperiment({ config: readRunConfig(dir), resumeDir: dir, quiet: true });
  assert.equal(resumed.summary.status, 'completed');
  assert.deepEqual(energies(dir), energies(full.dir));
  assert.equal(resumed.summary.energy, full.summary.energy);
});

test('no tensor leaks across VMC steps', async () => {
  for (const ansatz of ['rnn', 'flow', 'rbm'] as const) {
    const cfg = config({ model: 'tfim', n: 6, ansatz, samples: 50, hidden: 8, phase: true });
    const parts = buildModel(cfg);
    const wf = buildWavefunction(cfg, parts, new Rng(1));
    const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng(2)), buildOptimizer(cfg, wf), 50);
    await driver.step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 8; i++) await driver.step();
    assert.equal(tf.memory().numTensors, before, `${ansatz}: tensors before ${before}, after ${tf.memory().numTensors}`);
    wf.dispose();
  }
});

test('RNN on the TFIM chain of 8 sites reaches relative error < 1e-3', async () => {
  const { summary } = await runExperiment({
    config: config({ model: 'tfim', n: 8, bc: 'periodic', samples: 200, steps: 150, lr: 0.01, 'eval-samples': 5000, out: join(tmp(), 'tfim') }),
    quiet: true,
  });
  assert.equal(summary.exact_method, 'free-fermion');
  assert.ok(summary.relative_error! < 1e-3, `relative error ${summary.relative_error}`);
});

test('RNN with Marshall sign and S^z = 0 on the Heisenberg chain of 8 sites reaches relative error < 2e-3', async () => {
  const { summary } = await runExperiment({
    config: config({ model: 'heisenberg', n: 8, bc: 'periodic', sign: 'marshall', magnetization: 0, samples: 200, steps: 200, lr: 0.01, 'eval-samples': 5000, out: join(tmp(), 'heis') }),
    quiet: true,
  });
  assert.ok(summary.relative_error! < 2e-3, `relative error ${summary.relative_error}`);
});

test('a NaN energy stops the step with a NumericalError before any update', async () => {
  const cfg = config({ model: 'tfim', n: 4 });
  const parts = buildModel(cfg);
  const wf = new TableWavefunction(4, new Rng(1));
  const driver = new VmcDriver(parts.hamiltonian, wf, new ExactSampler(wf, new Rng(2)), new AdamOptimizer(wf, { lr: 0.01, decay: 0 }), 64);
  await driver.step();
  const phases = wf.variables[1].arraySync() as number[][];
  phases[3][0] = NaN; // one amplitude with an undefined phase poisons every local energy that reaches it
  tf.tidy(() => wf.variables[1].assign(tf.tensor2d(phases)));
  const before = wf.variables[0].dataSync().slice();
  await assert.rejects(driver.step(), NumericalError);
  assert.deepEqual(wf.variables[0].dataSync(), before, 'parameters unchanged');
  assert.equal(driver.stepsDone, 1);
  wf.dispose();
});
