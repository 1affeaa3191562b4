/**
 * The Bethe-ansatz energy of the periodic Heisenberg chain against Lanczos on the same compiled
 * Hamiltonian, the thermodynamic limit (Hulthén) with its conformal 1/N² correction, and the
 * N = 40 reference recorded in experiments/rbm-heisenberg-chain40.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BETHE_MAX_SITES, betheGroundEnergy, betheHeisenbergChain, detectHeisenbergChain } from '../../src/exact/bethe.js';
import { exactGroundState } from '../../src/exact/index.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';

/** e∞ = 4(1/4 − ln 2) per site in Pauli units (Hulthén 1938). */
const E_INF = 4 * (0.25 - Math.log(2));

test('equals Lanczos in the S^z = 0 sector for N = 8, 10, 12, 16 (to 1e-9)', () => {
  const model = loadModel('heisenberg');
  for (const n of [8, 10, 12, 16]) {
    const lattice = chain(n, 'periodic');
    const lz = exactGroundState(compileHamiltonian(model, lattice), lattice, { nUp: n / 2, method: 'lanczos', tol: 1e-10 });
    assert.equal(lz.method, 'lanczos');
    const be = betheHeisenbergChain(n);
    assert.ok(Math.abs(be.energy - lz.energy) < 1e-9, `N=${n}: Bethe ${be.energy} vs Lanczos ${lz.energy}`);
    assert.ok(be.residual < 1e-12 * n);
    // odd, increasing rapidities
    const r = be.rapidities;
    assert.equal(r.length, n / 2);
    for (let j = 0; j < r.length; j++) {
      assert.ok(Math.abs(r[j] + r[r.length - 1 - j]) < 1e-12);
      if (j > 0) assert.ok(r[j] > r[j - 1]);
    }
  }
});

test('tiny chains in closed form: N = 2 (singlet on a doubled bond) and N = 4', () => {
  assert.ok(Math.abs(betheGroundEnergy(2) + 6) < 1e-12);
  // N = 4 ring: E = 4·(−2) in S·S units … Pauli units −8
  assert.ok(Math.abs(betheGroundEnergy(4) + 8) < 1e-12);
});

test('N = 40 gives the reference recorded in experiments/rbm-heisenberg-chain40.json', () => {
  const e = betheGroundEnergy(40);
  assert.ok(Math.abs(e - -70.98609115) < 5e-9, `E(40) = ${e}`);
  const file = JSON.parse(readFileSync(new URL('../../experiments/rbm-heisenberg-chain40.json', import.meta.url), 'utf8'));
  assert.equal(file.n, 40);
  assert.ok(Math.abs(e - file.reference.energy) < 5e-9, `file ${file.reference.energy} vs ${e}`);
});

test('approaches 4(1/4 − ln 2) per site with the conformal correction −π²/(3N²) (N = 200, 1000)', () => {
  for (const n of [200, 1000]) {
    const perSite = betheHeisenbergChain(n).energyPerSite;
    assert.ok(Math.abs(perSite - E_INF) < 1e-4 * (200 / n) ** 2, `N=${n}: E/N = ${perSite} vs ${E_INF}`);
    // Cardy / Affleck: E0/N = e∞ − π c v /(6 N²) with c = 1, v = 2π (Pauli units), up to log corrections
    const ratio = (perSite - E_INF) / (-(Math.PI ** 2) / (3 * n * n));
    assert.ok(Math.abs(ratio - 1) < 2e-3, `N=${n}: finite-size correction ratio ${ratio}`);
  }
});

test('rejects odd, too small or too large N', () => {
  for (const n of [7, 0, 3.5, BETHE_MAX_SITES + 2]) assert.throws(() => betheGroundEnergy(n), /even number of sites/);
});

test('the periodic Heisenberg chain is recognised from its compiled operator; other models are not', () => {
  const ring = chain(10, 'periodic');
  assert.equal(detectHeisenbergChain(compileHamiltonian(loadModel('heisenberg', { J: 2 }), ring), ring), 2);
  assert.equal(detectHeisenbergChain(compileHamiltonian(loadModel('heisenberg', { J: -1 }), ring), ring), null);
  assert.equal(detectHeisenbergChain(compileHamiltonian(loadModel('xxz', { Delta: 0.5 }), ring), ring), null);
  assert.equal(detectHeisenbergChain(compileHamiltonian(loadModel('xxz', { Delta: 1 }), ring), ring), 1);
  assert.equal(detectHeisenbergChain(compileHamiltonian(loadModel('j1j2', { J2: 0.2 }), ring), ring), null);
  const open = chain(10, 'open');
  assert.equal(detectHeisenbergChain(compileHamiltonian(loadModel('heisenberg'), open), open), null);
});
