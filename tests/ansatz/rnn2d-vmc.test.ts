/**
 * The 2D RNN in the VMC engine: a short run on the 3×3 TFIM reaching the Lanczos energy, no tensor
 * leaks across driver steps (complex, Marshall sign, S^z = 0), the 1D RNN's snake path on square
 * lattices, the build-time checks, and a system too large for Lanczos falling back to the
 * experiment file's reference (summary.exact_method = 'reference').
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
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { VmcDriver } from '../../src/vmc/driver.js';

before(async () => {
  await initBackend(testBackend());
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-rnn2d-'));

function config(over: Partial<ExperimentConfig>): ExperimentConfig {
  return resolveExperiment({}, { backend: 'wasm', lattice: 'square', ...over });
}

test('rnn2d on the open 3×3 TFIM at h = 3 reaches relative error < 1e-3 vs Lanczos', async () => {
  const { summary } = await runExperiment({
    config: config({
      model: 'tfim', param: { h: 3 }, lx: 3, ly: 3, ansatz: 'rnn2d', cell: 'gated', hidden: 16,
      samples: 200, steps: 60, lr: 0.01, 'lr-decay': 200, 'eval-samples': 4000, out: join(tmp(), 'tfim'),
    }),
    quiet: true,
  });
  assert.equal(summary.exact_method, 'lanczos');
  assert.ok(summary.relative_error! < 1e-3, `relative error ${summary.relative_error}`);
});

test('no tensor leaks across VMC steps (rnn2d, plain and gated, complex, Marshall sign, S^z = 0)', async () => {
  for (const cell of ['plain', 'gated'] as const) {
    const cfg = config({ model: 'heisenberg', lx: 3, ly: 2, ansatz: 'rnn2d', cell, phase: true, sign: 'marshall', magnetization: 0, samples: 40, hidden: 6 });
    const parts = buildModel(cfg);
    const wf = buildWavefunction(cfg, parts, new Rng(1));
    assert.equal(wf.spec().sign, 'marshall');
    const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng(2)), buildOptimizer(cfg, wf), 40);
    await driver.step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await driver.step();
    assert.equal(tf.memory().numTensors, before, `${cell}: tensors before ${before}, after ${tf.memory().numTensors}`);
    wf.dispose();
  }
});

test('the 1D RNN walks the snake path on square lattices; rnn2d needs a square lattice and one layer', () => {
  const cfg = config({ model: 'tfim', lx: 3, ly: 4, ansatz: 'rnn', hidden: 4 });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(1));
  assert.deepEqual(wf.spec().order, parts.lattice.order('snake'));
  assert.deepEqual(wf.spec().order, [0, 1, 2, 5, 4, 3, 6, 7, 8, 11, 10, 9]);
  wf.dispose();
  const two = buildWavefunction(config({ ...cfg, ansatz: 'rnn2d', cell: 'plain' }), parts, new Rng(1));
  assert.deepEqual(two.spec(), { kind: 'rnn2d', lx: 3, ly: 4, hidden: 4, cell: 'plain', complex: false, nUp: null });
  two.dispose();
  const chain = config({ model: 'tfim', lattice: 'chain', n: 6, ansatz: 'rnn2d' });
  assert.throws(() => buildWavefunction(chain, buildModel(chain), new Rng(1)), /square/);
  assert.throws(() => buildWavefunction(config({ ...cfg, ansatz: 'rnn2d', layers: 2 }), parts, new Rng(1)), /single recurrent layer/);
});

test('a system too large for Lanczos is compared with the reference of the experiment file', async () => {
  const reference = { energy: -115, source: 'test value' };
  const out = join(tmp(), 'ref');
  const { summary } = await runExperiment({
    config: config({
      model: 'tfim', param: { h: 3 }, lx: 6, ly: 6, ansatz: 'rnn2d', hidden: 4,
      samples: 8, steps: 1, 'eval-samples': 16, reference, out,
    }),
    quiet: true,
  });
  assert.equal(summary.exact_method, 'reference');
  assert.equal(summary.exact_energy, -115);
  assert.ok(Math.abs(summary.relative_error! - Math.abs((summary.energy - -115) / 115)) < 1e-12);
  const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(written.exact_method, 'reference');
});
