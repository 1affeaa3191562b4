/**
 * The sweep's plots (src/run/plot.ts): E/N and the relative error against the x key — the
 * `plot.x` of the sweep file, else the first varying key with numeric values other than the
 * seed — one line per combination of the other keys (the seed averaged out: mean with the
 * spread over seeds as error bar), and with `vmc measure` observables ⟨σˣ⟩, ⟨|Σσᶻ|⟩/N and
 * S₂(N/2) the same way.
 *
 * The exact curve (dashed) on the E/N plot comes from the same solver the runs use
 * (src/run/reference.ts): for a model parameter on the x axis it is evaluated on a fine grid
 * between the smallest and largest value (free fermions for the TFIM chain cost nothing; Lanczos
 * solves are done only while their estimated time stays within a few seconds in total); for
 * other keys at the grid's values, taken from the runs' own summaries where they have one.
 */
import { InputError } from '../errors.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { resolveExperiment } from '../run/experiment.js';
import type { AggregatedRow, PointRow } from './results.js';
import { keyLabels, pointSettings, valueLabel } from './spec.js';

/** Keys that change the Hamiltonian or the exact reference (the others leave E0 alone). */
const MODEL_KEYS = ['model', 'lattice', 'n', 'lx', 'ly', 'bc', 'magnetization', 'reference'];
const isModelKey = (k: string) => k.startsWith('param.') || MODEL_KEYS.includes(k);

/** Points of the dense exact curve along a model parameter. */
const CURVE_POINTS = 81;
/** Estimated seconds of extra exact solves a sweep's plots may spend. */
const CURVE_BUDGET_SECONDS = 5;

/** The keys that split lines: the varying keys except x, the keys varying together with x (a zip group) and the seed. */
function lineKeys(varying: string[], axes: { keys: string[] }[], xKey: string): string[] {
  const together = axes.find((a) => a.keys.includes(xKey))?.keys ?? [xKey];
  return varying.filter((k) => !together.includes(k) && k !== 'seed');
}

export function plotXKey(varying: string[], rows: { values: Record<string, unknown> }[], chosen?: string): string | null {
  if (chosen) return chosen;
  return varying.find((k) => k !== 'seed' && rows.length > 0 && rows.every((r) => typeof r.values[k] === 'number')) ?? null;
}

interface Line {
  name: string;
  /** the values of the other keys on this line */
  values: Record<string, unknown>;
  x: number[];
  y: number[];
  yErr: number[];
}

/** Rows grouped into lines by `others` (see lineKeys), each sorted by x. */
function lines<R extends { values: Record<string, unknown> }>(rows: R[], varying: string[], others: string[], xKey: string, y: (r: R) => number | null, err: (r: R) => number | null): Line[] {
  const labels = keyLabels(varying);
  const out = new Map<string, Line>();
  for (const r of rows) {
    const v = y(r);
    if (v === null || !Number.isFinite(v)) continue;
    const key = JSON.stringify(others.map((k) => r.values[k]));
    if (!out.has(key)) {
      const values: Record<string, unknown> = {};
      for (const k of others) values[k] = r.values[k];
      const name = others.length === 0 ? 'VMC' : others.map((k) => `${labels[varying.indexOf(k)]}=${valueLabel(r.values[k])}`).join(', ');
      out.set(key, { name, values, x: [], y: [], yErr: [] });
    }
    const line = out.get(key)!;
    line.x.push(r.values[xKey] as number);
    line.y.push(v);
    line.yErr.push(err(r) ?? NaN);
  }
  for (const l of out.values()) {
    const order = l.x.map((_, i) => i).sort((a, b) => l.x[a]! - l.x[b]!);
    [l.x, l.y, l.yErr] = [order.map((i) => l.x[i]!), order.map((i) => l.y[i]!), order.map((i) => l.yErr[i]!)];
  }
  return [...out.values()];
}

export interface ExactCurve {
  name: string;
  x: number[];
  /** energy per site */
  y: number[];
}

class OverBudget extends Error {}

/**
 * Exact E/N along x for each combination of the other model keys (`others`, see lineKeys), the
 * point settings being `base` with the varying values put in. Dense along a model parameter
 * unless another model key varies together with it.
 */
export async function exactCurves(rows: PointRow[], varying: string[], others: string[], xKey: string, base: Record<string, unknown>): Promise<ExactCurve[]> {
  const { buildModel } = await import('../run/build.js');
  const { referenceEnergy } = await import('../run/reference.js');
  const modelOthers = others.filter(isModelKey);
  const coModel = varying.some((k) => k !== xKey && !others.includes(k) && k !== 'seed' && isModelKey(k));
  const labels = keyLabels(varying);
  const groups = new Map<string, PointRow[]>();
  for (const r of rows) {
    const key = JSON.stringify(modelOthers.map((k) => r.values[k]));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  let budget = CURVE_BUDGET_SECONDS;
  const curves: ExactCurve[] = [];
  for (const g of groups.values()) {
    const gridX = [...new Set(g.map((r) => r.values[xKey] as number))].sort((a, b) => a - b);
    let xs = gridX;
    if (xKey.startsWith('param.') && gridX.length > 1 && !coModel) {
      const [lo, hi] = [gridX[0]!, gridX[gridX.length - 1]!];
      xs = [...new Set([...gridX, ...Array.from({ length: CURVE_POINTS }, (_, i) => lo + ((hi - lo) * i) / (CURVE_POINTS - 1))])].sort((a, b) => a - b);
    }
    const known = new Map<number, number>();
    for (const r of g) {
      if (r.exact_energy !== null && r.n_sites !== null && r.exact_method !== 'reference') known.set(r.values[xKey] as number, r.exact_energy / r.n_sites);
    }
    const x: number[] = [];
    const y: number[] = [];
    const template = g[0]!.values;
    for (const xv of xs) {
      let e = known.get(xv);
      if (e === undefined && budget > 0) {
        const values = g.find((r) => r.values[xKey] === xv)?.values ?? { ...template, [xKey]: xv };
        try {
          const cfg: ExperimentConfig = resolveExperiment({}, pointSettings(base, values) as Partial<ExperimentConfig>);
          const parts = buildModel(cfg);
          const ref = referenceEnergy(cfg, parts, {
            onPlan: (plan) => {
              if (plan.seconds > budget) throw new OverBudget();
              budget -= Math.max(plan.seconds, 0.001);
            },
          });
          if (ref.energy !== null && ref.method !== 'reference') e = ref.energy / parts.lattice.nSites;
        } catch (err) {
          if (err instanceof OverBudget) budget = 0;
          else if (!(err instanceof InputError)) throw err;
        }
      }
      if (e !== undefined) {
        x.push(xv);
        y.push(e);
      }
    }
    if (x.length === 0) continue;
    const suffix = modelOthers.length === 0 ? '' : ` (${modelOthers.map((k) => `${labels[varying.indexOf(k)]}=${valueLabel(template[k])}`).join(', ')})`;
    curves.push({ name: `exact${suffix}`, x, y });
  }
  return curves;
}

export interface SweepPlot {
  file: string;
  caption: string;
  svg: string;
}

/** Every plot of the sweep (none when there is no numeric key to put on the x axis). */
export async function sweepPlots(opts: {
  title: string;
  rows: PointRow[];
  aggregated: AggregatedRow[] | null;
  varying: string[];
  axes: { keys: string[] }[];
  xKey: string | null;
  base: Record<string, unknown>;
  measured: boolean;
}): Promise<SweepPlot[]> {
  const { rows, aggregated, varying, xKey } = opts;
  if (xKey === null) return [];
  const { plotLines } = await import('../run/plot.js');
  const xLabel = keyLabels(varying)[varying.indexOf(xKey)]!;
  const integerX = rows.every((r) => Number.isInteger(r.values[xKey]));
  const agg = aggregated !== null;
  const done = rows.filter((r) => r.status === 'completed');
  const aggDone = (aggregated ?? []).filter((r) => r.completed > 0);
  const perSite = (r: PointRow) => (r.energy_error !== null && r.n_sites !== null ? r.energy_error / r.n_sites : null);
  const series = (ls: Line[]) => ls.map((l) => ({ name: l.name, x: l.x, y: l.y, yErr: l.yErr }));
  const note = agg ? ' (mean over seeds ± spread)' : '';
  const others = lineKeys(varying, opts.axes, xKey);
  const out: SweepPlot[] = [];

  const energyLines = agg
    ? lines(aggDone, varying, others, xKey, (r) => r.energy_per_site_mean, (r) => r.energy_per_site_spread)
    : lines(done, varying, others, xKey, (r) => r.energy_per_site, perSite);
  const curves = await exactCurves(done, varying, others, xKey, opts.base);
  out.push({
    file: 'sweep-energy.svg',
    caption: `E/N against ${xLabel}`,
    svg: await plotLines({
      title: `${opts.title}: energy per site against ${xLabel}${note}`,
      xLabel,
      yLabel: 'E/N (Pauli units)',
      series: [...series(energyLines), ...curves.map((c) => ({ name: c.name, x: c.x, y: c.y, curve: true }))],
      errorStyle: 'bars',
      integerX,
    }),
  });
  const relLines = agg ? lines(aggDone, varying, others, xKey, (r) => r.relative_error_mean, () => null) : lines(done, varying, others, xKey, (r) => r.relative_error, () => null);
  out.push({
    file: 'sweep-relative-error.svg',
    caption: `relative error against ${xLabel}`,
    svg: await plotLines({
      title: `${opts.title}: relative error against ${xLabel}${agg ? ' (of the mean over seeds)' : ''}`,
      xLabel,
      yLabel: '|E − E_exact| / |E_exact|',
      logY: true,
      series: series(relLines),
      points: true,
      integerX,
    }),
  });
  if (opts.measured) {
    const observables: { file: string; label: string; point: (r: PointRow) => [number | null, number | null]; mean: (r: AggregatedRow) => [number | null, number | null] }[] = [
      { file: 'sweep-sx.svg', label: '⟨σˣ⟩', point: (r) => [r.sx, r.sx_error], mean: (r) => [r.sx_mean, r.sx_spread] },
      { file: 'sweep-abs-sz.svg', label: '⟨|Σσᶻ|⟩/N', point: (r) => [r.abs_sz, r.abs_sz_error], mean: (r) => [r.abs_sz_mean, r.abs_sz_spread] },
      { file: 'sweep-renyi2.svg', label: 'S₂ of half the system (nats)', point: (r) => [r.renyi2_half, r.renyi2_half_error], mean: (r) => [r.renyi2_half_mean, r.renyi2_half_spread] },
    ];
    for (const o of observables) {
      const ls = agg ? lines(aggDone, varying, others, xKey, (r) => o.mean(r)[0], (r) => o.mean(r)[1]) : lines(done, varying, others, xKey, (r) => o.point(r)[0], (r) => o.point(r)[1]);
      out.push({
        file: o.file,
        caption: `${o.label} against ${xLabel}`,
        svg: await plotLines({ title: `${opts.title}: ${o.label} against ${xLabel}${note}`, xLabel, yLabel: o.label, series: series(ls), errorStyle: 'bars', integerX }),
      });
    }
  }
  return out;
}
