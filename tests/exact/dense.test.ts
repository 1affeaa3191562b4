import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symmetricEigen, hermitianEigen, tridiagonalQL } from '../../src/exact/dense.js';

/** Deterministic numbers in (−0.5, 0.5). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

test('tridiagonal QL reproduces the 1D Laplacian spectrum 2 − 2cos(kπ/(n+1))', () => {
  const n = 200;
  const d = new Float64Array(n).fill(2);
  const e = new Float64Array(n).fill(-1);
  tridiagonalQL(d, e, n);
  const got = Array.from(d).sort((a, b) => a - b);
  for (let k = 1; k <= n; k++) {
    assert.ok(Math.abs(got[k - 1] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))) < 1e-13);
  }
});

test('symmetricEigen: A v = λ v, orthonormal vectors, ascending values, same values without vectors', () => {
  for (const n of [1, 2, 7, 60]) {
    const rnd = lcg(n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = rnd();
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    }
    const r = symmetricEigen(a, n, true);
    const V = r.vectors!;
    for (let k = 0; k < n; k++) {
      if (k > 0) assert.ok(r.values[k] >= r.values[k - 1]);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += a[i * n + j] * V[j * n + k];
        assert.ok(Math.abs(s - r.values[k] * V[i * n + k]) < 1e-12);
      }
      for (let l = 0; l <= k; l++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += V[i * n + k] * V[i * n + l];
        assert.ok(Math.abs(s - (k === l ? 1 : 0)) < 1e-12);
      }
    }
    const vals = symmetricEigen(a, n, false).values;
    for (let k = 0; k < n; k++) assert.ok(Math.abs(vals[k] - r.values[k]) < 1e-12);
  }
});

test('hermitianEigen: complex Hermitian matrix via the real embedding', () => {
  const n = 12;
  const rnd = lcg(99);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    re[i * n + i] = rnd();
    for (let j = 0; j < i; j++) {
      const a = rnd();
      const b = rnd();
      re[i * n + j] = a;
      re[j * n + i] = a;
      im[i * n + j] = b;
      im[j * n + i] = -b;
    }
  }
  const r = hermitianEigen(re, im, n, true);
  assert.equal(r.values.length, n);
  const { re: vr, im: vi } = r.ground!;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      sr += re[i * n + j] * vr[j] - im[i * n + j] * vi[j];
      si += re[i * n + j] * vi[j] + im[i * n + j] * vr[j];
    }
    assert.ok(Math.abs(sr - r.values[0] * vr[i]) < 1e-12);
    assert.ok(Math.abs(si - r.values[0] * vi[i]) < 1e-12);
    norm += vr[i] * vr[i] + vi[i] * vi[i];
  }
  assert.ok(Math.abs(norm - 1) < 1e-12);
  // trace is the sum of the eigenvalues (each level once)
  let tr = 0;
  for (let i = 0; i < n; i++) tr += re[i * n + i];
  assert.ok(Math.abs(tr - r.values.reduce((a, b) => a + b, 0)) < 1e-12);
});
