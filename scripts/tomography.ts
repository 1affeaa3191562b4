/**
 * Quantum-state tomography of the critical TFIM chain (open, h = 1) from exact Z-basis samples:
 * for each N and number of samples K, draw K exact samples of the ground state (the first K of
 * one seeded stream: exactly what `vmc exact --samples K --seed S` writes), fit an RNN by NLL
 * (`vmc fit`), then predict with `vmc measure` what was never measured — ⟨σˣ⟩, the xx
 * correlations, the energy, the Rényi-2 entropy of the half chain — and compare with the exact
 * ground vector. Writes results.json, table.md and tomography.svg (error vs K) to --out.
 *
 *   node --import tsx scripts/tomography.ts [--n 10,20] [--counts 100,1000,10000,100000]
 *       [--hidden 32] [--steps 1500] [--measure-samples 10000] [--seed 1] [--out experiments/tomography]
 *       [--work runs/tomography]
 * (--work: the data files and the fits' run directories; --out: results.json, table.md, tomography.svg)
 *
 * Each fit gets about --steps mini-batch updates (batch 100, at most 500 epochs), 10% held out,
 * early stopping after max(5, 300 steps' worth of) epochs without a better held-out NLL, Adam
 * 3e-3 decaying as lr/(1 + step/1000).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { sampleGroundState, uniqueGroundState } from '../src/exact/ground-samples.js';
import { runFit, type FitSummary } from '../src/fit/fit-run.js';
import { compileHamiltonian, loadModel } from '../src/hamiltonian/index.js';
import { chain } from '../src/lattice/lattice.js';
import { pairsByDistance } from '../src/measure/correlations.js';
import { measureRun } from '../src/measure/measure.js';
import { formatSamples } from '../src/measure/sample-file.js';
import { plotLines } from '../src/run/plot.js';
import { resolveExperiment } from '../src/run/experiment.js';
import { Rng } from '../src/rng.js';
import { exactEnergyOf, exactRenyi2, exactX, vectorFromBasis, type StateVector } from '../tests/measure/exact-state.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}
const list = (s: string) => s.split(',').map(Number);
const sizes = list(arg('n', '10,20'));
const counts = list(arg('counts', '100,1000,10000,100000'));
const hidden = Number(arg('hidden', '32'));
const targetSteps = Number(arg('steps', '1500'));
const measureSamples = Number(arg('measure-samples', '10000'));
const seed = Number(arg('seed', '1'));
const out = arg('out', 'experiments/tomography');
const work = arg('work', 'runs/tomography');

interface Exact {
  sx: number;
  xx: number[];
  energy: number;
  s2: number;
}

/** ⟨σˣ⟩ per site, xx(r) averaged over the pairs at distance r (as vmc measure averages), E0, S2 of the half chain. */
function exactValues(v: StateVector, n: number, energy: number): Exact {
  const lattice = chain(n, 'open');
  let sx = 0;
  for (let i = 0; i < n; i++) sx += exactX(v, [i]) / n;
  const { pairs } = pairsByDistance(lattice);
  const xx = pairs.map((ps) => ps.reduce((a, [i, j]) => a + exactX(v, [i, j]), 0) / ps.length);
  return { sx, xx, energy, s2: exactRenyi2(v, n / 2) };
}

interface Row {
  n: number;
  samples: number;
  status: FitSummary['status'];
  epochs: number;
  steps: number;
  best_epoch: number | null;
  kl: number | null;
  fidelity: number | null;
  sx: { mean: number; error: number; exact: number };
  /** the largest |Δ xx(r)| over r and its error bar */
  xx: { maxDev: number; at: number; error: number };
  energy: { mean: number; error: number; exact: number; relative_error: number };
  s2: { mean: number; error: number; exact: number };
  fit_seconds: number;
}

await initBackend('wasm');
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });
// rows of earlier invocations (e.g. N = 10 first, N = 20 later) are kept unless measured again
const resultsFile = join(out, 'results.json');
const earlier: Row[] = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { rows: Row[] }).rows : [];
const rows: Row[] = earlier.filter((r) => !(sizes.includes(r.n) && counts.includes(r.samples)));
for (const n of sizes) {
  const lattice = chain(n, 'open');
  const h = compileHamiltonian(loadModel('tfim', { h: 1 }), lattice);
  const t0 = performance.now();
  const gs = uniqueGroundState(h, lattice);
  const v = vectorFromBasis(n, gs.basis, gs.re);
  const exact = exactValues(v, n, exactEnergyOf(v, h));
  process.stderr.write(`N=${n}: exact ground state in ${((performance.now() - t0) / 1000).toFixed(0)} s, ⟨σˣ⟩ = ${exact.sx.toFixed(6)}, E0 = ${exact.energy.toFixed(8)}, S2(N/2) = ${exact.s2.toFixed(6)}\n`);
  const all = sampleGroundState(gs, Math.max(...counts), new Rng(`${seed}:exact-samples`));
  for (const k of counts) {
    const data = join(work, `tfim${n}-${k}.csv`);
    writeFileSync(data, formatSamples(all.configs.subarray(0, k * n), k, n, all.logAbsPsi, all.phase, 'csv'));
    const trainRows = k - Math.round(0.1 * k);
    const batch = Math.min(100, trainRows);
    const perEpoch = Math.ceil(trainRows / batch);
    const epochs = Math.min(500, Math.max(5, Math.ceil(targetSteps / perEpoch)));
    const dir = join(work, `tfim${n}-${k}`);
    const config = resolveExperiment({}, { model: 'tfim', n, param: { h: 1 }, hidden, seed, backend: 'wasm', out: dir });
    const t1 = performance.now();
    const { summary } = await runFit({
      config,
      fit: { data, epochs, batchSize: batch, validation: 0.1, patience: Math.max(5, Math.ceil(300 / perEpoch)), lr: 3e-3, lrDecay: 1000, knownState: 'auto', checkpointEvery: 1000 },
      quiet: true,
      silent: true,
    });
    const fitSeconds = (performance.now() - t1) / 1000;
    const { result } = await measureRun(dir, { samples: measureSamples, seed: 5, observables: ['energy', 'magnetization', 'correlations', 'renyi'] });
    const c = result.correlations!;
    let at = 0;
    c.xx.forEach((e, r) => {
      if (Math.abs(e.mean - exact.xx[r]) > Math.abs(c.xx[at].mean - exact.xx[at])) at = r;
    });
    const half = result.renyi2!.cuts.indexOf(n / 2);
    const row: Row = {
      n,
      samples: k,
      status: summary.status,
      epochs: summary.epochs,
      steps: summary.steps,
      best_epoch: summary.best_epoch,
      kl: summary.kl,
      fidelity: summary.fidelity,
      sx: { mean: result.magnetization!.sx.mean, error: result.magnetization!.sx.error, exact: exact.sx },
      xx: { maxDev: Math.abs(c.xx[at].mean - exact.xx[at]), at: c.distance[at], error: c.xx[at].error },
      energy: { mean: result.energy!.mean, error: result.energy!.error, exact: exact.energy, relative_error: Math.abs(result.energy!.mean - exact.energy) / Math.abs(exact.energy) },
      s2: { mean: result.renyi2!.s2[half].mean, error: result.renyi2!.s2[half].error, exact: exact.s2 },
      fit_seconds: fitSeconds,
    };
    rows.push(row);
    process.stderr.write(`N=${n} K=${k}: ${JSON.stringify(row)}\n`);
    rows.sort((a, b) => a.n - b.n || a.samples - b.samples);
    writeFileSync(resultsFile, JSON.stringify({ hidden, seed, measure_samples: measureSamples, target_steps: targetSteps, rows }, null, 2) + '\n');
  }
}

const e = (x: number) => x.toExponential(1);
const pm = (m: number, s: number, d = 4) => `${m.toFixed(d)} ± ${e(s)}`;
const table = [
  '| N | samples K | epochs (best) | KL | fidelity | ⟨σˣ⟩ (exact) | max_r \\|Δxx(r)\\| | E (rel. error) | S₂(N/2) (exact) |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) =>
    `| ${r.n} | ${r.samples} | ${r.epochs} (${r.best_epoch ?? '—'}) | ${r.kl === null ? '—' : e(r.kl)} | ${r.fidelity === null ? '—' : r.fidelity.toFixed(5)} | ` +
      `${pm(r.sx.mean, r.sx.error)} (${r.sx.exact.toFixed(4)}) | ${e(r.xx.maxDev)} ± ${e(r.xx.error)} at r = ${r.xx.at} | ` +
      `${pm(r.energy.mean, r.energy.error, 3)} (${e(r.energy.relative_error)}) | ${pm(r.s2.mean, r.s2.error)} (${r.s2.exact.toFixed(4)}) |`,
  ),
].join('\n');
writeFileSync(join(out, 'table.md'), table + '\n');
const series = [...new Set(rows.map((r) => r.n))].flatMap((n) => {
  const rs = rows.filter((r) => r.n === n);
  const x = rs.map((r) => Math.log10(r.samples));
  return [
    { name: `N=${n}: |Δ⟨σˣ⟩|`, x, y: rs.map((r) => Math.abs(r.sx.mean - r.sx.exact)) },
    { name: `N=${n}: max_r |Δxx(r)|`, x, y: rs.map((r) => r.xx.maxDev) },
    { name: `N=${n}: |ΔE|/|E0|`, x, y: rs.map((r) => r.energy.relative_error) },
    { name: `N=${n}: |ΔS₂(N/2)|`, x, y: rs.map((r) => Math.abs(r.s2.mean - r.s2.exact)) },
    { name: `N=${n}: KL(P₀‖P)`, x, y: rs.map((r) => r.kl ?? NaN) },
  ];
});
const svg = await plotLines({
  title: `Tomography of the TFIM chain (open, h = 1) from K exact Z-basis samples: RNN H = ${hidden}, predictions vs exact`,
  xLabel: 'log₁₀ K (K = number of Z-basis samples)',
  yLabel: 'error of the prediction (log scale)',
  logY: true,
  series,
  points: true,
});
writeFileSync(join(out, 'tomography.svg'), svg);
process.stdout.write(table + '\n');
