import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, square } from '../../src/lattice/lattice.js';

test('open chain has N-1 nearest and N-2 next-nearest bonds', () => {
  const l = chain(6, 'open');
  assert.equal(l.bonds('nearest').length, 5);
  assert.equal(l.bonds('next-nearest').length, 4);
  assert.ok(l.bipartite);
});

test('periodic chain has N nearest bonds; odd periodic chain is not bipartite', () => {
  assert.equal(chain(6, 'periodic').bonds('nearest').length, 6);
  assert.equal(chain(6, 'periodic').bonds('next-nearest').length, 6);
  assert.equal(chain(5, 'periodic').bipartite, false);
});

test('periodic length-2 directions do not double-count bonds', () => {
  assert.deepEqual(chain(2, 'periodic').bonds('nearest'), [[0, 1]]);
  const l = square(2, 2, 'periodic');
  assert.equal(l.bonds('nearest').length, 4);
  assert.equal(l.bonds('nearest-x').length, 2);
  // 4-site periodic chain: second neighbours (0,2) and (1,3) once each
  assert.deepEqual(chain(4, 'periodic').bonds('next-nearest'), [[0, 2], [1, 3]]);
});

test('square lattice bond counts, open and periodic', () => {
  const open = square(4, 3, 'open');
  assert.equal(open.bonds('nearest-x').length, 3 * 3);
  assert.equal(open.bonds('nearest-y').length, 4 * 2);
  assert.equal(open.bonds('nearest').length, 17);
  assert.equal(open.bonds('diagonal').length, 3 * 2);
  assert.equal(open.bonds('antidiagonal').length, 3 * 2);
  const per = square(4, 4, 'periodic');
  assert.equal(per.bonds('nearest').length, 32);
  assert.equal(per.bonds('next-nearest').length, 32);
  assert.ok(per.bipartite);
  for (const [a, b] of per.bonds('nearest')) assert.notEqual(per.sublattice[a], per.sublattice[b]);
});

test('snake order alternates row direction and visits each site once', () => {
  const l = square(3, 3);
  assert.deepEqual(l.order('snake'), [0, 1, 2, 5, 4, 3, 6, 7, 8]);
  assert.deepEqual(l.order('raster'), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

test('unknown bond family and bad sizes are rejected with a reason', () => {
  assert.throws(() => chain(4).bonds('diagonal'), /no bond family "diagonal".*nearest/);
  assert.throws(() => chain(0), /positive integers|at least 2/);
  assert.throws(() => square(1, 3, 'periodic'), /length at least 2/);
});
