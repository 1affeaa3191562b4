/**
 * Comparing ansätze on one model: each ansatz is trained with the same model, lattice, seed and
 * budget (the same --steps, or the same wall-clock --budget-seconds), each in its own run
 * directory under the comparison directory; then one table (ansatz, parameters, final energy ±
 * error, relative error to exact, variance, V-score, steps, samples/s, wall time), written as
 * compare.json and compare.md, and one convergence plot, compare.svg (relative error vs step,
 * log scale, every ansatz).
 *
 * V-score = N·Var(E_loc)/E² (Wu et al., "Variational benchmarks for quantum many-body problems",
 * 2023): zero for an exact eigenstate, comparable across system sizes and models.
 *
 * Settings, lowest precedence first: option defaults ← experiment file ← the ansatz's entry in
 * the file's "ansatze" list ← command-line flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, quote } from '../errors.js';
import { plotRelativeError } from '../run/plot.js';
import { checkValue, OPTIONS, resolveExperiment, type ExperimentConfig, type OptionKey } from '../run/experiment.js';
import { column, readMetrics, type MetricsTable } from '../run/metrics.js';
import { createRunDir, writeFileAtomic, writeJsonAtomic } from '../run/run-dir.js';
import { runExperiment, type RunSummary } from '../run/runner.js';
import { vScore } from '../run/v-score.js';

/** Settings an entry of the "ansatze" list may give: the ansatz and how it is sampled and optimised. */
export const ENTRY_KEYS: OptionKey[] = (Object.keys(OPTIONS) as OptionKey[]).filter(
  (k) =>
    (OPTIONS[k].group === 'Ansatz:' || OPTIONS[k].group === 'Sampling and optimisation:' || OPTIONS[k].group === 'Pre-training on data:') &&
    !['steps', 'seed', 'eval-samples', 'budget-seconds'].includes(k),
);

export const DEFAULT_ANSATZE = ['rnn', 'rbm', 'flow'] as const;

export interface AnsatzEntry {
  /** name of the entry in the table and of its run directory (default: the ansatz) */
  label?: string;
  ansatz: ExperimentConfig['ansatz'];
  /** further settings (keys of ENTRY_KEYS) */
  settings: Partial<ExperimentConfig>;
}

/** Validator of the experiment-file key "ansatze": a non-empty list of { "ansatz": …, settings… }. */
export function checkAnsatzEntries(value: unknown, where: string): AnsatzEntry[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InputError('expected a non-empty list such as [{ "ansatz": "rnn", "hidden": 32 }, { "ansatz": "rbm", "alpha": 2 }]', where);
  }
  return value.map((item, i): AnsatzEntry => {
    const at = `${where}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError('expected an object with at least "ansatz"', at);
    const settings: Record<string, unknown> = {};
    let label: string | undefined;
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (k === 'label') {
        if (typeof v !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) throw new InputError('expected a name of letters, digits, ".", "_", "-"', `${at}.label`);
        label = v;
      } else if ((ENTRY_KEYS as string[]).includes(k)) {
        settings[k] = checkValue(k as OptionKey, v, `${at}.${k}`);
      } else {
        throw new InputError(`${quote(k)} cannot differ between ansätze (allowed per ansatz: label, ${ENTRY_KEYS.join(', ')})`, at);
      }
    }
    if (settings.ansatz === undefined) throw new InputError('missing "ansatz"', at);
    const ansatz = settings.ansatz as ExperimentConfig['ansatz'];
    delete settings.ansatz;
    return { ...(label ? { label } : {}), ansatz, settings: settings as Partial<ExperimentConfig> };
  });
}

export { vScore };

/** "rnn,rbm,flow" → entries (taking an entry's settings from `fromFile` when its ansatz or label matches). */
export function entriesFromList(list: string, fromFile: AnsatzEntry[] = []): AnsatzEntry[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new InputError('name at least one ansatz, e.g. --ansatz rnn,rbm,flow', '--ansatz');
  return names.map((name) => {
    const match = fromFile.find((e) => e.label === name) ?? fromFile.find((e) => e.ansatz === name && e.label === undefined) ?? fromFile.find((e) => e.ansatz === name);
    if (match) return match;
    return { ansatz: checkValue('ansatz', name, '--ansatz') as ExperimentConfig['ansatz'], settings: {} };
  });
}

/** Unique labels: the entry's label, else its ansatz; repeated names get -2, -3, … */
export function entryLabels(entries: AnsatzEntry[]): string[] {
  const seen = new Map<string, number>();
  return entries.map((e) => {
    const base = e.label ?? e.ansatz;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export interface CompareRow {
  label: string;
  ansatz: string;
  run_dir: string;
  status: RunSummary['status'];
  n_parameters: number;
  energy: number;
  energy_error: number;
  relative_error: number | null;
  variance: number;
  v_score: number;
  steps: number;
  samples_per_step: number;
  /** training samples per second of training time */
  samples_per_second: number;
  /** seconds in optimisation steps */
  train_seconds: number;
  /** whole run: setup, training, final estimate, plots */
  wall_seconds: number;
  sampler: string;
  message?: string;
}

export interface CompareResult {
  dir: string;
  model: string;
  lattice: string;
  n_sites: number;
  parameters: Record<string, number>;
  exact_energy: number | null;
  exact_method: string | null;
  steps: number;
  budget_seconds: number | null;
  seed: number;
  eval_samples: number;
  rows: CompareRow[];
  /** settings of each ansatz's run (label → resolved experiment) */
  configs: Record<string, ExperimentConfig>;
  status: 'completed' | 'interrupted';
}

export interface CompareOptions {
  /** settings common to every ansatz (file and defaults), not yet resolved */
  base: Partial<ExperimentConfig>;
  /** command-line flags (override everything) */
  flags: Partial<ExperimentConfig>;
  entries: AnsatzEntry[];
  /** comparison directory (default runs/<timestamp>-<model>-compare) */
  out?: string;
  /** name of the settings' source for errors */
  source?: string;
  quiet?: boolean;
  /** nothing on stdout from the runs, not even their summary lines (the caller prints JSON) */
  silent?: boolean;
  tty?: boolean;
  signal?: { stop: boolean };
  /** a line of progress (which ansatz starts, where) */
  onMessage?: (line: string) => void;
}

/** Resolves the experiment of every entry (checks every setting before anything runs). */
export function resolveEntries(opts: CompareOptions): { label: string; config: ExperimentConfig }[] {
  const labels = entryLabels(opts.entries);
  return opts.entries.map((e, i) => ({
    label: labels[i]!,
    config: resolveExperiment({ ...opts.base, ...e.settings, ansatz: e.ansatz }, { ...opts.flags, out: undefined }, opts.source ?? 'flags'),
  }));
}

/** The run's metrics table; empty when no step was taken (the file then has no header yet). */
function readRunMetrics(runDir: string): MetricsTable {
  const path = join(runDir, 'metrics.csv');
  if (!existsSync(path) || readFileSync(path, 'utf8').trim() === '') return { columns: [], rows: [] };
  return readMetrics(path);
}

export async function runComparison(opts: CompareOptions): Promise<CompareResult> {
  const plans = resolveEntries(opts);
  const first = plans[0]!.config;
  const dir = createRunDir(opts.out ?? opts.flags.out ?? opts.base.out, first.model.replace(/^.*[/\\]/, '').replace(/\.json$/, ''), 'compare');
  const rows: CompareRow[] = [];
  const history: { name: string; step: number[]; energy: number[] }[] = [];
  const configs: Record<string, ExperimentConfig> = {};
  let status: CompareResult['status'] = 'completed';
  let exact: { energy: number | null; method: string | null } = { energy: null, method: null };
  let model = first.model;
  let lattice = '';
  let nSites = 0;
  for (const [i, { label, config }] of plans.entries()) {
    if (opts.signal?.stop) {
      status = 'interrupted';
      break;
    }
    const runDir = join(dir, label);
    opts.onMessage?.(`[${i + 1}/${plans.length}] ${label}: ${config.ansatz}, run directory ${runDir}`);
    const cfg = { ...config, out: runDir };
    configs[label] = cfg;
    const { summary } = await runExperiment({ config: cfg, quiet: opts.quiet, silent: opts.silent, tty: opts.tty, signal: opts.signal });
    const metrics = readRunMetrics(runDir);
    const trainSeconds = column(metrics, 'seconds').reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const perStep = summary.sampler === 'metropolis' ? cfg.chains * Math.ceil(cfg.samples / cfg.chains) : cfg.samples;
    rows.push({
      label,
      ansatz: config.ansatz,
      run_dir: runDir,
      status: summary.status,
      n_parameters: summary.n_parameters,
      energy: summary.energy,
      energy_error: summary.energy_error,
      relative_error: summary.relative_error,
      variance: summary.variance,
      v_score: vScore(summary.n_sites, summary.variance, summary.energy),
      steps: summary.steps,
      samples_per_step: perStep,
      samples_per_second: trainSeconds > 0 ? (summary.steps * perStep) / trainSeconds : NaN,
      train_seconds: trainSeconds,
      wall_seconds: summary.wall_seconds,
      sampler: summary.sampler,
      ...(summary.message ? { message: summary.message } : {}),
    });
    history.push({ name: label, step: column(metrics, 'step'), energy: column(metrics, 'energy') });
    exact = { energy: summary.exact_energy, method: summary.exact_method };
    model = summary.model;
    lattice = summary.lattice;
    nSites = summary.n_sites;
    if (summary.status === 'interrupted') {
      status = 'interrupted';
      break;
    }
  }
  const result: CompareResult = {
    dir,
    model,
    lattice,
    n_sites: nSites,
    parameters: first.param,
    exact_energy: exact.energy,
    exact_method: exact.method,
    steps: first.steps,
    budget_seconds: first['budget-seconds'] ?? null,
    seed: first.seed,
    eval_samples: first['eval-samples'],
    rows,
    configs,
    status,
  };
  writeJsonAtomic(join(dir, 'compare.json'), result);
  writeFileAtomic(join(dir, 'compare.md'), compareMarkdown(result));
  const exactText = exact.energy === null ? 'no exact energy' : `exact E₀ = ${exact.energy.toPrecision(10)} (${exact.method})`;
  // Per-step energies come from small batches; a trailing moving average shows the trend.
  const window = Math.max(1, Math.round(Math.max(...history.map((h) => h.step.length), 0) / 50));
  const svg = await plotRelativeError({
    title: `${model}, ${lattice}: relative error vs step — ${exactText}`,
    yLabel: window > 1 ? `|Ē − E_exact| / |E_exact|, Ē: ${window}-step mean` : undefined,
    series: history.map((h) => ({
      name: h.name,
      step: exact.energy === null ? [] : h.step,
      relativeError: exact.energy === null ? [] : movingAverage(h.energy, window).map((e) => Math.abs(e - exact.energy!) / Math.abs(exact.energy!)),
    })),
  });
  writeFileAtomic(join(dir, 'compare.svg'), svg);
  return result;
}

/** Trailing moving average over `window` values (fewer at the start). */
export function movingAverage(x: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    if (i >= window) sum -= x[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

// --- the table ------------------------------------------------------------------------------------

export const TABLE_HEADER = ['ansatz', 'parameters', 'energy ± error', 'rel. error', 'variance', 'V-score', 'steps', 'samples/s', 'wall s'];

function sig(v: number | null, digits = 2): string {
  if (v === null || !Number.isFinite(v)) return v === null ? '—' : String(v);
  return v.toExponential(digits);
}

export function tableRows(r: CompareResult): string[][] {
  return r.rows.map((row) => [
    row.status === 'completed' ? row.label : `${row.label} (${row.status})`,
    String(row.n_parameters),
    `${row.energy.toFixed(6)} ± ${sig(row.energy_error, 1)}`,
    sig(row.relative_error),
    sig(row.variance),
    sig(row.v_score),
    String(row.steps),
    Number.isFinite(row.samples_per_second) ? row.samples_per_second.toFixed(0) : '—',
    row.wall_seconds.toFixed(1),
  ]);
}

/** Aligned plain-text table (numbers right-aligned). */
export function compareText(r: CompareResult): string {
  const rows = [TABLE_HEADER, ...tableRows(r)];
  const widths = TABLE_HEADER.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const exact = r.exact_energy === null ? 'no exact energy' : `exact E0 = ${r.exact_energy.toPrecision(12)} (${r.exact_method})`;
  return [`${r.model} on ${r.lattice}; ${exact}; ${budgetText(r)}; seed ${r.seed}`, line(rows[0]!), ...rows.slice(1).map(line)].join('\n') + '\n';
}

function budgetText(r: CompareResult): string {
  return r.budget_seconds === null ? `${r.steps} steps each` : `budget ${r.budget_seconds} s or ${r.steps} steps each, whichever ends first`;
}

export function compareMarkdown(r: CompareResult): string {
  const params = Object.entries(r.parameters).map(([k, v]) => `${k} = ${v}`).join(', ');
  const exact = r.exact_energy === null ? 'none available' : `${r.exact_energy.toPrecision(12)} (${r.exact_method})`;
  const md = (row: string[]) => `| ${row.join(' | ')} |`;
  return [
    `# Ansatz comparison: ${r.model} on ${r.lattice}`,
    '',
    `- model parameters: ${params || 'file defaults'}`,
    `- exact ground-state energy: ${exact}`,
    `- equal budget: ${budgetText(r)}; seed ${r.seed}; final energies from ${r.eval_samples} fresh samples`,
    `- energies in Pauli units (totals); V-score = N·Var(E_loc)/E²; samples/s counts training samples per second of training time${r.status === 'interrupted' ? '\n- **interrupted**: not every ansatz ran' : ''}`,
    '',
    md(TABLE_HEADER),
    md(TABLE_HEADER.map((_, c) => (c === 0 ? '---' : '---:'))),
    ...tableRows(r).map(md),
    '',
    'Run directories: ' + r.rows.map((row) => `[${row.label}](${row.label}/)`).join(', '),
    '',
    '![relative error vs step](compare.svg)',
    '',
  ].join('\n');
}
