/**
 * `npm run bench`: seconds per VMC step, split into sampling, local energies, gradient and
 * update, for the jobs of the speed targets (issue 10), built exactly as `vmc run` builds them
 * (same experiment settings, same worker pool).
 *
 *   npm run bench -- [--ansatz rnn,rbm,rnn2d,lru,flow] [--n 20,100] [--workers 1,2]
 *                    [--hidden H] [--samples M] [--steps 3] [--backend auto] [--json] [--scaling]
 *
 * Default jobs (per ansatz; --n / --hidden / --samples override them):
 *   rnn, lru: GRU / LRU, TFIM chain, open, h = 1, H = 50, M = 1000, N = 20 and 100;
 *   rbm:      experiments/rbm-tfim-chain40.json (real symmetric RBM α = 2, TFIM chain N = 40
 *             periodic, 50 Metropolis chains, SR, M = 1000);
 *   rnn2d:    gated 2D RNN, Heisenberg 10×10 open, Marshall sign, S^z = 0, H = 50, M = 500;
 *   flow:     TFIM chain, open, h = 1, M = 1000, N = 20.
 * --scaling times rnn (and lru) at N = 20, 50, 100, 200 and prints the exponent b of a
 * least-squares fit step_s ∝ N^b.
 *
 * Each row is the mean of --steps steps after one untimed warm-up step (kernel compilation,
 * buffer allocation). --json prints one JSON object per row (ansatz, model, n or lx/ly, hidden,
 * samples, workers, backend, step_s, sample_s, local_energy_s, gradient_s, update_s, distinct,
 * step_cpu_s: CPU seconds of the process per step, all threads, which other load on the machine
 * inflates less than wall time) and nothing else on stdout.
 *
 * FLOP model for the GRU rows (counted, not measured): one GRU row-step (one configuration
 * advancing one site) is 3 gates × (2·3·H input + 2·H² recurrent) + 2·H output ≈ 6H² + 20H
 * flops. Sampling M configurations costs M·N row-steps; the local energy costs N row-steps per
 * parent plus, with prefix sharing, N − 1 − i row-steps for the single flip of site i, i.e.
 * N(N−1)/2 per parent for the TFIM; the gradient is forward + backward ≈ 3× a forward pass over
 * the distinct samples.
 */
import * as os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../src/run/build.js';
import { readExperimentFile } from '../src/run/experiment-file.js';
import { resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { loadCheckpoint } from '../src/run/checkpoint.js';
import { StepPool } from '../src/run/step-pool.js';
import { setParameters } from '../src/ansatz/wavefunction.js';
import { Rng } from '../src/rng.js';
import { VmcDriver, type StepRecord } from '../src/vmc/driver.js';
import { InThread, type StepThreads } from '../src/vmc/threads.js';

function arg(name: string, def: string | null): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const list = (s: string | null): number[] | null => (s === null ? null : s.split(',').map(Number));

export interface BenchRow {
  ansatz: string;
  model: string;
  n?: number;
  lx?: number;
  ly?: number;
  hidden: number;
  samples: number;
  workers: number;
  backend: string;
  step_s: number;
  sample_s: number;
  local_energy_s: number;
  gradient_s: number;
  update_s: number;
  distinct: number;
  step_cpu_s: number;
  /** GRU rows: counted GFLOP per second of the work the step needs */
  gflops?: number;
  /** with `adamTwin`: an Adam step on the same state (interleaved, learning rate 0), seconds */
  adam_same_state_s?: number;
}

const RBM_JOB = fileURLToPath(new URL('../experiments/rbm-tfim-chain40.json', import.meta.url));

/** The experiment settings of a benchmark job. */
export function benchJob(ansatz: string, over: Partial<ExperimentConfig>): ExperimentConfig {
  if (ansatz === 'rbm') return resolveExperiment(readExperimentFile(RBM_JOB), over, RBM_JOB);
  const base: Partial<ExperimentConfig> =
    ansatz === 'rnn2d'
      ? { model: 'heisenberg', lattice: 'square', lx: 10, ly: 10, bc: 'open', ansatz: 'rnn2d', sign: 'marshall', magnetization: 0, hidden: 50, samples: 500 }
      : { model: 'tfim', n: 20, bc: 'open', ansatz: ansatz as ExperimentConfig['ansatz'], hidden: ansatz === 'flow' ? undefined : 50, samples: 1000 };
  return resolveExperiment({}, { ...base, ...(base.model === 'tfim' ? { param: { h: 1 } } : {}), ...over });
}

/**
 * Times `steps` steps (after a warm-up) of the job `cfg` on `workers` threads. `adamTwin`: after
 * each timed step, also time an Adam step with learning rate 0 on the same state (its own
 * samples from the same ψ, so the same amount of sampling and local-energy work; the parameters
 * do not move), for the cost of another optimizer relative to Adam at equal work — two separate
 * runs drift apart within a few steps (e.g. Adam concentrates ψ faster, leaving fewer distinct
 * samples to evaluate). `fromRun`: start from the parameters of that run's checkpoint (a trained
 * state of the same ansatz) instead of the seeded initial ones.
 */
export async function benchRow(
  cfg: ExperimentConfig, workers: number, steps: number, backend: string, adamTwin = false, fromRun?: string,
): Promise<BenchRow> {
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
  if (fromRun) setParameters(wf, loadCheckpoint(fromRun).variables);
  const sampler = buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:sample`));
  const optimizer = buildOptimizer(cfg, wf);
  const twinOptimizer = adamTwin ? buildOptimizer({ ...cfg, optimizer: 'adam', lr: 0 }, wf) : null;
  const threads: StepThreads =
    workers > 1 ? await StepPool.start({ ...cfg, workers }, workers, backend, parts.hamiltonian, wf) : new InThread(parts.hamiltonian, wf);
  const recs: StepRecord[] = [];
  const twinRecs: StepRecord[] = [];
  let cpu = 0;
  try {
    const driver = new VmcDriver(parts.hamiltonian, wf, sampler, optimizer, cfg.samples, { threads });
    const twin = twinOptimizer
      ? new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:twin`)), twinOptimizer, cfg.samples, { threads })
      : null;
    await driver.step(); // warm-up
    await twin?.step();
    let busy = 0;
    for (let s = 0; s < steps; s++) {
      const c0 = process.cpuUsage();
      recs.push(await driver.step());
      const c1 = process.cpuUsage(c0);
      busy += (c1.user + c1.system) / 1e6;
      if (twin) twinRecs.push(await twin.step());
    }
    cpu = busy / steps;
  } finally {
    await threads.close();
    wf.dispose();
    optimizer.dispose();
    twinOptimizer?.dispose();
  }
  const mean = (f: (r: StepRecord) => number): number => recs.reduce((a, r) => a + f(r), 0) / recs.length;
  const size = cfg.lattice === 'chain' ? { n: cfg.n } : { lx: cfg.lx, ly: cfg.ly };
  const row: BenchRow = {
    ansatz: cfg.ansatz,
    model: cfg.model,
    ...size,
    hidden: (wf.spec().hidden as number | undefined) ?? Math.round(cfg.alpha * parts.lattice.nSites),
    samples: cfg.samples,
    workers,
    backend,
    step_s: mean((r) => r.timings.total),
    sample_s: mean((r) => r.timings.sample),
    local_energy_s: mean((r) => r.timings.localEnergy),
    gradient_s: mean((r) => r.timings.gradient),
    update_s: mean((r) => r.timings.update),
    distinct: mean((r) => r.distinct),
    step_cpu_s: cpu,
    ...(twinRecs.length ? { adam_same_state_s: twinRecs.reduce((a, r) => a + r.timings.total, 0) / twinRecs.length } : {}),
  };
  if (cfg.ansatz === 'rnn' && cfg.model === 'tfim' && cfg.lattice === 'chain') {
    const N = cfg.n!;
    const H = row.hidden;
    const rowSteps = cfg.samples * N + row.distinct * N + (row.distinct * N * (N - 1)) / 2 + 3 * row.distinct * N;
    row.gflops = (rowSteps * (6 * H * H + 20 * H)) / row.step_s / 1e9;
  }
  return row;
}

/** Least-squares exponent b of y ∝ x^b. */
export function fitExponent(x: number[], y: number[]): number {
  const lx = x.map(Math.log);
  const ly = y.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

async function main(): Promise<void> {
  const json = flag('json');
  const ansatze = (arg('ansatz', 'rnn,rbm,rnn2d') as string).split(',');
  const nList = flag('scaling') ? [20, 50, 100, 200] : list(arg('n', null));
  const workersList = list(arg('workers', '1')) as number[];
  const steps = Number(arg('steps', '3'));
  const hidden = arg('hidden', null);
  const samples = arg('samples', null);
  const backend = await initBackend(arg('backend', 'auto') as BackendChoice);
  const say = (s: string): void => {
    if (!json) console.log(s);
  };
  say(`backend ${backend}, tfjs ${tf.version.tfjs}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}; mean of ${steps} steps after a warm-up`);
  const rows: BenchRow[] = [];
  for (const ansatz of ansatze) {
    const chainAnsatz = ansatz === 'rnn' || ansatz === 'lru' || ansatz === 'flow';
    const sizes: (number | undefined)[] = chainAnsatz ? (nList ?? (ansatz === 'flow' ? [20] : [20, 100])) : ansatz === 'rbm' && nList ? nList : [undefined];
    for (const n of sizes) {
      for (const workers of workersList) {
        const over: Partial<ExperimentConfig> = {};
        if (n !== undefined) over.n = n;
        if (hidden !== null && ansatz !== 'rbm') over.hidden = Number(hidden);
        if (samples !== null) over.samples = Number(samples);
        const row = await benchRow(benchJob(ansatz, over), workers, steps, backend);
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }
  if (json) return;
  const f = (x: number): string => x.toFixed(3);
  console.log('\n| ansatz | model | size | H | M | workers | sampling (s) | local energies (s) | gradient (s) | update (s) | step (s) | distinct |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const size = r.n !== undefined ? `N = ${r.n}` : `${r.lx}×${r.ly}`;
    console.log(`| ${r.ansatz} | ${r.model} | ${size} | ${r.hidden} | ${r.samples} | ${r.workers} | ${f(r.sample_s)} | ${f(r.local_energy_s)} | ${f(r.gradient_s)} | ${f(r.update_s)} | ${f(r.step_s)} | ${r.distinct.toFixed(0)} |`);
  }
  for (const ansatz of ['rnn', 'lru']) {
    for (const workers of workersList) {
      const pts = rows.filter((r) => r.ansatz === ansatz && r.workers === workers && r.n !== undefined);
      if (pts.length >= 3) {
        const b = fitExponent(pts.map((r) => r.n!), pts.map((r) => r.step_s));
        console.log(`${ansatz}, ${workers} worker(s): step time ∝ N^${b.toFixed(2)} over N = ${pts.map((r) => r.n).join(', ')}`);
      }
    }
  }
}

// run only as a script (the functions above can be imported by other benchmarks)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
