/**
 * SVG plots for runs, comparisons and measurements.
 *
 * Built on vega-lite (declarative spec) compiled to vega and rendered headless in Node
 * (`View` with renderer 'none', then `toSVG()`): pure JS, no browser, no canvas.
 *
 * Non-finite points (NaN, ±Inf) are dropped; on a log axis non-positive values are dropped too.
 * A plot with nothing to draw still renders its axes, title and a "no data" note.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface Series {
  name: string;
  x: number[];
  y: number[];
  /** Symmetric one-sigma error of each y (same length as y). */
  yErr?: number[];
  /** A reference curve (e.g. the exact energy): a dashed line without points or error bars. */
  curve?: boolean;
}

export interface HLine {
  name: string;
  y: number;
}

export interface PlotLinesOptions {
  title: string;
  /** Axis titles; put the units in them, e.g. "energy (Pauli units)". */
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: Series[];
  /** Horizontal reference lines (dashed), listed in the legend. */
  hlines?: HLine[];
  /** How yErr is drawn: a shaded band (default for long curves) or error bars with points. */
  errorStyle?: 'band' | 'bars';
  /** Draw a point at each datum (default: true when errorStyle is 'bars'). */
  points?: boolean;
  /** x values are integers (sites, cuts): integer tick labels only. */
  integerX?: boolean;
  /** Long series are thinned to at most this many points each (default 2000). */
  maxPoints?: number;
  /** Size of the plotting area in pixels (default 640 × 360). */
  width?: number;
  height?: number;
}

const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#eeca3b', '#bab0ac'];
const HLINE_COLORS = ['#222222', '#888888', '#555555', '#aaaaaa'];

interface Row {
  series: string;
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

/** Every `stride`-th index plus the last one, so a thinned curve still ends where the data ends. */
function thinIndices(n: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const stride = Math.ceil(n / maxPoints);
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  if (idx[idx.length - 1] !== n - 1) idx.push(n - 1);
  return idx;
}

function rowsOf(s: Series, logY: boolean, maxPoints: number): Row[] {
  if (s.x.length !== s.y.length) {
    throw new Error(`plot series "${s.name}": x has ${s.x.length} values but y has ${s.y.length}`);
  }
  if (s.yErr && s.yErr.length !== s.y.length) {
    throw new Error(`plot series "${s.name}": yErr has ${s.yErr.length} values but y has ${s.y.length}`);
  }
  const rows: Row[] = [];
  for (const i of thinIndices(s.x.length, maxPoints)) {
    const x = s.x[i]!;
    const y = s.y[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) continue;
    const row: Row = { series: s.name, x, y };
    const e = s.yErr?.[i];
    if (e !== undefined && Number.isFinite(e) && e > 0) {
      row.hi = y + e;
      // On a log axis an error bar reaching below zero is clipped at a tenth of the value.
      row.lo = logY ? Math.max(y - e, y / 10) : y - e;
    }
    rows.push(row);
  }
  return rows;
}

/** Build the vega-lite spec (exported for tests and for callers who want to tweak it). */
export function linesSpec(opts: PlotLinesOptions): TopLevelSpec {
  const logY = opts.logY ?? false;
  const errorStyle = opts.errorStyle ?? 'band';
  const points = opts.points ?? errorStyle === 'bars';
  const maxPoints = opts.maxPoints ?? 2000;

  const rows = opts.series.filter((s) => !s.curve).flatMap((s) => rowsOf(s, logY, maxPoints));
  const curveRows = opts.series.filter((s) => s.curve).flatMap((s) => rowsOf({ ...s, yErr: undefined }, logY, maxPoints));
  const errRows = rows.filter((r) => r.lo !== undefined);
  const hlines = (opts.hlines ?? []).filter((h) => Number.isFinite(h.y) && (!logY || h.y > 0));

  // One shared colour scale: series in palette order, reference lines in greys; all in the legend.
  const seriesNames = [...new Set(opts.series.map((s) => s.name))];
  const hlineNames = [...new Set(hlines.map((h) => h.name))].filter((n) => !seriesNames.includes(n));
  const domain = [...seriesNames, ...hlineNames];
  const range = [
    ...seriesNames.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length]!),
    ...hlineNames.map((_, i) => HLINE_COLORS[i % HLINE_COLORS.length]!),
  ];
  const color = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain, range },
    legend: domain.length > 0 ? { title: null, symbolType: 'stroke', orient: 'right' as const } : null,
  };
  // With points/error bars drawn, pad the x range so the first and last bars are not on the frame.
  // With nothing to draw, fix placeholder domains so the axes still render (and say no NaN).
  const xScale = {
    ...(points ? { zero: false, nice: false, padding: 12 } : { zero: false, nice: true }),
    ...(rows.length === 0 && curveRows.length === 0 ? { domain: [0, 1] } : {}),
  };
  const xAxis = opts.integerX ? { format: 'd', tickMinStep: 1 } : {};
  const x = { field: 'x', type: 'quantitative' as const, title: opts.xLabel, scale: xScale, axis: xAxis };
  const yScale = {
    ...(logY ? { type: 'log' as const } : { zero: false }),
    ...(rows.length === 0 && curveRows.length === 0 && hlines.length === 0 ? { domain: logY ? [0.1, 1] : [0, 1] } : {}),
  };
  const yAxis = logY ? { format: '.0e', tickCount: 8 } : {};
  const y = { field: 'y', type: 'quantitative' as const, title: opts.yLabel, scale: yScale, axis: yAxis };

  const layers: unknown[] = [];
  if (errRows.length > 0) {
    const errEnc = {
      x,
      y: { field: 'lo', type: 'quantitative' as const, title: opts.yLabel, scale: yScale, axis: yAxis },
      y2: { field: 'hi' },
      color,
    };
    layers.push(
      errorStyle === 'band'
        ? { data: { values: errRows }, mark: { type: 'area', opacity: 0.2 }, encoding: errEnc }
        : { data: { values: errRows }, mark: { type: 'rule', strokeWidth: 1.2 }, encoding: errEnc },
    );
  }
  layers.push({
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.6, point: points ? { filled: true, size: 30 } : false, clip: true },
    encoding: { x, y, color },
  });
  if (curveRows.length > 0) {
    layers.push({
      data: { values: curveRows },
      mark: { type: 'line', strokeWidth: 1.4, strokeDash: [6, 3], clip: true },
      encoding: { x, y, color },
    });
  }
  if (hlines.length > 0) {
    layers.push({
      data: { values: hlines.map((h) => ({ series: h.name, y: h.y })) },
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.4 },
      encoding: { y, color },
    });
  }
  if (rows.length === 0 && curveRows.length === 0) {
    layers.push({
      data: { values: [{ note: 'no data' }] },
      mark: { type: 'text', fontSize: 14, color: '#888' },
      encoding: { text: { field: 'note' }, x: { value: (opts.width ?? 640) / 2 }, y: { value: (opts.height ?? 360) / 2 } },
    });
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, fontSize: 15 },
    width: opts.width ?? 640,
    height: opts.height ?? 360,
    background: 'white',
    padding: 12,
    config: {
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 },
      legend: { labelFontSize: 11, symbolStrokeWidth: 2.5, symbolOpacity: 1, labelLimit: 260 },
      view: { stroke: '#888' },
    },
    layer: layers,
  } as TopLevelSpec;
}

/** Render a line plot to SVG text. */
export async function plotLines(opts: PlotLinesOptions): Promise<string> {
  return renderSpec(linesSpec(opts));
}

/**
 * Render any vega-lite spec to SVG text, headless. Library warnings are silenced: they would
 * otherwise land on the console in the middle of a run's progress output.
 */
export async function renderSpec(spec: TopLevelSpec): Promise<string> {
  const logger = vega.logger(vega.None);
  const vgSpec = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// ---------------------------------------------------------------------------------------------
// The plots the CLI needs.

/** Energy vs optimisation step, with a ±1σ band and the exact energy as a dashed line. */
export function plotEnergy(opts: {
  title?: string;
  step: number[];
  energy: number[];
  energyError?: number[];
  exactEnergy?: number | null;
  /** Legend name of the curve, e.g. the ansatz. */
  name?: string;
  /** Unit text for the y axis (default "Pauli units"). */
  unit?: string;
}): Promise<string> {
  const hlines = opts.exactEnergy !== undefined && opts.exactEnergy !== null ? [{ name: `exact ${fmt(opts.exactEnergy)}`, y: opts.exactEnergy }] : [];
  return plotLines({
    title: opts.title ?? 'Energy vs step',
    xLabel: 'step',
    yLabel: `energy ⟨H⟩ (${opts.unit ?? 'Pauli units'})`,
    series: [{ name: opts.name ?? 'VMC energy ± 1σ', x: opts.step, y: opts.energy, yErr: opts.energyError }],
    hlines,
    errorStyle: 'band',
  });
}

/**
 * An annealed run: ⟨H⟩ and the free energy F = ⟨H⟩ − T·S (±1σ bands, exact energy dashed)
 * against the step, above the temperature T of each step (two panels sharing the step axis).
 */
export function plotAnnealing(opts: {
  title: string;
  step: number[];
  energy: number[];
  energyError: number[];
  freeEnergy: number[];
  freeEnergyError: number[];
  temperature: number[];
  exactEnergy?: number | null;
}): Promise<string> {
  const hlines = opts.exactEnergy !== undefined && opts.exactEnergy !== null ? [{ name: `exact ${fmt(opts.exactEnergy)}`, y: opts.exactEnergy }] : [];
  const energies = linesSpec({
    title: opts.title,
    xLabel: 'step',
    yLabel: 'energy (Pauli units)',
    series: [
      { name: 'energy ⟨H⟩ ± 1σ', x: opts.step, y: opts.energy, yErr: opts.energyError },
      { name: 'F = ⟨H⟩ − T·S ± 1σ', x: opts.step, y: opts.freeEnergy, yErr: opts.freeEnergyError },
    ],
    hlines,
    errorStyle: 'band',
  }) as { layer: unknown[]; width: number; config: unknown };
  const temperature = linesSpec({
    title: '',
    xLabel: 'step',
    yLabel: 'temperature T (Pauli units)',
    series: [{ name: 'temperature T', x: opts.step, y: opts.temperature }],
    height: 120,
  }) as { layer: unknown[]; width: number; height: number };
  return renderSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, fontSize: 15 },
    background: 'white',
    padding: 12,
    config: energies.config,
    resolve: { scale: { color: 'independent', x: 'shared' }, legend: { color: 'independent' } },
    vconcat: [
      { width: energies.width, height: 360, layer: energies.layer },
      { width: temperature.width, height: temperature.height, layer: temperature.layer },
    ],
  } as TopLevelSpec);
}

/** Relative error |E − E_exact|/|E_exact| vs step for several ansätze, log scale. */
export function plotRelativeError(opts: {
  title?: string;
  /** y-axis title (default: the relative-error formula) */
  yLabel?: string;
  series: { name: string; step: number[]; relativeError: number[] }[];
  /** Optional targets, e.g. { name: 'target 1e-3', y: 1e-3 }. */
  hlines?: HLine[];
}): Promise<string> {
  return plotLines({
    title: opts.title ?? 'Relative error vs step',
    xLabel: 'step',
    yLabel: opts.yLabel ?? 'relative error |E − E_exact| / |E_exact|',
    logY: true,
    series: opts.series.map((s) => ({ name: s.name, x: s.step, y: s.relativeError })),
    hlines: opts.hlines,
  });
}

/** A correlation function vs distance with error bars, e.g. ⟨σᶻ_i σᶻ_{i+r}⟩. */
export function plotCorrelation(opts: {
  title?: string;
  yLabel?: string;
  series: { name: string; distance: number[]; value: number[]; error?: number[] }[];
  logY?: boolean;
}): Promise<string> {
  return plotLines({
    title: opts.title ?? 'Correlation vs distance',
    xLabel: 'distance r (sites)',
    yLabel: opts.yLabel ?? 'correlation (dimensionless)',
    logY: opts.logY,
    series: opts.series.map((s) => ({ name: s.name, x: s.distance, y: s.value, yErr: s.error })),
    errorStyle: 'bars',
    integerX: true,
  });
}

/** Second Rényi entropy vs cut position, with error bars. */
export function plotEntropy(opts: {
  title?: string;
  series: { name: string; cut: number[]; entropy: number[]; error?: number[] }[];
}): Promise<string> {
  return plotLines({
    title: opts.title ?? 'Rényi-2 entropy vs cut',
    xLabel: 'cut position ℓ (sites in subsystem A)',
    yLabel: 'S₂ (nats)',
    series: opts.series.map((s) => ({ name: s.name, x: s.cut, y: s.entropy, yErr: s.error })),
    errorStyle: 'bars',
    integerX: true,
  });
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(8).replace(/0+$/, '').replace(/\.$/, '') : v.toExponential(6);
}
