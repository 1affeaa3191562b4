/**
 * The finite-size table of a size schedule (schedule.ts): one row per finished stage, read from
 * its run's summary.json — size, E, E/N, error, exact or reference energy, relative error,
 * variance, steps, wall time — written as finite-size.json and finite-size.md, and the plot
 * finite-size.svg of E/N against 1/N (chains) or 1/L (squares), or against the extrapolation
 * variable when the file asks for an extrapolation, with the least-squares line to x = 0.
 */
import { join } from 'node:path';
import { fitLine, extrapolationX, type ExtrapolationVariable, type LinearFit } from './extrapolate.js';
import { plotLines, type Series } from './plot.js';
import { writeFileAtomic, writeJsonAtomic } from './run-dir.js';
import type { RunSummary } from './runner.js';

export interface FiniteSizeRow {
  stage: number;
  /** the stage's run directory, relative to the schedule directory */
  run_dir: string;
  /** "N=20" or "6x6" */
  size: string;
  n_sites: number;
  /** linear size L: N for chains, Lx for Lx = Ly squares, null for rectangles */
  linear_size: number | null;
  status: RunSummary['status'];
  energy: number;
  energy_per_site: number;
  energy_error: number;
  energy_per_site_error: number;
  reference_energy: number | null;
  reference_per_site: number | null;
  /** free-fermion, lanczos, dense, bethe-ansatz, reference (the file's), or null */
  reference_method: string | null;
  relative_error: number | null;
  variance: number;
  steps: number;
  wall_seconds: number;
}

/** A fit of E/N against the extrapolation variable: of the VMC energies, and of the references when every row has one. */
export interface FiniteSizeExtrapolation {
  variable: string;
  /** the variable of every row */
  x: number[];
  /** the stages in the fit: the last of each size */
  stages: number[];
  vmc: LinearFit;
  reference: LinearFit | null;
  /** the file's thermodynamic-limit value per site, if it records one */
  limit: { energy_per_site: number; source: string } | null;
}

export interface FiniteSizeTable {
  model: string;
  lattice_kind: string;
  ansatz: string;
  /** running: written after a stage while later ones still run */
  status: 'completed' | 'running' | 'interrupted' | 'diverged';
  rows: FiniteSizeRow[];
  extrapolation: FiniteSizeExtrapolation | null;
  /** why no extrapolation was made although one was asked for */
  extrapolation_note?: string;
}

export interface ExtrapolationRequest {
  variable: ExtrapolationVariable;
  limit: { energy_per_site: number; source: string } | null;
}

/** One row from a stage's summary (`size` and `linear` from its lattice). */
export function finiteSizeRow(stage: number, runDir: string, size: string, linear: number | null, s: RunSummary): FiniteSizeRow {
  const N = s.n_sites;
  return {
    stage,
    run_dir: runDir,
    size,
    n_sites: N,
    linear_size: linear,
    status: s.status,
    energy: s.energy,
    energy_per_site: s.energy_per_site,
    energy_error: s.energy_error,
    energy_per_site_error: s.energy_error / N,
    reference_energy: s.exact_energy,
    reference_per_site: s.exact_energy === null ? null : s.exact_energy / N,
    reference_method: s.exact_method,
    relative_error: s.relative_error,
    variance: s.variance,
    steps: s.steps,
    wall_seconds: s.wall_seconds,
  };
}

/** The fits of the table's rows (null with fewer than two distinct sizes; see `note`). */
export function extrapolate(rows: readonly FiniteSizeRow[], req: ExtrapolationRequest): { fit: FiniteSizeExtrapolation | null; note?: string } {
  const v = req.variable;
  if (v.of === 'L' && rows.some((r) => r.linear_size === null)) return { fit: null, note: `${v.text} needs square lattices with lx = ly` };
  const x = rows.map((r) => extrapolationX(v, r.n_sites, r.linear_size ?? NaN));
  if (new Set(x).size < 2) return { fit: null, note: 'an extrapolation needs at least two sizes' };
  // a size trained in several stages (e.g. plainly, then symmetrised) enters the fit once, with its last stage
  const last = rows.map((_, i) => i).filter((i) => !rows.some((later, j) => j > i && later.n_sites === rows[i].n_sites));
  const fitted = last.map((i) => rows[i]);
  const fx = last.map((i) => x[i]);
  const vmc = fitLine(fx, fitted.map((r) => r.energy_per_site), fitted.map((r) => r.energy_per_site_error));
  const refs = fitted.map((r) => r.reference_per_site);
  const reference = refs.every((e): e is number => e !== null) ? fitLine(fx, refs) : null;
  return { fit: { variable: v.text, x, stages: fitted.map((r) => r.stage), vmc, reference, limit: req.limit } };
}

function sig(v: number | null, digits = 2): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toExponential(digits);
}

export const FINITE_SIZE_HEADER = ['stage', 'size', 'N', 'E', 'E/N', 'error (E)', 'exact or reference E', 'rel. error', 'variance', 'steps', 'time (s)'];

export function finiteSizeCells(t: FiniteSizeTable): string[][] {
  return t.rows.map((r) => [
    String(r.stage),
    r.status === 'completed' ? r.size : `${r.size} (${r.status})`,
    String(r.n_sites),
    r.energy.toFixed(6),
    r.energy_per_site.toFixed(7),
    sig(r.energy_error, 1),
    r.reference_energy === null ? '—' : `${r.reference_energy.toFixed(6)} (${r.reference_method})`,
    sig(r.relative_error),
    sig(r.variance),
    String(r.steps),
    r.wall_seconds.toFixed(1),
  ]);
}

function fitText(f: LinearFit): string {
  const e = f.interceptError === null ? '(no error estimate from two points without error bars)' : `± ${f.interceptError.toExponential(2)}`;
  const how = f.weighted ? `weighted by the error bars, χ²/dof = ${f.dof > 0 ? (f.chi2 / f.dof).toFixed(2) : '— (two points)'}` : 'unweighted';
  return `e∞ = ${f.intercept.toFixed(7)} ${e}, slope ${f.slope.toPrecision(5)}${f.slopeError === null ? '' : ` ± ${f.slopeError.toExponential(2)}`} (${f.points} points, ${how})`;
}

/** The extrapolation in words: one line per fit. */
export function extrapolationLines(t: FiniteSizeTable): string[] {
  const x = t.extrapolation;
  if (!x) return t.extrapolation_note ? [`no extrapolation: ${t.extrapolation_note}`] : [];
  const lines = [`E/N = e∞ + a·${x.variable}, least squares: VMC ${fitText(x.vmc)}`];
  if (x.stages.length < t.rows.length) lines.push(`fitted: stages ${x.stages.join(', ')} (the last stage of each size)`);
  if (x.reference) lines.push(`the exact/reference energies the same way: ${fitText(x.reference)}`);
  if (x.limit) {
    const d = x.vmc.intercept - x.limit.energy_per_site;
    lines.push(`thermodynamic limit recorded in the file: ${x.limit.energy_per_site} (${x.limit.source}); VMC e∞ − it = ${d.toExponential(2)} (relative ${(Math.abs(d) / Math.abs(x.limit.energy_per_site)).toExponential(2)})`);
  }
  return lines;
}

/** Aligned plain-text table and the extrapolation lines. */
export function finiteSizeText(t: FiniteSizeTable): string {
  const rows = [FINITE_SIZE_HEADER, ...finiteSizeCells(t)];
  const widths = FINITE_SIZE_HEADER.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [`${t.model}, ${t.ansatz}: finite-size table (energies in Pauli units)`, ...rows.map(line), ...extrapolationLines(t)].join('\n') + '\n';
}

export function finiteSizeMarkdown(t: FiniteSizeTable): string {
  const md = (row: string[]) => `| ${row.join(' | ')} |`;
  return [
    `# Finite-size table: ${t.model}, ${t.ansatz}`,
    '',
    '- energies in Pauli units (totals; E/N per site); final energies from each stage\'s fresh evaluation samples; each stage started from the weights of the previous one',
    ...(t.status === 'completed' ? [] : [`- **${t.status}**: not every stage has finished`]),
    ...extrapolationLines(t).map((l) => `- ${l}`),
    '',
    md(FINITE_SIZE_HEADER),
    md(FINITE_SIZE_HEADER.map((_, c) => (c <= 1 ? '---' : '---:'))),
    ...finiteSizeCells(t).map(md),
    '',
    'Run directories: ' + t.rows.map((r) => `[${r.size}](${r.run_dir}/)`).join(', '),
    '',
    '![E/N against the inverse size](finite-size.svg)',
    '',
  ].join('\n');
}

/** E/N against x with error bars, the exact/reference values, and the fitted line(s) down to x = 0. */
export function plotFiniteSize(t: FiniteSizeTable): Promise<string> {
  const x = t.extrapolation
    ? t.extrapolation.x
    : t.rows.map((r) => (t.lattice_kind === 'square' && r.linear_size !== null ? 1 / r.linear_size : 1 / r.n_sites));
  const xLabel = t.extrapolation ? t.extrapolation.variable : t.lattice_kind === 'square' ? '1/L' : '1/N';
  const series: Series[] = [{ name: 'VMC E/N ± 1σ', x, y: t.rows.map((r) => r.energy_per_site), yErr: t.rows.map((r) => r.energy_per_site_error) }];
  const refs = t.rows.map((r) => r.reference_per_site ?? NaN);
  if (refs.some(Number.isFinite)) series.push({ name: 'exact or reference E/N', x, y: refs });
  const line = (name: string, f: LinearFit): Series => {
    const xs = [0, Math.max(...x)];
    return { name, x: xs, y: xs.map((v) => f.intercept + f.slope * v) };
  };
  const fit = t.extrapolation;
  if (fit) {
    series.push(line(`VMC fit, e∞ = ${fit.vmc.intercept.toFixed(6)}`, fit.vmc));
    if (fit.reference) series.push(line(`reference fit, e∞ = ${fit.reference.intercept.toFixed(6)}`, fit.reference));
  }
  return plotLines({
    title: `${t.model}, ${t.ansatz}: energy per site against the inverse size`,
    xLabel: `${xLabel} (dimensionless)`,
    yLabel: 'E/N (Pauli units per site)',
    series,
    hlines: fit?.limit ? [{ name: `limit ${fit.limit.energy_per_site}`, y: fit.limit.energy_per_site }] : [],
    errorStyle: 'bars',
  });
}

/** Writes finite-size.json, finite-size.md and finite-size.svg into `dir`. */
export async function writeFiniteSize(dir: string, t: FiniteSizeTable): Promise<void> {
  writeJsonAtomic(join(dir, 'finite-size.json'), t);
  writeFileAtomic(join(dir, 'finite-size.md'), finiteSizeMarkdown(t));
  writeFileAtomic(join(dir, 'finite-size.svg'), await plotFiniteSize(t));
}
