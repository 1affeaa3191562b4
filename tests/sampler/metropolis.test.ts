import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { createRbm } from '../../src/ansatz/rbm.js';
import { MetropolisSampler } from '../../src/sampler/metropolis.js';
import { popcount } from '../../src/exact/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { chi2, chi2Critical } from '../ansatz/helpers.js';
import { configState, enumerate, exactProbabilities } from './helpers.js';

before(async () => {
  await initBackend(testBackend());
});

const upCount = (x: Uint8Array, row: number, n: number): number => popcount(configState(x, row, n));

test('exchange moves conserve S^z: every chain starts and stays in the sector (fast and generic paths)', () => {
  const n = 10;
  const wf = createRbm({ nSites: n, alpha: 1, initScale: 0.5 }, new Rng(1));
  for (const fastPath of [true, false]) {
    for (const nUp of [5, 3]) {
      const s = new MetropolisSampler(wf, { chains: 8, burnIn: 5, nUp, moves: 'auto', fastPath }, new Rng(2));
      assert.equal(s.moves, 'exchange');
      const cur = s.current();
      for (let c = 0; c < 8; c++) assert.equal(upCount(cur, c, n), nUp);
      const b = s.sample(200);
      assert.equal(b.count, 200);
      assert.equal(b.chainLength, 25);
      assert.ok(b.acceptance > 0.01, `acceptance ${b.acceptance}`);
      for (let k = 0; k < b.count; k++) assert.equal(upCount(b.configs, k, n), nUp);
    }
  }
  // bond-restricted exchanges too
  const bonds = chain(n, 'periodic').bonds('nearest');
  const s = new MetropolisSampler(wf, { chains: 4, burnIn: 5, nUp: 5, exchangeBonds: bonds }, new Rng(3));
  const b = s.sample(100);
  for (let k = 0; k < b.count; k++) assert.equal(upCount(b.configs, k, n), 5);
  assert.throws(() => new MetropolisSampler(wf, { nUp: 5, moves: 'flip' }, new Rng(0)), /sector/);
  wf.dispose();
});

function chi2Check(label: string, wf: ReturnType<typeof createRbm>, n: number, nUp: number | null, fastPath: boolean, samples: number) {
  const { configs, count, basis } = enumerate(n, nUp);
  const p = exactProbabilities(wf, configs, count);
  // sweepsPerSample = 3: nearly independent samples (τ_int of the indicators ≲ 1 here)
  const s = new MetropolisSampler(wf, { chains: 20, burnIn: 50, sweepsPerSample: 3, nUp, fastPath }, new Rng(11));
  const b = s.sample(samples);
  const hist = new Float64Array(count);
  for (let k = 0; k < b.count; k++) hist[basis.index(configState(b.configs, k, n))] += 1;
  const { stat, df } = chi2(hist, p, b.count); // bins with expectation < 5 pooled
  const limit = chi2Critical(df); // p ≈ 0.001
  assert.ok(stat < limit, `${label}: χ² = ${stat.toFixed(1)} with ${df} dof exceeds ${limit.toFixed(1)}`);
  return { chi2: stat, dof: df, acceptance: b.acceptance };
}

test('χ² of Metropolis histograms against |ψ|² from enumeration (complex RBM, flips and exchanges)', () => {
  const n = 8;
  const wf = createRbm({ nSites: n, alpha: 1, complex: true, initScale: 0.35 }, new Rng(7));
  const r1 = chi2Check('flip/fast', wf, n, null, true, 20000);
  const r2 = chi2Check('exchange/fast', wf, n, 4, true, 20000);
  const r3 = chi2Check('flip/generic', wf, n, null, false, 4000);
  for (const r of [r1, r2, r3]) assert.ok(r.acceptance > 0.05, `acceptance ${r.acceptance}`);
  wf.dispose();
});

test('sampler state round-trips: a restored sampler continues the same stream', () => {
  const n = 8;
  const wf = createRbm({ nSites: n, alpha: 1, initScale: 0.3 }, new Rng(8));
  const a = new MetropolisSampler(wf, { chains: 4, burnIn: 10, nUp: 4 }, new Rng(9));
  a.sample(40);
  const st = JSON.parse(JSON.stringify(a.getState()));
  const next = a.sample(40);
  const b = new MetropolisSampler(wf, { chains: 4, burnIn: 10, nUp: 4 }, new Rng(123));
  b.setState(st);
  const again = b.sample(40);
  assert.deepEqual(Array.from(again.configs), Array.from(next.configs));
  assert.equal(again.acceptance, next.acceptance);
  wf.dispose();
});
