/**
 * The sweep's table: one row per point from its run's summary.json (and measure.json), and, when
 * the seed varies, one row per combination of the other keys aggregated over the seeds: the mean
 * energy with its spread (the sample standard deviation over seeds, which shows how much the
 * outcome depends on initialisation and sampling, unlike the per-run error bar), the lowest
 * energy (the best variational bound), and means of the other columns.
 *
 * Columns: the varying keys, E ± error, E/N, exact or reference energy (and how it was obtained),
 * relative error, Var(E_loc), V-score N·Var/E², steps, wall time, status; with measurements
 * ⟨σˣ⟩, ⟨|Σσᶻ|⟩/N and the half-system Rényi-2 entropy S₂(ℓ = ⌊N/2⌋), each with its error.
 * Numbers in sweep.csv are written as JavaScript prints them (shortest round trip), so two
 * sweeps that computed the same numbers have identical files apart from the wall-time column.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binnedMean } from '../measure/stats.js';
import { vScore } from '../run/v-score.js';
import { paths, type ManifestPoint, type PointStatus } from './manifest.js';
import { keyLabels, valueLabel } from './spec.js';

export interface PointRow {
  index: number;
  name: string;
  values: Record<string, unknown>;
  status: PointStatus;
  message: string | null;
  n_sites: number | null;
  energy: number | null;
  energy_error: number | null;
  energy_per_site: number | null;
  exact_energy: number | null;
  exact_method: string | null;
  relative_error: number | null;
  variance: number | null;
  v_score: number | null;
  steps: number | null;
  wall_seconds: number | null;
  sx: number | null;
  sx_error: number | null;
  abs_sz: number | null;
  abs_sz_error: number | null;
  /** the cut ℓ of the half-system entropy */
  renyi2_cut: number | null;
  renyi2_half: number | null;
  renyi2_half_error: number | null;
}

export interface AggregatedRow {
  values: Record<string, unknown>;
  seeds: unknown[];
  completed: number;
  status: string;
  energy_mean: number | null;
  energy_spread: number | null;
  energy_per_site_mean: number | null;
  energy_per_site_spread: number | null;
  best_energy: number | null;
  exact_energy: number | null;
  exact_method: string | null;
  relative_error_mean: number | null;
  best_relative_error: number | null;
  variance_mean: number | null;
  v_score_mean: number | null;
  steps_mean: number | null;
  wall_seconds_total: number | null;
  sx_mean: number | null;
  sx_spread: number | null;
  abs_sz_mean: number | null;
  abs_sz_spread: number | null;
  renyi2_half_mean: number | null;
  renyi2_half_spread: number | null;
}

function readJsonFile(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** A point's row from its run directory (numbers only for a completed training). */
export function pointRow(dir: string, p: ManifestPoint): PointRow {
  const runDir = paths.run(dir, p.name);
  const summary = readJsonFile(join(runDir, 'summary.json'));
  const done = summary?.status === 'completed';
  const s = done ? summary! : {};
  const energy = num(s.energy);
  const variance = num(s.variance);
  const nSites = num(s.n_sites);
  const row: PointRow = {
    index: p.index,
    name: p.name,
    values: p.values,
    status: p.status,
    message: p.message ?? null,
    n_sites: nSites,
    energy,
    energy_error: num(s.energy_error),
    energy_per_site: num(s.energy_per_site),
    exact_energy: num(s.exact_energy),
    exact_method: typeof s.exact_method === 'string' ? s.exact_method : null,
    relative_error: num(s.relative_error),
    variance,
    v_score: energy !== null && variance !== null && nSites !== null ? vScore(nSites, variance, energy) : null,
    steps: num(s.steps),
    wall_seconds: num(s.wall_seconds),
    sx: null,
    sx_error: null,
    abs_sz: null,
    abs_sz_error: null,
    renyi2_cut: null,
    renyi2_half: null,
    renyi2_half_error: null,
  };
  const m = done ? readJsonFile(join(runDir, 'measure.json')) : null;
  if (m) {
    const mag = m.magnetization as { sx?: { mean: number; error: number }; abs_sz?: { mean: number; error: number } } | undefined;
    if (mag?.sx) [row.sx, row.sx_error] = [mag.sx.mean, mag.sx.error];
    if (mag?.abs_sz) [row.abs_sz, row.abs_sz_error] = [mag.abs_sz.mean, mag.abs_sz.error];
    const r = m.renyi2 as { cuts: number[]; s2: { mean: number; error: number }[] } | undefined;
    const n = num(m.n_sites);
    if (r && n !== null) {
      const i = r.cuts.indexOf(Math.floor(n / 2));
      if (i >= 0) [row.renyi2_cut, row.renyi2_half, row.renyi2_half_error] = [r.cuts[i]!, r.s2[i]!.mean, r.s2[i]!.error];
    }
  }
  return row;
}

/** Mean and sample standard deviation of the finite values (spread null with fewer than two). */
function meanSpread(xs: (number | null)[]): { mean: number | null; spread: number | null } {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return { mean: null, spread: null };
  const e = binnedMean(v, { count: v.length });
  // the standard error of the mean times √n is the sample standard deviation
  return { mean: e.mean, spread: v.length > 1 ? e.error * Math.sqrt(v.length) : null };
}

function minimum(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : Math.min(...v);
}

/** Rows aggregated over the seeds (grouped by the other varying keys, in order of first appearance); null when the seed does not vary. */
export function aggregateSeeds(rows: PointRow[], varying: string[]): AggregatedRow[] | null {
  if (!varying.includes('seed')) return null;
  const others = varying.filter((k) => k !== 'seed');
  const groups = new Map<string, PointRow[]>();
  for (const r of rows) {
    const key = JSON.stringify(others.map((k) => r.values[k]));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  return [...groups.values()].map((g) => {
    const done = g.filter((r) => r.status === 'completed' && r.energy !== null);
    const pick = <K extends keyof PointRow>(k: K) => done.map((r) => r[k] as number | null);
    const e = meanSpread(pick('energy'));
    const epn = meanSpread(pick('energy_per_site'));
    const exact = done.find((r) => r.exact_energy !== null);
    const exactEnergy = exact?.exact_energy ?? null;
    const rel = (x: number | null) => (x === null || exactEnergy === null ? null : Math.abs(x - exactEnergy) / Math.abs(exactEnergy));
    const best = minimum(pick('energy'));
    const counts = new Map<string, number>();
    for (const r of g) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const status = [...counts.entries()].map(([s, n]) => `${n}/${g.length} ${s}`).join(', ');
    const sx = meanSpread(pick('sx'));
    const az = meanSpread(pick('abs_sz'));
    const s2 = meanSpread(pick('renyi2_half'));
    const wall = pick('wall_seconds').filter((x): x is number => x !== null);
    const values: Record<string, unknown> = {};
    for (const k of others) values[k] = g[0]!.values[k];
    return {
      values,
      seeds: g.map((r) => r.values.seed),
      completed: done.length,
      status,
      energy_mean: e.mean,
      energy_spread: e.spread,
      energy_per_site_mean: epn.mean,
      energy_per_site_spread: epn.spread,
      best_energy: best,
      exact_energy: exactEnergy,
      exact_method: exact?.exact_method ?? null,
      relative_error_mean: rel(e.mean),
      best_relative_error: rel(best),
      variance_mean: meanSpread(pick('variance')).mean,
      v_score_mean: meanSpread(pick('v_score')).mean,
      steps_mean: meanSpread(pick('steps')).mean,
      wall_seconds_total: wall.length === 0 ? null : wall.reduce((a, b) => a + b, 0),
      sx_mean: sx.mean,
      sx_spread: sx.spread,
      abs_sz_mean: az.mean,
      abs_sz_spread: az.spread,
      renyi2_half_mean: s2.mean,
      renyi2_half_spread: s2.spread,
    };
  });
}

// --- CSV ------------------------------------------------------------------------------------------

/** One CSV cell (RFC 4180): numbers as JS prints them, null empty, text quoted when needed. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const POINT_COLUMNS = ['status', 'energy', 'energy_error', 'energy_per_site', 'exact_energy', 'exact_method', 'relative_error', 'variance', 'v_score', 'steps', 'wall_seconds'] as const;
/** CSV header of a column ("steps" may also be a varying key: the steps done are "steps_done"). */
const header = (c: string): string => (c === 'steps' ? 'steps_done' : c === 'steps_mean' ? 'steps_done_mean' : c);
const MEASURE_COLUMNS = ['sx', 'sx_error', 'abs_sz', 'abs_sz_error', 'renyi2_cut', 'renyi2_half', 'renyi2_half_error'] as const;
const AGG_COLUMNS = ['seeds', 'completed', 'status', 'energy_mean', 'energy_spread', 'energy_per_site_mean', 'energy_per_site_spread', 'best_energy', 'exact_energy', 'exact_method', 'relative_error_mean', 'best_relative_error', 'variance_mean', 'v_score_mean', 'steps_mean', 'wall_seconds_total'] as const;
const AGG_MEASURE_COLUMNS = ['sx_mean', 'sx_spread', 'abs_sz_mean', 'abs_sz_spread', 'renyi2_half_mean', 'renyi2_half_spread'] as const;

/** sweep.csv: index, name, the varying keys, the point columns, (measurements), message. */
export function pointsCsv(rows: PointRow[], varying: string[], measured: boolean): string {
  const cols = [...POINT_COLUMNS, ...(measured ? MEASURE_COLUMNS : [])];
  const head = ['index', 'name', ...varying, ...cols.map(header), 'message'];
  const body = rows.map((r) => [r.index, r.name, ...varying.map((k) => r.values[k]), ...cols.map((c) => r[c]), r.message].map(csvCell).join(','));
  return [head.map(csvCell).join(','), ...body].join('\n') + '\n';
}

/** sweep-seeds.csv: the rows aggregated over seeds. */
export function aggregatedCsv(rows: AggregatedRow[], varying: string[], measured: boolean): string {
  const keys = varying.filter((k) => k !== 'seed');
  const cols = [...AGG_COLUMNS, ...(measured ? AGG_MEASURE_COLUMNS : [])];
  const head = [...keys, ...cols.map(header)];
  const body = rows.map((r) => [...keys.map((k) => r.values[k]), ...cols.map((c) => (c === 'seeds' ? r.seeds.join(' ') : r[c]))].map(csvCell).join(','));
  return [head.map(csvCell).join(','), ...body].join('\n') + '\n';
}

// --- Markdown -------------------------------------------------------------------------------------

function sci(v: number | null, digits = 2): string {
  return v === null ? '—' : Number.isFinite(v) ? v.toExponential(digits) : String(v);
}

function fixed(v: number | null, digits = 6): string {
  return v === null ? '—' : Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

function pm(v: number | null, e: number | null, digits = 6): string {
  if (v === null) return '—';
  return e === null ? fixed(v, digits) : `${fixed(v, digits)} ± ${sci(e, 1)}`;
}

function exactCell(e: number | null, method: string | null): string {
  return e === null ? '—' : `${fixed(e, 6)} (${method ?? '?'})`;
}

function table(head: string[], rows: string[][]): string[] {
  const md = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [md(head), md(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(md)];
}

export interface MarkdownInput {
  title: string;
  description?: string;
  dir: string;
  varying: string[];
  rows: PointRow[];
  aggregated: AggregatedRow[] | null;
  measured: boolean;
  counts: Record<string, number>;
  plots: { file: string; caption: string }[];
  notes: string[];
}

export function sweepMarkdown(m: MarkdownInput): string {
  const labels = keyLabels(m.varying);
  const out: string[] = [`# Sweep: ${m.title}`, ''];
  if (m.description) out.push(m.description, '');
  const counts = Object.entries(m.counts).map(([s, n]) => `${n} ${s}`).join(', ');
  out.push(
    `- ${m.rows.length} points (${counts}); varying: ${m.varying.join(', ') || 'nothing'}`,
    '- energies in Pauli units (totals); relative error |E − E_exact|/|E_exact|; V-score = N·Var(E_loc)/E²; wall time of the whole run',
    ...m.notes.map((n) => `- ${n}`),
    '',
  );
  const measHead = m.measured ? ['⟨σˣ⟩', '⟨|Σσᶻ|⟩/N', 'S₂(N/2)'] : [];
  if (m.aggregated) {
    const keys = m.varying.filter((k) => k !== 'seed');
    const kl = keys.map((k) => labels[m.varying.indexOf(k)]!);
    out.push(`## Over seeds (mean ± spread: the standard deviation over seeds)`, '');
    out.push(
      ...table(
        [...kl, 'seeds', 'E mean ± spread', 'best E', 'E/N mean', 'exact', 'rel. error (mean)', 'rel. error (best)', 'variance', 'V-score', 'steps done', 'wall s (total)', ...measHead, 'status'],
        m.aggregated.map((r) => [
          ...keys.map((k) => valueLabel(r.values[k])),
          r.seeds.map(valueLabel).join(' '),
          pm(r.energy_mean, r.energy_spread),
          fixed(r.best_energy),
          fixed(r.energy_per_site_mean),
          exactCell(r.exact_energy, r.exact_method),
          sci(r.relative_error_mean),
          sci(r.best_relative_error),
          sci(r.variance_mean),
          sci(r.v_score_mean),
          r.steps_mean === null ? '—' : String(Math.round(r.steps_mean)),
          r.wall_seconds_total === null ? '—' : r.wall_seconds_total.toFixed(1),
          ...(m.measured ? [pm(r.sx_mean, r.sx_spread, 4), pm(r.abs_sz_mean, r.abs_sz_spread, 4), pm(r.renyi2_half_mean, r.renyi2_half_spread, 4)] : []),
          r.status,
        ]),
      ),
      '',
    );
  }
  out.push('## Points', '');
  out.push(
    ...table(
      ['point', ...labels, 'E ± error', 'E/N', 'exact', 'rel. error', 'variance', 'V-score', 'steps done', 'wall s', ...measHead, 'status'],
      m.rows.map((r) => [
        `[${String(r.index)}](${r.name}/)`,
        ...m.varying.map((k) => valueLabel(r.values[k])),
        pm(r.energy, r.energy_error),
        fixed(r.energy_per_site),
        exactCell(r.exact_energy, r.exact_method),
        sci(r.relative_error),
        sci(r.variance),
        sci(r.v_score),
        r.steps === null ? '—' : String(r.steps),
        r.wall_seconds === null ? '—' : r.wall_seconds.toFixed(1),
        ...(m.measured ? [pm(r.sx, r.sx_error, 4), pm(r.abs_sz, r.abs_sz_error, 4), pm(r.renyi2_half, r.renyi2_half_error, 4)] : []),
        r.message ? `${r.status}: ${r.message}` : r.status,
      ]),
    ),
    '',
  );
  for (const p of m.plots) out.push(`![${p.caption}](${p.file})`, '');
  return out.join('\n');
}
