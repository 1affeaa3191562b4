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

/** S and F by the textbook complex formulas, and a Gaussian-elimination solve. */
function denseReference(O: LogDerivatives, eloc: { re: Float64Array; im: Float64Array }, w0: Float64Array, lambda: number, relative: boolean) {
  const P = O.nParams;
  const n = w0.length;
  const W = w0.reduce((a, b) => a + b, 0);
  const w = Array.from(w0, (v) => v / W);
  const mean = (f: (s: number) => number) => w.reduce((a, ws, s) => a + ws * f(s), 0);
  const eR = mean((s) => eloc.re[s]);
  const eI = mean((s) => eloc.im[s]);
  const oR = Array.from({ length: P }, (_, k) => mean((s) => O.re[s * P + k]));
  const oI = Array.from({ length: P }, (_, k) => mean((s) => O.im[s * P + k]));
  const A = Array.from({ length: P }, () => new Float64Array(P + 1));
  for (let k = 0; k < P; k++) {
    for (let l = 0; l < P; l++) {
      // Re[<O_k* O_l> − <O_k*><O_l>]
      const c = mean((s) => O.re[s * P + k] * O.re[s * P + l] + O.im[s * P + k] * O.im[s * P + l]);
      A[k][l] = c - (oR[k] * oR[l] + oI[k] * oI[l]);
    }
    // F_k = Re<ΔE* O_k> = <ReΔE ReO + ImΔE ImO>
    A[k][P] = mean((s) => (eloc.re[s] - eR) * O.re[s * P + k] + (eloc.im[s] - eI) * O.im[s * P + k]);
  }
  for (let k = 0; k < P; k++) A[k][k] += relative ? lambda * A[k][k] : lambda;
  // Gaussian elimination with partial pivoting
  for (let c = 0; c < P; c++) {
    let piv = c;
    for (let r = c + 1; r < P; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = c + 1; r < P; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= P; k++) A[r][k] -= f * A[c][k];
    }
  }
  const x = new Float64Array(P);
  for (let r = P - 1; r >= 0; r--) {
    let s = A[r][P];
    for (let k = r + 1; k < P; k++) s -= A[r][k] * x[k];
    x[r] = s / A[r][r];
  }
  return x;
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    m = Math.max(m, Math.abs(a[k] - b[k]));
    nb = Math.max(nb, Math.abs(b[k]));
  }
  return m / nb;
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
