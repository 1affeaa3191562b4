import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, square, type Lattice } from '../../src/lattice/lattice.js';
import { denseMatrix } from '../../src/hamiltonian/index.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { exactGroundState, Basis, SectorOperator, lanczos } from '../../src/exact/index.js';
import { heisenbergDM, isingYField, kroneckerDense, model, tfimTerms, compileTerms } from './fixtures.js';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} (diff ${a - b})`);
}

test('sector operator matrix equals the loader\'s dense matrix (full space) and its S^z block', () => {
  const cases: [string, Lattice, Record<string, number>][] = [
    ['tfim', chain(6, 'periodic'), { h: 0.8 }],
    ['heisenberg', square(2, 3, 'periodic'), {}],
    ['j1j2', chain(7, 'open'), { J2: 0.3 }],
    ['xxz', square(3, 2, 'open'), { Delta: -0.4 }],
  ];
  for (const [name, lat, params] of cases) {
    const h = model(name, lat, params);
    const ref = denseMatrix(h);
    const full = new SectorOperator(h, new Basis(lat.nSites)).toDense();
    for (let i = 0; i < ref.re.length; i++) {
      assert.equal(full.re[i], ref.re[i], `${name} re[${i}]`);
      assert.equal(full.im[i], ref.im[i], `${name} im[${i}]`);
    }
    if (h.conservesSz) {
      const basis = new Basis(lat.nSites, 3);
      const blk = new SectorOperator(h, basis).toDense();
      const D = ref.dim;
      for (let a = 0; a < basis.dim; a++) {
        for (let b = 0; b < basis.dim; b++) {
          assert.equal(blk.re[a * basis.dim + b], ref.re[basis.state(a) * D + basis.state(b)]);
        }
      }
    }
  }
});

test('complex fixtures: operator matrix equals the Kronecker-product matrix built term by term', () => {
  const lat = chain(5, 'periodic');
  const terms = tfimTerms(lat, 0.9, 0.6);
  terms.push({ c: 0.4, ops: [[1, 'X'], [3, 'Y']] }, { c: -0.25, ops: [[0, 'Y'], [2, 'Z'], [4, 'Y']] }, { c: 0.3, ops: [[2, 'Y']] });
  const h = compileTerms('mixed', 5, terms, false);
  const k = kroneckerDense(5, terms);
  const m = new SectorOperator(h, new Basis(5)).toDense();
  for (let i = 0; i < k.re.length; i++) {
    assert.ok(Math.abs(m.re[i] - k.re[i]) < 1e-15 && Math.abs(m.im[i] - k.im[i]) < 1e-15, `entry ${i}`);
  }
});

interface Case {
  label: string;
  h: CompiledHamiltonian;
  lat: Lattice;
  nUp?: number | null;
}

function lanczosVsDense(c: Case): void {
  const d = exactGroundState(c.h, c.lat, { method: 'dense', nUp: c.nUp });
  const l = exactGroundState(c.h, c.lat, { method: 'lanczos', nUp: c.nUp, wantVector: true });
  assert.equal(l.method, 'lanczos');
  assert.equal(d.dimension, l.dimension);
  close(l.energy, d.energy, 1e-10, `${c.label} energy`);
  assert.ok(d.gap !== null && l.gap !== null, `${c.label}: gaps computed`);
  close(l.gap!, d.gap!, 1e-8, `${c.label} gap`);
  // the vector is an eigenvector: ‖Hv − E v‖ small
  const basis = new Basis(c.lat.nSites, l.nUp);
  const op = new SectorOperator(c.h, basis);
  const v = new Float64Array(op.vectorLength);
  for (let i = 0; i < op.dim; i++) {
    if (op.complex) {
      v[2 * i] = l.vector![i];
      v[2 * i + 1] = l.vectorIm![i];
    } else v[i] = l.vector![i];
  }
  const hv = new Float64Array(v.length);
  op.apply(v, hv);
  let r2 = 0;
  let n2 = 0;
  for (let i = 0; i < v.length; i++) {
    r2 += (hv[i] - l.energy * v[i]) ** 2;
    n2 += v[i] * v[i];
  }
  close(n2, 1, 1e-12, `${c.label} norm`);
  assert.ok(Math.sqrt(r2) < 1e-7 * Math.max(1, Math.abs(l.energy)), `${c.label} residual ${Math.sqrt(r2)}`);
  assert.equal(l.basis!.length, op.dim);
}

const cases: Case[] = [];
for (const bc of ['open', 'periodic'] as const) {
  cases.push({ label: `tfim chain 9 ${bc}`, h: model('tfim', chain(9, bc), { h: 0.7 }), lat: chain(9, bc) });
  cases.push({ label: `tfim square 3x3 ${bc}`, h: model('tfim', square(3, 3, bc), { h: 2.5 }), lat: square(3, 3, bc) });
  cases.push({ label: `heisenberg chain 10 ${bc} Sz=0`, h: model('heisenberg', chain(10, bc)), lat: chain(10, bc) });
  cases.push({ label: `heisenberg square 2x4 ${bc} Sz=0`, h: model('heisenberg', square(2, 4, bc)), lat: square(2, 4, bc) });
  cases.push({ label: `j1j2 chain 10 ${bc} Sz=0`, h: model('j1j2', chain(10, bc), { J2: 0.3 }), lat: chain(10, bc) });
  cases.push({ label: `j1j2 square 3x3 ${bc} nUp=4`, h: model('j1j2', square(3, 3, bc), { J2: 0.5 }), lat: square(3, 3, bc), nUp: 4 });
}
cases.push({ label: 'heisenberg chain 9 periodic full space', h: model('heisenberg', chain(9, 'periodic')), lat: chain(9, 'periodic'), nUp: null });
cases.push({ label: 'xxz chain 10 open Delta=-0.5 nUp=3', h: model('xxz', chain(10, 'open'), { Delta: -0.5 }), lat: chain(10, 'open'), nUp: 3 });
cases.push({ label: 'j1j2 square 2x4 periodic full space', h: model('j1j2', square(2, 4, 'periodic'), { J2: 0.8 }), lat: square(2, 4, 'periodic'), nUp: null });
cases.push({ label: 'complex DM chain 8 open Sz=0', h: heisenbergDM(chain(8, 'open')), lat: chain(8, 'open') });
cases.push({ label: 'complex DM chain 8 periodic full', h: heisenbergDM(chain(8, 'periodic')), lat: chain(8, 'periodic'), nUp: null });
cases.push({ label: 'complex Y-field square 2x4 periodic', h: isingYField(square(2, 4, 'periodic')), lat: square(2, 4, 'periodic') });

for (const c of cases) test(`Lanczos equals dense: ${c.label}`, () => lanczosVsDense(c));

test('Lanczos handles tiny spaces and exhausted Krylov spaces', () => {
  const lat = chain(4, 'open');
  const h = model('heisenberg', lat);
  for (const nUp of [0, 1, 2]) {
    const d = exactGroundState(h, lat, { method: 'dense', nUp });
    const l = exactGroundState(h, lat, { method: 'lanczos', nUp });
    close(l.energy, d.energy, 1e-12, `nUp=${nUp}`);
    assert.equal(l.gap === null, d.gap === null);
    if (d.gap !== null) close(l.gap!, d.gap, 1e-10, `gap nUp=${nUp}`);
  }
  // a small Krylov basis forces many thick restarts
  const big = model('heisenberg', chain(12, 'periodic'));
  const op = new SectorOperator(big, new Basis(12, 6));
  const r = lanczos(op, { krylov: 8, levels: 2 });
  const ref = exactGroundState(big, chain(12, 'periodic'), { method: 'lanczos' });
  assert.ok(r.converged && r.restarts > 3);
  close(r.e0, ref.energy, 1e-10, 'restarted e0');
  close(r.e0, -21.549563669780905, 1e-12, 'N=12 periodic Heisenberg (scipy)');
  close(r.e1! - r.e0, ref.gap!, 1e-8, 'restarted gap');
});
