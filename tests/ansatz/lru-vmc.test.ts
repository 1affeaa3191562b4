/**
 * The LRU in the VMC engine: a short run on the open TFIM chain reaching the free-fermion energy,
 * the snake path on a square lattice with the Marshall sign and S^z = 0 (normalised over the
 * sector, connected configurations of the compiled Hamiltonian consistent), and no tensor leaks
 * across driver steps.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { VmcDriver } from '../../src/vmc/driver.js';
import { assertConnectedConsistent, assertNormalised, distinctRows, randomize } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

function config(over: Partial<ExperimentConfig>): ExperimentConfig {
  return resolveExperiment({}, { backend: 'wasm', ansatz: 'lru', ...over });
}

test('lru on the open TFIM chain N = 8 at h = 1 reaches relative error < 1e-3 vs free fermions', async () => {
  const { summary } = await runExperiment({
    config: config({
      model: 'tfim', param: { h: 1 }, lattice: 'chain', n: 8, hidden: 16, samples: 200, steps: 120, lr: 0.01,
      'lr-decay': 200, 'eval-samples': 4000, out: join(mkdtempSync(join(tmpdir(), 'vmc-lru-')), 'tfim'),
    }),
    quiet: true,
  });
  assert.equal(summary.exact_method, 'free-fermion');
  assert.ok(summary.relative_error! < 1e-3, `relative error ${summary.relative_error}`);
});

test('lru walks the snake path on a square lattice: Marshall sign and S^z = 0, normalised, connected configurations consistent', () => {
  const cfg = config({ model: 'heisenberg', lattice: 'square', lx: 4, ly: 3, bc: 'open', sign: 'marshall', magnetization: 0, phase: true, hidden: 8, layers: 2 });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(1));
  randomize(wf, new Rng(2), 0.6);
  assert.deepEqual(wf.spec().order, parts.lattice.order('snake'));
  assert.equal(wf.spec().sign, 'marshall');
  assertNormalised(wf, 12, 6, true);
  const N = 12;
  const parents = distinctRows(wf.sample!(10, new Rng(3)), 10, N);
  assertConnectedConsistent(wf, parents, parts.hamiltonian.connections(parents, parents.length / N), 2e-5);
  wf.dispose();
});

test('no tensor leaks across VMC steps (lru, 2 blocks, complex, Marshall sign, S^z = 0)', async () => {
  const cfg = config({ model: 'heisenberg', lattice: 'chain', n: 8, bc: 'periodic', phase: true, sign: 'marshall', magnetization: 0, samples: 40, hidden: 6, layers: 2 });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(1));
  const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng(2)), buildOptimizer(cfg, wf), 40);
  await driver.step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await driver.step();
  assert.equal(tf.memory().numTensors, before);
  wf.dispose();
});
