/**
 * Accuracy at equal work: reads the log.jsonl of finished runs (each step's energy and the
 * process CPU seconds it took, `cpu_seconds`) and compares them at equal cumulative CPU time —
 * on one thread per run and an idle machine that is equal wall-clock time; on a loaded machine
 * it is the fair measure, since wall-clock seconds then depend on what else ran.
 *
 * At each budget T (fractions of the smallest run's total CPU time) a run's error is the relative
 * error of the mean training energy over its last `--window` steps before T (the per-step
 * estimate's own noise is larger than the differences at stake). The final column is each run's
 * summary.json energy from its fresh evaluation samples after the whole run.
 *
 * Usage: node --import tsx scripts/equal-cpu.ts [--window 20] [--svg out.svg] LABEL=RUN_DIR ...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { movingAverage } from '../src/compare/compare.js';
import { plotLines } from '../src/run/plot.js';

interface Trace {
  label: string;
  steps: number[];
  energy: number[];
  cpu: number[];
  exact: number;
  summary: { energy: number; relative_error: number | null; steps: number };
  config: Record<string, unknown>;
}

function readTrace(label: string, dir: string): Trace {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  if (typeof summary.exact_energy !== 'number') throw new Error(`${dir}: summary.json has no exact_energy`);
  const t: Trace = { label, steps: [], energy: [], cpu: [], exact: summary.exact_energy, summary, config };
  let total = 0;
  for (const line of readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n')) {
    if (!line.includes('"msg":"step"')) continue;
    const r = JSON.parse(line);
    if (typeof r.cpu_seconds !== 'number') throw new Error(`${dir}: log.jsonl step ${r.step} has no cpu_seconds (run made before it was logged)`);
    total += r.cpu_seconds;
    t.steps.push(r.step);
    t.energy.push(r.energy);
    t.cpu.push(total);
  }
  if (t.steps.length === 0) throw new Error(`${dir}: no steps in log.jsonl`);
  return t;
}

const rel = (e: number, exact: number): number => Math.abs(e - exact) / Math.abs(exact);

/** Index of the last step finished within `budget` CPU seconds (−1 if none). */
function lastWithin(t: Trace, budget: number): number {
  let i = -1;
  while (i + 1 < t.cpu.length && t.cpu[i + 1]! <= budget) i++;
  return i;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let window = 20;
  let svg: string | null = null;
  const traces: Trace[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--window') window = Number(args[++i]);
    else if (args[i] === '--svg') svg = args[++i]!;
    else {
      const [label, dir] = args[i]!.includes('=') ? args[i]!.split('=') : [args[i]!, args[i]!];
      traces.push(readTrace(label!, dir!));
    }
  }
  if (traces.length === 0) throw new Error('usage: equal-cpu.ts [--window K] [--svg FILE] LABEL=RUN_DIR ...');
  const tMin = Math.min(...traces.map((t) => t.cpu[t.cpu.length - 1]!));
  const fractions = [0.25, 0.5, 1];
  const head = ['run', 'CPU s/step (median)', ...fractions.map((f) => `rel. error at ${(f * tMin).toFixed(0)} CPU s (steps)`), 'final: steps, CPU s, rel. error (eval)'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => ' --- ').join('|')}|`);
  for (const t of traces) {
    const per = t.cpu.map((c, i) => c - (i > 0 ? t.cpu[i - 1]! : 0)).sort((a, b) => a - b);
    const cells = [t.label, per[Math.floor(per.length / 2)]!.toFixed(3)];
    const smooth = movingAverage(t.energy, window);
    for (const f of fractions) {
      const i = lastWithin(t, f * tMin);
      cells.push(i < 0 ? '—' : `${rel(smooth[i]!, t.exact).toExponential(2)} (${t.steps[i]})`);
    }
    cells.push(`${t.summary.steps}, ${t.cpu[t.cpu.length - 1]!.toFixed(0)}, ${t.summary.relative_error?.toExponential(2) ?? '—'}`);
    console.log(`| ${cells.join(' | ')} |`);
  }
  if (svg) {
    const series = traces.map((t) => {
      const smooth = movingAverage(t.energy, window);
      return { name: t.label, x: t.cpu, y: smooth.map((e) => Math.max(rel(e, t.exact), 1e-7)) };
    });
    writeFileSync(svg, await plotLines({ title: `relative error (mean of the last ${window} steps) at equal CPU time`, xLabel: 'cumulative CPU seconds (one thread)', yLabel: 'relative error', logY: true, series }));
    console.log(`wrote ${svg}`);
  }
}

main().catch((e) => {
  console.error(`equal-cpu: ${(e as Error).message}`);
  process.exit(1);
});
