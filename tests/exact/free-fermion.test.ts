import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain } from '../../src/lattice/lattice.js';
import { exactGroundState, tfimChain, bidiagonalSingularValues, detectTfimChain } from '../../src/exact/index.js';
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

test('N = 10,000 open and periodic chains in seconds; bulk energy per site → −4/π at h = J', () => {
  const t0 = performance.now();
  const open = tfimChain(10000, 1, 1, 'open');
  const periodic = tfimChain(10000, 1, 1, 'periodic');
  const ms = performance.now() - t0;
  // the machine is shared in CI; the solver takes ~1 s alone
  assert.ok(ms < 30000, `took ${ms} ms`);
  close(periodic.energy / 10000, -4 / Math.PI, 1e-7, 'periodic e/N');
  close(open.energy / 10000, -4 / Math.PI, 1e-4, 'open e/N');
  assert.ok(open.energy > periodic.energy, 'open boundaries cost energy');
  // periodic critical chain: E0 = −2/sin(π/2N) exactly
  close(periodic.energy, -2 / Math.sin(Math.PI / 20000), 1e-13, 'periodic closed form');
});

test('edge mode of the ordered open chain is resolved, not lost in round-off', () => {
  // h < J: the lowest singular value is ~ (h/J)^N (an exponentially small edge mode)
  const s = bidiagonalSingularValues(30, 1, 0.5);
  assert.ok(s[0] > 0 && s[0] < 1e-8);
  const ratio = bidiagonalSingularValues(31, 1, 0.5)[0] / s[0];
  close(ratio, 0.5, 1e-6, 'edge mode decays as (h/J)^N');
  // singular values of the bidiagonal equal those from the dense route for a small case
  const n = 5;
  const bt = new Float64Array(n * n);
  const J = 0.8;
  const h = 0.3;
  const s5 = bidiagonalSingularValues(n, J, h);
  let sumSq = 0;
  for (let i = 0; i < n; i++) sumSq += h * h + (i > 0 ? J * J : 0);
  close(s5.reduce((a, b) => a + b * b, 0), sumSq, 1e-14, 'Σσ² = ‖B‖_F²');
  assert.equal(bt.length, 25);
});

test('structural detection: only the plain TFIM chain qualifies', () => {
  const lat = chain(6, 'periodic');
  const s = detectTfimChain(model('tfim', lat, { J: 0.7, h: 1.2 }));
  assert.deepEqual(s, { nSites: 6, J: 0.7, h: 1.2, bc: 'periodic', offset: 0 });
  assert.equal(detectTfimChain(model('tfim', chain(6, 'open')))!.bc, 'open');
  assert.equal(detectTfimChain(model('heisenberg', lat)), null);
  assert.equal(detectTfimChain(model('xxz', lat, { Delta: 1 })), null);
});
