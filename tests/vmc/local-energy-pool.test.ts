/**
 * The local-energy pool (--workers K): worker threads return exactly the local energies of the
 * main thread (ψ of a configuration does not depend on how the batch is split), worker errors
 * surface as Errors in the main thread, and a run with workers: 2 reproduces workers: 1 and
 * leaves no worker thread behind.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { buildModel, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { localEnergies, type LocalEnergies } from '../../src/vmc/local-energy.js';
import { LocalEnergyPool } from '../../src/vmc/local-energy-pool.js';
import { uniqueSamples } from '../../src/vmc/unique.js';

let backend = '';
before(async () => {
  backend = await initBackend(testBackend());
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-pool-'));

function config(over: Partial<ExperimentConfig>): ExperimentConfig {
  return resolveExperiment({}, { backend: 'wasm', ...over });
}

/** Exact equality, element by element (the split must not change a single bit). */
function assertSame(got: LocalEnergies, want: LocalEnergies, what: string): void {
  for (const k of ['re', 'im'] as const) assert.deepEqual(Array.from(got[k]), Array.from(want[k]), `${what}: ${k}`);
  for (const k of ['logAmp', 'phase'] as const) assert.deepEqual(Array.from(got.logPsi[k]), Array.from(want.logPsi[k]), `${what}: ${k}`);
}

const cases: [string, Partial<ExperimentConfig>][] = [
  ['rnn, complex, S^z = 0, Marshall', { ansatz: 'rnn', model: 'heisenberg', n: 8, bc: 'periodic', phase: true, magnetization: 0, sign: 'marshall', hidden: 12 }],
  ['flow, complex', { ansatz: 'flow', model: 'tfim', n: 8, phase: true, hidden: 24 }],
];

for (const [name, over] of cases) {
  test(`pool of 3 threads (2 workers) equals localEnergies: ${name}`, async () => {
    const cfg = config(over);
    const parts = buildModel(cfg);
    // parameters unlike the workers' own initialisation, so that they must be sent
    const wf = buildWavefunction(cfg, parts, new Rng('pool-test-other-init'));
    const sampler = buildSampler(cfg, wf, parts, new Rng('pool-test-samples'));
    const batch = sampler.sample(300);
    const u = uniqueSamples(batch.configs, batch.count, parts.lattice.nSites);
    assert.ok(u.count > 20, `distinct samples ${u.count}`);
    const want = localEnergies(parts.hamiltonian, wf, u.configs, u.count);
    const pool = await LocalEnergyPool.start(cfg, 3, backend);
    try {
      assert.equal(pool.threads, 3);
      assertSame(await pool.evaluate(parts.hamiltonian, wf, u.configs, u.count), want, 'all distinct samples');
      // fewer configurations than threads: empty slices
      const one = localEnergies(parts.hamiltonian, wf, u.configs.subarray(0, parts.lattice.nSites), 1);
      assertSame(await pool.evaluate(parts.hamiltonian, wf, u.configs.subarray(0, parts.lattice.nSites), 1), one, 'one sample');
    } finally {
      await pool.close();
    }
    wf.dispose();
  });
}

test('an error in a worker rejects evaluate with a clear Error', async () => {
  const rnnCfg = config({ ansatz: 'rnn', model: 'tfim', n: 6, hidden: 8 });
  const flowCfg = config({ ansatz: 'flow', model: 'tfim', n: 6, hidden: 8 });
  const parts = buildModel(flowCfg);
  const flow = buildWavefunction(flowCfg, parts, new Rng('x'));
  const configs = new Uint8Array(6 * 4).map((_, k) => (k * 7) % 2);
  const pool = await LocalEnergyPool.start(rnnCfg, 2, backend);
  try {
    // the workers hold an RNN: the flow's parameters do not fit it
    await assert.rejects(pool.evaluate(parts.hamiltonian, flow, configs, 4), (e: Error) => /local-energy worker 0 failed: .*parameter/s.test(e.message));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.evaluate(parts.hamiltonian, flow, configs, 4), /closed/);
  flow.dispose();
});

function metricsRows(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 4).join(','));
}

test('a run with workers: 2 gives the numbers of workers: 1 and ends its worker threads', async () => {
  const base = { model: 'heisenberg', n: 6, bc: 'periodic', sign: 'marshall', magnetization: 0, phase: true, samples: 64, steps: 4, 'eval-samples': 256, hidden: 10 } as const;
  const one = await runExperiment({ config: config({ ...base, out: join(tmp(), 'w1') }), quiet: true });
  const two = await runExperiment({ config: config({ ...base, workers: 2, out: join(tmp(), 'w2') }), quiet: true });
  assert.deepEqual(metricsRows(two.dir), metricsRows(one.dir));
  assert.equal(two.summary.energy, one.summary.energy);
  assert.equal(two.summary.energy_error, one.summary.energy_error);
  // interrupted (Ctrl-C) runs close the pool too
  const signal = { stop: false };
  const stopped = await runExperiment({
    config: config({ ...base, steps: 50, workers: 2, out: join(tmp(), 'w2-stop') }),
    quiet: true,
    signal,
    onStep: (r) => {
      if (r.step === 2) signal.stop = true;
    },
  });
  assert.equal(stopped.summary.status, 'interrupted');
  assert.equal(stopped.summary.steps, 2);
  // and so do runs that fail
  const file = join(tmp(), 'not-a-dir');
  writeFileSync(file, '');
  await assert.rejects(runExperiment({ config: config({ ...base, workers: 2, steps: 2, out: file }), quiet: true }), /not a directory/);
  const workers = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => /worker|messageport/i.test(r));
  assert.deepEqual(workers, []);
});
