/**
 * The VMC engine against exact full sums: local energies, the Monte Carlo energy, and the
 * Monte Carlo gradient, for complex wavefunctions and a Hamiltonian with complex matrix elements.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { createRnn } from '../../src/ansatz/rnn.js';
import { withSignRule } from '../../src/ansatz/sign.js';
import { compileHamiltonian, denseMatrix, loadModel } from '../../src/hamiltonian/index.js';
import { chain, square } from '../../src/lattice/lattice.js';
import { Rng } from '../../src/rng.js';
import { energyStats } from '../../src/vmc/estimator.js';
import { energyGradient } from '../../src/vmc/gradient.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import { uniqueSamples } from '../../src/vmc/unique.js';
import { allConfigs, enumerateConfigs } from '../configurations.js';
import { exactEnergy, TableWavefunction } from './table-wavefunction.js';

before(async () => {
  await initBackend(testBackend());
});

const cases = [
  { name: 'tfim open chain', model: 'tfim', lattice: chain(6, 'open'), params: { h: 0.8 } },
  { name: 'heisenberg periodic chain', model: 'heisenberg', lattice: chain(6, 'periodic'), params: {} },
  { name: 'j1j2 2x3 square', model: 'j1j2', lattice: square(2, 3, 'open'), params: { J2: 0.4 } },
];

for (const c of cases) {
  test(`Σ_x |ψ(x)|² E_loc(x) / Z equals ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩ (${c.name})`, () => {
    const h = compileHamiltonian(loadModel(c.model, c.params), c.lattice);
    const n = c.lattice.nSites;
    const wf = new TableWavefunction(n, new Rng(11));
    const all = allConfigs(n);
    const e = localEnergies(h, wf, all, 2 ** n, { maxConnected: 37 }); // tiny chunks on purpose
    const p = wf.probabilities();
    const stats = energyStats(e.re, e.im, p);
    const { logAmp, phase } = wf.evaluate(all, 2 ** n);
    const exact = exactEnergy(denseMatrix(h), logAmp, phase);
    assert.ok(Math.abs(stats.mean - exact) < 1e-9 * Math.max(1, Math.abs(exact)), `${stats.mean} vs ${exact}`);
    assert.ok(Math.abs(stats.meanIm) < 1e-9, `imaginary part ${stats.meanIm}`);
    wf.dispose();
  });
}

test('Monte Carlo energy lies within a few standard errors of the exact expectation', () => {
  const lattice = chain(8, 'periodic');
  const h = compileHamiltonian(loadModel('heisenberg'), lattice);
  const wf = new TableWavefunction(8, new Rng(3), 0.4);
  const all = allConfigs(8);
  const { logAmp, phase } = wf.evaluate(all, 256);
  const exact = exactEnergy(denseMatrix(h), logAmp, phase);
  const rng = new Rng(5);
  const samples = wf.sample(20000, rng);
  const u = uniqueSamples(samples, 20000, 8);
  const e = localEnergies(h, wf, u.configs, u.count);
  const s = energyStats(e.re, e.im, u.multiplicity);
  assert.equal(s.samples, 20000);
  const z = Math.abs(s.mean - exact) / s.error;
  assert.ok(z < 4, `MC ${s.mean} ± ${s.error} vs exact ${exact} (z = ${z.toFixed(2)})`);
  wf.dispose();
});

test('energy gradient: full-sum surrogate equals finite differences of the exact energy; Monte Carlo agrees within errors', () => {
  const n = 5;
  const lattice = chain(n, 'open');
  const h = compileHamiltonian(loadModel('xxz', { Delta: 0.5 }), lattice);
  const H = denseMatrix(h);
  const wf = new TableWavefunction(n, new Rng(8), 0.5);
  const dim = 2 ** n;
  const all = allConfigs(n);

  // exact gradient through the surrogate loss with exact weights |ψ|²
  const p = wf.probabilities();
  const e = localEnergies(h, wf, all, dim);
  const st = energyStats(e.re, e.im, p);
  const grads = energyGradient(wf, { configs: all, count: dim, weights: p, eRe: e.re, eIm: e.im, meanRe: st.mean, meanIm: st.meanIm });
  const gA = grads[0].dataSync();
  const gP = grads[1].dataSync();
  tf.dispose(grads);

  // finite differences of E(θ) in float64
  const base = wf.evaluate(all, dim);
  const eps = 1e-5;
  for (const [table, g] of [[base.logAmp, gA], [base.phase, gP]] as const) {
    for (const i of [0, 3, 7, 17, 31]) {
      const plus = Float64Array.from(table);
      const minus = Float64Array.from(table);
      plus[i] += eps;
      minus[i] -= eps;
      const fd =
        table === base.logAmp
          ? (exactEnergy(H, plus, base.phase) - exactEnergy(H, minus, base.phase)) / (2 * eps)
          : (exactEnergy(H, base.logAmp, plus) - exactEnergy(H, base.logAmp, minus)) / (2 * eps);
      assert.ok(Math.abs(g[i] - fd) < 2e-4 + 1e-3 * Math.abs(fd), `param ${i}: surrogate ${g[i]} vs finite difference ${fd}`);
    }
  }

  // Monte Carlo gradient from exact samples agrees with the exact one within statistical error
  const reps = 16;
  const mc: Float32Array[] = [];
  const rng = new Rng(21);
  for (let r = 0; r < reps; r++) {
    const s = wf.sample(4000, rng);
    const u = uniqueSamples(s, 4000, n);
    const el = localEnergies(h, wf, u.configs, u.count);
    const sst = energyStats(el.re, el.im, u.multiplicity);
    const g = energyGradient(wf, { configs: u.configs, count: u.count, weights: u.multiplicity, eRe: el.re, eIm: el.im, meanRe: sst.mean, meanIm: sst.meanIm });
    mc.push(Float32Array.from([...g[0].dataSync(), ...g[1].dataSync()]));
    tf.dispose(g);
  }
  const exactAll = [...gA, ...gP];
  let worst = 0;
  for (let k = 0; k < exactAll.length; k++) {
    const vals = mc.map((m) => m[k]);
    const mean = vals.reduce((a, b) => a + b, 0) / reps;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1));
    const z = Math.abs(mean - exactAll[k]) / (sd / Math.sqrt(reps) + 1e-6);
    worst = Math.max(worst, z);
  }
  assert.ok(worst < 6, `largest deviation of the Monte Carlo gradient: ${worst.toFixed(2)} standard errors`);
  wf.dispose();
});

test('RNN (complex, S^z = 0, Marshall): full sums equal ⟨ψ|H|ψ⟩; Monte Carlo energy and gradient agree with them', () => {
  const n = 6;
  const lattice = chain(n, 'periodic');
  const h = compileHamiltonian(loadModel('heisenberg'), lattice);
  const wf = withSignRule(createRnn({ nSites: n, hidden: 8, layers: 1, complex: true, nUp: 3 }, new Rng(4)), 'marshall', lattice);
  // the sector's configurations
  const { configs: sector, count: m, states: rows } = enumerateConfigs(n, 3);
  const psi = wf.evaluate(sector, m);
  const p = Float64Array.from(psi.logAmp, (a) => Math.exp(2 * a));
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'normalised in the sector');

  // exact energy from the dense matrix restricted to the sector (amplitudes outside are zero)
  const H = denseMatrix(h);
  const fullAmp = new Float64Array(2 ** n).fill(-Infinity);
  const fullPhase = new Float64Array(2 ** n);
  rows.forEach((b, k) => {
    fullAmp[b] = psi.logAmp[k];
    fullPhase[b] = psi.phase[k];
  });
  const exact = exactEnergy(H, fullAmp, fullPhase);
  const e = localEnergies(h, wf, sector, m);
  const st = energyStats(e.re, e.im, p);
  assert.ok(Math.abs(st.mean - exact) < 1e-5 * Math.abs(exact), `full sum ${st.mean} vs exact ${exact}`);

  const gradOf = (configs: Uint8Array, count: number, w: Float64Array, el: { re: Float64Array; im: Float64Array }): Float64Array => {
    const s = energyStats(el.re, el.im, w);
    const g = energyGradient(wf, { configs, count, weights: w, eRe: el.re, eIm: el.im, meanRe: s.mean, meanIm: s.meanIm });
    const flat = Float64Array.from(g.flatMap((t) => Array.from(t.dataSync())));
    tf.dispose(g);
    return flat;
  };
  const exactGrad = gradOf(sector, m, p, e);

  const rng = new Rng(9);
  const reps = 12;
  const mc: Float64Array[] = [];
  const energies: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = wf.sample!(2000, rng);
    const u = uniqueSamples(s, 2000, n);
    const el = localEnergies(h, wf, u.configs, u.count);
    energies.push(energyStats(el.re, el.im, u.multiplicity).mean);
    mc.push(gradOf(u.configs, u.count, u.multiplicity, el));
  }
  const meanE = energies.reduce((a, b) => a + b, 0) / reps;
  const sdE = Math.sqrt(energies.reduce((a, b) => a + (b - meanE) ** 2, 0) / (reps - 1));
  assert.ok(Math.abs(meanE - exact) < 5 * (sdE / Math.sqrt(reps)) + 1e-6, `MC ${meanE} ± ${sdE / Math.sqrt(reps)} vs ${exact}`);
  // gradient: the components with the largest exact values, each within 5 standard errors
  const order = [...exactGrad.keys()].sort((a, b) => Math.abs(exactGrad[b]) - Math.abs(exactGrad[a])).slice(0, 40);
  let worst = 0;
  for (const k of order) {
    const vals = mc.map((g) => g[k]);
    const mean = vals.reduce((a, b) => a + b, 0) / reps;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1));
    worst = Math.max(worst, Math.abs(mean - exactGrad[k]) / (sd / Math.sqrt(reps) + 1e-7));
  }
  assert.ok(worst < 6, `largest deviation of the Monte Carlo gradient: ${worst.toFixed(2)} standard errors`);
  wf.dispose();
});
