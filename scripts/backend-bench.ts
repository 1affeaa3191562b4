/**
 * tfjs-node against wasm on the workloads that decide `--backend auto` (src/backend.ts records
 * the numbers). Each (workload, backend) pair runs in a fresh child process, the pairs
 * interleaved round by round so that both backends see the same machine load; a row is the
 * median step time over the timed steps after one warm-up step, with the child's CPU time over
 * wall time (≈ 1 for one busy thread, < 1 when the machine is oversubscribed) and CPU seconds
 * per step (all threads).
 *
 *   node --import tsx scripts/backend-bench.ts [--workloads rnn-n20,rnn-n100,rnn2d-4x4,rnn2d-10x10,rbm-n40,quickstart]
 *        [--configs wasm,tensorflow:1,tensorflow:2] [--rounds 2]
 *
 * `tensorflow:K` is tfjs-node with TF_NUM_INTRAOP_THREADS=K (the environment variable the
 * TensorFlow runtime reads; OMP_NUM_THREADS has no effect on it — measured by counting busy
 * threads in /proc/self/task). tfjs-node must be built (scripts/native-backend.sh).
 */
import { spawnSync } from 'node:child_process';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction } from '../src/run/build.js';
import { readExperimentFile } from '../src/run/experiment-file.js';
import { resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { Rng } from '../src/rng.js';
import { VmcDriver, type StepRecord } from '../src/vmc/driver.js';

interface Workload {
  /** experiment settings (flag names), applied over `file` */
  flags: Partial<ExperimentConfig>;
  file?: string;
  /** timed steps after one warm-up step */
  steps: number;
}

const tfimChain = (n: number): Partial<ExperimentConfig> => ({ model: 'tfim', param: { h: 1 }, lattice: 'chain', n, bc: 'open', ansatz: 'rnn', hidden: 50, samples: 1000 });
const heisSquare = (l: number): Partial<ExperimentConfig> => ({ model: 'heisenberg', lattice: 'square', lx: l, ly: l, bc: 'open', ansatz: 'rnn2d', hidden: 50, sign: 'marshall', magnetization: 0, samples: 500 });

const WORKLOADS: Record<string, Workload> = {
  'rnn-n20': { flags: tfimChain(20), steps: 4 },
  'rnn-n100': { flags: tfimChain(100), steps: 1 },
  'rnn2d-4x4': { flags: heisSquare(4), steps: 4 },
  'rnn2d-10x10': { flags: heisSquare(10), steps: 1 },
  'rbm-n40': { flags: { model: 'tfim', param: { h: 1 }, lattice: 'chain', n: 40, bc: 'periodic', ansatz: 'rbm', alpha: 2, real: true, symmetric: true, optimizer: 'sr', samples: 1000 }, steps: 6 },
  quickstart: { file: 'experiments/quickstart.json', flags: {}, steps: 50 },
};

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** In the child: builds the workload as `vmc run` does and times its steps. */
async function child(name: string, backend: BackendChoice): Promise<void> {
  const w = WORKLOADS[name];
  const cfg = resolveExperiment(w.file ? readExperimentFile(w.file) : {}, { ...w.flags, backend, seed: 1 });
  const used = await initBackend(backend);
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
  const sampler = buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:sample`));
  const driver = new VmcDriver(parts.hamiltonian, wf, sampler, buildOptimizer(cfg, wf), cfg.samples);
  const t0 = performance.now();
  await driver.step();
  const warmup = (performance.now() - t0) / 1000;
  const recs: StepRecord[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let s = 0; s < w.steps; s++) recs.push(await driver.step());
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const med = (f: (r: StepRecord) => number): number => +median(recs.map(f)).toFixed(4);
  console.log(
    JSON.stringify({
      workload: name,
      backend: used,
      intraop_threads: process.env.TF_NUM_INTRAOP_THREADS ? Number(process.env.TF_NUM_INTRAOP_THREADS) : null,
      steps: w.steps,
      step_s: med((r) => r.timings.total),
      sample_s: med((r) => r.timings.sample),
      local_energy_s: med((r) => r.timings.localEnergy),
      gradient_s: med((r) => r.timings.gradient),
      warmup_s: +warmup.toFixed(3),
      total_s: +wall.toFixed(3),
      cpu_per_wall: +((cpu.user + cpu.system) / 1e6 / wall).toFixed(2),
      // CPU seconds per step, all threads: less sensitive to other processes than wall time
      cpu_step_s: +((cpu.user + cpu.system) / 1e6 / w.steps).toFixed(4),
      energy_last: recs[recs.length - 1].energy,
    }),
  );
  wf.dispose();
}

async function parent(): Promise<void> {
  const names = arg('workloads', Object.keys(WORKLOADS).join(',')).split(',');
  for (const n of names) if (!WORKLOADS[n]) throw new Error(`--workloads: unknown "${n}" (expected ${Object.keys(WORKLOADS).join(', ')})`);
  const configs = arg('configs', 'wasm,tensorflow:1,tensorflow:2').split(',');
  const rounds = Number(arg('rounds', '2'));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      // rotate the order each round so neither backend always runs first
      const order = configs.map((_, i) => configs[(i + r) % configs.length]);
      for (const c of order) {
        const [backend, threads] = c.split(':');
        const env: NodeJS.ProcessEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' };
        if (threads) env.TF_NUM_INTRAOP_THREADS = threads;
        else delete env.TF_NUM_INTRAOP_THREADS;
        const p = spawnSync(process.execPath, ['--import', 'tsx', process.argv[1], '--child', name, '--backend', backend], { env, encoding: 'utf8' });
        if (p.status !== 0) {
          process.stderr.write(p.stderr);
          throw new Error(`${name} on ${c} failed (exit ${p.status})`);
        }
        process.stdout.write(p.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => `${l.slice(0, -1)},"round":${r}}\n`).join(''));
      }
    }
  }
}

if (process.argv.includes('--child')) await child(arg('child', ''), arg('backend', 'wasm') as BackendChoice);
else await parent();
