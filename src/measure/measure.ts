/**
 * `vmc measure`: observables of a trained state from fresh samples, with error bars, written to
 * measure.json and plotted. One observable family per module:
 *   energy.ts · magnetization.ts · correlations.ts · structure-factor.ts · renyi.ts
 * All families share one batch of samples (replica 1); the Rényi entropy draws a second,
 * independent replica from a differently seeded sampler.
 */
import { join } from 'node:path';
import { initBackend, type BackendChoice } from '../backend.js';
import { InputError } from '../errors.js';
import { plotEntropy, plotLines } from '../run/plot.js';
import { openRun } from '../run/open-run.js';
import { makeDirectory, readJson, writeFileAtomic, writeJsonAtomic } from '../run/run-dir.js';
import { readRunConfig } from '../run/runner.js';
import { measureCorrelations, type CorrelationMeasurement, type DistanceMetric, type XXPairs } from './correlations.js';
import { measureEnergy, type EnergyMeasurement } from './energy.js';
import { measureMagnetization, type MagnetizationMeasurement } from './magnetization.js';
import { measureRenyi, type RenyiMeasurement } from './renyi.js';
import { drawSamples } from './samples.js';
import { measureStructureFactor, type StructureFactorMeasurement } from './structure-factor.js';
import { OBSERVABLES, type ObservableName } from './names.js';
import type { MeasuredState } from './types.js';

export { OBSERVABLES, type ObservableName };

export interface MeasureOptions {
  /** samples per replica */
  samples: number;
  seed: number;
  metric?: DistanceMetric;
  /** exact ground-state energy for the relative error, if known */
  exactEnergy?: number | null;
  /** families to measure (default: all) */
  observables?: readonly ObservableName[];
  /** xx correlations: pairs per distance per sample (default: see defaultXXPairs) */
  xxPairs?: XXPairs;
  /** progress inside a long family (today: the xx correlations), in samples done of total */
  onProgress?: (family: ObservableName, done: number, total: number) => void;
}

export interface MeasureResult {
  samples: number;
  seed: number;
  sampler: string;
  /** Markov chains of the sampler (error bars by binning), or null for independent samples */
  chains: number | null;
  distinct_configurations: number;
  n_sites: number;
  lattice: string;
  units: string;
  /** seconds spent per family (and on sampling) */
  seconds: Record<string, number>;
  energy?: EnergyMeasurement;
  magnetization?: MagnetizationMeasurement;
  correlations?: CorrelationMeasurement;
  structure_factor?: StructureFactorMeasurement;
  renyi2?: RenyiMeasurement;
}

export function measureState(state: MeasuredState, opts: MeasureOptions): MeasureResult {
  const want = new Set(opts.observables ?? OBSERVABLES);
  const N = state.lattice.nSites;
  const seconds: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    seconds[name] = (performance.now() - t0) / 1000;
    return r;
  };
  const sampler = state.sampler(`${opts.seed}`);
  const rep1 = timed('sampling', () => drawSamples(sampler, opts.samples, N));
  const result: MeasureResult = {
    samples: rep1.count,
    seed: opts.seed,
    sampler: sampler.kind,
    chains: rep1.layout.chains ?? null,
    distinct_configurations: rep1.unique.count,
    n_sites: N,
    lattice: state.lattice.describe(),
    units: 'Pauli matrices (σ = 2·S); energies in the Hamiltonian file’s units',
    seconds,
  };
  if (want.has('energy')) result.energy = timed('energy', () => measureEnergy(state, rep1, opts.exactEnergy ?? null));
  if (want.has('magnetization')) result.magnetization = timed('magnetization', () => measureMagnetization(state, rep1));
  if (want.has('correlations')) result.correlations = timed('correlations', () =>
    measureCorrelations(state, rep1, {
      metric: opts.metric ?? 'manhattan',
      xxPairs: opts.xxPairs,
      seed: `${opts.seed}:correlations`,
      onProgress: opts.onProgress ? (done, total) => opts.onProgress!('correlations', done, total) : undefined,
    }));
  if (want.has('structure-factor')) result.structure_factor = timed('structure-factor', () => measureStructureFactor(state, rep1));
  if (want.has('renyi')) {
    const rep2 = timed('sampling-replica', () => drawSamples(state.sampler(`${opts.seed}:replica`), rep1.count, N));
    result.renyi2 = timed('renyi', () => measureRenyi(state, rep1, rep2));
  }
  return result;
}

/** Writes measure.json and the plots into `dir`; returns the file names written. */
export async function writeMeasurement(dir: string, result: MeasureResult, title: string): Promise<string[]> {
  const files = ['measure.json'];
  writeJsonAtomic(join(dir, 'measure.json'), result);
  const err = (es: { error: number }[]) => es.map((e) => e.error);
  const val = (es: { mean: number }[]) => es.map((e) => e.mean);
  const svg = async (name: string, text: Promise<string>): Promise<void> => {
    writeFileAtomic(join(dir, name), await text);
    files.push(name);
  };
  const m = result.magnetization;
  if (m) {
    const sites = m.sz_site.map((_, i) => i);
    await svg('magnetization.svg', plotLines({
      title: `Site magnetisation — ${title}`,
      xLabel: 'site i',
      yLabel: 'magnetisation (Pauli units, σ = 2S)',
      series: [
        { name: '⟨σᶻ_i⟩', x: sites, y: val(m.sz_site), yErr: err(m.sz_site) },
        { name: '⟨σˣ_i⟩', x: sites, y: val(m.sx_site), yErr: err(m.sx_site) },
      ],
      errorStyle: 'bars',
      integerX: true,
    }));
  }
  const c = result.correlations;
  if (c) {
    await svg('correlations.svg', plotLines({
      title: `Correlations vs distance — ${title}`,
      xLabel: c.metric === 'euclidean' ? 'distance r (lattice spacings, Euclidean)' : 'distance r (lattice spacings, Manhattan)',
      yLabel: '⟨σᵃ_i σᵃ_j⟩ averaged over pairs (Pauli units)',
      series: [
        { name: '⟨σᶻ_i σᶻ_j⟩', x: c.distance, y: val(c.zz), yErr: err(c.zz) },
        { name: '⟨σˣ_i σˣ_j⟩', x: c.distance, y: val(c.xx), yErr: err(c.xx) },
      ],
      errorStyle: 'bars',
      integerX: c.metric === 'manhattan',
    }));
  }
  const sq = result.structure_factor;
  if (sq) {
    const lines = sq.k
      .map((k, i) => ({ k, q: sq.q[i]!, v: sq.value[i]! }))
      .filter(({ k }) => k[1] === 0 || k[0] === k[1]);
    const axis = lines.filter(({ k }) => k[1] === 0);
    const diag = lines.filter(({ k }) => k[0] === k[1] && k[0] > 0);
    const series = [{ name: 'q = (qx, 0)', x: axis.map((l) => l.q[0] / Math.PI), y: axis.map((l) => l.v.mean), yErr: axis.map((l) => l.v.error) }];
    if (diag.length > 0 && sq.k.some((k) => k[1] !== 0)) {
      series.push({ name: 'q = (qx, qx)', x: diag.map((l) => l.q[0] / Math.PI), y: diag.map((l) => l.v.mean), yErr: diag.map((l) => l.v.error) });
    }
    await svg('structure-factor.svg', plotLines({
      title: `Static structure factor — ${title}`,
      xLabel: 'qx / π (inverse lattice spacings / π)',
      yLabel: 'S(q) = (1/N) Σᵢⱼ exp(iq·(rᵢ−rⱼ)) ⟨σᶻᵢσᶻⱼ⟩',
      series,
      errorStyle: 'bars',
    }));
  }
  const r = result.renyi2;
  if (r) {
    await svg('entropy.svg', plotEntropy({
      title: `Rényi-2 entropy of the first ℓ sites (swap estimator) — ${title}`,
      series: [{ name: `S₂ ± 1σ (${r.pairs} pairs)`, cut: r.cuts, entropy: val(r.s2), error: err(r.s2) }],
    }));
  }
  return files;
}

export interface MeasureRunResult {
  dir: string;
  step: number;
  result: MeasureResult;
  files: string[];
}

/** Opens a run directory, measures its checkpointed state and writes the outputs to `out` (default: the run directory). */
export async function measureRun(runDir: string, opts: MeasureOptions & { out?: string; backend?: BackendChoice }): Promise<MeasureRunResult> {
  await initBackend(opts.backend ?? readRunConfig(runDir).backend);
  const run = openRun(runDir);
  try {
    const exact = opts.exactEnergy !== undefined ? opts.exactEnergy : runExactEnergy(runDir);
    const state: MeasuredState = {
      wf: run.wf,
      lattice: run.parts.lattice,
      hamiltonian: run.parts.hamiltonian,
      nUp: run.parts.nUp,
      sampler: (seed) => run.sampler(seed),
    };
    const result = measureState(state, { ...opts, exactEnergy: exact });
    const out = opts.out ?? runDir;
    makeDirectory(out);
    const title = `${run.parts.definition.name}, ${run.parts.lattice.describe()}, ${run.config.ansatz}`;
    const files = await writeMeasurement(out, { ...result }, title);
    return { dir: out, step: run.step, result, files };
  } finally {
    run.wf.dispose();
  }
}

/** The exact (or reference) energy recorded in a run's config.json, or null. */
export function runExactEnergy(runDir: string): number | null {
  try {
    const cfg = readJson(join(runDir, 'config.json'), 'run configuration') as { resolved?: { reference?: { energy?: number | null } } };
    const e = cfg.resolved?.reference?.energy;
    return typeof e === 'number' ? e : null;
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}
