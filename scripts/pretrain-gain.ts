/**
 * Does NLL pre-training on exact measurements speed up VMC (Czischek et al., arXiv 2203.04988)?
 * For each seed: a plain `vmc run` and the same run with `--pretrain DATA --pretrain-epochs E`,
 * DATA being K exact Z-basis samples of the ground state (as `vmc exact --samples K` writes them);
 * then the number of VMC steps (and seconds) until the energy, averaged over a trailing window of
 * steps, is within the target relative error of the exact energy — for the pre-trained run also
 * the seconds of its pre-training. Writes results.json, table.md and pretrain-gain.svg to --out.
 *
 *   node --import tsx scripts/pretrain-gain.ts [--model tfim] [--n 20] [--bc periodic] [--h 1]
 *       [--steps 1500] [--samples 500] [--hidden 50] [--data-samples 10000] [--pretrain-epochs 10]
 *       [--target 1e-3] [--window 20] [--seeds 1] [--out experiments/pretrain] [--work runs/pretrain]
 *
 * The per-step energies come from --samples samples each; the trailing mean over --window steps
 * keeps a single lucky step from counting as "reached".
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { movingAverage } from '../src/compare/compare.js';
import { sampleGroundState, uniqueGroundState } from '../src/exact/ground-samples.js';
import { compileHamiltonian, loadModel } from '../src/hamiltonian/index.js';
import { chain } from '../src/lattice/lattice.js';
import { formatSamples } from '../src/measure/sample-file.js';
import { resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { column, readMetrics } from '../src/run/metrics.js';
import { plotRelativeError } from '../src/run/plot.js';
import { readRunConfig, runExperiment } from '../src/run/runner.js';
import { Rng } from '../src/rng.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}
const model = arg('model', 'tfim');
const n = Number(arg('n', '20'));
const bc = arg('bc', 'periodic') as 'open' | 'periodic';
const field = Number(arg('h', '1'));
const steps = Number(arg('steps', '1500'));
const samples = Number(arg('samples', '500'));
const hidden = Number(arg('hidden', '50'));
const dataSamples = Number(arg('data-samples', '10000'));
const pretrainEpochs = Number(arg('pretrain-epochs', '10'));
const target = Number(arg('target', '1e-3'));
const window = Number(arg('window', '20'));
const seeds = arg('seeds', '1').split(',').map(Number);
const out = arg('out', 'experiments/pretrain');
const work = arg('work', 'runs/pretrain');

await initBackend('wasm');
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });
const params: Record<string, number> = model === 'tfim' ? { h: field } : {};
const tag = `${model}${n}${bc === 'periodic' ? 'p' : 'o'}`;
const data = join(work, `${tag}-${dataSamples}.csv`);
if (!existsSync(data)) {
  const lattice = chain(n, bc);
  const gs = uniqueGroundState(compileHamiltonian(loadModel(model, params), lattice), lattice);
  const s = sampleGroundState(gs, dataSamples, new Rng('1:exact-samples'));
  writeFileSync(data, formatSamples(s.configs, dataSamples, n, s.logAbsPsi, s.phase, 'csv'));
}

interface Row {
  seed: number;
  pretrained: boolean;
  /** first step whose trailing-window mean energy is within `target` (null: never) */
  steps_to_target: number | null;
  /** VMC seconds to that step, and the pre-training's seconds */
  vmc_seconds_to_target: number | null;
  pretrain_seconds: number;
  /** relative error of the final energy (eval samples) and of the first step */
  final_relative_error: number | null;
  first_step_relative_error: number | null;
  pretrain_final_nll: number | null;
}

const rows: Row[] = [];
const curves: { name: string; step: number[]; relativeError: number[] }[] = [];
for (const seed of seeds) {
  for (const pretrained of [false, true]) {
    const dir = join(work, `${tag}-seed${seed}-${pretrained ? 'pretrained' : 'plain'}`);
    const settings: Partial<ExperimentConfig> = {
      model, n, bc, param: params, hidden, steps, samples, seed, backend: 'wasm', workers: 1, 'eval-samples': 10000, out: dir,
      ...(pretrained ? { pretrain: data, 'pretrain-epochs': pretrainEpochs } : {}),
    };
    // finished runs are read back; a run killed midway is resumed from its checkpoint
    const done = existsSync(join(dir, 'summary.json')) && JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).status === 'completed';
    const started = existsSync(join(dir, 'checkpoint.json'));
    const summary = done
      ? JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
      : (await runExperiment({ config: started ? readRunConfig(dir) : resolveExperiment({}, settings), resumeDir: started ? dir : undefined, quiet: true, silent: true })).summary;
    const m = readMetrics(join(dir, 'metrics.csv'));
    const energy = column(m, 'energy');
    const exact = summary.exact_energy as number;
    const smooth = movingAverage(energy, window).map((e) => Math.abs(e - exact) / Math.abs(exact));
    const hit = smooth.findIndex((r, i) => i + 1 >= window && r <= target);
    const seconds = column(m, 'seconds');
    const pre = pretrained ? readMetrics(join(dir, 'pretrain.csv')) : null;
    rows.push({
      seed,
      pretrained,
      steps_to_target: hit >= 0 ? hit + 1 : null,
      vmc_seconds_to_target: hit >= 0 ? seconds.slice(0, hit + 1).reduce((a, b) => a + b, 0) : null,
      pretrain_seconds: pre ? column(pre, 'seconds').reduce((a, b) => a + b, 0) : 0,
      final_relative_error: summary.relative_error,
      first_step_relative_error: Math.abs(energy[0] - exact) / Math.abs(exact),
      pretrain_final_nll: pre ? (column(pre, 'train_nll').at(-1) ?? null) : null,
    });
    curves.push({ name: `seed ${seed}, ${pretrained ? 'pre-trained' : 'plain VMC'}`, step: column(m, 'step'), relativeError: smooth });
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  }
}
writeFileSync(join(out, 'results.json'), JSON.stringify({ model, n, bc, params, steps, samples, hidden, data_samples: dataSamples, pretrain_epochs: pretrainEpochs, target, window, rows }, null, 2) + '\n');
const f = (v: number | null, d = 1) => (v === null ? 'not reached' : v.toFixed(d));
const table = [
  `| seed | run | steps to ${target} (${window}-step mean) | VMC s to it | pre-training s | first-step rel. error | final rel. error |`,
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) =>
    `| ${r.seed} | ${r.pretrained ? 'pre-trained' : 'plain'} | ${r.steps_to_target ?? 'not reached'} | ${f(r.vmc_seconds_to_target)} | ${r.pretrained ? r.pretrain_seconds.toFixed(1) : '—'} | ` +
      `${r.first_step_relative_error?.toExponential(2)} | ${r.final_relative_error?.toExponential(2)} |`,
  ),
].join('\n');
writeFileSync(join(out, 'table.md'), table + '\n');
writeFileSync(
  join(out, 'pretrain-gain.svg'),
  await plotRelativeError({
    title: `${model} chain N = ${n} ${bc}${model === 'tfim' ? `, h = ${field}` : ''}, GRU H = ${hidden}, ${samples} samples a step: plain, and after ${pretrainEpochs} epochs of NLL on ${dataSamples} exact samples`,
    yLabel: `|Ē − E0| / |E0|, Ē: ${window}-step trailing mean`,
    series: curves,
    hlines: [{ name: `target ${target}`, y: target }],
  }),
);
process.stdout.write(table + '\n');
