/**
 * Complex matrix elements end to end: a model file with a Dzyaloshinskii–Moriya term
 * D Σ⟨ij⟩ (X_i Y_j − Y_i X_j) and a field along Y, loaded by the real loader, against a dense
 * matrix built term by term from 2×2 Pauli matrices (tests/exact/fixtures.ts, independent of the
 * compiled operator). For a fixed complex state on 6 sites (a table of log|ψ| and arg ψ):
 *   - every local energy E_loc(x) = Σ_y H_xy ψ(y)/ψ(x), real and imaginary parts;
 *   - Σ_x |ψ(x)|² E_loc(x) / Z = ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩, and the Monte Carlo energy within errors;
 *   - the surrogate-loss gradient equals finite differences of ⟨H⟩ (VMC's update direction);
 *   - `measureState`: energy, variance ⟨H²⟩ − ⟨H⟩², ⟨σ^x_i⟩ and ⟨σ^x_i σ^x_j⟩ within errors.
 * A test that used H_yx instead of H_xy (the transpose, i.e. conj for a Hermitian H) would agree
 * for real H and fail here; the first test checks that this model tells the two apart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { measureState } from '../../src/measure/measure.js';
import { pairsByDistance } from '../../src/measure/correlations.js';
import { Rng } from '../../src/rng.js';
import { energyStats } from '../../src/vmc/estimator.js';
import { energyGradient } from '../../src/vmc/gradient.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import { uniqueSamples } from '../../src/vmc/unique.js';
import { allConfigs } from '../configurations.js';
import { kroneckerDense, type PauliTerm } from '../exact/fixtures.js';
import { exactlySampled, exactX, stateVector, withinErrors } from '../measure/exact-state.js';
import { exactEnergy, TableWavefunction } from './table-wavefunction.js';

const P = { J: 1, D: 0.7, hy: 0.6, hz: 0.2 };
const MODEL = {
  name: 'heisenberg-dm-y',
  description: 'Heisenberg + Dzyaloshinskii–Moriya + fields along Y and Z (complex matrix elements)',
  parameters: P,
  terms: [
    { pauli: 'XX', on: 'nearest', coupling: 'J' },
    { pauli: 'YY', on: 'nearest', coupling: 'J' },
    { pauli: 'ZZ', on: 'nearest', coupling: 'J' },
    { pauli: 'XY', on: 'nearest', coupling: 'D' },
    { pauli: 'YX', on: 'nearest', coupling: '-D' },
    { pauli: 'Y', on: 'sites', coupling: '-hy' },
    { pauli: 'Z', on: 'sites', coupling: '-hz' },
  ],
};

const N = 6;
const DIM = 2 ** N;
const lattice = chain(N, 'periodic');
const dir = mkdtempSync(join(tmpdir(), 'vmc-complex-'));
const file = join(dir, 'heisenberg-dm-y.json');
writeFileSync(file, JSON.stringify(MODEL));
const h = compileHamiltonian(loadModel(file), lattice);

/** The same operator from its definition, term by term (not through the compiled form). */
function referenceTerms(): PauliTerm[] {
  const terms: PauliTerm[] = [];
  for (const [a, b] of lattice.bonds('nearest')) {
    for (const p of ['X', 'Y', 'Z'] as const) terms.push({ c: P.J, ops: [[a, p], [b, p]] });
    terms.push({ c: P.D, ops: [[a, 'X'], [b, 'Y']] });
    terms.push({ c: -P.D, ops: [[a, 'Y'], [b, 'X']] });
  }
  for (let s = 0; s < N; s++) {
    terms.push({ c: -P.hy, ops: [[s, 'Y']] });
    terms.push({ c: -P.hz, ops: [[s, 'Z']] });
  }
  return terms;
}
const H = { ...kroneckerDense(N, referenceTerms()), dim: DIM };

let wf: TableWavefunction;
before(async () => {
  await initBackend('wasm');
  wf = new TableWavefunction(N, new Rng(17), 0.5, true);
});
after(() => {
  wf.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** ψ(x) as (re, im) in float64 from the wavefunction's own log|ψ| and arg ψ. */
function amplitudes(): { re: Float64Array; im: Float64Array; logAmp: Float64Array; phase: Float64Array } {
  const { logAmp, phase } = wf.evaluate(allConfigs(N), DIM);
  const re = Float64Array.from(logAmp, (a, i) => Math.exp(a) * Math.cos(phase[i]));
  const im = Float64Array.from(logAmp, (a, i) => Math.exp(a) * Math.sin(phase[i]));
  return { re, im, logAmp: Float64Array.from(logAmp), phase: Float64Array.from(phase) };
}

/** E_loc(x) = Σ_y M_xy ψ_y / ψ_x by dense rows; `transpose` uses M_yx instead (the classic slip). */
function denseLocalEnergies(transpose = false): { re: Float64Array; im: Float64Array } {
  const psi = amplitudes();
  const re = new Float64Array(DIM);
  const im = new Float64Array(DIM);
  for (let x = 0; x < DIM; x++) {
    let sr = 0;
    let si = 0;
    for (let y = 0; y < DIM; y++) {
      const k = transpose ? y * DIM + x : x * DIM + y;
      const mr = H.re[k];
      const mi = H.im[k];
      sr += mr * psi.re[y] - mi * psi.im[y];
      si += mr * psi.im[y] + mi * psi.re[y];
    }
    // (sr + i si) / ψ_x
    const d = psi.re[x] ** 2 + psi.im[x] ** 2;
    re[x] = (sr * psi.re[x] + si * psi.im[x]) / d;
    im[x] = (si * psi.re[x] - sr * psi.im[x]) / d;
  }
  return { re, im };
}

test('the model has complex off-diagonal elements, and the compiled operator is the term-by-term matrix', () => {
  let maxIm = 0;
  for (let k = 0; k < DIM * DIM; k++) maxIm = Math.max(maxIm, Math.abs(H.im[k]));
  assert.ok(maxIm > 0.5, `largest imaginary element ${maxIm}`);
  assert.equal(h.conservesSz, false);
  // rows of the compiled operator (connections) against the reference matrix
  const c = h.connections(allConfigs(N), DIM);
  for (let x = 0; x < DIM; x++) {
    const row = new Map<number, [number, number]>([[x, [c.diag[x], 0]]]);
    for (let k = c.offsets[x]; k < c.offsets[x + 1]; k++) {
      let y = 0;
      for (let s = 0; s < N; s++) y += c.configs[k * N + s] << s;
      const prev = row.get(y) ?? [0, 0];
      row.set(y, [prev[0] + c.elemRe[k], prev[1] + c.elemIm[k]]);
    }
    for (let y = 0; y < DIM; y++) {
      const [gr, gi] = row.get(y) ?? [0, 0];
      assert.ok(Math.abs(gr - H.re[x * DIM + y]) < 1e-12 && Math.abs(gi - H.im[x * DIM + y]) < 1e-12, `element (${x},${y}): ${gr}+${gi}i vs ${H.re[x * DIM + y]}+${H.im[x * DIM + y]}i`);
    }
  }
  // the transposed matrix gives visibly different local energies for this state
  const right = denseLocalEnergies();
  const wrong = denseLocalEnergies(true);
  let diff = 0;
  for (let x = 0; x < DIM; x++) diff = Math.max(diff, Math.abs(right.im[x] - wrong.im[x]) + Math.abs(right.re[x] - wrong.re[x]));
  assert.ok(diff > 0.5, `H and its transpose differ by only ${diff} in E_loc`);
});

test('local energies of every configuration equal Σ_y H_xy ψ(y)/ψ(x) from the dense matrix (real and imaginary parts)', () => {
  const e = localEnergies(h, wf, allConfigs(N), DIM, { maxConnected: 29 }); // small chunks on purpose
  const want = denseLocalEnergies();
  for (let x = 0; x < DIM; x++) {
    const scale = 1e-9 * (1 + Math.abs(want.re[x]) + Math.abs(want.im[x]));
    assert.ok(Math.abs(e.re[x] - want.re[x]) < scale, `Re E_loc(${x}): ${e.re[x]} vs ${want.re[x]}`);
    assert.ok(Math.abs(e.im[x] - want.im[x]) < scale, `Im E_loc(${x}): ${e.im[x]} vs ${want.im[x]}`);
  }
});

test('energy: the full sum equals ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩ (dense), and the Monte Carlo energy lies within 4 standard errors', () => {
  const psi = amplitudes();
  const exact = exactEnergy(H, psi.logAmp, psi.phase);
  const all = allConfigs(N);
  const e = localEnergies(h, wf, all, DIM);
  const full = energyStats(e.re, e.im, wf.probabilities());
  assert.ok(Math.abs(full.mean - exact) < 1e-9 * (1 + Math.abs(exact)), `${full.mean} vs ${exact}`);
  assert.ok(Math.abs(full.meanIm) < 1e-9, `imaginary part of the full sum ${full.meanIm}`);
  const samples = wf.sample(20000, new Rng(5));
  const u = uniqueSamples(samples, 20000, N);
  const el = localEnergies(h, wf, u.configs, u.count);
  const mc = energyStats(el.re, el.im, u.multiplicity);
  const z = Math.abs(mc.mean - exact) / mc.error;
  assert.ok(z < 4, `MC ${mc.mean} ± ${mc.error} vs exact ${exact} (z = ${z.toFixed(2)})`);
});

test('VMC gradient with complex elements: the full-sum surrogate gradient equals finite differences of ⟨H⟩', () => {
  const all = allConfigs(N);
  const p = wf.probabilities();
  const e = localEnergies(h, wf, all, DIM);
  const st = energyStats(e.re, e.im, p);
  const grads = energyGradient(wf, { configs: all, count: DIM, weights: p, eRe: e.re, eIm: e.im, meanRe: st.mean, meanIm: st.meanIm });
  const gA = Float64Array.from(grads[0].dataSync());
  const gP = Float64Array.from(grads[1].dataSync());
  tf.dispose(grads);
  const base = amplitudes();
  const eps = 1e-5;
  let largestPhase = 0;
  for (const [which, g] of [['logAmp', gA], ['phase', gP]] as const) {
    for (const i of [0, 5, 13, 22, 37, 63]) {
      const plus = Float64Array.from(base[which]);
      const minus = Float64Array.from(base[which]);
      plus[i] += eps;
      minus[i] -= eps;
      const fd =
        which === 'logAmp'
          ? (exactEnergy(H, plus, base.phase) - exactEnergy(H, minus, base.phase)) / (2 * eps)
          : (exactEnergy(H, base.logAmp, plus) - exactEnergy(H, base.logAmp, minus)) / (2 * eps);
      if (which === 'phase') largestPhase = Math.max(largestPhase, Math.abs(fd));
      assert.ok(Math.abs(g[i] - fd) < 2e-4 + 1e-3 * Math.abs(fd), `${which}[${i}]: surrogate ${g[i]} vs finite difference ${fd}`);
    }
  }
  // the phase gradient is not trivially zero here (it is the part a real-H test never sees)
  assert.ok(largestPhase > 1e-3, `phase gradients all below ${largestPhase}`);
});

test('measureState on the complex model: energy, variance, ⟨σ^x_i⟩ and ⟨σ^x σ^x⟩(r) within errors of enumeration', () => {
  const r = measureState(exactlySampled(wf, lattice, h), { samples: 20000, seed: 3, observables: ['energy', 'magnetization', 'correlations'] });
  const psi = amplitudes();
  const exact = exactEnergy(H, psi.logAmp, psi.phase);
  assert.ok(withinErrors(r.energy!, exact), `energy ${r.energy!.mean} ± ${r.energy!.error} vs ${exact}`);
  assert.ok(Math.abs(r.energy!.imag) < 0.1, `imaginary part ${r.energy!.imag}`);
  // Var(E_loc) = ⟨ψ|H²|ψ⟩/⟨ψ|ψ⟩ − E² = ‖Hψ‖²/‖ψ‖² − E² for Hermitian H
  let norm = 0;
  let h2 = 0;
  for (let x = 0; x < DIM; x++) {
    norm += psi.re[x] ** 2 + psi.im[x] ** 2;
    let sr = 0;
    let si = 0;
    for (let y = 0; y < DIM; y++) {
      sr += H.re[x * DIM + y] * psi.re[y] - H.im[x * DIM + y] * psi.im[y];
      si += H.re[x * DIM + y] * psi.im[y] + H.im[x * DIM + y] * psi.re[y];
    }
    h2 += sr * sr + si * si;
  }
  const variance = h2 / norm - exact * exact;
  assert.ok(Math.abs(r.energy!.variance / variance - 1) < 0.1, `variance ${r.energy!.variance} vs exact ${variance}`);
  const v = stateVector(wf);
  const m = r.magnetization!;
  for (let i = 0; i < N; i++) {
    const want = exactX(v, [i]);
    assert.ok(withinErrors(m.sx_site[i]!, want), `σx_${i}: ${m.sx_site[i]!.mean} ± ${m.sx_site[i]!.error} vs ${want}`);
  }
  const c = r.correlations!;
  pairsByDistance(lattice, c.metric).pairs.forEach((list, d) => {
    const want = list.reduce((a, [i, j]) => a + exactX(v, [i, j]), 0) / list.length;
    assert.ok(withinErrors(c.xx[d]!, want), `xx(r=${c.distance[d]}): ${c.xx[d]!.mean} ± ${c.xx[d]!.error} vs ${want}`);
  });
});
