/**
 * The VMC loop: sample → local energies → energy statistics → optimizer step.
 *
 * Each step is a pure function of (parameters, optimizer state, sampler state), all of which are
 * checkpointable, so an interrupted run resumed from its checkpoint reproduces the uninterrupted
 * run's numbers.
 */
import { getParameters, setParameters, type ParameterTensor, type Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { chainStats, expandByIndex } from '../sampler/diagnostics.js';
import type { SampleBatch, Sampler } from '../sampler/sampler.js';
import { energyStats, type EnergyStats } from './estimator.js';
import { localEnergies, type LocalEnergies } from './local-energy.js';
import type { Optimizer } from './optimizer.js';
import { uniqueSamples, type UniqueSamples } from './unique.js';

/**
 * Sampler diagnostics for this batch. For Markov chains: the integrated autocorrelation time τ
 * of the local energy (the error bar uses sqrt(2τ·Var/M)) and split-R̂ across chains.
 */
export function batchDiagnostics(batch: SampleBatch, unique: UniqueSamples, eRe: Float64Array): Record<string, number> {
  const out = { ...(batch.diagnostics ?? {}) };
  const chains = batch.chains;
  if (chains && batch.count % chains === 0 && batch.count / chains >= 4) {
    const s = chainStats(expandByIndex(eRe, unique.index), chains, batch.count / chains);
    out.tau = s.tauInt;
    out.r_hat = s.rHat;
  }
  return out;
}

export interface StepRecord {
  /** 1-based index of the step just taken (energy measured before its update) */
  step: number;
  energy: number;
  energyIm: number;
  error: number;
  variance: number;
  lr: number;
  /** distinct configurations among the samples */
  distinct: number;
  /** seconds: sample, local energies, gradient, update, total */
  timings: { sample: number; localEnergy: number; gradient: number; update: number; total: number };
  /** sampler diagnostics (acceptance, τ, R̂ …) */
  diagnostics: Record<string, number>;
}

export class NumericalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumericalError';
  }
}

export interface EnergyEstimate extends EnergyStats {
  diagnostics: Record<string, number>;
}

/** Local energies of `count` distinct configurations (e.g. spread over worker threads). */
export type LocalEnergyFn = (configs: Uint8Array, count: number) => Promise<LocalEnergies>;

/**
 * Estimates ⟨H⟩ from a fresh batch of `count` samples, drawn in slices of at most `slice` so that
 * memory stays bounded. Returns the statistics of all samples pooled. `localEnergy` (e.g. a
 * LocalEnergyPool) replaces the in-thread `localEnergies`; it must return the same numbers.
 */
export async function estimateEnergy(
  h: CompiledHamiltonian,
  wf: Wavefunction,
  sampler: Sampler,
  count: number,
  slice = 1000,
  localEnergy?: LocalEnergyFn,
): Promise<EnergyEstimate> {
  const parts: { re: Float64Array; im: Float64Array; w: Float64Array }[] = [];
  const diag: Record<string, number> = {};
  for (let done = 0; done < count; done += slice) {
    const m = Math.min(slice, count - done); // a Metropolis batch may hold a few more
    const batch = sampler.sample(m);
    const u = uniqueSamples(batch.configs, batch.count, h.nSites);
    const e = localEnergy ? await localEnergy(u.configs, u.count) : localEnergies(h, wf, u.configs, u.count);
    parts.push({ re: e.re, im: e.im, w: u.multiplicity });
    const d = { tau: 0.5, ...batchDiagnostics(batch, u, e.re) };
    for (const [k, v] of Object.entries(d)) diag[k] = (diag[k] ?? 0) + (v * m) / count;
  }
  const cat = (k: 're' | 'im' | 'w') => Float64Array.from(parts.flatMap((p) => Array.from(p[k])));
  // slices are drawn one after another; their diagnostics are averaged, weighted by size
  return { ...energyStats(cat('re'), cat('im'), cat('w'), diag.tau), diagnostics: diag };
}

export class VmcDriver {
  /** number of steps taken so far (also restored from checkpoints) */
  stepsDone = 0;

  constructor(
    readonly h: CompiledHamiltonian,
    readonly wf: Wavefunction,
    readonly sampler: Sampler,
    readonly optimizer: Optimizer,
    readonly samples: number,
    /**
     * optional asynchronous local energies of the distinct samples (e.g. a LocalEnergyPool that
     * spreads them over worker threads); it must return the numbers `localEnergies` would. Used
     * by `stepAsync`; `step` always computes them on this thread.
     */
    readonly localEnergy?: LocalEnergyFn,
  ) {}

  /** One VMC step. Throws NumericalError (before updating anything) on NaN/Inf energies. */
  step(): StepRecord {
    const t0 = performance.now();
    const lr = this.optimizer.learningRate();
    const batch = this.sampler.sample(this.samples);
    const t1 = performance.now();
    const unique = uniqueSamples(batch.configs, batch.count, this.h.nSites);
    const eloc = localEnergies(this.h, this.wf, unique.configs, unique.count);
    return this.finishStep(t0, t1, lr, batch, unique, eloc);
  }

  /** `step` with the local energies from `localEnergy` when given (same numbers). */
  async stepAsync(): Promise<StepRecord> {
    if (!this.localEnergy) return this.step();
    const t0 = performance.now();
    const lr = this.optimizer.learningRate();
    const batch = this.sampler.sample(this.samples);
    const t1 = performance.now();
    const unique = uniqueSamples(batch.configs, batch.count, this.h.nSites);
    const eloc = await this.localEnergy(unique.configs, unique.count);
    return this.finishStep(t0, t1, lr, batch, unique, eloc);
  }

  private finishStep(t0: number, t1: number, lr: number, batch: SampleBatch, unique: UniqueSamples, eloc: LocalEnergies): StepRecord {
    const diagnostics = batchDiagnostics(batch, unique, eloc.re);
    const stats = energyStats(eloc.re, eloc.im, unique.multiplicity, diagnostics.tau ?? 0.5);
    const t2 = performance.now();
    if (!Number.isFinite(stats.mean) || !Number.isFinite(stats.variance)) {
      throw new NumericalError(
        `energy is ${stats.mean} (variance ${stats.variance}) at step ${this.stepsDone + 1}: the optimisation diverged; lower --lr`,
      );
    }
    const opt = this.optimizer.step({ wf: this.wf, unique, eloc, stats });
    this.stepsDone += 1;
    const t3 = performance.now();
    return {
      step: this.stepsDone,
      energy: stats.mean,
      energyIm: stats.meanIm,
      error: stats.error,
      variance: stats.variance,
      lr,
      distinct: unique.count,
      timings: {
        sample: (t1 - t0) / 1000,
        localEnergy: (t2 - t1) / 1000,
        gradient: opt.gradient,
        update: opt.update,
        total: (t3 - t0) / 1000,
      },
      diagnostics,
    };
  }

  parameters(): ParameterTensor[] {
    return getParameters(this.wf);
  }

  setParameters(params: readonly { shape: number[]; values: ArrayLike<number> }[]): void {
    setParameters(this.wf, params);
  }
}
