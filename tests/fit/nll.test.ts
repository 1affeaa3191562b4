/**
 * The NLL gradient against finite differences of the exact NLL, for every ansatz; the RBM with its
 * model term by enumeration (then log Z is exact), and its Metropolis model term against the
 * enumerated one; the trainer's tensors do not grow across updates.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { initBackend } from '../../src/backend.js';
import { ExactModelTerm, MetropolisModelTerm } from '../../src/fit/model-term.js';
import { logPartition, meanNll, nllGradient, weighted, type WeightedConfigs } from '../../src/fit/nll.js';
import { NllTrainer } from '../../src/fit/trainer.js';
import { Rng } from '../../src/rng.js';
import { buildModel, buildSampler, buildWavefunction, type ModelParts } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { randomize } from '../ansatz/helpers.js';
import { testBackend } from '../backend.js';

before(async () => {
  await initBackend(testBackend());
});

interface Built {
  cfg: ExperimentConfig;
  parts: ModelParts;
  wf: Wavefunction;
}

function build(settings: Partial<ExperimentConfig>, scale: number): Built {
  const cfg = resolveExperiment({}, { backend: 'wasm', seed: 3, ...settings });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng('nll-test'));
  randomize(wf, new Rng('nll-test:randomize'), scale);
  return { cfg, parts, wf };
}

/** A small data set with repeats: configurations of the sector drawn at random. */
function dataSet(n: number, nUp: number | null, count: number, rng: Rng): WeightedConfigs {
  const x = new Uint8Array(count * n);
  for (let r = 0; r < count; r++) {
    if (nUp === null) {
      for (let s = 0; s < n; s++) x[r * n + s] = rng.uniform() < 0.5 ? 1 : 0;
    } else {
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let k = 0; k < nUp; k++) {
        const j = k + rng.int(n - k);
        [perm[k], perm[j]] = [perm[j], perm[k]];
        x[r * n + perm[k]] = 1;
      }
    }
  }
  // every configuration twice: multiplicities other than 1
  const doubled = new Uint8Array(2 * x.length);
  doubled.set(x);
  doubled.set(x, x.length);
  return weighted(doubled, 2 * count, n);
}

/** The exact NLL: −mean log|ψ|² + log Z (log Z by enumeration for the RBM). */
function exactNll(wf: Wavefunction, data: WeightedConfigs, nUp: number | null): number {
  return meanNll(wf, data, logPartition(wf, nUp)!);
}

/** ∂NLL along one random direction per variable: the gradient against central finite differences. */
function assertGradientMatches(b: Built, data: WeightedConfigs, model: () => WeightedConfigs | null, rng: Rng): void {
  const { wf } = b;
  const grads = nllGradient(wf, data, model());
  const g = grads.map((t) => t.dataSync().slice());
  tf.dispose(grads);
  let nonzero = 0;
  wf.variables.forEach((v, vi) => {
    const orig = v.dataSync().slice();
    const dir = new Float32Array(v.size).map(() => rng.normal());
    let analytic = 0;
    for (let i = 0; i < dir.length; i++) analytic += g[vi][i] * dir[i];
    const at = (t: number): number => {
      const w = tf.tensor(orig.map((o, i) => o + t * dir[i]), v.shape);
      v.assign(w);
      w.dispose();
      return exactNll(wf, data, b.parts.nUp);
    };
    const eps = 1e-2;
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    at(0);
    const tol = 1e-2 * Math.max(Math.abs(analytic), Math.abs(fd)) + 2e-3;
    assert.ok(Math.abs(fd - analytic) < tol, `${wf.kind} variable ${vi} [${v.shape}]: gradient ${analytic} vs finite difference ${fd}`);
    if (Math.abs(fd) > 1e-2) nonzero++;
  });
  assert.ok(nonzero >= wf.variables.length / 2, `${wf.kind}: most directional derivatives should be clearly non-zero (${nonzero} of ${wf.variables.length})`);
}

const AUTOREGRESSIVE: { label: string; settings: Partial<ExperimentConfig> }[] = [
  { label: 'rnn, 2 layers', settings: { model: 'tfim', n: 6, ansatz: 'rnn', hidden: 5, layers: 2 } },
  { label: 'rnn, S^z = 0, Marshall sign', settings: { model: 'heisenberg', n: 6, ansatz: 'rnn', hidden: 5, magnetization: 0, sign: 'marshall' } },
  { label: 'rnn2d 2×3, S^z = 0', settings: { model: 'heisenberg', lattice: 'square', lx: 2, ly: 3, ansatz: 'rnn2d', hidden: 5, magnetization: 0 } },
  { label: 'lru', settings: { model: 'tfim', n: 6, ansatz: 'lru', hidden: 5 } },
  { label: 'flow, S^z = 0', settings: { model: 'heisenberg', n: 6, ansatz: 'flow', hidden: 12, magnetization: 0 } },
];

for (const c of AUTOREGRESSIVE) {
  test(`NLL gradient equals finite differences of the exact NLL (${c.label})`, () => {
    const b = build(c.settings, 0.5);
    const rng = new Rng(`data:${c.label}`);
    assertGradientMatches(b, dataSet(b.parts.lattice.nSites, b.parts.nUp, 12, rng), () => null, rng);
    b.wf.dispose();
  });
}

test('RBM: with the model term by enumeration, the NLL gradient equals finite differences of the exact NLL (log Z enumerated)', () => {
  for (const settings of [{ model: 'tfim', n: 6 }, { model: 'heisenberg', n: 6, magnetization: 0 }] as Partial<ExperimentConfig>[]) {
    const b = build({ ...settings, ansatz: 'rbm', alpha: 1, real: true }, 0.3);
    const rng = new Rng('rbm-data');
    const exact = new ExactModelTerm(b.wf, b.parts.nUp);
    assertGradientMatches(b, dataSet(6, b.parts.nUp, 12, rng), () => exact.draw(), rng);
    b.wf.dispose();
  }
});

test('RBM: the model term from Metropolis chains agrees with the enumerated one', () => {
  const b = build({ model: 'tfim', n: 6, ansatz: 'rbm', alpha: 1, real: true, chains: 16, 'burn-in': 50 }, 0.3);
  const data = dataSet(6, null, 8, new Rng('rbm-mc'));
  const flat = (model: WeightedConfigs): Float64Array => {
    const grads = nllGradient(b.wf, data, model);
    const out = Float64Array.from(grads.flatMap((t) => Array.from(t.dataSync())));
    tf.dispose(grads);
    return out;
  };
  const exact = flat(new ExactModelTerm(b.wf, null).draw());
  const mc = flat(new MetropolisModelTerm(buildSampler(b.cfg, b.wf, b.parts, new Rng('mc')), 6, 40000).draw());
  // the data term is the same in both, so the difference is the model terms' difference
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < exact.length; i++) {
    diff += (mc[i] - exact[i]) ** 2;
    norm += exact[i] ** 2;
  }
  assert.ok(Math.sqrt(diff) < 0.05 * Math.sqrt(norm), `|Metropolis − exact| = ${Math.sqrt(diff)} vs |exact| = ${Math.sqrt(norm)}`);
  b.wf.dispose();
});

test('NLL training: tensors do not grow across mini-batches and epochs (RNN; RBM with its Metropolis model term)', () => {
  for (const settings of [{ ansatz: 'rnn', hidden: 4 }, { ansatz: 'rbm', alpha: 1, real: true }] as Partial<ExperimentConfig>[]) {
    const b = build({ model: 'tfim', n: 5, ...settings }, 0.1);
    const d = dataSet(5, null, 20, new Rng('mem'));
    const split = { train: d.configs, trainCount: d.count, validation: d.configs.subarray(0, 25), validationCount: 5 };
    const model = b.wf.normalized ? null : new MetropolisModelTerm(buildSampler(b.cfg, b.wf, b.parts, new Rng('m')), 5, 32);
    const trainer = new NllTrainer(b.wf, split, { epochs: 4, batchSize: 6, lr: 1e-2, lrDecay: 0, patience: 0, seed: 1, nUp: null }, model);
    trainer.update();
    const start = tf.memory().numTensors;
    while (!trainer.finished) trainer.update();
    assert.equal(tf.memory().numTensors, start, `${b.wf.kind}: tensors after ${trainer.step} updates`);
    assert.equal(trainer.history.length, 4);
    trainer.dispose();
    b.wf.dispose();
  }
});
