/**
 * Accuracy of Adam vs SR vs minSR (issue 15): runs the three comparison files (each a
 * `vmc compare` file with the entries adam, sr = --sr-space parameter, minsr = --sr-space sample)
 * one after another and writes one table and, per system, a plot of the relative error against
 * training time (equal wall-clock, the default: --budget-seconds from the files) or against the
 * step (--steps K: equal steps, which the machine's load does not change).
 *
 *   node --import tsx scripts/natgrad-accuracy.ts [--out DIR] [--budget-seconds S | --steps K]
 *        [--workers W] [--files a.json,b.json,c.json] [--only adam,minsr]
 *   (SR and minSR take the same update, so equal-steps runs need only adam and minsr)
 *   node --import tsx scripts/natgrad-accuracy.ts --from DIR     # tabulate an earlier --out DIR again
 *   node --import tsx scripts/natgrad-accuracy.ts --from A,B --out C  # one table of runs made in
 *        several processes (e.g. one per core, split with --files/--only): the comparisons of the
 *        same file are joined, in the order given
 *
 * Default files: experiments/natgrad-tfim-chain20.json, natgrad-heisenberg-ring20.json,
 * natgrad-tfim-4x4-periodic.json (600 s of training per entry: 9 runs, about 1.5 h). Output in
 * DIR (default runs/natgrad-<timestamp>): one comparison directory per file (its compare.json,
 * compare.md, compare.svg and run directories), natgrad.md (the table and the plots),
 * natgrad.json, and <system>.svg (relative error, log scale, vs training seconds or step; a
 * trailing moving average of the per-step energies).
 *
 * Timings are only meaningful on an otherwise idle machine (equal wall-clock compares what each
 * optimizer achieves per second); --steps runs compare per step and are load-independent.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backend.js';
import { checkAnsatzEntries, movingAverage, runComparison, type AnsatzEntry, type CompareResult } from '../src/compare/compare.js';
import type { ExperimentConfig } from '../src/run/experiment.js';
import { readExperimentFile } from '../src/run/experiment-file.js';
import { column, readMetrics } from '../src/run/metrics.js';
import { plotLines } from '../src/run/plot.js';

function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : null;
}

const DEFAULT_FILES = ['natgrad-tfim-chain20.json', 'natgrad-heisenberg-ring20.json', 'natgrad-tfim-4x4-periodic.json'].map((f) =>
  fileURLToPath(new URL(`../experiments/${f}`, import.meta.url)),
);

interface Row {
  system: string;
  label: string;
  parameters: number;
  steps: number;
  train_seconds: number;
  energy: number;
  energy_error: number;
  relative_error: number | null;
  v_score: number;
  status: string;
}

async function run(out: string): Promise<CompareResult[]> {
  const files = arg('files')?.split(',') ?? DEFAULT_FILES;
  const only = arg('only')?.split(',');
  const flags: Partial<ExperimentConfig> = {};
  const steps = arg('steps');
  const budget = arg('budget-seconds');
  const workers = arg('workers');
  if (steps !== null) {
    // equal steps: no wall-clock budget
    flags.steps = Number(steps);
    flags['budget-seconds'] = 1e12;
  }
  if (budget !== null) flags['budget-seconds'] = Number(budget);
  if (workers !== null) flags.workers = Number(workers);
  await initBackend('wasm');
  const results: CompareResult[] = [];
  for (const file of files) {
    const read = readExperimentFile(file, { ansatze: checkAnsatzEntries });
    const { ansatze, ...base } = read as Partial<ExperimentConfig> & { ansatze: AnsatzEntry[] };
    const entries = only ? ansatze.filter((e) => only.includes(e.label ?? e.ansatz)) : ansatze;
    delete base.ansatz;
    process.stdout.write(`${basename(file)}: ${entries.map((e) => e.label ?? e.ansatz).join(', ')}\n`);
    results.push(
      await runComparison({
        base, flags, entries, source: file, quiet: true,
        out: join(out, basename(file, '.json')),
        onMessage: (line) => process.stdout.write(`  ${line}\n`),
      }),
    );
  }
  return results;
}

/** The comparisons of earlier outputs; those of the same file (directory name) joined into one. */
function readEarlier(dirs: string[]): { results: CompareResult[]; comparisons: string[] } {
  const joined = new Map<string, CompareResult>();
  const comparisons: string[] = [];
  for (const from of dirs) {
    for (const d of JSON.parse(readFileSync(join(from, 'natgrad.json'), 'utf8')).comparisons as string[]) {
      comparisons.push(d);
      const r = JSON.parse(readFileSync(join(d, 'compare.json'), 'utf8')) as CompareResult;
      const seen = joined.get(basename(d));
      if (!seen) joined.set(basename(d), r);
      else {
        seen.rows.push(...r.rows);
        Object.assign(seen.configs, r.configs);
      }
    }
  }
  return { results: [...joined.values()], comparisons };
}

/** Relative error (moving average of the step energies) against training seconds or steps. */
async function plotSystem(r: CompareResult, x: 'time' | 'step'): Promise<string> {
  const series = r.rows.map((row) => {
    const m = readMetrics(join(row.run_dir, 'metrics.csv'));
    const e = column(m, 'energy');
    const window = Math.max(1, Math.round(e.length / 50));
    const rel = r.exact_energy === null ? [] : movingAverage(e, window).map((v) => Math.abs(v - r.exact_energy!) / Math.abs(r.exact_energy!));
    let t = 0;
    const xs = x === 'step' ? column(m, 'step') : column(m, 'seconds').map((s) => (t += Number.isFinite(s) ? s : 0));
    return { name: row.label, x: xs, y: rel };
  });
  return plotLines({
    title: `${r.model}, ${r.lattice}: relative error vs ${x === 'time' ? 'training time' : 'step'}`,
    xLabel: x === 'time' ? 'training time (s)' : 'step',
    yLabel: '|Ē − E_exact| / |E_exact| (moving average of the step energies)',
    logY: true,
    series,
  });
}

async function main(): Promise<void> {
  const from = arg('from')?.split(',') ?? null;
  const out = arg('out') ?? from?.[0] ?? join('runs', `natgrad-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(out, { recursive: true });
  const earlier = from ? readEarlier(from) : null;
  const results: CompareResult[] = earlier ? earlier.results : await run(out);
  const byStep = results.every((r) => r.budget_seconds === null || r.budget_seconds >= 1e12);
  const rows: Row[] = results.flatMap((r) =>
    r.rows.map((row) => ({
      system: `${r.model}, ${r.lattice}`,
      label: row.label,
      parameters: row.n_parameters,
      steps: row.steps,
      train_seconds: row.train_seconds,
      energy: row.energy,
      energy_error: row.energy_error,
      relative_error: row.relative_error,
      v_score: row.v_score,
      status: row.status,
    })),
  );
  const md: string[] = [
    `# Adam vs SR vs minSR (${byStep ? `${results[0]?.steps} steps each` : `equal wall-clock: ${results[0]?.budget_seconds} s of training each`})`,
    '',
    '| system | optimizer | parameters | steps | training s | energy ± error | rel. error | V-score |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) =>
      `| ${r.system} | ${r.label}${r.status === 'completed' ? '' : ` (${r.status})`} | ${r.parameters} | ${r.steps} | ${r.train_seconds.toFixed(0)} | ${r.energy.toFixed(5)} ± ${r.energy_error.toExponential(1)} | ${r.relative_error === null ? '—' : r.relative_error.toExponential(2)} | ${r.v_score.toExponential(2)} |`,
    ),
    '',
  ];
  for (const r of results) {
    const name = basename(r.dir);
    const svg = await plotSystem(r, byStep ? 'step' : 'time');
    writeFileSync(join(out, `${name}.svg`), svg);
    md.push(`![${r.model}, ${r.lattice}](${name}.svg)`, '');
  }
  writeFileSync(join(out, 'natgrad.md'), md.join('\n'));
  if (!from || from.length > 1 || !existsSync(join(out, 'natgrad.json'))) {
    writeFileSync(join(out, 'natgrad.json'), JSON.stringify({ comparisons: earlier?.comparisons ?? results.map((r) => r.dir), rows }, null, 1));
  }
  process.stdout.write(md.join('\n') + `\nwrote ${join(out, 'natgrad.md')}\n`);
}

await main();
