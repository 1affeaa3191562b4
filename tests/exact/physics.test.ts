import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain } from '../../src/lattice/lattice.js';
import { exactGroundState } from '../../src/exact/index.js';
import { model } from './fixtures.js';

const BETHE = 4 * (0.25 - Math.LN2); // Heisenberg chain energy per site, Pauli units

test('periodic Heisenberg chain: E/N approaches the Bethe-ansatz limit 4(1/4 − ln 2) from below, monotonically', () => {
  const perSite: number[] = [];
  for (const n of [8, 12, 16, 20]) {
    const lat = chain(n, 'periodic');
    const r = exactGroundState(model('heisenberg', lat), lat);
    assert.equal(r.method, n >= 12 ? 'lanczos' : 'dense');
    assert.equal(r.nUp, n / 2, 'default sector S^z = 0');
    perSite.push(r.energyPerSite);
    if (n === 16) {
      // scipy eigsh cross-check; −7.142296360616797 in S·S units
      assert.ok(Math.abs(r.energy - -28.569185442467187) < 1e-9, `N=16: ${r.energy}`);
      assert.ok(Math.abs(r.energy / 4 - -7.142296) < 1e-6);
    }
  }
  for (let i = 0; i < perSite.length; i++) {
    assert.ok(perSite[i] < BETHE, 'periodic even chains lie below the limit');
    if (i > 0) assert.ok(BETHE - perSite[i] < BETHE - perSite[i - 1], 'finite-size correction shrinks');
  }
  // conformal finite-size correction πv/(6N²) with v = π/2 (S·S units), ×4 for Pauli units:
  // ≈ 0.0082 at N = 20 (log corrections make it a little larger)
  const corr = BETHE - perSite[3];
  assert.ok(corr > 0.007 && corr < 0.011, `N=20 correction ${corr}`);
});

test('Majumdar–Ghosh: J1-J2 periodic chain at J2 = J1/2 has E = −3N/2 (Pauli units)', () => {
  for (const n of [12, 16]) {
    const lat = chain(n, 'periodic');
    const r = exactGroundState(model('j1j2', lat, { J1: 1, J2: 0.5 }), lat);
    assert.ok(Math.abs(r.energy - (-3 * n) / 2) < 1e-9, `N=${n}: ${r.energy}`);
    // the two dimer coverings are (for finite N) degenerate with an exponentially small splitting
    assert.ok(r.gap !== null && r.gap > 0);
  }
});

test('ferromagnetic Heisenberg: the S^z = 0 default still reaches the ground multiplet (E = −N on a ring)', () => {
  const lat = chain(10, 'periodic');
  const r = exactGroundState(model('heisenberg', lat, { J: -1 }), lat);
  assert.ok(Math.abs(r.energy - -10) < 1e-10);
});
