/**
 * vmc fit end to end on exact samples of known ground states: the RNN on the TFIM chain N = 8
 * reaches a stated KL divergence and fidelity, and its run directory predicts ⟨σˣ⟩ (never
 * measured) within 3σ + 1e-2 of the exact value through vmc measure's code (tomography); the RBM
 * learns from its Metropolis model term; a fit stopped mid-epoch and resumed ends with the
 * numbers of an uninterrupted one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { handler as runHandler } from '../../src/cli/run.js';
import { InputError } from '../../src/errors.js';
import { sampleGroundState, uniqueGroundState, type GroundState } from '../../src/exact/ground-samples.js';
import { runFit, type FitSettings } from '../../src/fit/fit-run.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { measureRun } from '../../src/measure/measure.js';
import { formatSamples } from '../../src/measure/sample-file.js';
import { loadCheckpoint } from '../../src/run/checkpoint.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { readMetrics } from '../../src/run/metrics.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { testBackend } from '../backend.js';
import { cliArgs } from '../cli-command.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmc-fit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
before(async () => {
  await initBackend(testBackend());
});

/** Exact samples of the open TFIM chain's ground state, written as vmc exact --samples writes them. */
function tfimData(n: number, count: number, seed: number): { path: string; gs: GroundState } {
  const lattice = chain(n, 'open');
  const gs = uniqueGroundState(compileHamiltonian(loadModel('tfim', { h: 1 }), lattice), lattice);
  const s = sampleGroundState(gs, count, new Rng(`${seed}:exact-samples`));
  const path = join(tmp, `tfim${n}-${count}.csv`);
  writeFileSync(path, formatSamples(s.configs, count, n, s.logAbsPsi, s.phase, 'csv'));
  return { path, gs };
}

function settings(data: string, extra: Partial<FitSettings> = {}): FitSettings {
  return { data, epochs: 5, batchSize: 100, validation: 0.1, patience: 0, lr: 1e-2, lrDecay: 0, knownState: 'auto', checkpointEvery: 500, ...extra };
}

function config(extra: Partial<ExperimentConfig>): ExperimentConfig {
  return resolveExperiment({}, { model: 'tfim', param: { h: 1 }, backend: 'wasm', seed: 2, ...extra });
}

test('RNN on exact samples of the TFIM chain N = 8: stated KL and fidelity; the fitted state predicts ⟨σˣ⟩ (tomography)', async () => {
  const { path, gs } = tfimData(8, 2000, 1);
  const out = join(tmp, 'rnn8');
  const { summary } = await runFit({ config: config({ n: 8, hidden: 16, out }), fit: settings(path), quiet: true, silent: true });
  assert.equal(summary.status, 'completed');
  assert.equal(summary.known_state_source, 'data-amplitudes');
  assert.ok(summary.kl! < 0.05, `KL ${summary.kl}`);
  assert.ok(summary.fidelity! > 0.99, `fidelity ${summary.fidelity}`);
  // a held-out NLL close to the entropy of the state: KL = E[NLL] − H
  assert.ok(Math.abs(summary.validation_nll! - summary.entropy!) < 0.2, `held-out NLL ${summary.validation_nll} vs entropy ${summary.entropy}`);
  for (const f of ['config.json', 'checkpoint.json', 'log.jsonl', 'metrics.csv', 'summary.json', 'nll.svg']) assert.ok(existsSync(join(out, f)), f);
  const metrics = readMetrics(join(out, 'metrics.csv'));
  assert.deepEqual(metrics.rows.map((r) => r.epoch), [1, 2, 3, 4, 5]);
  assert.ok(metrics.rows[4].kl! < metrics.rows[0].kl!, 'KL falls over the epochs');
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).command, 'fit');
  assert.equal(loadCheckpoint(out).variables[0].name, 'p0');
  // tomography: ⟨σˣ⟩ = (1/N) Σ_i ⟨X_i⟩ of the exact vector (full space: basis index = state)
  let sx = 0;
  for (let i = 0; i < 8; i++) for (let b = 0; b < gs.re.length; b++) sx += (gs.re[b] * gs.re[b ^ (1 << i)]) / 8;
  const { result } = await measureRun(out, { samples: 4000, seed: 3, observables: ['magnetization', 'energy'], out: join(tmp, 'measured') });
  const m = result.magnetization!.sx;
  assert.ok(Math.abs(m.mean - sx) < 3 * m.error + 1e-2, `⟨σˣ⟩ ${m.mean} ± ${m.error} vs exact ${sx}`);
  assert.ok(result.energy!.relative_error! < 0.02, `energy relative error ${result.energy!.relative_error}`);
});

test('RBM (real, ψ = sqrt P) learns the TFIM N = 6 ground state from its Metropolis model term', async () => {
  const { path } = tfimData(6, 1500, 2);
  const { summary } = await runFit({
    config: config({ n: 6, ansatz: 'rbm', alpha: 2, chains: 8, 'burn-in': 20, out: join(tmp, 'rbm6') }),
    fit: settings(path, { epochs: 6, batchSize: 50, modelSamples: 200, lr: 2e-2 }),
    quiet: true,
    silent: true,
  });
  assert.equal(summary.status, 'completed');
  assert.ok(summary.kl! < 0.1, `KL ${summary.kl}`);
  assert.ok(summary.fidelity! > 0.97, `fidelity ${summary.fidelity}`);
});

test('a fit stopped mid-epoch and resumed ends with the numbers of an uninterrupted fit (early stopping on)', async () => {
  const { path } = tfimData(6, 600, 3);
  const fit = settings(path, { epochs: 4, batchSize: 60, patience: 2, checkpointEvery: 4 });
  const whole = await runFit({ config: config({ n: 6, hidden: 6, out: join(tmp, 'whole') }), fit, quiet: true, silent: true });
  let calls = 0;
  const signal = {
    get stop() {
      return ++calls > 13; // 9 mini-batches an epoch: stops inside the second epoch
    },
  };
  const dir = join(tmp, 'parts');
  const first = await runFit({ config: config({ n: 6, hidden: 6, out: dir }), fit, signal, quiet: true, silent: true });
  assert.equal(first.summary.status, 'interrupted');
  assert.equal(first.summary.steps, 13);
  const resumed = await runFit({ config: config({ n: 6, hidden: 6, out: dir }), fit, resumeDir: dir, quiet: true, silent: true });
  assert.equal(resumed.summary.status, whole.summary.status);
  assert.equal(resumed.summary.steps, whole.summary.steps);
  assert.equal(resumed.summary.train_nll, whole.summary.train_nll);
  assert.equal(resumed.summary.validation_nll, whole.summary.validation_nll);
  assert.deepEqual(loadCheckpoint(dir).variables, loadCheckpoint(join(tmp, 'whole')).variables);
  assert.deepEqual(readMetrics(join(dir, 'metrics.csv')).rows.map((r) => r.train_nll), readMetrics(join(tmp, 'whole', 'metrics.csv')).rows.map((r) => r.train_nll));
});

test('other commands take a fit run directory: vmc compare as its settings source, vmc run --init-from its weights; vmc run --resume refuses it', async () => {
  const dir = join(tmp, 'whole'); // the uninterrupted fit above: TFIM N = 6, rnn with 6 hidden units
  const r = spawnSync(
    process.execPath,
    [...cliArgs(), 'compare', dir, '--ansatz', 'rnn', '--steps', '2', '--samples', '16', '--eval-samples', '32', '--json', '--out', join(tmp, 'cmp')],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const cmp = JSON.parse(r.stdout);
  assert.equal(cmp.n_sites, 6);
  assert.equal(cmp.configs.rnn.hidden, 6);
  assert.equal(cmp.rows[0].status, 'completed');
  await assert.rejects(runHandler({ resume: dir, _: [], $0: 'vmc' }), (e: Error) => e instanceof InputError && /vmc fit run directory; continue it with vmc fit --resume/.test(e.message));
  // vmc run --init-from: VMC on a larger chain from the fitted weights, with the fit's Adam moments
  const out = join(tmp, 'vmc-from-fit');
  const run = await runExperiment({
    config: config({ n: 8, 'init-from': dir, 'init-adam': 'carry', steps: 2, samples: 50, 'eval-samples': 100, out }),
    quiet: true,
    silent: true,
  });
  assert.equal(run.summary.status, 'completed');
  const init = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).resolved.init_from;
  assert.equal(init.source_n_sites, 6);
  assert.equal(init.source_hidden, 6);
  assert.equal(init.checkpoint_step, loadCheckpoint(dir).step);
});
