/**
 * Time per VMC step of the LRU wavefunction (or, for comparison, of any other ansatz on the same
 * job), split into sampling, local energies, gradient and update; one JSON row per run.
 *
 *   node --import tsx scripts/bench-lru.ts [--ansatz lru,rnn] [--model tfim|heisenberg] [--n 20]
 *        [--bc open|periodic] [--hidden 50] [--layers 1] [--samples 1000] [--steps 3]
 *        [--workers 1] [--backend wasm]
 *
 * `--ansatz lru,rnn` times the ansätze back to back in one process (the ratio is what to quote on
 * a shared machine). Heisenberg runs use the Marshall sign and S^z = 0, as the experiments do.
 * The first step is a warm-up and is not timed. `benchLru(opts)` is the library entry point for
 * `npm run bench`.
 */
import { pathToFileURL } from 'node:url';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { Rng } from '../src/rng.js';
import { VmcDriver, type StepRecord } from '../src/vmc/driver.js';
import { LocalEnergyPool } from '../src/vmc/local-energy-pool.js';

export interface BenchLruOptions {
  /** 'lru' (default) or another ansatz of `vmc run` timed on the same job */
  ansatz?: ExperimentConfig['ansatz'];
  model?: 'tfim' | 'heisenberg';
  n?: number;
  bc?: 'open' | 'periodic';
  hidden?: number;
  layers?: number;
  samples?: number;
  /** timed steps after one warm-up step (default 3) */
  steps?: number;
  workers?: number;
  backend?: BackendChoice;
}

export interface BenchLruRow {
  ansatz: string;
  model: string;
  n: number;
  hidden: number;
  layers: number;
  samples: number;
  workers: number;
  backend: string;
  step_s: number;
  sample_s: number;
  local_energy_s: number;
  gradient_s: number;
  update_s: number;
  distinct: number;
}

export async function benchLru(opts: BenchLruOptions = {}): Promise<BenchLruRow> {
  const backend = await initBackend(opts.backend ?? 'wasm');
  const model = opts.model ?? 'tfim';
  const heis = model === 'heisenberg';
  const cfg = resolveExperiment({}, {
    model,
    param: heis ? {} : { h: 1 },
    lattice: 'chain',
    n: opts.n ?? 20,
    bc: opts.bc ?? (heis ? 'periodic' : 'open'),
    magnetization: heis ? 0 : null,
    sign: heis ? 'marshall' : 'none',
    ansatz: opts.ansatz ?? 'lru',
    hidden: opts.hidden ?? 50,
    layers: opts.layers ?? 1,
    samples: opts.samples ?? 1000,
    workers: opts.workers ?? 1,
    backend: backend as ExperimentConfig['backend'],
    seed: 1,
  });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng('bench:init'));
  const sampler = buildSampler(cfg, wf, parts, new Rng('bench:sample'));
  const pool = cfg.workers > 1 ? await LocalEnergyPool.start(cfg, cfg.workers, backend) : null;
  const energies = pool ? (c: Uint8Array, k: number) => pool.evaluate(parts.hamiltonian, wf, c, k) : undefined;
  const driver = new VmcDriver(parts.hamiltonian, wf, sampler, buildOptimizer(cfg, wf), cfg.samples, energies);
  const recs: StepRecord[] = [];
  try {
    await driver.stepAsync(); // warm-up
    for (let s = 0; s < (opts.steps ?? 3); s++) recs.push(await driver.stepAsync());
  } finally {
    if (pool) await pool.close();
    wf.dispose();
  }
  const mean = (f: (r: StepRecord) => number) => recs.reduce((a, r) => a + f(r), 0) / recs.length;
  return {
    ansatz: cfg.ansatz, model, n: cfg.n!, hidden: cfg.hidden!, layers: cfg.layers!, samples: cfg.samples, workers: cfg.workers, backend,
    step_s: mean((r) => r.timings.total),
    sample_s: mean((r) => r.timings.sample),
    local_energy_s: mean((r) => r.timings.localEnergy),
    gradient_s: mean((r) => r.timings.gradient),
    update_s: mean((r) => r.timings.update),
    distinct: mean((r) => r.distinct),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : def;
  };
  for (const ansatz of arg('ansatz', 'lru,rnn').split(',')) {
    const row = await benchLru({
      ansatz: ansatz as ExperimentConfig['ansatz'],
      model: arg('model', 'tfim') as 'tfim' | 'heisenberg',
      n: Number(arg('n', '20')),
      bc: (process.argv.includes('--bc') ? arg('bc', 'open') : undefined) as 'open' | 'periodic' | undefined,
      hidden: Number(arg('hidden', '50')),
      layers: Number(arg('layers', '1')),
      samples: Number(arg('samples', '1000')),
      steps: Number(arg('steps', '3')),
      workers: Number(arg('workers', '1')),
      backend: arg('backend', 'wasm') as BackendChoice,
    });
    console.log(JSON.stringify(row));
  }
}
