import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain } from '../../src/lattice/lattice.js';
import { exactGroundState, tfimChain, bidiagonalSingularValues, detectTfimChain } from '../../src/exact/index.js';
import { symmetricEigen, Basis, SectorOperator } from '../../src/exact/index.js';
import { model } from './fixtures.js';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} (diff ${a - b})`);
}

test('free fermions equal Lanczos: N ≤ 14, open and periodic, h = 0.5, 1, 1.5', () => {
  for (const n of [6, 11, 14]) {
    for (const bc of ['open', 'periodic'] as const) {
      for (const hf of [0.5, 1, 1.5]) {
        const lat = chain(n, bc);
        const h = model('tfim', lat, { J: 1, h: hf });
        const ff = exactGroundState(h, lat);
        assert.equal(ff.method, 'free-fermion');
        assert.equal(ff.nUp, null);
        const lz = exactGroundState(h, lat, { method: n <= 8 ? 'dense' : 'lanczos' });
        const what = `N=${n} ${bc} h=${hf}`;
        close(ff.energy, lz.energy, 1e-11, what);
        close(ff.energyPerSite, lz.energy / n, 1e-11, what);
        close(ff.gap!, lz.gap!, 1e-7, `${what} gap`);
      }
    }
  }
});

test('free fermions equal exact diagonalisation for negative couplings, odd N and frustrated rings', () => {
  for (const [J, hf] of [
    [-1, 0.5],
    [-1, 1.3],
    [1, -0.7],
    [-0.6, -1.1],
    [1, 0],
    [0, 0.8],
  ]) {
    for (const n of [3, 4, 7, 8]) {
      for (const bc of ['open', 'periodic'] as const) {
        const lat = chain(n, bc);
        const h = model('tfim', lat, { J, h: hf });
        const ff = exactGroundState(h, lat);
        assert.equal(ff.method, 'free-fermion', `J=${J} h=${hf}`);
        const ed = exactGroundState(h, lat, { method: 'dense', nUp: null });
        const what = `J=${J} h=${hf} N=${n} ${bc}`;
        close(ff.energy, ed.energy, 1e-11, what);
        assert.equal(ff.gap === null, ed.gap === null, `${what} gap presence`);
        if (ff.gap !== null) close(ff.gap, ed.gap!, 1e-8, `${what} gap`);
      }
    }
  }
});

test('published values: open TFIM chain at h = J = 1, N = 20 and N = 100', () => {
  assert.ok(Math.abs(tfimChain(20, 1, 1, 'open').energy - -25.10779711162) < 1e-9);
  assert.ok(Math.abs(tfimChain(100, 1, 1, 'open').energy - -126.96187673968) < 1e-9);
  // through the shipped model file
  const lat = chain(100, 'open');
  const r = exactGroundState(model('tfim', lat), lat);
  assert.equal(r.method, 'free-fermion');
  assert.ok(Math.abs(r.energy - -126.96187673968) < 1e-9);
  // critical chain: lowest quasiparticle ≈ 2·(π/2)/(N+1/2)... → gap ~ π/N
  assert.ok(r.gap! > 0.02 && r.gap! < 0.04);
});

test('N = 100,000 open and periodic chains (the open chain is O(N)); bulk energy per site → −4/π at h = J', () => {
  const n = 100_000;
  const open = tfimChain(n, 1, 1, 'open');
  const periodic = tfimChain(n, 1, 1, 'periodic');
  close(periodic.energy / n, -4 / Math.PI, 1e-9, 'periodic e/N');
  close(open.energy / n, -4 / Math.PI, 1e-5, 'open e/N');
  assert.ok(open.energy > periodic.energy, 'open boundaries cost energy');
  // periodic critical chain: E0 = −2/sin(π/2N) exactly
  close(periodic.energy, -2 / Math.sin(Math.PI / (2 * n)), 1e-13, 'periodic closed form');
  // open critical chain: E0 = 1 − 1/sin(π/(2(2N+1))) exactly (Pfeuty 1970, in Pauli units)
  close(open.energy, 1 - 1 / Math.sin(Math.PI / (2 * (2 * n + 1))), 1e-13, 'open closed form');
  // gaps ~ 1/N, far below 1e-9·|E0|: the lowest mode q = π/(2N+1), 2σ = 4 sin(q/2) (open); the
  // other parity sector's vacuum, 2/sin(x) − 2 cot(x) = 2 tan(x/2) with x = π/2N (periodic)
  close(open.gap! / (4 * Math.sin(Math.PI / (2 * (2 * n + 1)))), 1, 1e-9, 'open gap (relative)');
  close(periodic.gap! / (2 * Math.tan(Math.PI / (4 * n))), 1, 1e-6, 'periodic gap (relative; a difference of two O(N) vacuum sums)');
});

test('singular values equal dense diagonalisation of BᵀB; the edge mode is resolved to full relative accuracy', () => {
  // independent route: Householder + QL on the dense N×N matrix BᵀB (B: diagonal h, super-diagonal J)
  for (const n of [1, 2, 3, 5, 8, 13]) {
    for (const [J, h] of [[1, 1], [1, 0.5], [1, 1.6], [-0.8, 0.3], [0.7, -1.2], [1, n / (n + 1)], [1, 0], [0, 0.9]]) {
      const bt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        bt[i * n + i] = h * h + (i > 0 ? J * J : 0);
        if (i + 1 < n) bt[i * n + i + 1] = bt[(i + 1) * n + i] = h * J;
      }
      const dense = symmetricEigen(bt, n).values;
      const s = bidiagonalSingularValues(n, J, h);
      for (let i = 0; i < n; i++) {
        close(s[i] * s[i], dense[i], 1e-13, `N=${n} J=${J} h=${h} σ_${i}²`);
        if (i > 0) assert.ok(s[i] >= s[i - 1], 'ascending');
      }
    }
  }
  // h < J: the lowest singular value is ~ (h/J)^N, far below the dense solver's resolution;
  // Π σ = |det B| = |h|^N fixes it with full relative accuracy
  for (const [n, h] of [[3, 1e-3], [5, 1e-3], [30, 0.5], [31, 0.5], [60, 0.2]]) {
    const s = bidiagonalSingularValues(n, 1, h);
    let rest = 0;
    for (let i = 1; i < n; i++) rest += Math.log(s[i]);
    const edge = Math.exp(n * Math.log(h) - rest);
    assert.ok(s[0] < 1e-8, `N=${n} edge mode ${s[0]}`);
    close(s[0] / edge, 1, 1e-9, `N=${n} h=${h} edge mode vs |det B| / Π others`);
  }
});

test('open chain: every many-body level equals E0 + Σ 2σ_k over a subset of modes (dense 2^N spectrum, N = 6)', () => {
  const n = 6;
  const lat = chain(n, 'open');
  for (const [J, hf] of [[1, 0.3], [1, 1], [1, 1.7], [-0.6, 0.9]]) {
    const h = model('tfim', lat, { J, h: hf });
    const { re } = new SectorOperator(h, new Basis(n, null)).toDense();
    const dense = symmetricEigen(re, 2 ** n).values;
    const ff = tfimChain(n, J, hf, 'open');
    const levels: number[] = [];
    for (let mask = 0; mask < 2 ** n; mask++) {
      let e = ff.energy;
      for (let k = 0; k < n; k++) if (mask & (1 << k)) e += ff.quasiparticles[k];
      levels.push(e);
    }
    levels.sort((a, b) => a - b);
    const what = `J=${J} h=${hf}`;
    for (let i = 0; i < levels.length; i++) close(levels[i], dense[i], 1e-11, `${what} level ${i}`);
    // the gap is to the first level above E0 in either fermion-parity sector (one quasiparticle flips the parity)
    const above = Array.from(dense).find((e) => e - dense[0] > 1e-9 * Math.max(1, Math.abs(dense[0])))!;
    close(ff.gap!, above - dense[0], 1e-9, `${what} gap`);
  }
});

test('structural detection: only the plain TFIM chain qualifies', () => {
  const lat = chain(6, 'periodic');
  const s = detectTfimChain(model('tfim', lat, { J: 0.7, h: 1.2 }));
  assert.deepEqual(s, { nSites: 6, J: 0.7, h: 1.2, bc: 'periodic', offset: 0 });
  assert.equal(detectTfimChain(model('tfim', chain(6, 'open')))!.bc, 'open');
  assert.equal(detectTfimChain(model('heisenberg', lat)), null);
  assert.equal(detectTfimChain(model('xxz', lat, { Delta: 1 })), null);
});
