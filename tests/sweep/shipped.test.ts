/**
 * The shipped sweeps (experiments/sweep-*.json) expand to what their descriptions and the README
 * promise: the points, the model, lattice, sector and ansatz settings of each, and the exact
 * reference each run will be compared with. Expectations are written from the descriptions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { canSolveExactly } from '../../src/exact/index.js';
import { buildModel, optimizerKind } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { referenceEnergy } from '../../src/run/reference.js';
import { expandSweep, readSweepFile } from '../../src/sweep/spec.js';

test('experiments/: the shipped sweeps are the two described here', () => {
  assert.deepEqual(readdirSync('experiments').filter((f) => f.startsWith('sweep-')).sort(), ['sweep-heisenberg-ring-sizes.json', 'sweep-tfim-chain-h.json']);
});

function configs(file: string): { name: string; values: Record<string, unknown>; cfg: ExperimentConfig }[] {
  const spec = readSweepFile(file);
  return expandSweep(spec).map((p) => ({ name: p.name, values: p.values, cfg: resolveExperiment({}, p.settings as Partial<ExperimentConfig>, file) }));
}

test('sweep-tfim-chain-h.json: TFIM chain N = 16, open, h = 0.2 … 2.0, RNN, measured; free-fermion references', () => {
  const spec = readSweepFile('experiments/sweep-tfim-chain-h.json');
  assert.match(spec.description!, /N = 16, open, .*h = 0\.2 … 2\.0 with the GRU RNN/);
  assert.deepEqual(spec.measure, { samples: 4000, only: ['magnetization', 'renyi'] });
  const points = configs('experiments/sweep-tfim-chain-h.json');
  assert.deepEqual(points.map((p) => p.values['param.h']), [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]);
  assert.equal(points[4]!.name, '004-h=1');
  for (const { cfg } of points) {
    const parts = buildModel(cfg);
    assert.equal(parts.definition.name, 'tfim');
    assert.equal(parts.lattice.describe(), 'chain N=16 open');
    assert.equal(parts.nUp, null);
    assert.deepEqual([cfg.ansatz, cfg.hidden, cfg.samples, cfg.steps, cfg.lr, cfg['lr-decay'], cfg['eval-samples'], cfg.seed], ['rnn', 32, 400, 250, 0.01, 200, 5000, 1]);
  }
  // the README's table: E0 = −20.016388 at h = 1, −15.180506 at h = 0.2
  const ref = (i: number) => referenceEnergy(points[i]!.cfg, buildModel(points[i]!.cfg));
  assert.equal(ref(4).method, 'free-fermion');
  assert.ok(Math.abs(ref(4).energy! - -20.016388) < 1e-6, String(ref(4).energy));
  assert.ok(Math.abs(ref(0).energy! - -15.180506) < 1e-6, String(ref(0).energy));
});

test('sweep-heisenberg-ring-sizes.json: Heisenberg ring N = 8 … 24, Marshall, S^z = 0, RNN against RBM; Lanczos references', () => {
  const points = configs('experiments/sweep-heisenberg-ring-sizes.json');
  assert.deepEqual(points.map((p) => [p.cfg.n, p.cfg.ansatz, p.cfg.lr, p.cfg['lr-decay']]), [8, 12, 16, 20, 24].flatMap((n) => [[n, 'rnn', 0.01, 300], [n, 'rbm', 0.05, 1000]]));
  for (const { cfg } of points) {
    const parts = buildModel(cfg);
    assert.equal(parts.definition.name, 'heisenberg');
    assert.equal(parts.lattice.describe(), `chain N=${cfg.n} periodic`);
    assert.equal(parts.nUp, cfg.n! / 2);
    assert.equal(cfg.sign, 'marshall');
    assert.equal(optimizerKind(cfg), cfg.ansatz === 'rbm' ? 'sr' : 'adam');
    assert.deepEqual([cfg.hidden, cfg.alpha, cfg.chains, cfg.samples, cfg.steps, cfg['eval-samples']], [32, 1, 32, 256, 250, 5000]);
    const can = canSolveExactly(parts.hamiltonian, parts.lattice, { nUp: parts.nUp });
    assert.ok(can.ok, can.reason);
  }
  // N = 8: 4 × (−3.651093408937) in Pauli units
  const ref = referenceEnergy(points[0]!.cfg, buildModel(points[0]!.cfg));
  assert.ok(Math.abs(ref.energy! - -14.604373635748) < 1e-8, String(ref.energy));
});
