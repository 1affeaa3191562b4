import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { createRbm } from '../../src/ansatz/rbm.js';
import { StochasticReconfiguration, srDirection, srSolve, type LogDerivatives } from '../../src/vmc/sr.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import { chainModel, enumerate, exactEnergy, exactProbabilities } from '../sampler/helpers.js';
import { denseReference, maxRelDiff } from './sr-reference.js';

before(async () => {
  await initBackend(testBackend());
});

function randomProblem(rng: Rng, n: number, P: number) {
  const O: LogDerivatives = { re: new Float64Array(n * P), im: new Float64Array(n * P), nParams: P };
  for (let k = 0; k < n * P; k++) {
    O.re[k] = rng.normal();
    O.im[k] = rng.normal() * 0.5;
  }
  const eloc = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let s = 0; s < n; s++) {
    eloc.re[s] = rng.normal();
    eloc.im[s] = 0.3 * rng.normal();
  }
  const w = new Float64Array(n);
  for (let s = 0; s < n; s++) w[s] = 1 + rng.int(3); // multiplicities, not normalised
  return { O, eloc, w };
}

test('srDirection equals a dense solve of the textbook S, F (cholesky and CG, absolute and relative shift)', () => {
  const rng = new Rng(1);
  for (const [n, P] of [
    [50, 12],
    [20, 40], // fewer samples than parameters: S is singular without the shift
  ]) {
    const { O, eloc, w } = randomProblem(rng, n, P);
    for (const relative of [false, true]) {
      const lambda = 0.05;
      const ref = denseReference(O, eloc, w, lambda, relative);
      const mode = relative ? 'relative' : 'absolute';
      const chol = srDirection(O, eloc, w, { diagShift: lambda, diagShiftMode: mode, solver: 'cholesky' });
      const cg = srSolve(O, eloc, w, { diagShift: lambda, diagShiftMode: mode, solver: 'cg', cgTol: 1e-12 });
      assert.ok(maxRelDiff(chol, ref) < 1e-8, `cholesky vs dense (${n}x${P}, ${mode}): ${maxRelDiff(chol, ref)}`);
      assert.ok(maxRelDiff(cg.delta, ref) < 1e-7, `cg vs dense (${n}x${P}, ${mode}): ${maxRelDiff(cg.delta, ref)}`);
      assert.ok(cg.iterations > 0 && cg.residual < 1e-11);
    }
  }
});

test('2F equals the exact energy gradient (enumeration weights, finite differences of ⟨H⟩)', () => {
  const n = 6;
  const { h } = chainModel('heisenberg', n);
  const wf = createRbm({ nSites: n, alpha: 1, complex: true, initScale: 0.3 }, new Rng(3));
  const { configs, count } = enumerate(n, 3);
  const p = exactProbabilities(wf, configs, count);
  const e = localEnergies(h, wf, configs, count);
  const O = wf.logDerivatives(configs, count);
  const sol = srSolve(O, e, p, { diagShift: 0.01 });
  const grad = Array.from(sol.force, (f) => 2 * f);
  const eps = 1e-2;
  let off = 0;
  for (const v of wf.variables) {
    const base = v.dataSync().slice() as Float32Array;
    for (const k of [0, Math.floor(v.size / 2), v.size - 1]) {
      const at = (d: number) => {
        const x = base.slice();
        x[k] += d;
        tf.tidy(() => v.assign(tf.tensor(x, v.shape)));
        return exactEnergy(h, wf, 3);
      };
      const dp = Math.fround(base[k] + eps) - Math.fround(base[k] - eps);
      const fd = (at(eps) - at(-eps)) / dp;
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      assert.ok(Math.abs(fd - grad[off + k]) < 2e-3 * (1 + Math.abs(fd)), `param ${off + k}: FD ${fd} vs 2F ${grad[off + k]}`);
    }
    off += v.size;
  }
  wf.dispose();
});

test('optimizer: update p ← p − η δ, decaying diagonal shift, state round-trip', () => {
  const n = 6;
  const { h } = chainModel('heisenberg', n);
  const wf = createRbm({ nSites: n, alpha: 1, initScale: 0.2 }, new Rng(4));
  const { configs, count } = enumerate(n, 3);
  const p = exactProbabilities(wf, configs, count);
  const eloc = localEnergies(h, wf, configs, count);
  const opt = new StochasticReconfiguration(wf, { learningRate: 0.1, diagShift: 0.1, diagShiftDecay: 0.5, diagShiftMin: 0.02 });
  assert.equal(opt.diagShift(), 0.1);
  const before = wf.variables.flatMap((v) => Array.from(v.dataSync()));
  const delta = srDirection(wf.logDerivatives(configs, count), eloc, p, { diagShift: 0.1 });
  const E0 = exactEnergy(h, wf, 3);
  opt.step({ wf, unique: { configs, count, multiplicity: p }, eloc });
  const after = wf.variables.flatMap((v) => Array.from(v.dataSync()));
  for (let k = 0; k < before.length; k++) assert.ok(Math.abs(after[k] - (before[k] - 0.1 * delta[k])) < 1e-6);
  assert.ok(exactEnergy(h, wf, 3) < E0, 'an SR step lowers the energy');
  assert.equal(opt.diagShift(), 0.05);
  opt.step({ wf, unique: { configs, count, multiplicity: p }, eloc });
  opt.step({ wf, unique: { configs, count, multiplicity: p }, eloc });
  assert.equal(opt.diagShift(), 0.02);
  const st = JSON.parse(JSON.stringify(opt.getState()));
  const other = new StochasticReconfiguration(wf, { learningRate: 0.1, diagShift: 0.1, diagShiftDecay: 0.5, diagShiftMin: 0.02 });
  other.setState(st);
  assert.equal(other.diagShift(), 0.02);
  assert.equal(opt.lastInfo?.solver, 'cholesky');
  // the state-step cap scales the update down to η·sqrt(δ·F) = maxStateStep
  const capped = new StochasticReconfiguration(wf, { learningRate: 0.1, diagShift: 0.1, maxStateStep: 1e-3 });
  const p1 = exactProbabilities(wf, configs, count);
  const e1 = localEnergies(h, wf, configs, count);
  const O1 = wf.logDerivatives(configs, count);
  const full = srSolve(O1, e1, p1, { diagShift: 0.1 });
  const v0 = wf.variables.flatMap((v) => Array.from(v.dataSync()));
  capped.step({ wf, unique: { configs, count, multiplicity: p1 }, eloc: e1 });
  const info = capped.lastInfo!;
  const dF = full.delta.reduce((a, d, k) => a + d * full.force[k], 0);
  assert.ok(Math.abs(info.stateStep - 0.1 * Math.sqrt(dF)) < 1e-9 && info.stateStep > 1e-3);
  assert.ok(Math.abs(info.scale - 1e-3 / info.stateStep) < 1e-12);
  const v1 = wf.variables.flatMap((v) => Array.from(v.dataSync()));
  for (let k = 0; k < v0.length; k++) assert.ok(Math.abs(v1[k] - (v0[k] - 0.1 * info.scale * full.delta[k])) < 1e-6);
  wf.dispose();
});
