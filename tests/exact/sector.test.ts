import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Basis, binomial, popcount, parity, sectorDimension } from '../../src/exact/sector.js';

test('popcount, parity and binomials', () => {
  for (const v of [0, 1, 2, 3, 0x5555, 0x3fffffff, 0x12345678]) {
    const bits = v.toString(2).split('').filter((c) => c === '1').length;
    assert.equal(popcount(v), bits);
    assert.equal(parity(v), bits % 2);
  }
  assert.equal(binomial(24, 12), 2704156);
  assert.equal(binomial(30, 15), 155117520);
  assert.equal(binomial(5, 7), 0);
  assert.equal(sectorDimension(10, null), 1024);
  assert.equal(sectorDimension(10, 5), 252);
});

test('sector basis: increasing states with the right bit count, index inverts state', () => {
  for (let n = 1; n <= 13; n++) {
    for (let up = 0; up <= n; up++) {
      const b = new Basis(n, up);
      assert.equal(b.dim, binomial(n, up));
      let prev = -1;
      for (let i = 0; i < b.dim; i++) {
        const s = b.state(i);
        assert.ok(s > prev, 'states increase');
        prev = s;
        assert.equal(popcount(s), up);
        assert.equal(b.index(s), i);
      }
    }
  }
});

test('full basis: state = index; contains() checks the sector', () => {
  const b = new Basis(6);
  assert.equal(b.dim, 64);
  assert.equal(b.index(37), 37);
  assert.equal(b.state(37), 37);
  const s = new Basis(6, 3);
  assert.ok(s.contains(0b000111));
  assert.ok(!s.contains(0b001111));
  assert.deepEqual(Array.from(s.allStates().subarray(0, 3)), [0b000111, 0b001011, 0b001101]);
});

test('N = 24, S^z = 0 sector tables are fast and consistent', () => {
  const t0 = performance.now();
  const b = new Basis(24, 12);
  assert.equal(b.dim, 2704156);
  for (let i = 0; i < b.dim; i += 997) assert.equal(b.index(b.state(i)), i);
  assert.ok(performance.now() - t0 < 20000);
});

test('invalid bases are rejected', () => {
  assert.throws(() => new Basis(0));
  assert.throws(() => new Basis(31));
  assert.throws(() => new Basis(4, 5));
  assert.throws(() => new Basis(4, 1.5));
});
