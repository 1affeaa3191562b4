/**
 * The step pool (--workers K): worker threads return exactly the samples, local energies and
 * shard gradients of the main thread (ψ of a configuration does not depend on how the batch is
 * split; samples and gradients are fixed by their shards), worker errors surface as Errors in the
 * main thread, and runs with workers: 2 and 3 reproduce workers: 1 and leave no worker thread
 * behind.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { StepPool } from '../../src/run/step-pool.js';
import { VmcDriver } from '../../src/vmc/driver.js';
import { gradientShards } from '../../src/vmc/gradient.js';
import { localEnergies, type LocalEnergies } from '../../src/vmc/local-energy.js';
import { InThread } from '../../src/vmc/threads.js';
import { uniqueSamples } from '../../src/vmc/unique.js';

// Bit-identity across thread counts holds on wasm (a row's value does not depend on its batch
// there); on tfjs-node it does, at ~1e-7 (README, Performance). This file pins wasm.
let backend = '';
before(async () => {
  backend = await initBackend('wasm');
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
  test(`pool of 3 threads (2 workers) equals this thread: samples, local energies, gradients: ${name}`, async () => {
    const cfg = config(over);
    const parts = buildModel(cfg);
    // parameters unlike the workers' own initialisation, so that they must be sent
    const wf = buildWavefunction(cfg, parts, new Rng('pool-test-other-init'));
    const sampler = buildSampler(cfg, wf, parts, new Rng('pool-test-samples'));
    const batch = sampler.sample(300);
    const u = uniqueSamples(batch.configs, batch.count, parts.lattice.nSites);
    assert.ok(u.count > 20, `distinct samples ${u.count}`);
    const want = localEnergies(parts.hamiltonian, wf, u.configs, u.count);
    const here = new InThread(parts.hamiltonian, wf);
    const pool = await StepPool.start(cfg, 3, backend, parts.hamiltonian, wf);
    try {
      assert.equal(pool.threads, 3);
      pool.parametersChanged();
      assertSame(await pool.localEnergies(u.configs, u.count), want, 'all distinct samples');
      // fewer configurations than threads: empty slices
      const one = localEnergies(parts.hamiltonian, wf, u.configs.subarray(0, parts.lattice.nSites), 1);
      assertSame(await pool.localEnergies(u.configs.subarray(0, parts.lattice.nSites), 1), one, 'one sample');
      // sampling shards: the same bits whichever thread draws them
      const shards = [1, 2, 3, 4, 5].map((k) => ({ seed: `shard-${k}`, count: 17 + k }));
      assert.deepEqual((await pool.sample(shards)).map((b) => Array.from(b)), (await here.sample(shards)).map((b) => Array.from(b)));
      // gradient shards: the same float32 values whichever thread computes them
      const g = gradientShards(
        { configs: u.configs, count: u.count, weights: u.multiplicity, eRe: want.re, eIm: want.im, meanRe: -1, meanIm: 0 },
        parts.lattice.nSites,
        4,
      );
      const got = await pool.gradients(g);
      const ref = await here.gradients(g);
      assert.equal(got.length, 4);
      got.forEach((s, k) => s.forEach((v, i) => assert.deepEqual(Array.from(v), Array.from(ref[k][i]), `shard ${k}, variable ${i}`)));
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
  // the workers hold an RNN: the flow's parameters do not fit it
  const pool = await StepPool.start(rnnCfg, 2, backend, parts.hamiltonian, flow);
  try {
    pool.parametersChanged();
    await assert.rejects(pool.localEnergies(configs, 4), (e: Error) => /step worker 0 failed: .*parameter/s.test(e.message));
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.localEnergies(configs, 4), /closed/);
  flow.dispose();
});

function metricsRows(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 4).join(','));
}

const runCases: [string, Partial<ExperimentConfig>, number[]][] = [
  ['rnn, Heisenberg, complex, Marshall, S^z = 0', { model: 'heisenberg', n: 6, bc: 'periodic', sign: 'marshall', magnetization: 0, phase: true, hidden: 10 }, [2, 3]],
  ['flow, TFIM', { ansatz: 'flow', model: 'tfim', n: 6, hidden: 16 }, [2]],
  ['rbm, TFIM, Metropolis + SR', { ansatz: 'rbm', model: 'tfim', n: 6, bc: 'periodic', chains: 8, 'burn-in': 5 }, [2]],
];
for (const [name, over, counts] of runCases) {
  test(`runs with workers: ${counts.join(' and ')} give the numbers of workers: 1 (${name})`, async () => {
    const base = { samples: 64, steps: 4, 'eval-samples': 256, ...over };
    const one = await runExperiment({ config: config({ ...base, out: join(tmp(), 'w1') }), quiet: true });
    for (const workers of counts) {
      const many = await runExperiment({ config: config({ ...base, workers, out: join(tmp(), `w${workers}`) }), quiet: true });
      assert.deepEqual(metricsRows(many.dir), metricsRows(one.dir), `workers ${workers}`);
      assert.equal(many.summary.energy, one.summary.energy);
      assert.equal(many.summary.energy_error, one.summary.energy_error);
    }
  });
}

test('a run with workers ends its worker threads, interrupted or failed', async () => {
  const base = { model: 'heisenberg', n: 6, bc: 'periodic', sign: 'marshall', magnetization: 0, phase: true, samples: 64, steps: 4, 'eval-samples': 256, hidden: 10 } as const;
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

test('1000 steps with 2 workers: no tensor grows on either thread, and no worker is left', async () => {
  const cfg = config({ model: 'tfim', n: 4, hidden: 4, samples: 16, workers: 2 });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(1));
  const pool = await StepPool.start(cfg, 2, backend, parts.hamiltonian, wf);
  try {
    const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng(2)), buildOptimizer(cfg, wf), 16, { threads: pool });
    await driver.step();
    const before = await pool.tensorCounts();
    for (let s = 0; s < 1000; s++) await driver.step();
    assert.deepEqual(await pool.tensorCounts(), before, 'live tensors per thread (worker, main)');
  } finally {
    await pool.close();
    wf.dispose();
  }
  const workers = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => /worker|messageport/i.test(r));
  assert.deepEqual(workers, []);
});
