/**
 * The default exact solve over S^z sectors: the lowest sector wins (not always S^z = 0), one
 * sector when [H, S²] = 0, half of them under spin flip; the same default in the library, the run
 * reference and `vmc exact`; the sector-by-sector minimum and gap equal full-space
 * diagonalisation; the plan's memory estimate matches what is allocated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, square } from '../../src/lattice/lattice.js';
import type { Lattice } from '../../src/lattice/lattice.js';
import { Rng } from '../../src/rng.js';
import { buildModel } from '../../src/run/build.js';
import { resolveExperiment } from '../../src/run/experiment.js';
import { referenceEnergy } from '../../src/run/reference.js';
import {
  Basis,
  binomial,
  exactGroundState,
  offDiagonalBound,
  planExact,
  SectorOperator,
  sectorSymmetries,
  canSolveExactly,
} from '../../src/exact/index.js';
import { compileTerms, heisenbergDM, model, type Pauli, type PauliTerm } from './fixtures.js';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} (diff ${a - b})`);
}

/** The run reference and the model parts from flags, as `vmc run` / `vmc exact` build them. */
function fromFlags(flags: Record<string, unknown>): ReturnType<typeof referenceEnergy> & { parts: ReturnType<typeof buildModel> } {
  const cfg = resolveExperiment({}, flags as never);
  const parts = buildModel(cfg);
  return { ...referenceEnergy(cfg, parts), parts };
}

test('xxz Δ = −2, open N = 8: E0 = −14 in the fully polarised sectors, by default in the library and the run reference', () => {
  const lat = chain(8, 'open');
  const h = model('xxz', lat, { Delta: -2 });
  const r = exactGroundState(h, lat);
  close(r.energy, -14, 1e-12, 'E0');
  assert.equal(r.sectorChoice, 'all-sectors');
  assert.equal(r.nUp, 0, 'ground sector: all spins down (S^z = −4)');
  assert.deepEqual(r.groundSectors, [0, 8], 'and its spin-flip image');
  // spin-flip symmetric: only S^z ≤ 0 solved, each with its mirror
  assert.deepEqual(r.sectors.map((s) => [s.nUp, s.mirror]), [[0, 8], [1, 7], [2, 6], [3, 5], [4, null]]);
  close(r.sectors[4].energy, -10.536267899871, 1e-10, 'S^z = 0 sector');
  // the gap is over the whole space: the same as dense diagonalisation of all 256 states
  const full = exactGroundState(h, lat, { nUp: null, method: 'dense' });
  close(full.energy, -14, 1e-12, 'full space');
  close(r.gap!, full.gap!, 1e-9, 'global gap');
  // an explicit sector: its own gap
  const s0 = exactGroundState(h, lat, { nUp: 4 });
  assert.equal(s0.sectorChoice, 'fixed');
  close(s0.energy, -10.536267899871, 1e-10, 'S^z = 0');
  assert.ok(s0.gap! < 1e-5, 'within S^z = 0 the two kink states are nearly degenerate');

  const ref = fromFlags({ model: 'xxz', n: 8, param: { Delta: -2 } });
  close(ref.energy!, -14, 1e-12, 'run reference');
  assert.equal(ref.nUp, 0);
  assert.deepEqual(ref.groundSectors, [0, 8]);
  // with --magnetization the reference is that sector's
  const fixed = fromFlags({ model: 'xxz', n: 8, param: { Delta: -2 }, magnetization: 0 });
  close(fixed.energy!, -10.536267899871, 1e-10, 'run reference at S^z = 0');
});

test('library and run-reference defaults agree (energy, sector, gap) on conserving and non-conserving models', () => {
  const cases: Record<string, unknown>[] = [
    { model: 'heisenberg', n: 10, bc: 'periodic' },
    { model: 'heisenberg', n: 9, bc: 'open', param: { J: -1 } },
    { model: 'xxz', n: 9, param: { Delta: -1.5 } },
    { model: 'xxz', n: 10, bc: 'periodic', param: { Delta: 0.5 } },
    { model: 'j1j2', n: 10, bc: 'periodic', param: { J2: 0.3 } },
    { model: 'tfim', n: 9, bc: 'periodic', param: { h: 0.8 } },
  ];
  for (const flags of cases) {
    const ref = fromFlags(flags);
    const lib = exactGroundState(ref.parts.hamiltonian, ref.parts.lattice);
    const what = JSON.stringify(flags);
    assert.equal(ref.energy, lib.energy, what);
    assert.equal(ref.nUp, lib.nUp, what);
    assert.equal(ref.gap, lib.gap, what);
    assert.equal(ref.method, lib.method, what);
  }
});

test('Heisenberg and J1-J2 commute with S²: one solve at S^z = 0 (or −1/2); XXZ, DM and z fields do not', () => {
  const lat = chain(6, 'periodic');
  const sym = (h: Parameters<typeof sectorSymmetries>[0]) => sectorSymmetries(h);
  assert.deepEqual(sym(model('heisenberg', lat)), { totalSpin: true, spinFlip: true });
  assert.deepEqual(sym(model('j1j2', lat, { J2: 0.4 })), { totalSpin: true, spinFlip: true });
  assert.deepEqual(sym(model('xxz', lat, { Delta: 1 })), { totalSpin: true, spinFlip: true });
  assert.deepEqual(sym(model('xxz', lat, { Delta: 0.9 })), { totalSpin: false, spinFlip: true });
  assert.deepEqual(sym(heisenbergDM(lat)), { totalSpin: false, spinFlip: false });
  assert.deepEqual(sym(randomXxz(lat, new Rng('sym'), { isotropic: true })), { totalSpin: true, spinFlip: true });
  assert.deepEqual(sym(randomXxz(lat, new Rng('sym'), { field: 0.3 })), { totalSpin: false, spinFlip: false });
  // a Z field that cancels (+h and −h on one site) is no field
  const cancel: PauliTerm[] = [...isotropicBonds(lat), { c: 0.5, ops: [[2, 'Z']] }, { c: -0.5, ops: [[2, 'Z']] }];
  assert.equal(sym(compileTerms('cancel', 6, cancel, true)).spinFlip, true);

  for (const n of [11, 12]) {
    const l = chain(n, 'open');
    const r = exactGroundState(model('heisenberg', l), l);
    assert.equal(r.sectorChoice, 'total-spin');
    assert.deepEqual(r.sectors.map((s) => s.nUp), [Math.floor(n / 2)]);
  }
  // the ferromagnet's ground multiplet spans every sector; S^z = 0 holds it
  const ferro = exactGroundState(model('heisenberg', chain(8, 'open'), { J: -1 }), chain(8, 'open'));
  close(ferro.energy, -7, 1e-12, 'ferromagnetic open chain E0 = −(N − 1)');
});

test('sector-by-sector minimum and gap equal full-space Lanczos (random XXZ couplings, z fields, DM, 2D)', () => {
  const rng = new Rng('sectors-vs-full');
  const models: [string, Lattice, Parameters<typeof exactGroundState>[0]][] = [];
  for (const [i, lat] of [chain(9, 'open'), chain(10, 'periodic'), square(3, 3, 'open')].entries()) {
    models.push([`random XXZ ${i}`, lat, randomXxz(lat, rng, {})]);
    models.push([`random XXZ + z field ${i}`, lat, randomXxz(lat, rng, { field: 0.6 })]);
    models.push([`random isotropic ${i}`, lat, randomXxz(lat, rng, { isotropic: true })]);
  }
  // strong uniform field: the ground state is far from S^z = 0
  const c10 = chain(10, 'open');
  models.push(['Heisenberg + strong z field', c10, compileTerms('hz', 10, [...isotropicBonds(c10), ...uniformZ(10, 2.5)], true)]);
  models.push(['Heisenberg + DM (complex)', chain(8, 'periodic'), heisenbergDM(chain(8, 'periodic'))]);
  let offCenter = 0;
  for (const [what, lat, h] of models) {
    const bySector = exactGroundState(h, lat);
    const full = exactGroundState(h, lat, { nUp: null, method: 'lanczos', tol: 1e-10 });
    close(bySector.energy, full.energy, 1e-10, `${what} E0`);
    close(bySector.gap!, full.gap!, 1e-7, `${what} gap`);
    // the reported sector really holds E0
    const own = exactGroundState(h, lat, { nUp: bySector.nUp! });
    close(own.energy, full.energy, 1e-10, `${what} reported sector`);
    if (2 * bySector.nUp! !== lat.nSites && 2 * bySector.nUp! !== lat.nSites - 1) offCenter++;
  }
  assert.ok(offCenter >= 2, `some ground states lie away from S^z = 0 (${offCenter})`);
});

test('Heisenberg open N = 26 is accepted: one sector of 10,400,600 states, and a memory estimate that matches the allocations', () => {
  const lat = chain(26, 'open');
  const h = model('heisenberg', lat);
  const plan = planExact(h, lat);
  assert.equal(plan.sectorChoice, 'total-spin');
  assert.deepEqual(plan.sectors, [{ nUp: 13, dimension: 10_400_600, method: 'lanczos', mirror: null }]);
  assert.equal(canSolveExactly(h, lat).ok, true);
  const c = plan.costs[0];
  // 25 bonds, each flippable in the 2·C(24, 12) states where its two spins differ
  assert.equal(offDiagonalBound(h, 13), 25 * 2 * binomial(24, 12));
  assert.equal(c.krylov, 28);
  assert.equal(c.bytes.vectors, 29 * 8 * 10_400_600);
  assert.equal(c.storedMatrix, true);
  assert.equal(c.bytes.matrix, 4 * 10_400_601 + 25 * 2 * binomial(24, 12) * 12);
  assert.ok(plan.memoryBytes > 3.5 * 2 ** 30 && plan.memoryBytes < 4.5 * 2 ** 30, `${plan.memoryBytes}`);
  assert.ok(plan.seconds > 30, 'estimated as a long solve');
  // xxz (no S²) on 26 sites: the 14 sectors with S^z ≤ 0; peak memory is the largest sector's
  const xxz = planExact(model('xxz', lat), lat);
  assert.equal(xxz.sectorChoice, 'all-sectors');
  assert.equal(xxz.sectors.length, 14);
  assert.equal(xxz.dimension, 10_400_600);
  assert.equal(xxz.totalDimension, 2 ** 25 + 10_400_600 / 2);
});

test('the estimate describes what is allocated: stored entries, basis and diagonal of small sectors', () => {
  for (const [lat, name, params] of [
    [chain(12, 'open'), 'heisenberg', {}],
    [square(3, 4, 'periodic'), 'j1j2', { J2: 0.5 }],
    [chain(10, 'periodic'), 'xxz', { Delta: 0.3 }],
  ] as const) {
    const h = model(name, lat, params);
    for (const nUp of [0, 3, Math.floor(lat.nSites / 2)]) {
      const op = new SectorOperator(h, new Basis(lat.nSites, nUp));
      assert.equal(op.store(2 ** 32), true);
      const plan = planExact(h, lat, { nUp, method: 'lanczos' });
      const c = plan.costs[0];
      assert.equal(c.bytes.matrix, op.storedBytes, `${name} nUp=${nUp}: stored matrix bytes`);
      assert.equal(c.bytes.diagonal, op.diag.byteLength);
      assert.equal(c.bytes.vectors, (c.krylov + 1) * 8 * op.dim);
    }
  }
});

/** J Σ (XX + YY + ZZ) on the lattice's nearest-neighbour bonds */
function isotropicBonds(lat: Lattice, J = 1): PauliTerm[] {
  return lat.bonds('nearest').flatMap(([a, b]) => (['X', 'Y', 'Z'] as Pauli[]).map((p): PauliTerm => ({ c: J, ops: [[a, p], [b, p]] })));
}

function uniformZ(n: number, hz: number): PauliTerm[] {
  return Array.from({ length: n }, (_, s): PauliTerm => ({ c: -hz, ops: [[s, 'Z']] }));
}

/**
 * Σ_b J_b (XX + YY + Δ_b ZZ) with J_b ∈ (−1, 1), Δ_b ∈ (−3, 2) random (or Δ_b = 1: isotropic),
 * plus an optional random field along z of strength up to `field`.
 */
function randomXxz(lat: Lattice, rng: Rng, opts: { isotropic?: boolean; field?: number }): ReturnType<typeof compileTerms> {
  const terms: PauliTerm[] = [];
  for (const [a, b] of lat.bonds('nearest')) {
    const J = 2 * rng.uniform() - 1;
    const delta = opts.isotropic ? 1 : 5 * rng.uniform() - 3;
    terms.push({ c: J, ops: [[a, 'X'], [b, 'X']] }, { c: J, ops: [[a, 'Y'], [b, 'Y']] }, { c: J * delta, ops: [[a, 'Z'], [b, 'Z']] });
  }
  if (opts.field) for (let s = 0; s < lat.nSites; s++) terms.push({ c: opts.field * (2 * rng.uniform() - 1), ops: [[s, 'Z']] });
  return compileTerms('random-xxz', lat.nSites, terms, true);
}
