import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chain, square } from '../../src/lattice/lattice.js';
import { InputError } from '../../src/errors.js';
import { compileHamiltonian, loadModel, modelsDir } from '../../src/hamiltonian/index.js';
import { exactGroundState, canSolveExactly, DEFAULT_MAX_DIMENSION } from '../../src/exact/index.js';
import { compileTerms, model, tfimTerms } from './fixtures.js';

test('a user\'s copy of tfim.json is recognised structurally and solved by free fermions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-exact-'));
  try {
    const def = JSON.parse(readFileSync(join(modelsDir(), 'tfim.json'), 'utf8'));
    def.name = 'my-ising';
    const path = join(dir, 'my-ising.json');
    writeFileSync(path, JSON.stringify(def));
    const lat = chain(40, 'periodic');
    const r = exactGroundState(compileHamiltonian(loadModel(path, { h: 0.9 }), lat), lat);
    assert.equal(r.method, 'free-fermion');
    assert.equal(r.nSites, 40);
    assert.equal(r.dimension, 80); // Bogoliubov–de Gennes size 2N
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('method choice: TFIM on a square lattice or with a longitudinal field is not free fermions', () => {
  const sq = square(3, 3, 'open');
  assert.equal(exactGroundState(model('tfim', sq), sq).method, 'lanczos');
  const lat = chain(6, 'open');
  const terms = tfimTerms(lat, 1, 1);
  terms.push({ c: 0.1, ops: [[2, 'Z']] });
  const r = exactGroundState(compileTerms('tfim-hz', 6, terms, false), lat);
  assert.equal(r.method, 'dense');
  assert.equal(r.dimension, 64);
  // asking for the vector switches away from free fermions
  const lat10 = chain(10, 'open');
  const v = exactGroundState(model('tfim', lat10), lat10, { wantVector: true });
  assert.equal(v.method, 'lanczos');
  assert.equal(v.vector!.length, 1024);
  assert.ok(Math.abs(v.energy - exactGroundState(model('tfim', lat10), lat10).energy) < 1e-10);
  // stoquastic TFIM: ground state is positive (after the phase fix)
  assert.ok(v.vector!.every((a) => a > -1e-12));
});

test('TFIM at h = 0 (diagonal only, formally S^z conserving) is solved over the full space', () => {
  const lat = chain(7, 'periodic');
  const r = exactGroundState(model('tfim', lat, { h: 0 }), lat);
  assert.equal(r.energy, -7);
  assert.equal(r.nUp, null);
  const sq = square(3, 3, 'periodic');
  const s = exactGroundState(model('tfim', sq, { h: 0 }), sq, { wantVector: true });
  assert.equal(s.method, 'dense');
  assert.equal(s.energy, -18);
  assert.equal(s.gap, 8); // one flipped spin on the 3×3 torus breaks its 4 bonds
  assert.equal(s.vector!.filter((a) => a !== 0).length, 1);
});

test('sectors: S^z = 0 by default for an S²-conserving model, explicit nUp, full space with nUp = null', () => {
  const lat = chain(8, 'periodic');
  const h = model('heisenberg', lat);
  const r = exactGroundState(h, lat);
  assert.equal(r.nUp, 4);
  assert.equal(r.dimension, 70);
  const full = exactGroundState(h, lat, { nUp: null });
  assert.equal(full.nUp, null);
  assert.equal(full.dimension, 256);
  assert.ok(Math.abs(full.energy - r.energy) < 1e-10);
  const one = exactGroundState(h, lat, { nUp: 1, wantVector: true });
  assert.equal(one.dimension, 8);
  // one magnon on the ring: ZZ part 8 − 4 = 4, hopping 2J on each neighbour: E(k) = 4 + 4 cos k ≥ 0
  assert.ok(Math.abs(one.energy) < 1e-12);
  assert.equal(one.basis!.length, 8);
  assert.ok(one.basis!.every((s) => s.toString(2).split('1').length - 1 === 1));
});

test('errors: nUp without S^z conservation, bad nUp, lattice mismatch, too large, forced free fermions', () => {
  const lat = chain(8, 'open');
  assert.throws(() => exactGroundState(model('tfim', lat), lat, { nUp: 4 }), (e: unknown) => e instanceof InputError && /does not conserve S\^z/.test(e.message));
  assert.throws(() => exactGroundState(model('heisenberg', lat), lat, { nUp: 9 }), InputError);
  assert.throws(() => exactGroundState(model('heisenberg', lat), chain(6, 'open')), InputError);
  assert.throws(() => exactGroundState(model('heisenberg', lat), lat, { method: 'free-fermion' }), InputError);
  const big = chain(30, 'periodic');
  assert.throws(
    () => exactGroundState(model('heisenberg', big), big),
    (e: unknown) => e instanceof InputError && /155,117,520/.test(e.message) && /33,554,432/.test(e.message),
  );
  const c = canSolveExactly(model('heisenberg', big), big);
  assert.equal(c.ok, false);
  assert.match(c.reason!, /dimension 155,117,520/);
  const c24 = canSolveExactly(model('heisenberg', chain(24, 'open')), chain(24, 'open'));
  assert.deepEqual([c24.ok, c24.method, c24.dimension, c24.nUp, c24.plan!.sectorChoice], [true, 'lanczos', 2704156, 12, 'total-spin']);
  assert.equal(canSolveExactly(model('tfim', chain(5000, 'open')), chain(5000, 'open')).method, 'free-fermion');
  const sq = square(6, 5, 'open');
  assert.equal(canSolveExactly(model('tfim', sq), sq).ok, false);
  assert.equal(canSolveExactly(model('heisenberg', lat), lat, { maxDimension: 50 }).ok, false);
  assert.equal(DEFAULT_MAX_DIMENSION, 2 ** 25);
});
