/**
 * `npm run bench`: time per VMC step of the RNN wavefunction on the TFIM chain, split into
 * sampling, local energies, gradient and update, with configurations/second and the achieved
 * GFLOP/s beside the GFLOP/s of a bare tfjs matMul measured in the same run.
 *
 *   npm run bench -- [--n 20,100] [--hidden 50] [--samples 1000] [--steps 3] [--backend auto]
 *                    [--markdown]
 *
 * FLOP model (counted, not measured): one GRU row-step (one configuration advancing one site) is
 * 3 gates × (2·2·H input + 2·H² recurrent) + 2·H·2 output ≈ 6H² + 16H flops. Sampling M
 * configurations costs M·N row-steps; the local energy costs M·N for the parents plus, with
 * prefix sharing, N − i row-steps for a configuration first differing at site i
 * (M·N(N+1)/2 for the N single flips of the TFIM); the gradient is forward + backward ≈ 3× a
 * forward pass over the distinct samples. The first step is a warm-up and is not timed.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { createRnn } from '../src/ansatz/rnn.js';
import { compileHamiltonian, loadModel } from '../src/hamiltonian/index.js';
import { chain } from '../src/lattice/lattice.js';
import { Rng } from '../src/rng.js';
import { ExactSampler } from '../src/sampler/sampler.js';
import { VmcDriver, type StepRecord } from '../src/vmc/driver.js';
import { AdamOptimizer } from '../src/vmc/optimizer.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** Best-of-reps GFLOP/s of a [M,H]×[H,H] matMul, the shape of a recurrent GRU product. */
function bareMatMulGflops(M: number, H: number): number {
  const a = tf.randomUniform([M, H]);
  const b = tf.randomUniform([H, H]);
  let best = Infinity;
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    best = Math.min(best, performance.now() - t0);
    c.dispose();
  }
  a.dispose();
  b.dispose();
  return (2 * M * H * H) / (best / 1000) / 1e9;
}

interface Row {
  n: number;
  sample: number;
  localEnergy: number;
  gradient: number;
  update: number;
  total: number;
  configsPerSecond: number;
  gflops: number;
  distinct: number;
}

async function benchChain(n: number, hidden: number, samples: number, steps: number): Promise<Row> {
  const lattice = chain(n, 'open');
  const h = compileHamiltonian(loadModel('tfim', { h: 1 }), lattice);
  const wf = createRnn({ nSites: n, hidden, layers: 1, complex: false, nUp: null }, new Rng('bench:init'));
  const driver = new VmcDriver(h, wf, new ExactSampler(wf, new Rng('bench:sample')), new AdamOptimizer(wf, { lr: 5e-3, decay: 1000 }), samples);
  await driver.step(); // warm-up (kernel compilation, buffer allocation)
  const recs: StepRecord[] = [];
  for (let s = 0; s < steps; s++) recs.push(await driver.step());
  wf.dispose();
  const mean = (f: (r: StepRecord) => number): number => recs.reduce((a, r) => a + f(r), 0) / recs.length;
  const row = {
    sample: mean((r) => r.timings.sample),
    localEnergy: mean((r) => r.timings.localEnergy),
    gradient: mean((r) => r.timings.gradient),
    update: mean((r) => r.timings.update),
    total: mean((r) => r.timings.total),
    distinct: mean((r) => r.distinct),
  };
  const flopsPerRowStep = 6 * hidden * hidden + 16 * hidden;
  const rowSteps =
    samples * n + // sampling
    row.distinct * n + // parents' ψ
    (row.distinct * n * (n + 1)) / 2 + // single flips with prefix sharing
    3 * row.distinct * n; // gradient
  // configurations whose ψ is evaluated per second: samples + parents + connected ones
  const configs = samples + row.distinct * (n + 1);
  return { n, ...row, configsPerSecond: configs / row.total, gflops: (rowSteps * flopsPerRowStep) / row.total / 1e9 };
}

const ns = arg('n', '20,100').split(',').map(Number);
const hidden = Number(arg('hidden', '50'));
const samples = Number(arg('samples', '1000'));
const steps = Number(arg('steps', '3'));
const backend = await initBackend(arg('backend', 'auto') as BackendChoice);
const bare = bareMatMulGflops(samples, hidden);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = `backend ${backend}, tfjs ${tf.version.tfjs}, Node ${process.version}, ${os.cpus().length} × ${cpu}; TFIM chain (open, h = 1), GRU H = ${hidden}, M = ${samples}, mean of ${steps} steps after a warm-up`;
console.log(header);
console.log(`bare tfjs matMul [${samples}×${hidden}]·[${hidden}×${hidden}]: ${bare.toFixed(2)} GFLOP/s`);
const rows: Row[] = [];
for (const n of ns) {
  const r = await benchChain(n, hidden, samples, steps);
  rows.push(r);
  console.log(JSON.stringify(r));
}
const fmt = (x: number): string => x.toFixed(3);
console.log('\n| N | sampling (s) | local energies (s) | gradient (s) | update (s) | step (s) | distinct samples | configurations/s | achieved GFLOP/s | bare matMul GFLOP/s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.n} | ${fmt(r.sample)} | ${fmt(r.localEnergy)} | ${fmt(r.gradient)} | ${fmt(r.update)} | ${fmt(r.total)} | ${r.distinct.toFixed(0)} | ${r.configsPerSecond.toFixed(0)} | ${r.gflops.toFixed(2)} | ${bare.toFixed(2)} |`,
  );
}
