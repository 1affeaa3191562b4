/**
 * Lattice symmetry generators, group closure with characters, and the commutation check of a
 * site permutation with a compiled Hamiltonian (src/exact/symmetry.ts) against dense matrices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, square } from '../../src/lattice/lattice.js';
import { latticeGenerators, latticeSymmetryProblem } from '../../src/lattice/symmetries.js';
import { CharacterError, generateGroup, type GroupGenerator } from '../../src/lattice/group.js';
import { permutationProblem, sectorSymmetries } from '../../src/exact/symmetry.js';
import { denseMatrix } from '../../src/hamiltonian/index.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { compileTerms, model, tfimTerms, type PauliTerm } from '../exact/fixtures.js';

const gens = (lat: ReturnType<typeof chain>, names: ('translation' | 'reflection' | 'c4v')[], flip = false): GroupGenerator[] => [
  ...names.flatMap((n) => latticeGenerators(lat, n).map((g) => ({ key: g.key, perm: g.perm, flip: false, chi: [1, 0] as [number, number] }))),
  ...(flip ? [{ key: 'flip', perm: null, flip: true, chi: [1, 0] as [number, number] }] : []),
];

test('group orders: chain translations N, dihedral 2N, with flip 4N; C4v 8; space group of the L×L torus 8L²', () => {
  const ring = chain(6, 'periodic');
  assert.equal(generateGroup(6, gens(ring, ['translation'])).length, 6);
  assert.equal(generateGroup(6, gens(ring, ['translation', 'reflection'])).length, 12);
  assert.equal(generateGroup(6, gens(ring, ['translation', 'reflection'], true)).length, 24);
  assert.equal(generateGroup(5, gens(chain(5, 'open'), ['reflection'], true)).length, 4);
  assert.equal(generateGroup(9, gens(square(3, 3, 'open'), ['c4v'])).length, 8);
  assert.equal(generateGroup(12, gens(square(4, 3, 'open'), ['reflection'])).length, 4);
  // c4v and reflection share the mirror: still C4v
  assert.equal(generateGroup(16, gens(square(4, 4, 'open'), ['c4v', 'reflection'])).length, 8);
  assert.equal(generateGroup(16, gens(square(4, 4, 'periodic'), ['translation', 'c4v'])).length, 8 * 16);
  // every element is a permutation, the identity comes first
  const g = generateGroup(16, gens(square(4, 4, 'periodic'), ['translation', 'c4v']));
  assert.deepEqual([...g[0].perm], [...Array(16).keys()]);
  for (const e of g) assert.equal(new Set(e.perm).size, 16);
});

test('generators are lattice automorphisms: they map nearest-neighbour bonds onto bonds', () => {
  for (const [lat, names] of [
    [chain(7, 'open'), ['reflection']],
    [chain(8, 'periodic'), ['translation', 'reflection']],
    [square(4, 3, 'periodic'), ['translation', 'reflection']],
    [square(3, 3, 'open'), ['c4v']],
    [square(4, 4, 'periodic'), ['c4v', 'translation']],
  ] as const) {
    const bonds = new Set(lat.bonds('nearest').map(([a, b]) => (a < b ? `${a},${b}` : `${b},${a}`)));
    for (const n of names) {
      for (const g of latticeGenerators(lat, n)) {
        for (const [a, b] of lat.bonds('nearest')) {
          const [p, q] = [g.perm[a], g.perm[b]];
          assert.ok(bonds.has(p < q ? `${p},${q}` : `${q},${p}`), `${lat.describe()} ${g.key}: bond ${a}-${b} → ${p}-${q}`);
        }
      }
    }
  }
});

test('lattice problems: translations need periodic boundaries, c4v a square lx = ly', () => {
  assert.match(latticeSymmetryProblem(chain(6, 'open'), 'translation')!, /periodic boundaries/);
  assert.match(latticeSymmetryProblem(chain(6, 'periodic'), 'c4v')!, /square lattice/);
  assert.match(latticeSymmetryProblem(square(4, 3, 'open'), 'c4v')!, /lx = ly/);
  assert.equal(latticeSymmetryProblem(square(3, 3, 'open'), 'c4v'), null);
  assert.throws(() => latticeGenerators(square(4, 2, 'open'), 'translation'), /periodic/);
});

test('characters: momenta propagate as e^{ikn}; k ∉ {0, π} with a reflection is refused, k = π is accepted', () => {
  const ring = chain(6, 'periodic');
  const [T] = latticeGenerators(ring, 'translation');
  const [R] = latticeGenerators(ring, 'reflection');
  const k = (q: number): [number, number] => [Math.cos((2 * Math.PI * q) / 6), Math.sin((2 * Math.PI * q) / 6)];
  const g = generateGroup(6, [{ key: 'k', perm: T.perm, flip: false, chi: k(1) }]);
  for (const e of g) {
    // e = T^n: perm[0] = n
    const n = e.perm[0];
    assert.ok(Math.hypot(e.chiRe - Math.cos((2 * Math.PI * n) / 6), e.chiIm - Math.sin((2 * Math.PI * n) / 6)) < 1e-12);
  }
  assert.throws(
    () => generateGroup(6, [{ key: 'k', perm: T.perm, flip: false, chi: k(1) }, { key: 'reflection', perm: R.perm, flip: false, chi: [1, 0] }]),
    (e: unknown) => e instanceof CharacterError && /same operation/.test(e.message),
  );
  const ok = generateGroup(6, [{ key: 'k', perm: T.perm, flip: false, chi: k(3) }, { key: 'reflection', perm: R.perm, flip: false, chi: [-1, 0] }]);
  assert.equal(ok.length, 12);
});

const denseCache = new Map<CompiledHamiltonian, ReturnType<typeof denseMatrix>>();

/**
 * g H g⁻¹ = H as dense matrices: ⟨g·x|H|g·y⟩ = ⟨x|H|y⟩ for every non-zero element (g permutes the
 * pairs (x, y), so the zero elements then match too).
 */
function denseCommutes(h: CompiledHamiltonian, perm: readonly number[]): boolean {
  const n = h.nSites;
  const D = 2 ** n;
  if (!denseCache.has(h)) denseCache.set(h, denseMatrix(h));
  const H = denseCache.get(h)!;
  const img = Int32Array.from({ length: D }, (_, b) => {
    let c = 0;
    for (let s = 0; s < n; s++) if ((b >> s) & 1) c |= 1 << perm[s];
    return c;
  });
  for (let x = 0; x < D; x++) {
    for (let y = 0; y < D; y++) {
      const a = x * D + y;
      if (H.re[a] === 0 && H.im[a] === 0) continue;
      const b = img[x] * D + img[y];
      if (Math.abs(H.re[a] - H.re[b]) > 1e-12 || Math.abs(H.im[a] - H.im[b]) > 1e-12) return false;
    }
  }
  return true;
}

test('permutationProblem agrees with the dense matrices: periodic and open chains, 2D, a defect, complex terms', () => {
  const ring = chain(5, 'periodic');
  const open = chain(5, 'open');
  const sq = square(2, 2, 'open');
  const defect: PauliTerm[] = [...tfimTerms(ring, 1, 0.7), { c: 0.3, ops: [[0, 'X']] }];
  const chiral: PauliTerm[] = [];
  // Σ (X_i Y_{i+1} − Y_i X_{i+1}) (a DM term): odd under reflection, invariant under translation
  for (const [i, j] of ring.bonds('nearest')) {
    chiral.push({ c: 0.4, ops: [[i, 'X'], [j, 'Y']] }, { c: -0.4, ops: [[i, 'Y'], [j, 'X']] });
  }
  const tfimRing = model('tfim', ring, { h: 0.7 });
  const chiralRing = compileTerms('chiral', 5, chiral, true);
  const heis = model('heisenberg', sq);
  const cases: [string, CompiledHamiltonian, number[]][] = [
    ['tfim ring, T', tfimRing, latticeGenerators(ring, 'translation')[0].perm],
    ['tfim ring, R', tfimRing, latticeGenerators(ring, 'reflection')[0].perm],
    ['tfim open, T', model('tfim', open, { h: 0.7 }), latticeGenerators(ring, 'translation')[0].perm],
    ['tfim open, R', model('tfim', open, { h: 0.7 }), latticeGenerators(open, 'reflection')[0].perm],
    ['defect ring, T', compileTerms('defect', 5, defect, false), latticeGenerators(ring, 'translation')[0].perm],
    ['heisenberg 2x2, mx', heis, latticeGenerators(sq, 'reflection')[0].perm],
    ['heisenberg 2x2, my', heis, latticeGenerators(sq, 'reflection')[1].perm],
    ['j1j2 ring, T', model('j1j2', ring, { J2: 0.4 }), latticeGenerators(ring, 'translation')[0].perm],
    ['chiral ring, T', chiralRing, latticeGenerators(ring, 'translation')[0].perm],
    ['chiral ring, R', chiralRing, latticeGenerators(ring, 'reflection')[0].perm],
  ];
  const expected: Record<string, boolean> = {
    'tfim ring, T': true, 'tfim ring, R': true, 'tfim open, T': false, 'tfim open, R': true, 'defect ring, T': false,
    'heisenberg 2x2, mx': true, 'heisenberg 2x2, my': true, 'j1j2 ring, T': true, 'chiral ring, T': true, 'chiral ring, R': false,
  };
  for (const [what, h, perm] of cases) {
    const dense = denseCommutes(h, perm);
    assert.equal(dense, expected[what], `${what}: dense`);
    assert.equal(permutationProblem(h, perm) === null, dense, `${what}: ${permutationProblem(h, perm)}`);
  }
  assert.match(permutationProblem(compileTerms('defect', 5, defect, false), latticeGenerators(ring, 'translation')[0].perm)!, /^-0\.4·X0 maps to -0\.4·X1, but H has -0\.7·X1$/);
});

test('spin-flip detection works beyond 30 sites (string keys, not bit masks)', () => {
  const big = chain(40, 'periodic');
  assert.equal(sectorSymmetries(model('tfim', big)).spinFlip, true);
  assert.equal(sectorSymmetries(model('heisenberg', big)).totalSpin, true);
  const field = compileTerms('field', 40, [...tfimTerms(big, 1, 1), { c: 0.1, ops: [[37, 'Z']] }], false);
  assert.equal(sectorSymmetries(field).spinFlip, false);
  assert.equal(permutationProblem(model('tfim', big), latticeGenerators(big, 'translation')[0].perm), null);
});
