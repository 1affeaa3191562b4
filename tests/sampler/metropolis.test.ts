import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { chainTranslations, createRbm, type LocalUpdateWavefunction, type MarkovWalkers, type Rbm } from '../../src/ansatz/rbm.js';
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

/** The RBM with its θ look-up tables replaced by full evaluations of both configurations. */
function fullEvaluationWalkers(wf: Rbm): LocalUpdateWavefunction {
  const n = wf.nSites;
  return {
    kind: 'rbm-reference',
    nSites: n,
    variables: wf.variables,
    normalized: false,
    logPsi: (x) => wf.logPsi(x),
    evaluate: (x, count) => wf.evaluate(x, count),
    spec: () => wf.spec(),
    dispose: () => {},
    createWalkers(configs: Uint8Array): MarkovWalkers {
      return {
        logAmpRatio(c, s0, s1) {
          const x = configs.slice(c * n, (c + 1) * n);
          const before = wf.evaluate(x, 1).logAmp[0];
          x[s0] ^= 1;
          if (s1 >= 0) x[s1] ^= 1;
          return wf.evaluate(x, 1).logAmp[0] - before;
        },
        accept(c, s0, s1) {
          configs[c * n + s0] ^= 1;
          if (s1 >= 0) configs[c * n + s1] ^= 1;
        },
      };
    },
  };
}

// Same chains means the same accept/reject decision at every proposal, which floating-point
// rounding could only change at exact ties (log ratio 0 decides whether a uniform is drawn): a
// symmetric RBM has those for exchanges that map a configuration onto a translate of itself,
// hence symmetric RBMs are checked with flips (which change S^z and cannot tie that way).
test('Metropolis with the θ tables gives the same chains as with full evaluations (flips, exchanges; complex, real, symmetric)', () => {
  const n = 10;
  const bonds = chain(n, 'periodic').bonds('nearest');
  const cases = [
    { label: 'complex, flips', complex: true, sym: false, opts: {} },
    { label: 'real symmetric, flips', complex: false, sym: true, opts: {} },
    { label: 'complex, exchanges', complex: true, sym: false, opts: { nUp: 5 } },
    { label: 'complex symmetric, flips', complex: true, sym: true, opts: {} },
    { label: 'real, bond exchanges', complex: false, sym: false, opts: { nUp: 4, exchangeBonds: bonds } },
  ];
  for (const { label, complex, sym, opts } of cases) {
    const wf = createRbm({ nSites: n, alpha: 2, complex, initScale: 0.15, symmetries: sym ? chainTranslations(n) : null }, new Rng(41));
    const run = (w: LocalUpdateWavefunction) => {
      const s = new MetropolisSampler(w, { chains: 6, burnIn: 20, ...opts }, new Rng(42));
      return [s.sample(120), s.sample(120)];
    };
    const fast = run(wf);
    const full = run(fullEvaluationWalkers(wf));
    for (let k = 0; k < 2; k++) {
      assert.deepEqual(Array.from(fast[k].configs), Array.from(full[k].configs), `${label}: batch ${k}`);
      assert.equal(fast[k].acceptance, full[k].acceptance, `${label}: acceptance`);
    }
    assert.ok(fast[1].acceptance > 0.05, `${label}: acceptance ${fast[1].acceptance}`);
    wf.dispose();
  }
});
