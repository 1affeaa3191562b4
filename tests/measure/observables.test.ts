/**
 * Every estimator of src/measure against the exact expectation in the same state, computed by
 * enumeration (N = 6): the right statistical test — the Monte Carlo value must lie within a few
 * of its own error bars of the exact value. Independent samples (exact sampler) and Markov chains
 * restricted to an S^z sector (binned errors; out-of-sector amplitudes must count as zero).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain, square } from '../../src/lattice/lattice.js';
import { measureState } from '../../src/measure/measure.js';
import { pairsByDistance } from '../../src/measure/correlations.js';
import { momentumGrid } from '../../src/measure/structure-factor.js';
import { binnedMean } from '../../src/measure/stats.js';
import { Rng } from '../../src/rng.js';
import { MetropolisSampler } from '../../src/sampler/metropolis.js';
import { TableWavefunction } from '../vmc/table-wavefunction.js';
import {
  exactDiagonal,
  exactEnergyOf,
  exactlySampled,
  exactRenyi2,
  exactX,
  exactZ,
  exactZZ,
  stateVector,
  withinErrors,
  type StateVector,
} from './exact-state.js';
import type { MeasureResult } from '../../src/measure/measure.js';
import type { Lattice } from '../../src/lattice/lattice.js';

before(async () => {
  await initBackend(testBackend());
});

const disposables: { dispose(): void }[] = [];
after(() => disposables.forEach((d) => d.dispose()));

/** Checks every family of `r` against enumeration of `v`; returns the number of comparisons. */
function checkAll(r: MeasureResult, v: StateVector, lattice: Lattice, h: ReturnType<typeof compileHamiltonian>): number {
  const N = lattice.nSites;
  let checks = 0;
  const expect = (what: string, est: { mean: number; error: number }, exact: number): void => {
    checks++;
    assert.ok(Number.isFinite(est.error) && est.error >= 0, `${what}: error ${est.error}`);
    assert.ok(withinErrors(est, exact), `${what}: ${est.mean} ± ${est.error} vs exact ${exact}`);
  };
  expect('energy', r.energy!, exactEnergyOf(v, h));
  const m = r.magnetization!;
  const zs = Array.from({ length: N }, (_, i) => exactZ(v, i));
  const xs = Array.from({ length: N }, (_, i) => exactX(v, [i]));
  zs.forEach((z, i) => expect(`σz_${i}`, m.sz_site[i]!, z));
  xs.forEach((x, i) => expect(`σx_${i}`, m.sx_site[i]!, x));
  expect('σz', m.sz, zs.reduce((a, b) => a + b) / N);
  expect('σx', m.sx, xs.reduce((a, b) => a + b) / N);
  expect('|Σσz|/N', m.abs_sz, exactDiagonal(v, (b) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += ((b >> i) & 1) * 2 - 1;
    return Math.abs(s) / N;
  }));
  const c = r.correlations!;
  const { pairs } = pairsByDistance(lattice, c.metric);
  pairs.forEach((list, d) => {
    const zz = list.reduce((a, [i, j]) => a + exactZZ(v, i, j), 0) / list.length;
    const xx = list.reduce((a, [i, j]) => a + exactX(v, [i, j]), 0) / list.length;
    expect(`zz(r=${c.distance[d]})`, c.zz[d]!, zz);
    expect(`xx(r=${c.distance[d]})`, c.xx[d]!, xx);
  });
  const sq = r.structure_factor!;
  sq.q.forEach(([qx, qy], k) => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const [xi, yi] = lattice.coords(i);
        const [xj, yj] = lattice.coords(j);
        s += Math.cos(qx * (xi - xj) + qy * (yi - yj)) * (i === j ? 1 : exactZZ(v, i, j));
      }
    }
    expect(`S(${qx.toFixed(2)}, ${qy.toFixed(2)})`, sq.value[k]!, s / N);
  });
  const ren = r.renyi2!;
  ren.cuts.forEach((l, k) => {
    expect(`Swap(ℓ=${l})`, ren.swap[k]!, Math.exp(-exactRenyi2(v, l)));
    expect(`S2(ℓ=${l})`, ren.s2[k]!, exactRenyi2(v, l));
  });
  return checks;
}

test('independent samples of a complex state: every observable within 4σ of enumeration (TFIM chain N=6)', () => {
  const lattice = chain(6, 'open');
  const h = compileHamiltonian(loadModel('tfim', { h: 0.8 }), lattice);
  // a moderately peaked complex state, so the swap estimator has a usable variance
  const wf = new TableWavefunction(6, new Rng(21), 0.6);
  disposables.push(wf);
  const r = measureState(exactlySampled(wf, lattice, h), { samples: 20000, seed: 3 });
  assert.equal(r.samples, 20000);
  assert.equal(r.chains, null);
  const checks = checkAll(r, stateVector(wf), lattice, h);
  assert.equal(checks, 40);
  // the imaginary parts of the estimators vanish on average
  assert.ok(Math.abs(r.energy!.imag) < 0.1);
  r.renyi2!.swap_imag.forEach((x) => assert.ok(Math.abs(x) < 0.05, `swap imag ${x}`));
});

test('Markov chains in the S^z = 0 sector (Heisenberg ring N=6): binned errors, zero amplitude outside the sector', () => {
  const lattice = chain(6, 'periodic');
  const h = compileHamiltonian(loadModel('heisenberg'), lattice);
  // large amplitudes outside the sector: they must not leak into ⟨σx⟩, ⟨σxσx⟩ or the swaps
  const wf = new TableWavefunction(6, new Rng(8), 0.5);
  disposables.push(wf);
  const state = {
    wf,
    lattice,
    hamiltonian: h,
    nUp: 3,
    sampler: (seed: string) => new MetropolisSampler(wf, { chains: 8, burnIn: 50, nUp: 3 }, new Rng(`${seed}:mh`)),
  };
  const r = measureState(state, { samples: 16000, seed: 4 });
  assert.equal(r.chains, 8);
  const v = stateVector(wf, 3);
  checkAll(r, v, lattice, h);
  assert.equal(r.magnetization!.sx.mean, 0); // single flips leave the sector
  assert.equal(r.magnetization!.sz.mean, 0);
  // the unprojected state would give a clearly different ⟨σxσx⟩ at distance 1
  const unprojected = stateVector(wf);
  const c = r.correlations!;
  const d1 = pairsByDistance(lattice).pairs[0]!;
  const xxFull = d1.reduce((a, [i, j]) => a + exactX(unprojected, [i, j]), 0) / d1.length;
  assert.ok(!withinErrors(c.xx[0]!, xxFull, 4), `projection matters: ${c.xx[0]!.mean} vs unprojected ${xxFull}`);
});

test('xx from a random subset of pairs per sample (--xx-pairs): unbiased against enumeration, independent chains and sector; all pairs when K covers them', () => {
  const lattice = chain(6, 'open');
  const h = compileHamiltonian(loadModel('tfim', { h: 0.8 }), lattice);
  const wf = new TableWavefunction(6, new Rng(21), 0.6);
  disposables.push(wf);
  const state = exactlySampled(wf, lattice, h);
  const v = stateVector(wf);
  const { pairs } = pairsByDistance(lattice);
  const exactXX = pairs.map((list) => list.reduce((a, [i, j]) => a + exactX(v, [i, j]), 0) / list.length);
  const all = measureState(state, { samples: 20000, seed: 3, observables: ['correlations'] }).correlations!;
  assert.deepEqual(all.xx_pairs_per_sample, [5, 4, 3, 2, 1]);
  const sub = measureState(state, { samples: 20000, seed: 3, observables: ['correlations'], xxPairs: 2 }).correlations!;
  assert.deepEqual(sub.xx_pairs_per_sample, [2, 2, 2, 2, 1]);
  exactXX.forEach((x, d) => assert.ok(withinErrors(sub.xx[d]!, x), `xx(${d + 1}) ${sub.xx[d]!.mean} ± ${sub.xx[d]!.error} vs ${x}`));
  // the subset differs from the full average sample by sample, and the error bar says so
  assert.notEqual(sub.xx[0]!.mean, all.xx[0]!.mean);
  assert.ok(sub.xx[0]!.error > all.xx[0]!.error, `subset error ${sub.xx[0]!.error} vs all ${all.xx[0]!.error}`);
  assert.deepEqual(sub.zz, all.zz);
  const covering = measureState(state, { samples: 20000, seed: 3, observables: ['correlations'], xxPairs: 5 }).correlations!;
  assert.deepEqual(covering.xx, all.xx);

  // Markov chains in a sector: out-of-sector pairs in the subset count as zero
  const ring = chain(6, 'periodic');
  const hh = compileHamiltonian(loadModel('heisenberg'), ring);
  const wf2 = new TableWavefunction(6, new Rng(8), 0.5);
  disposables.push(wf2);
  const chains = {
    wf: wf2,
    lattice: ring,
    hamiltonian: hh,
    nUp: 3,
    sampler: (seed: string) => new MetropolisSampler(wf2, { chains: 8, burnIn: 50, nUp: 3 }, new Rng(`${seed}:mh`)),
  };
  const c = measureState(chains, { samples: 16000, seed: 4, observables: ['correlations'], xxPairs: 2 }).correlations!;
  assert.deepEqual(c.xx_pairs_per_sample, [2, 2, 2]);
  const v2 = stateVector(wf2, 3);
  pairsByDistance(ring).pairs.forEach((list, d) => {
    const x = list.reduce((a, [i, j]) => a + exactX(v2, [i, j]), 0) / list.length;
    assert.ok(withinErrors(c.xx[d]!, x), `ring xx(${d + 1}) ${c.xx[d]!.mean} ± ${c.xx[d]!.error} vs ${x}`);
  });
});

test('square lattice 2x3 periodic: Euclidean distances and the momentum grid; observables vs enumeration', () => {
  const lattice = square(3, 2, 'periodic');
  const man = pairsByDistance(lattice, 'manhattan');
  const euc = pairsByDistance(lattice, 'euclidean');
  assert.deepEqual(man.distances, [1, 2]);
  assert.deepEqual(euc.distances.map((d) => Number(d.toFixed(6))), [1, Number(Math.SQRT2.toFixed(6))]);
  assert.equal(man.pairs.flat().length, 15);
  assert.equal(momentumGrid({ lattice }).q.length, 6);
  const h = compileHamiltonian(loadModel('tfim', { h: 1 }), lattice);
  const wf = new TableWavefunction(6, new Rng(5), 0.6);
  disposables.push(wf);
  const r = measureState(exactlySampled(wf, lattice, h), { samples: 12000, seed: 9, metric: 'euclidean' });
  checkAll(r, stateVector(wf), lattice, h);
});

test('binning: the error of an autocorrelated series is larger than the naive one and close to theory', () => {
  // AR(1) chains x_t = φ x_{t−1} + ε, φ = 0.9: error² of the mean = σ²(1+φ)/(1−φ)/n
  const rng = new Rng(1);
  const chains = 8;
  const len = 20000;
  const phi = 0.9;
  const x = new Float64Array(chains * len);
  for (let c = 0; c < chains; c++) {
    let v = rng.normal() / Math.sqrt(1 - phi * phi);
    for (let t = 0; t < len; t++) {
      v = phi * v + rng.normal();
      x[c * len + t] = v;
    }
  }
  const binned = binnedMean(x, { count: x.length, chains });
  const naive = binnedMean(x, { count: x.length });
  const sigma2 = 1 / (1 - phi * phi);
  const theory = Math.sqrt((sigma2 * (1 + phi)) / (1 - phi) / x.length);
  assert.ok(binned.error > 3 * naive.error, `binned ${binned.error} naive ${naive.error}`);
  assert.ok(Math.abs(binned.error / theory - 1) < 0.35, `binned ${binned.error} theory ${theory}`);
  assert.equal(binned.bins, chains * 16);
});
