/**
 * χ² test of the Metropolis sampler exactly as `vmc run` builds it for a fixed-S^z run
 * (src/run/build.ts buildSampler: exchange moves restricted to nearest-neighbour bonds): the
 * histogram of samples from many independent chains (one sample per chain after burn-in, so the
 * samples are independent and the χ² distribution applies) against |ψ|² by enumeration of the
 * S^z = 0 sector. Open chains (no wrap-around bond: the sector is reached through adjacent swaps
 * only) and periodic chains; the RBM fast path and the generic batched path (an RNN sampled by
 * Metropolis). The same histogram against the uniform distribution must fail the test, so the
 * state is far enough from uniform for the test to have power.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { Rng } from '../../src/rng.js';
import { buildModel, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { MetropolisSampler } from '../../src/sampler/metropolis.js';
import { chi2, chi2Critical, randomize } from '../ansatz/helpers.js';
import { configIndex, enumerateConfigs } from '../configurations.js';
import { exactProbabilities } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

function check(flags: Partial<ExperimentConfig>, scale: number): void {
  const cfg = resolveExperiment({}, { model: 'heisenberg', n: 8, magnetization: 0, sampler: 'metropolis', ...flags });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng('init'));
  randomize(wf, new Rng('far-from-uniform'), scale);
  const sampler = buildSampler(cfg, wf, parts, new Rng('mh'));
  assert.ok(sampler instanceof MetropolisSampler);
  assert.equal(sampler.moves, 'exchange');
  const n = parts.lattice.nSites;
  const { configs, count, states } = enumerateConfigs(n, parts.nUp);
  assert.equal(count, 70);
  const p = exactProbabilities(wf, configs, count);
  // one sample per chain: independent draws from the chains' state after burn-in
  const b = sampler.sample(cfg.chains);
  assert.equal(b.count, cfg.chains);
  const rank = new Map(states.map((s, k) => [s, k]));
  const hist = new Float64Array(count);
  for (let k = 0; k < b.count; k++) {
    const r = rank.get(configIndex(b.configs, k, n));
    assert.ok(r !== undefined, 'a sample left the S^z = 0 sector');
    hist[r] += 1;
  }
  const label = `${cfg.ansatz} ${cfg.bc}`;
  const { stat, df } = chi2(hist, p, b.count);
  const limit = chi2Critical(df); // p ≈ 0.001
  assert.ok(stat < limit, `${label}: χ² = ${stat.toFixed(1)} with ${df} dof exceeds ${limit.toFixed(1)}`);
  const uniform = chi2(hist, new Float64Array(count).fill(1 / count), b.count);
  assert.ok(uniform.stat > 3 * chi2Critical(uniform.df), `${label}: the state is too close to uniform (χ² vs uniform ${uniform.stat.toFixed(1)})`);
  assert.ok(b.acceptance > 0.05, `${label}: acceptance ${b.acceptance}`);
  wf.dispose();
}

test('bond-restricted exchanges (RBM fast path, as vmc run builds them): χ² against |ψ|² in S^z = 0, open and periodic chains', () => {
  // Adjacent swaps mix slowly: on this state (acceptance ≈ 13%) 150 sweeps of burn-in still gave
  // χ² ≈ 270 for 33 dof on the open chain, 600 sweeps χ² ≈ 42 (2000 chains, measured); hence 700 here.
  for (const bc of ['open', 'periodic'] as const) check({ ansatz: 'rbm', alpha: 1, bc, chains: 1200, 'burn-in': 700 }, 0.2);
});

test('bond-restricted exchanges (generic batched path: an RNN sampled by Metropolis): χ² against |ψ|² in S^z = 0, open chain', () => {
  check({ ansatz: 'rnn', hidden: 4, bc: 'open', chains: 1000, 'burn-in': 80 }, 1.0);
});
