/**
 * Time per VMC step of the RBM (Metropolis with θ look-up tables, local energies by θ updates,
 * stochastic reconfiguration), split into sampling, local energies and gradient (O_k + SR solve).
 * The job is a shipped experiment file (default experiments/rbm-tfim-chain40.json: symmetric real
 * RBM α = 2, TFIM chain N = 40 periodic, 50 chains, SR, M = 1000), built exactly as `vmc run`
 * builds it; flags override its size. Prints one JSON object per row.
 *
 *   node --import tsx scripts/bench-rbm.ts [--experiment FILE] [--n 40[,80]] [--alpha 2]
 *        [--samples 1000] [--steps 10] [--workers 1] [--backend auto]
 *
 * The first step (burn-in, host copies of the parameters, JIT warm-up) is not timed; the row is
 * the mean of the next `steps` steps. `benchRbm(opts)` is exported for `npm run bench`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../src/run/build.js';
import { readExperimentFile, resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { Rng } from '../src/rng.js';
import { VmcDriver, type StepRecord } from '../src/vmc/driver.js';
import { LocalEnergyPool } from '../src/vmc/local-energy-pool.js';

export interface RbmBenchOptions {
  /** experiment file (default experiments/rbm-tfim-chain40.json) */
  experiment?: string;
  n?: number;
  alpha?: number;
  samples?: number;
  /** timed steps after one untimed warm-up step (default 10) */
  steps?: number;
  workers?: number;
  backend?: BackendChoice;
}

export interface Row {
  ansatz: string;
  model: string;
  n: number;
  alpha: number;
  hidden: number;
  symmetric: boolean;
  complex: boolean;
  parameters: number;
  samples: number;
  chains: number;
  workers: number;
  backend: string;
  steps: number;
  step_s: number;
  /** CPU seconds of this process per step (less sensitive than step_s to other load on the machine) */
  step_cpu_s: number;
  sample_s: number;
  local_energy_s: number;
  gradient_s: number;
  update_s: number;
  distinct: number;
  energy_per_site: number;
}

const DEFAULT_EXPERIMENT = resolve(fileURLToPath(new URL('..', import.meta.url)), 'experiments/rbm-tfim-chain40.json');

export async function benchRbm(opts: RbmBenchOptions = {}): Promise<Row> {
  const file = readExperimentFile(opts.experiment ?? DEFAULT_EXPERIMENT);
  const flags: Partial<ExperimentConfig> = { backend: opts.backend ?? 'auto', workers: opts.workers ?? 1 };
  if (opts.n !== undefined) flags.n = opts.n;
  if (opts.alpha !== undefined) flags.alpha = opts.alpha;
  if (opts.samples !== undefined) flags.samples = opts.samples;
  const cfg = resolveExperiment(file, flags, opts.experiment ?? DEFAULT_EXPERIMENT);
  const steps = opts.steps ?? 10;
  const backend = await initBackend(cfg.backend);
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
  const sampler = buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:sample`));
  const optimizer = buildOptimizer(cfg, wf);
  const workers = cfg.workers ?? 1;
  const pool = workers > 1 ? await LocalEnergyPool.start(cfg, workers, backend) : null;
  const pooled = pool ? (x: Uint8Array, c: number) => pool.evaluate(parts.hamiltonian, wf, x, c) : undefined;
  const driver = new VmcDriver(parts.hamiltonian, wf, sampler, optimizer, cfg.samples, pooled);
  const recs: StepRecord[] = [];
  let cpu = 0;
  try {
    await driver.stepAsync(); // warm-up: burn-in sweeps, JIT
    const c0 = process.cpuUsage();
    for (let s = 0; s < steps; s++) recs.push(await driver.stepAsync());
    const c1 = process.cpuUsage(c0);
    cpu = (c1.user + c1.system) / 1e6 / steps;
  } finally {
    await pool?.close();
  }
  const spec = wf.spec() as { nHidden: number; complex: boolean; symmetries: unknown };
  const nParams = wf.variables.reduce((k, v) => k + v.size, 0);
  wf.dispose();
  optimizer.dispose();
  const mean = (f: (r: StepRecord) => number): number => recs.reduce((a, r) => a + f(r), 0) / recs.length;
  const n = parts.lattice.nSites;
  return {
    ansatz: 'rbm',
    model: parts.definition.name,
    n,
    alpha: cfg.alpha,
    hidden: spec.nHidden,
    symmetric: spec.symmetries !== null,
    complex: spec.complex,
    parameters: nParams,
    samples: cfg.samples,
    chains: cfg.chains,
    workers,
    backend,
    steps,
    step_s: mean((r) => r.timings.total),
    step_cpu_s: cpu,
    sample_s: mean((r) => r.timings.sample),
    local_energy_s: mean((r) => r.timings.localEnergy),
    gradient_s: mean((r) => r.timings.gradient),
    update_s: mean((r) => r.timings.update),
    distinct: mean((r) => r.distinct),
    energy_per_site: recs[recs.length - 1].energy / n,
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const num = (k: string): number | undefined => (arg(k) === undefined ? undefined : Number(arg(k)));
  for (const n of (arg('n') ?? '40').split(',').map(Number)) {
    const row = await benchRbm({
      experiment: arg('experiment'),
      n,
      alpha: num('alpha'),
      samples: num('samples'),
      steps: num('steps'),
      workers: num('workers'),
      backend: (arg('backend') ?? 'auto') as BackendChoice,
    });
    console.log(JSON.stringify(row));
  }
}
