/**
 * How many steps and how much wall time each run needed to reach given accuracies: for runs of
 * one system trained different ways (e.g. by retraining from a smaller size against directly),
 * read from their metrics.csv, so it works on the packed copies under results/ (which keep no
 * log.jsonl; scripts/equal-cpu.ts needs one).
 *
 * A run's error at step t is the relative error of the mean training energy over the `--window`
 * steps up to t (a single step's estimate is noisier than the differences at stake). For each
 * threshold the table gives the first step at which that error is at or below it, and the wall
 * seconds spent by then (the `seconds` column, summed). A stage of a size schedule (a run
 * directory whose parent has schedule.json) also counts the seconds of the stages before it, so
 * a retrained run is charged for its smaller sizes. Wall seconds depend on the machine and its
 * load, which this script cannot see: compare the steps, and the seconds only between runs made
 * under the same conditions.
 *
 * Usage: node --import tsx scripts/steps-to-accuracy.ts [--window 20] [--thresholds 1e-3,3e-4,1e-4]
 *          LABEL=RUN_DIR ...
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { movingAverage } from '../src/compare/compare.js';
import { column, readMetrics } from '../src/run/metrics.js';

interface Trace {
  label: string;
  steps: number[];
  /** windowed relative error per step */
  error: number[];
  /** cumulative wall seconds at each step, including earlier schedule stages */
  seconds: number[];
  /** seconds of earlier schedule stages */
  before: number;
}

function fail(msg: string): never {
  process.stderr.write(`steps-to-accuracy: ${msg}\n`);
  process.exit(2);
}

function stageSeconds(dir: string): number {
  return column(readMetrics(join(dir, 'metrics.csv')), 'seconds').reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
}

/** Seconds of the schedule stages listed before `dir` in its parent's schedule.json (0 if none). */
function earlierStages(dir: string): number {
  const parent = dirname(dir);
  const file = join(parent, 'schedule.json');
  if (!existsSync(file)) return 0;
  const labels = (JSON.parse(readFileSync(file, 'utf8')) as { stages: { label: string }[] }).stages.map((s) => s.label);
  const at = labels.indexOf(basename(dir));
  if (at < 0) fail(`${dir} is not a stage listed in ${file}`);
  return labels.slice(0, at).reduce((a, l) => a + stageSeconds(join(parent, l)), 0);
}

function readTrace(label: string, dir: string, window: number): Trace {
  // the run's reference as it resolved it (config.json is written at the start, so a run still
  // going can be read too)
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) fail(`${dir}: no config.json (not a run directory)`);
  const exact = (JSON.parse(readFileSync(configFile, 'utf8')) as { resolved?: { reference?: { energy?: unknown } } }).resolved?.reference?.energy;
  if (typeof exact !== 'number') fail(`${dir}: config.json records no exact or reference energy`);
  const table = readMetrics(join(dir, 'metrics.csv'));
  const steps = column(table, 'step');
  if (steps.length === 0) fail(`${dir}: metrics.csv has no steps`);
  const mean = movingAverage(column(table, 'energy'), window);
  const before = earlierStages(dir);
  let total = before;
  const seconds = column(table, 'seconds').map((s) => (total += Number.isFinite(s) ? s : 0));
  return { label, steps, error: mean.map((e) => Math.abs(e - exact) / Math.abs(exact)), seconds, before };
}

function main(): void {
  const args = process.argv.slice(2);
  let window = 20;
  let thresholds = [1e-3, 3e-4, 1e-4];
  const runs: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--window') window = Number(args[++i]);
    else if (a === '--thresholds') thresholds = String(args[++i]).split(',').map(Number);
    else if (a.includes('=')) runs.push([a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]);
    else fail(`expected LABEL=RUN_DIR, --window K or --thresholds a,b,c; got "${a}"`);
  }
  if (!Number.isInteger(window) || window < 1) fail('--window: expected a positive integer');
  if (thresholds.some((t) => !(t > 0))) fail('--thresholds: expected positive numbers, e.g. 1e-3,1e-4');
  if (runs.length === 0) fail('name at least one run: LABEL=RUN_DIR');
  const traces = runs.map(([label, dir]) => readTrace(label, dir, window));
  const head = ['run', 'earlier stages (s)', ...thresholds.map((t) => `≤ ${t.toExponential(0)}: step, s`), `last: step, error (${window}-step mean), s`];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const t of traces) {
    const cells = thresholds.map((th) => {
      const i = t.error.findIndex((e) => e <= th);
      return i < 0 ? 'not reached' : `${t.steps[i]}, ${t.seconds[i]!.toFixed(0)}`;
    });
    const last = t.steps.length - 1;
    lines.push(`| ${t.label} | ${t.before.toFixed(0)} | ${cells.join(' | ')} | ${t.steps[last]}, ${t.error[last]!.toExponential(2)}, ${t.seconds[last]!.toFixed(0)} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main();
