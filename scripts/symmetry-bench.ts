/**
 * Cost of symmetry averaging (`--symmetry`): seconds per VMC step of the symmetrised ansatz
 * against the plain one, as the group grows, built exactly as `vmc run` builds them (benchRow of
 * scripts/bench.ts: one untimed warm-up step, then the mean of --steps steps).
 *
 *   node --import tsx scripts/symmetry-bench.ts [--job chain|square] [--n 20] [--l 4]
 *        [--samples 500] [--hidden 50] [--steps 3] [--workers 1] [--backend auto]
 *        [--groups "none;flip;reflection;translation;translation,reflection;translation,reflection,flip"]
 *
 * Jobs: chain — GRU RNN, periodic TFIM chain, h = 1 (|G| = 2, 2, N, 2N, 4N for the default groups);
 * square — gated 2D RNN, periodic L × L Heisenberg, Marshall sign, S^z = 0 (default groups
 * none; flip; c4v; translation; translation,c4v; translation,c4v,flip: |G| = 2, 8, L², 8L², 16L²).
 *
 * The step is measured at initialisation, where nearly every sample is distinct: the symmetrised
 * local energies and gradient then cost about |G| times the plain ones (|G| network evaluations
 * per configuration), sampling about the same. Late in training the plain ansatz draws few
 * distinct samples, and the symmetrised one evaluates each orbit once (orbit representatives), so
 * the ratio there is about |G| × (distinct orbits / distinct plain samples).
 *
 * Prints one JSON line per row and a Markdown table with the ratio to the plain step. Take the
 * numbers on an idle machine.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { buildModel } from '../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { resolveSymmetry } from '../src/run/symmetry.js';
import { benchRow, type BenchRow } from './bench.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const job = arg('job', 'chain');
if (job !== 'chain' && job !== 'square') throw new Error(`--job must be chain or square, got ${job}`);
const steps = Number(arg('steps', '3'));
const workers = Number(arg('workers', '1'));
const defaultGroups = job === 'chain'
  ? 'none;flip;reflection;translation;translation,reflection;translation,reflection,flip'
  : 'none;flip;c4v;translation;translation,c4v;translation,c4v,flip';
const groups = arg('groups', defaultGroups).split(';');

function config(symmetry: string): ExperimentConfig {
  const common = { samples: Number(arg('samples', '500')), hidden: Number(arg('hidden', '50')), symmetry, seed: 1 };
  if (job === 'chain') return resolveExperiment({}, { model: 'tfim', param: { h: 1 }, n: Number(arg('n', '20')), bc: 'periodic', ansatz: 'rnn', ...common });
  const L = Number(arg('l', '4'));
  return resolveExperiment({}, { model: 'heisenberg', lattice: 'square', lx: L, ly: L, bc: 'periodic', ansatz: 'rnn2d', sign: 'marshall', magnetization: 0, ...common });
}

const backend = await initBackend(arg('backend', 'auto') as BackendChoice);
console.log(`backend ${backend}, tfjs ${tf.version.tfjs}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, load ${os.loadavg()[0].toFixed(2)}; mean of ${steps} steps after a warm-up`);
const rows: (BenchRow & { symmetry: string; order: number })[] = [];
for (const symmetry of groups) {
  const cfg = config(symmetry);
  const order = resolveSymmetry(cfg, buildModel(cfg))?.ops.length ?? 1;
  // the GFLOP count of bench.ts models the plain GRU step only
  const { gflops: _, ...measured } = await benchRow(cfg, workers, steps, backend);
  const row = { symmetry, order, ...measured };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const plain = rows.find((r) => r.order === 1);
const f = (x: number): string => x.toFixed(3);
console.log('\n| symmetry | \\|G\\| | sampling (s) | local energies (s) | gradient (s) | step (s) | step / plain | distinct |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const ratio = plain ? (r.step_s / plain.step_s).toFixed(1) : '–';
  console.log(`| ${r.symmetry} | ${r.order} | ${f(r.sample_s)} | ${f(r.local_energy_s)} | ${f(r.gradient_s)} | ${f(r.step_s)} | ${ratio} | ${r.distinct.toFixed(0)} |`);
}
console.log(`load average at the end: ${os.loadavg()[0].toFixed(2)}`);
