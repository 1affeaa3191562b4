/**
 * Cost of a natural-gradient step against an Adam step on the quickstart system (issue 15
 * target: an SR step ≤ 3× an Adam step): experiments/quickstart.json (TFIM chain N = 20, open,
 * h = 1, GRU H = 50) with M = 1000 samples, built exactly as `vmc run` builds it, timed with
 * `npm run bench`'s benchRow (mean of --steps steps after one warm-up step).
 *
 *   node --import tsx scripts/bench-natgrad.ts [--samples 1000] [--steps 3] [--workers 1,2]
 *        [--optimizers adam,minsr,sr] [--file experiments/quickstart.json] [--backend wasm] [--json]
 *        [--from RUN_DIR]
 *
 * Rows: adam; minsr (--optimizer sr --sr-space sample, what `--optimizer sr` picks here: 1000
 * rows < 8052 parameters); sr (--sr-space parameter: CG on S, matrix-free). Columns: the step's
 * phases (gradient = O plus the SR solve for the SR rows), the CPU seconds per step (all threads),
 * the ratio to the Adam row of the same worker count (its own run, whose state drifts away from
 * the SR run's: Adam at lr 0.01 concentrates ψ within a few steps, so its steps evaluate fewer
 * distinct samples), and the ratio to an Adam step taken on the same state between the SR steps
 * (benchRow's adamTwin: same ψ, same amount of work) — the cost the issue-15 target is about.
 * --from RUN_DIR starts every row from the parameters of that run's checkpoint (a trained state of
 * the same job, e.g. `vmc run experiments/quickstart.json --out runs/quickstart`) instead of the
 * fresh start, whose 1000 samples are all distinct — a trained state has fewer distinct samples,
 * and minSR's Gram matrix costs rows².
 * Needs an otherwise idle machine: the numbers of a loaded one are not the cost.
 */
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { resolveExperiment, type ExperimentConfig } from '../src/run/experiment.js';
import { readExperimentFile } from '../src/run/experiment-file.js';
import { benchRow, type BenchRow } from './bench.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const OPTIMIZERS: Record<string, Partial<ExperimentConfig>> = {
  adam: { optimizer: 'adam' },
  minsr: { optimizer: 'sr', 'sr-space': 'sample' },
  sr: { optimizer: 'sr', 'sr-space': 'parameter' },
};

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const file = arg('file', fileURLToPath(new URL('../experiments/quickstart.json', import.meta.url)));
  const samples = Number(arg('samples', '1000'));
  const steps = Number(arg('steps', '3'));
  const workersList = arg('workers', '1').split(',').map(Number);
  const names = arg('optimizers', 'adam,minsr,sr').split(',');
  const from = process.argv.includes('--from') ? arg('from', '') : undefined;
  for (const n of names) if (!OPTIMIZERS[n]) throw new Error(`unknown optimizer row "${n}" (adam, minsr, sr)`);
  const backend = await initBackend(arg('backend', 'wasm') as BackendChoice);
  if (!json) {
    console.log(`backend ${backend}, tfjs ${tf.version.tfjs}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`${file}, M = ${samples}; mean of ${steps} steps after a warm-up${from ? `; parameters from ${from}` : ''}`);
  }
  const rows: (BenchRow & { optimizer: string; ratio: number; ratio_same_state: number })[] = [];
  for (const workers of workersList) {
    let adam = NaN;
    for (const name of names) {
      const cfg = resolveExperiment(readExperimentFile(file), { samples, workers, ...OPTIMIZERS[name] }, file);
      const row = await benchRow(cfg, workers, steps, backend, name !== 'adam', from);
      if (name === 'adam') adam = row.step_s;
      const out = { optimizer: name, ...row, ratio: row.step_s / adam, ratio_same_state: row.adam_same_state_s ? row.step_s / row.adam_same_state_s : 1 };
      rows.push(out);
      if (json) console.log(JSON.stringify(out));
    }
  }
  if (json) return;
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
  console.log('\n| optimizer | workers | sampling (s) | local energies (s) | gradient / O + solve (s) | update (s) | step (s) | CPU per step (s) | × Adam (own run) | Adam step, same state (s) | × Adam, same state | distinct |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.optimizer} | ${r.workers} | ${f(r.sample_s)} | ${f(r.local_energy_s)} | ${f(r.gradient_s)} | ${f(r.update_s)} | ${f(r.step_s)} | ${f(r.step_cpu_s)} | ${f(r.ratio)} | ${f(r.adam_same_state_s ?? NaN)} | ${f(r.ratio_same_state)} | ${r.distinct.toFixed(0)} |`);
  }
}

await main();
