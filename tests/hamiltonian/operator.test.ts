/**
 * The compiled operator against an independent construction: each term is built from 2×2 Pauli
 * matrices with Kronecker products (complex arithmetic written out here), summed, and compared
 * with denseMatrix(compileHamiltonian(...)). connections() is compared with the dense rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, square, Lattice } from '../../src/lattice/lattice.js';
import { loadModel, listModels, parseModel } from '../../src/hamiltonian/definition.js';
import { compileHamiltonian } from '../../src/hamiltonian/compile.js';
import { denseMatrix } from '../../src/hamiltonian/dense.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { Rng } from '../../src/rng.js';

// ---- complex matrices, written out ------------------------------------------------------------

interface CMat {
  n: number;
  re: Float64Array;
  im: Float64Array;
}

function cmat(n: number, entries: [number, number][][]): CMat {
  const m: CMat = { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      m.re[i * n + j] = entries[i][j][0];
      m.im[i * n + j] = entries[i][j][1];
    }
  }
  return m;
}

function matmul(a: CMat, b: CMat): CMat {
  const n = a.n;
  const c: CMat = { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const ar = a.re[i * n + k];
      const ai = a.im[i * n + k];
      for (let j = 0; j < n; j++) {
        const br = b.re[k * n + j];
        const bi = b.im[k * n + j];
        c.re[i * n + j] += ar * br - ai * bi;
        c.im[i * n + j] += ar * bi + ai * br;
      }
    }
  }
  return c;
}

function scale(a: CMat, sr: number, si: number): CMat {
  const c: CMat = { n: a.n, re: new Float64Array(a.re.length), im: new Float64Array(a.im.length) };
  for (let i = 0; i < a.re.length; i++) {
    c.re[i] = a.re[i] * sr - a.im[i] * si;
    c.im[i] = a.re[i] * si + a.im[i] * sr;
  }
  return c;
}

/** Kronecker product A ⊗ B: index (iA·nB + iB, jA·nB + jB). */
function kron(a: CMat, b: CMat): CMat {
  const n = a.n * b.n;
  const c: CMat = { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let ia = 0; ia < a.n; ia++) {
    for (let ja = 0; ja < a.n; ja++) {
      const ar = a.re[ia * a.n + ja];
      const ai = a.im[ia * a.n + ja];
      if (ar === 0 && ai === 0) continue;
      for (let ib = 0; ib < b.n; ib++) {
        for (let jb = 0; jb < b.n; jb++) {
          const br = b.re[ib * b.n + jb];
          const bi = b.im[ib * b.n + jb];
          const idx = (ia * b.n + ib) * n + (ja * b.n + jb);
          c.re[idx] = ar * br - ai * bi;
          c.im[idx] = ar * bi + ai * br;
        }
      }
    }
  }
  return c;
}

function addInto(acc: CMat, a: CMat): void {
  for (let i = 0; i < acc.re.length; i++) {
    acc.re[i] += a.re[i];
    acc.im[i] += a.im[i];
  }
}

// Single-site basis: bit x ∈ {0, 1}, σ^z = 2x − 1, so in (x=0, x=1) order Z = diag(−1, +1).
const I2 = cmat(2, [
  [[1, 0], [0, 0]],
  [[0, 0], [1, 0]],
]);
const X2 = cmat(2, [
  [[0, 0], [1, 0]],
  [[1, 0], [0, 0]],
]);
const Z2 = cmat(2, [
  [[-1, 0], [0, 0]],
  [[0, 0], [1, 0]],
]);
// Pauli algebra fixes Y from X and Z: ZX = iY  ⇒  Y = −i·Z·X
const Y2 = scale(matmul(Z2, X2), 0, -1);
const PAULI: Record<string, CMat> = { I: I2, X: X2, Y: Y2, Z: Z2 };

/** c · (⊗_s A_s) with A_s the letter on site s (identity elsewhere); site 0 is the lowest bit. */
function pauliString(N: number, letters: Map<number, string>, cRe: number, cIm = 0): CMat {
  let m: CMat | null = null;
  for (let s = N - 1; s >= 0; s--) {
    const a = PAULI[letters.get(s) ?? 'I'];
    m = m === null ? a : kron(m, a);
  }
  return scale(m!, cRe, cIm);
}

interface RefTerm {
  pauli: string;
  on: string | number[][];
  c: number;
}

/** Σ_terms c · Σ_targets P(target), built term by term. */
function referenceMatrix(lattice: Lattice, terms: RefTerm[]): CMat {
  const N = lattice.nSites;
  const dim = 2 ** N;
  const acc: CMat = { n: dim, re: new Float64Array(dim * dim), im: new Float64Array(dim * dim) };
  for (const t of terms) {
    let tuples: number[][];
    if (t.on === 'sites') tuples = Array.from({ length: N }, (_, s) => [s]);
    else if (typeof t.on === 'string') tuples = lattice.bonds(t.on).map((b) => [b[0], b[1]]);
    else tuples = t.on;
    for (const tuple of tuples) {
      const letters = new Map<number, string>();
      tuple.forEach((s, p) => letters.set(s, t.pauli[p]));
      addInto(acc, pauliString(N, letters, t.c));
    }
  }
  return acc;
}

function assertMatricesClose(got: { re: Float64Array; im: Float64Array; dim: number }, want: CMat, label: string): void {
  assert.equal(got.dim, want.n, `${label}: dimension`);
  let maxErr = 0;
  let at = -1;
  for (let i = 0; i < want.re.length; i++) {
    const e = Math.abs(got.re[i] - want.re[i]) + Math.abs(got.im[i] - want.im[i]);
    if (e > maxErr) {
      maxErr = e;
      at = i;
    }
  }
  assert.ok(
    maxErr < 1e-12,
    `${label}: max |dense − reference| = ${maxErr} at (${Math.floor(at / want.n)}, ${at % want.n}): got ${got.re[at]}+${got.im[at]}i, want ${want.re[at]}+${want.im[at]}i`,
  );
}

function assertHermitian(m: { re: Float64Array; im: Float64Array; dim: number }, label: string): void {
  const n = m.dim;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const a = i * n + j;
      const b = j * n + i;
      if (Math.abs(m.re[a] - m.re[b]) > 1e-12 || Math.abs(m.im[a] + m.im[b]) > 1e-12) {
        assert.fail(`${label}: not Hermitian at (${i}, ${j})`);
      }
    }
  }
}

// ---- the shipped models, with conventions written out independently --------------------------

const OVERRIDES: Record<string, Record<string, number>> = {
  tfim: { J: 0.7, h: 1.3 },
  heisenberg: { J: 0.9 },
  xxz: { J: 1.1, Delta: 0.3 },
  j1j2: { J1: 0.8, J2: 0.37 },
};

function expectedTerms(model: string, p: Record<string, number>): RefTerm[] {
  const heis = (fam: string, J: number, D = 1): RefTerm[] => [
    { pauli: 'XX', on: fam, c: J },
    { pauli: 'YY', on: fam, c: J },
    { pauli: 'ZZ', on: fam, c: J * D },
  ];
  switch (model) {
    case 'tfim':
      return [
        { pauli: 'ZZ', on: 'nearest', c: -p.J },
        { pauli: 'X', on: 'sites', c: -p.h },
      ];
    case 'heisenberg':
      return heis('nearest', p.J);
    case 'xxz':
      return heis('nearest', p.J, p.Delta);
    case 'j1j2':
      return [...heis('nearest', p.J1), ...heis('next-nearest', p.J2)];
  }
  throw new Error(`no reference for model ${model}`);
}

function lattices(): Lattice[] {
  const out: Lattice[] = [];
  for (const bc of ['open', 'periodic'] as const) {
    for (const n of [4, 5, 6]) out.push(chain(n, bc));
    out.push(square(2, 3, bc), square(3, 2, bc), square(2, 2, bc));
  }
  return out;
}

test('shipped models are exactly the four documented ones', () => {
  assert.deepEqual(listModels(), ['heisenberg', 'j1j2', 'tfim', 'xxz']);
});

for (const model of ['tfim', 'heisenberg', 'xxz', 'j1j2']) {
  test(`${model}: dense matrix equals the Kronecker-product construction on chains and squares, open and periodic`, () => {
    const def = loadModel(model, OVERRIDES[model]);
    assert.deepEqual(def.parameters, OVERRIDES[model]);
    for (const lattice of lattices()) {
      const label = `${model} on ${lattice.describe()}`;
      const h = compileHamiltonian(def, lattice);
      const dense = denseMatrix(h);
      assertMatricesClose(dense, referenceMatrix(lattice, expectedTerms(model, def.parameters)), label);
      assertHermitian(dense, label);
    }
  });
}

test('default parameters are the documented ones', () => {
  assert.deepEqual(loadModel('tfim').parameters, { J: 1, h: 1 });
  assert.deepEqual(loadModel('heisenberg').parameters, { J: 1 });
  assert.deepEqual(loadModel('xxz').parameters, { J: 1, Delta: 0.5 });
  assert.deepEqual(loadModel('j1j2').parameters, { J1: 1, J2: 0.5 });
});

// ---- a custom model with complex elements ----------------------------------------------------

const CUSTOM = JSON.stringify({
  name: 'custom',
  description: 'Y fields, an asymmetric bond string and 3-site strings (complex matrix elements)',
  parameters: { a: 0.3, b: -0.45, c: 0.8 },
  terms: [
    { pauli: 'Y', on: 'sites', coupling: 'a' },
    { pauli: 'XYZ', on: [[0, 1, 2], [3, 1, 0]], coupling: 'b' },
    { pauli: 'YYY', on: [[2, 0, 3]], coupling: 'c/2' },
    { pauli: 'ZY', on: 'nearest', coupling: 'a*c' },
    { pauli: 'YX', on: 'next-nearest', coupling: '-0.7' },
    { pauli: 'ZIZ', on: [[0, 1, 3]], coupling: 'sqrt(2)' },
    { pauli: 'I', on: [[1]], coupling: '0.25' },
    { pauli: 'Y', on: [[2]], coupling: '0.1' },
  ],
});

const CUSTOM_REF = (p: Record<string, number>): RefTerm[] => [
  { pauli: 'Y', on: 'sites', c: p.a },
  { pauli: 'XYZ', on: [[0, 1, 2], [3, 1, 0]], c: p.b },
  { pauli: 'YYY', on: [[2, 0, 3]], c: p.c / 2 },
  { pauli: 'ZY', on: 'nearest', c: p.a * p.c },
  { pauli: 'YX', on: 'next-nearest', c: -0.7 },
  { pauli: 'ZIZ', on: [[0, 1, 3]], c: Math.SQRT2 },
  { pauli: 'I', on: [[1]], c: 0.25 },
  { pauli: 'Y', on: [[2]], c: 0.1 },
];

test('custom model with Y and 3-site strings: dense equals Kronecker construction, Hermitian, complex', () => {
  const def = parseModel(CUSTOM, 'custom.json');
  for (const lattice of [chain(4, 'open'), chain(5, 'periodic'), square(2, 2, 'open'), square(2, 3, 'periodic')]) {
    const label = `custom on ${lattice.describe()}`;
    const h = compileHamiltonian(def, lattice);
    const dense = denseMatrix(h);
    assertMatricesClose(dense, referenceMatrix(lattice, CUSTOM_REF(def.parameters)), label);
    assertHermitian(dense, label);
    assert.ok(dense.im.some((v) => Math.abs(v) > 0.1), `${label}: has imaginary elements`);
    assert.equal(h.conservesSz, false);
  }
});

// ---- connections() against the dense rows ----------------------------------------------------

function checkConnections(h: CompiledHamiltonian, rng: Rng, count: number, label: string): void {
  const N = h.nSites;
  const dense = denseMatrix(h);
  const dim = dense.dim;
  const configs = new Uint8Array(count * N);
  for (let i = 0; i < configs.length; i++) configs[i] = rng.int(2);
  // include the extreme configurations
  if (count >= 2) {
    configs.fill(0, 0, N);
    configs.fill(1, N, 2 * N);
  }
  const c = h.connections(configs, count);
  assert.equal(c.count, count);
  assert.equal(c.nSites, N);
  assert.equal(c.offsets.length, count + 1);
  assert.equal(c.offsets[0], 0);
  const K = c.offsets[count];
  assert.equal(c.elemRe.length, K);
  assert.equal(c.elemIm.length, K);
  assert.equal(c.parent.length, K);
  assert.equal(c.group.length, K);
  assert.equal(c.configs.length, K * N);
  for (let p = 0; p < count; p++) {
    let b = 0;
    for (let s = 0; s < N; s++) b += configs[p * N + s] << s;
    assert.ok(Math.abs(c.diag[p] - dense.re[b * dim + b]) < 1e-12, `${label}: diagonal of parent ${p}`);
    // the listed connections, as a map column → element
    const listed = new Map<number, [number, number]>();
    for (let k = c.offsets[p]; k < c.offsets[p + 1]; k++) {
      assert.equal(c.parent[k], p);
      let col = 0;
      for (let s = 0; s < N; s++) col += c.configs[k * N + s] << s;
      assert.ok(col !== b, `${label}: a connection equal to its parent`);
      assert.ok(!listed.has(col), `${label}: column ${col} listed twice`);
      // the group records which sites differ
      const mask = h.groups[c.group[k]].flipSites.reduce((m, s) => m | (1 << s), 0);
      assert.equal(col, b ^ mask, `${label}: group flip sites`);
      assert.ok(c.elemRe[k] !== 0 || c.elemIm[k] !== 0, `${label}: zero element listed`);
      listed.set(col, [c.elemRe[k], c.elemIm[k]]);
    }
    // every non-zero off-diagonal dense element of row b is listed with the same value
    for (let col = 0; col < dim; col++) {
      if (col === b) continue;
      const re = dense.re[b * dim + col];
      const im = dense.im[b * dim + col];
      const e = listed.get(col);
      if (Math.abs(re) < 1e-12 && Math.abs(im) < 1e-12) {
        assert.ok(e === undefined, `${label}: zero element (${b}, ${col}) listed`);
      } else {
        assert.ok(e !== undefined, `${label}: element (${b}, ${col}) = ${re}+${im}i missing`);
        assert.ok(Math.abs(e[0] - re) < 1e-12 && Math.abs(e[1] - im) < 1e-12, `${label}: element (${b}, ${col})`);
      }
    }
  }
}

test('connections() lists exactly the non-zero elements of the dense rows (random batches)', () => {
  const rng = new Rng(20240611);
  const cases: [CompiledHamiltonian, string][] = [];
  for (const model of listModels()) {
    for (const lattice of [chain(6, 'periodic'), chain(5, 'open'), square(2, 3, 'periodic'), square(3, 2, 'open')]) {
      cases.push([compileHamiltonian(loadModel(model, OVERRIDES[model]), lattice), `${model} on ${lattice.describe()}`]);
    }
  }
  const custom = parseModel(CUSTOM, 'custom.json');
  cases.push([compileHamiltonian(custom, chain(5, 'open')), 'custom chain 5']);
  cases.push([compileHamiltonian(custom, square(2, 3, 'periodic')), 'custom square 2x3']);
  for (const [h, label] of cases) {
    for (const count of [1, 7, 40]) checkConnections(h, rng, count, label);
  }
});

test('connections(): results of earlier calls stay valid; empty batch; bad bits rejected', () => {
  const h = compileHamiltonian(loadModel('heisenberg'), chain(6, 'periodic'));
  const a = h.connections(new Uint8Array([0, 1, 0, 1, 0, 1]), 1);
  const snapshot = [...a.elemRe];
  // a larger batch (forces buffer growth past the previous estimate)
  const big = new Uint8Array(6 * 50);
  for (let p = 0; p < 50; p++) for (let s = 0; s < 6; s++) big[p * 6 + s] = (p >> s) & 1;
  const b = h.connections(big, 50);
  assert.deepEqual([...a.elemRe], snapshot);
  assert.equal(a.offsets[1], 6); // Néel state: every bond antiparallel
  assert.ok(b.offsets[50] > 0);
  const e = h.connections(new Uint8Array(0), 0);
  assert.equal(e.offsets.length, 1);
  assert.equal(e.configs.length, 0);
  assert.throws(() => h.connections(new Uint8Array([0, 2, 0, 1, 0, 1]), 1), /bit value 2/);
  assert.throws(() => h.connections(new Uint8Array(5), 1), /fewer than/);
});

test('Heisenberg XX+YY elements vanish for parallel spins and are not listed', () => {
  const h = compileHamiltonian(loadModel('heisenberg'), chain(4, 'open'));
  const c = h.connections(new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]), 3);
  assert.equal(c.offsets[1] - c.offsets[0], 0);
  assert.equal(c.offsets[2] - c.offsets[1], 0);
  assert.equal(c.offsets[3] - c.offsets[2], 1); // only the (1,2) bond is antiparallel
  assert.equal(c.elemRe[0], 2);
  assert.equal(c.elemIm[0], 0);
  assert.deepEqual([...c.configs], [1, 0, 1, 0]);
  assert.deepEqual([...c.diag], [3, 3, 1]); // ZZ: +1 +1 on parallel bonds, −1 on the antiparallel one
});

// ---- compiled structure and flags ------------------------------------------------------------

test('conservesSz: true for heisenberg, xxz, j1j2; false for tfim', () => {
  for (const lattice of [chain(6, 'periodic'), square(3, 2, 'open'), square(2, 2, 'periodic')]) {
    const flags = (m: string, o?: Record<string, number>) => compileHamiltonian(loadModel(m, o), lattice);
    assert.equal(flags('heisenberg').conservesSz, true);
    assert.equal(flags('xxz').conservesSz, true);
    assert.equal(flags('j1j2').conservesSz, true);
    assert.equal(flags('tfim').conservesSz, false);
    // with h = 0 the TFIM has no off-diagonal part at all
    const classical = flags('tfim', { h: 0 });
    assert.equal(classical.groups.length, 0);
    assert.equal(classical.conservesSz, true);
  }
});

test('compiled terms follow the row convention: coef = c·(−i)^nY, sign sites = Z and Y sites', () => {
  const def = parseModel(
    JSON.stringify({
      name: 'conv',
      description: '',
      parameters: {},
      terms: [
        { pauli: 'Y', on: [[1]], coupling: 2 },
        { pauli: 'XZ', on: [[0, 2]], coupling: 3 },
        { pauli: 'YY', on: [[2, 0]], coupling: 5 },
        { pauli: 'XYY', on: [[0, 1, 2]], coupling: 7 },
      ],
    }),
    'conv.json',
  );
  const h = compileHamiltonian(def, chain(3, 'open'));
  const byFlip = new Map(h.groups.map((g) => [g.flipSites.join(','), g.terms]));
  assert.deepEqual(byFlip.get('1'), [{ coefRe: 0, coefIm: -2, signSites: [1] }]);
  assert.deepEqual(byFlip.get('0'), [{ coefRe: 3, coefIm: 0, signSites: [2] }]);
  assert.deepEqual(byFlip.get('0,2'), [{ coefRe: -5, coefIm: 0, signSites: [0, 2] }]);
  assert.deepEqual(byFlip.get('0,1,2'), [{ coefRe: -7, coefIm: 0, signSites: [1, 2] }]);
  assert.equal(h.diagonal.length, 0);
});

test('identical sign-site sets are merged; cancelling terms and vanishing groups are dropped', () => {
  const def = parseModel(
    JSON.stringify({
      name: 'cancel',
      description: '',
      parameters: { g: 0.1 },
      terms: [
        { pauli: 'XX', on: [[0, 2]], coupling: '1' },
        { pauli: 'XX', on: [[2, 0]], coupling: '-1' },
        { pauli: 'ZZ', on: [[0, 1]], coupling: 'g' },
        { pauli: 'ZZ', on: [[1, 0]], coupling: '0.2' },
        { pauli: 'ZZ', on: [[1, 2]], coupling: '0.1 + 0.2' },
        { pauli: 'ZZ', on: [[2, 1]], coupling: '-0.3' },
        { pauli: 'XZ', on: [[1, 2]], coupling: 'g' },
        { pauli: 'X', on: [[1]], coupling: '0' },
      ],
    }),
    'cancel.json',
  );
  const h = compileHamiltonian(def, chain(3, 'open'));
  assert.deepEqual(
    h.groups.map((g) => g.flipSites),
    [[1]],
  );
  assert.equal(h.groups[0].terms.length, 1);
  assert.deepEqual(h.diagonal.map((t) => t.signSites), [[0, 1]]);
  assert.ok(Math.abs(h.diagonal[0].coefRe - 0.3) < 1e-15);
});

test('compiled operator reports name, size and parameters', () => {
  const h = compileHamiltonian(loadModel('tfim', { h: 0.5 }), chain(7, 'periodic'));
  assert.equal(h.name, 'tfim');
  assert.equal(h.nSites, 7);
  assert.deepEqual(h.params, { J: 1, h: 0.5 });
  assert.equal(h.groups.length, 7);
  assert.throws(() => denseMatrix(compileHamiltonian(loadModel('tfim'), chain(15, 'open'))), /at most 14/);
});

// ---- physics sanity values -------------------------------------------------------------------

/** Eigenvalues of a real symmetric matrix (Jacobi), for tiny checks. */
function symmetricEigenvalues(a: Float64Array, n: number): number[] {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => m[i * n + i]).sort((x, y) => x - y);
}

function groundEnergy(h: CompiledHamiltonian): number {
  const d = denseMatrix(h);
  assert.ok(d.im.every((v) => v === 0), 'real matrix expected');
  return symmetricEigenvalues(d.re, d.dim)[0];
}

test('physics: two-site Heisenberg singlet −3, triplet +1 (Pauli units)', () => {
  const h = compileHamiltonian(loadModel('heisenberg'), chain(2, 'open'));
  const d = denseMatrix(h);
  assert.deepEqual(
    symmetricEigenvalues(d.re, d.dim).map((v) => Math.round(v * 1e10) / 1e10),
    [-3, 1, 1, 1],
  );
  // periodic N=2 does not double the bond
  assert.ok(Math.abs(groundEnergy(compileHamiltonian(loadModel('heisenberg'), chain(2, 'periodic'))) + 3) < 1e-12);
});

test('physics: known small-system energies', () => {
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
  // 4-site periodic Heisenberg ring: E0 = −2J in S·S units = −8 in Pauli units
  close(groundEnergy(compileHamiltonian(loadModel('heisenberg'), chain(4, 'periodic'))), -8, 'Heisenberg ring N=4');
  // Majumdar–Ghosh point, periodic chain N=6: −3N/2 in Pauli units
  close(groundEnergy(compileHamiltonian(loadModel('j1j2', { J2: 0.5 }), chain(6, 'periodic'))), -9, 'MG N=6');
  // TFIM at h = 0: classical ferromagnet, −J·(number of bonds)
  close(groundEnergy(compileHamiltonian(loadModel('tfim', { h: 0 }), square(3, 2, 'periodic'))), -compileBonds(square(3, 2, 'periodic')), 'TFIM h=0');
  // TFIM at J = 0: free spins in a field, −h·N
  close(groundEnergy(compileHamiltonian(loadModel('tfim', { J: 0, h: 0.7 }), chain(5, 'open'))), -3.5, 'TFIM J=0');
  // two-site TFIM: E0 = −sqrt(J² + 4h²)
  close(groundEnergy(compileHamiltonian(loadModel('tfim', { J: 1, h: 0.6 }), chain(2, 'open'))), -Math.sqrt(1 + 4 * 0.36), 'TFIM N=2');
  // XX chain (Delta = 0), open N=2: E0 = −2J
  close(groundEnergy(compileHamiltonian(loadModel('xxz', { Delta: 0 }), chain(2, 'open'))), -2, 'XX N=2');
  // periodic TFIM chain N=6 (even parity sector, antiperiodic fermions): E0 = −Σ_{k=π(2m+1)/N} sqrt(1 + h² − 2h cos k)
  for (const hField of [0.5, 1, 1.5]) {
    const N = 6;
    let e = 0;
    for (let m = 0; m < N; m++) {
      const k = (Math.PI * (2 * m + 1)) / N;
      e -= Math.sqrt(1 + hField * hField - 2 * hField * Math.cos(k));
    }
    close(groundEnergy(compileHamiltonian(loadModel('tfim', { h: hField }), chain(N, 'periodic'))), e, `TFIM ring h=${hField}`);
  }
});

function compileBonds(l: Lattice): number {
  return l.bonds('nearest').length;
}
