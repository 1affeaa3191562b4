/**
 * RBM + Metropolis + stochastic reconfiguration end to end, through the CLI's own path:
 * `runExperiment` builds the ansatz, sampler and optimizer exactly as `vmc run --ansatz rbm` does
 * (src/run/build.ts), trains, and estimates the final energy on fresh samples. The trained state
 * is then re-opened from its run directory and its energy computed exactly by enumeration, so the
 * test proves both the Monte Carlo estimate and the variational state itself.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { openRun } from '../../src/run/open-run.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { runExperiment, type RunSummary } from '../../src/run/runner.js';
import { exactEnergy } from '../sampler/helpers.js';

before(async () => {
  await initBackend(testBackend());
});

/** α = 2 RBM, 20 Metropolis chains, 60 SR steps of 1000 samples (λ = 0.01, η = 0.05). */
const RBM_RUN = {
  backend: 'wasm',
  lattice: 'chain',
  n: 8,
  bc: 'periodic',
  ansatz: 'rbm',
  alpha: 2,
  sampler: 'metropolis',
  chains: 20,
  'burn-in': 50,
  optimizer: 'sr',
  lr: 0.05,
  'diag-shift': 0.01,
  samples: 1000,
  steps: 60,
  'eval-samples': 10000,
  seed: 2,
} as const;

async function trainAndCheck(over: Partial<ExperimentConfig>, expectMethod: string): Promise<RunSummary> {
  const cfg = resolveExperiment({}, { ...RBM_RUN, ...over, out: join(mkdtempSync(join(tmpdir(), 'vmc-sr-e2e-')), 'run') });
  const { dir, summary } = await runExperiment({ config: cfg, quiet: true });
  const resolved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).resolved;
  assert.equal(resolved.optimizer, 'sr');
  assert.equal(resolved.sampler, 'metropolis');
  assert.equal(resolved.ansatz.kind, 'rbm');
  assert.equal(summary.status, 'completed');
  assert.equal(summary.exact_method, expectMethod);
  const E0 = summary.exact_energy!;
  const d = summary.sampler_diagnostics;
  assert.ok(d.acceptance > 0.05 && d.tau >= 0.5 && d.r_hat < 1.05, `diagnostics ${JSON.stringify(d)}`);

  // the trained state, re-opened from the checkpoint: exact ⟨H⟩ by enumeration of its sector
  const run = openRun(dir);
  const E = exactEnergy(run.parts.hamiltonian, run.wf, run.parts.nUp);
  run.wf.dispose();
  const rel = (E - E0) / Math.abs(E0);
  console.log(
    `${summary.model} N=8: exact ${E0.toFixed(6)}  variational ${E.toFixed(6)}  rel ${rel.toExponential(2)}` +
      `  MC ${summary.energy.toFixed(5)}±${summary.energy_error.toFixed(5)} τ=${d.tau.toFixed(2)} acc=${d.acceptance.toFixed(2)}`,
  );
  assert.ok(summary.relative_error! < 1e-3, `Monte Carlo relative error ${summary.relative_error}`);
  assert.ok(rel >= -1e-9 && rel < 1e-3, `variational relative error ${rel}`);
  assert.ok(Math.abs(summary.energy - E) < 5 * summary.energy_error + 1e-4 * Math.abs(E0), `MC ${summary.energy} vs exact ⟨H⟩ ${E}`);
  return summary;
}

test('TFIM chain N=8, h=1 (periodic): real RBM α=2 + Metropolis flips + SR reaches relative error < 1e-3', async () => {
  await trainAndCheck({ model: 'tfim', param: { h: 1 }, real: true }, 'free-fermion');
});

test('Heisenberg chain N=8 (periodic, S^z=0, Marshall sign): complex RBM α=2 + exchange moves + SR reaches relative error < 1e-3', async () => {
  await trainAndCheck({ model: 'heisenberg', magnetization: 0, sign: 'marshall', real: false }, 'dense');
});
