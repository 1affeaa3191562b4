/**
 * Stochastic reconfiguration with the batched per-sample log-derivatives (src/ansatz/log-
 * derivatives.ts, src/vmc/sr.ts): the SR direction equals a dense solve of the textbook S and F
 * built from per-sample autodiff (samples deduplicated, weighted by multiplicity); minSR (sample
 * space) equals SR (parameter space) — with fewer rows than parameters and with more, absolute
 * and relative shift; a run's numbers do not depend on --workers (bit for bit, wasm) and its
 * choice of space is recorded; steps leave no tensor behind.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { createRnn } from '../../src/ansatz/rnn.js';
import { withSignRule } from '../../src/ansatz/sign.js';
import { parameterCount } from '../../src/ansatz/wavefunction.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { VmcDriver } from '../../src/vmc/driver.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import { logDerivatives, srSolve, StochasticReconfiguration } from '../../src/vmc/sr.js';
import { uniqueSamples } from '../../src/vmc/unique.js';
import { randomize } from '../ansatz/helpers.js';
import { autodiffLogDerivatives } from '../ansatz/log-derivative-reference.js';
import { chainModel } from '../sampler/helpers.js';
import { denseReference, maxRelDiff } from './sr-reference.js';

// bit-identity across thread counts is a wasm property (see tests/run/step-pool.test.ts)
let backend = '';
before(async () => {
  backend = await initBackend('wasm');
});

test('SR from the batched O equals a dense solve of S, F from per-sample autodiff (multiplicities), in parameter space (Cholesky, CG) and sample space', () => {
  const n = 6;
  const { lattice, h } = chainModel('heisenberg', n);
  const wf = withSignRule(createRnn({ nSites: n, hidden: 4, complex: true, nUp: 3 }, new Rng(1)), 'marshall', lattice);
  try {
    randomize(wf, new Rng(2), 0.5);
    const batch = wf.sample!(300, new Rng(3));
    const u = uniqueSamples(batch, 300, n);
    assert.ok(u.count > 10 && u.count < 300 && u.multiplicity.some((m) => m > 1), `distinct ${u.count}`);
    const eloc = localEnergies(h, wf, u.configs, u.count);
    const P = parameterCount(wf);
    const lambda = 0.01;
    const ref = denseReference(autodiffLogDerivatives(wf, u.configs, u.count), eloc, u.multiplicity, lambda, false);
    const O = logDerivatives(wf, u.configs, u.count);
    assert.ok(O.re instanceof Float32Array && O.im.length === u.count * P, 'the batched pass, not the autodiff fallback');
    for (const space of ['parameter', 'sample'] as const) {
      const sr = new StochasticReconfiguration(wf, { learningRate: 0.1, diagShift: lambda, space: space === 'parameter' ? 'parameter' : 'auto' });
      const delta = sr.direction(O, eloc, u.multiplicity);
      assert.equal(sr.lastInfo?.space, space, 'auto: fewer rows (2 × distinct) than parameters ⇒ sample space');
      assert.ok(maxRelDiff(delta, ref) < 1e-4, `${space}: ${maxRelDiff(delta, ref)}`);
    }
    // parameter-space CG from the rows of O (the path for P > 1500): the same δ
    const cg = srSolve(O, eloc, u.multiplicity, { diagShift: lambda, solver: 'cg', cgTol: 1e-10 });
    assert.equal(cg.solver, 'cg');
    assert.ok(maxRelDiff(cg.delta, ref) < 1e-4, `cg: ${maxRelDiff(cg.delta, ref)}`);
    // one step applies p ← p − η δ, with O computed by the optimizer itself
    const sr = new StochasticReconfiguration(wf, { learningRate: 0.1, diagShift: lambda, space: 'sample' });
    const p0 = wf.variables.flatMap((v) => Array.from(v.dataSync()));
    sr.step({ wf, unique: u, eloc });
    const p1 = wf.variables.flatMap((v) => Array.from(v.dataSync()));
    const scale = Math.max(...Array.from(ref, Math.abs));
    for (let k = 0; k < P; k++) assert.ok(Math.abs((p0[k] - p1[k]) / 0.1 - ref[k]) < 1e-3 * scale, `parameter ${k}`);
  } finally {
    wf.dispose();
  }
});

test('minSR equals SR (push-through identity) with more samples than parameters, absolute and relative shift', () => {
  const n = 8;
  const { h } = chainModel('tfim', n, { h: 1 });
  const wf = createRnn({ nSites: n, hidden: 2 }, new Rng(5));
  try {
    randomize(wf, new Rng(6), 0.8);
    const batch = wf.sample!(600, new Rng(7));
    const u = uniqueSamples(batch, 600, n);
    const P = parameterCount(wf);
    assert.ok(u.count > P, `distinct ${u.count} vs ${P} parameters`);
    const eloc = localEnergies(h, wf, u.configs, u.count);
    const O = logDerivatives(wf, u.configs, u.count);
    assert.equal(O.im.length, 0, 'a positive ansatz has no imaginary rows');
    for (const mode of ['absolute', 'relative'] as const) {
      const param = srSolve(O, eloc, u.multiplicity, { diagShift: 1e-3, diagShiftMode: mode, solver: 'cholesky' });
      const sample = srSolve(O, eloc, u.multiplicity, { diagShift: 1e-3, diagShiftMode: mode, space: 'sample', cgTol: 1e-12 });
      assert.equal(sample.space, 'sample');
      assert.ok(maxRelDiff(sample.delta, param.delta) < 1e-8, `${mode}: ${maxRelDiff(sample.delta, param.delta)}`);
      assert.ok(sample.residual < 1e-9);
      const cg = srSolve(O, eloc, u.multiplicity, { diagShift: 1e-3, diagShiftMode: mode, solver: 'cg', cgTol: 1e-12 });
      assert.ok(maxRelDiff(cg.delta, param.delta) < 1e-8, `${mode}, cg: ${maxRelDiff(cg.delta, param.delta)}`);
    }
    const auto = new StochasticReconfiguration(wf, { learningRate: 0.1, diagShift: 1e-3, space: 'auto' });
    auto.direction(O, eloc, u.multiplicity);
    assert.equal(auto.lastInfo?.space, 'parameter', 'auto: more rows than parameters ⇒ parameter space');
  } finally {
    wf.dispose();
  }
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-natgrad-'));

function config(over: Partial<ExperimentConfig>): ExperimentConfig {
  return resolveExperiment({}, { backend: 'wasm', ...over });
}

test('SR runs with --workers 2 give the numbers of --workers 1 bit for bit; the space is recorded', async () => {
  const base = {
    model: 'heisenberg', n: 6, bc: 'periodic', sign: 'marshall', magnetization: 0, phase: true, hidden: 6,
    optimizer: 'sr', 'sr-max-step': 0.2, samples: 64, steps: 3, 'eval-samples': 128,
  } as const;
  const rows = (dir: string) => readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 4).join(','));
  const one = await runExperiment({ config: config({ ...base, out: join(tmp(), 'w1') }), quiet: true });
  const two = await runExperiment({ config: config({ ...base, workers: 2, out: join(tmp(), 'w2') }), quiet: true });
  assert.deepEqual(rows(two.dir), rows(one.dir));
  assert.equal(two.summary.energy, one.summary.energy);
  const ck = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).variables;
  assert.deepEqual(ck(two.dir), ck(one.dir), 'the parameters after 3 SR steps');
  // 2·64 rows < 192 parameters: sample space, in config.json and the first log line
  const resolved = JSON.parse(readFileSync(join(one.dir, 'config.json'), 'utf8')).resolved;
  assert.equal(resolved.sr_space, 'sample');
  assert.ok(resolved.n_parameters > 128);
  const started = JSON.parse(readFileSync(join(one.dir, 'log.jsonl'), 'utf8').split('\n')[0]);
  assert.equal(started.sr_space, 'sample');
});

test('SR steps leave no tensor behind', async () => {
  const cfg = config({ model: 'tfim', n: 6, hidden: 4, samples: 40, optimizer: 'sr' });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(1));
  try {
    const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng(2)), buildOptimizer(cfg, wf), 40);
    await driver.step();
    const before = tf.memory().numTensors;
    for (let s = 0; s < 5; s++) await driver.step();
    assert.equal(tf.memory().numTensors, before);
  } finally {
    wf.dispose();
  }
  assert.equal(backend, 'wasm');
});
