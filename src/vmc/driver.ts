/**
 * The VMC loop: sample → local energies → energy statistics → gradient → optimizer step.
 * Sampling, local energies and the energy gradient run on `StepThreads` (this thread, or a pool
 * of worker threads) in fixed shards, so the numbers do not depend on the number of threads.
 *
 * With an annealing schedule (vmc/anneal.ts) the objective is the free energy F = ⟨H⟩ − T·S:
 * the step's local energies are turned into F_loc = E_loc + T log|ψ|² on this thread (from the
 * log ψ the local-energy pass returns) before the gradient shards are formed, so the one
 * gradient and every optimizer minimise F, and the sharding stays what it is (vmc/free-energy.ts).
 *
 * Each step is a pure function of (parameters, optimizer state, sampler state), all of which are
 * checkpointable, so an interrupted run resumed from its checkpoint reproduces the uninterrupted
 * run's numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { LogDerivatives } from '../ansatz/log-derivatives.js';
import { getParameters, parameterCount, setParameters, type ParameterTensor, type Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { chainStats, expandByIndex } from '../sampler/diagnostics.js';
import { concatShards, DEFAULT_SHARDS, type SampleBatch, type Sampler } from '../sampler/sampler.js';
import { annealTemperature, checkAnnealable, type AnnealSchedule } from './anneal.js';
import { energyStats, type EnergyStats } from './estimator.js';
import { freeEnergyRecord, objectiveValues, type FreeEnergyRecord } from './free-energy.js';
import { gradientShards, sumShardGradients } from './gradient.js';
import { concatLogDerivatives, derivativeShards } from './log-derivative-shards.js';
import { addMoments, momentWeights, type OMoments } from './sr-moments.js';
import type { LocalEnergies } from './local-energy.js';
import type { Optimizer } from './optimizer.js';
import { InThread, type StepThreads } from './threads.js';
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

/**
 * The samples with each configuration replaced by its orbit's representative when `wf` is a
 * symmetrised state (Wavefunction.orbitRepresentatives): the local energy and ∂ log ψ are the same
 * on an orbit, so the energy statistics and the gradient are unchanged and each orbit is
 * evaluated once. Otherwise the samples themselves.
 */
function orbitRepresentatives(wf: Wavefunction, batch: SampleBatch): Uint8Array {
  return wf.orbitRepresentatives ? wf.orbitRepresentatives(batch.configs, batch.count) : batch.configs;
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
  /** annealed runs: the step's temperature, free energy and entropy */
  anneal?: FreeEnergyRecord;
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

/**
 * Draws `count` samples: an exact sampler's shards on `threads` (the same samples on any number
 * of threads), otherwise the sampler itself on this thread (Markov chains).
 */
export async function drawSamples(sampler: Sampler, count: number, threads: StepThreads): Promise<SampleBatch> {
  if (!sampler.plan) return sampler.sample(count);
  return { configs: concatShards(await threads.sample(sampler.plan(count))), count };
}

/**
 * Estimates ⟨H⟩ from a fresh batch of `count` samples, drawn in slices of at most `slice` so that
 * memory stays bounded. Returns the statistics of all samples pooled. `threads` (default: this
 * thread) runs the sampling and the local energies; the numbers do not depend on it.
 */
export async function estimateEnergy(
  h: CompiledHamiltonian,
  wf: Wavefunction,
  sampler: Sampler,
  count: number,
  slice = 1000,
  threads: StepThreads = new InThread(h, wf),
): Promise<EnergyEstimate> {
  const parts: { re: Float64Array; im: Float64Array; w: Float64Array }[] = [];
  const diag: Record<string, number> = {};
  threads.parametersChanged();
  for (let done = 0; done < count; done += slice) {
    const m = Math.min(slice, count - done); // a Metropolis batch may hold a few more
    const batch = await drawSamples(sampler, m, threads);
    const u = uniqueSamples(orbitRepresentatives(wf, batch), batch.count, h.nSites);
    const e = await threads.localEnergies(u.configs, u.count);
    parts.push({ re: e.re, im: e.im, w: u.multiplicity });
    const d = { tau: 0.5, ...batchDiagnostics(batch, u, e.re) };
    for (const [k, v] of Object.entries(d)) diag[k] = (diag[k] ?? 0) + (v * m) / count;
  }
  const cat = (k: 're' | 'im' | 'w') => Float64Array.from(parts.flatMap((p) => Array.from(p[k])));
  // slices are drawn one after another; their diagnostics are averaged, weighted by size
  return { ...energyStats(cat('re'), cat('im'), cat('w'), diag.tau), diagnostics: diag };
}

export interface DriverOptions {
  /**
   * where sampling, local energies and gradients run (default: this thread); the numbers do not
   * depend on it
   */
  threads?: StepThreads;
  /** fixed number of gradient shards over the distinct samples (default DEFAULT_SHARDS) */
  gradientShards?: number;
  /** minimise F = ⟨H⟩ − T·S with this temperature schedule (normalised ψ, exact samples) */
  anneal?: AnnealSchedule;
}

export class VmcDriver {
  /** number of steps taken so far (also restored from checkpoints) */
  stepsDone = 0;
  readonly threads: StepThreads;
  readonly gradientShards: number;
  readonly anneal: AnnealSchedule | undefined;

  constructor(
    readonly h: CompiledHamiltonian,
    readonly wf: Wavefunction,
    readonly sampler: Sampler,
    readonly optimizer: Optimizer,
    readonly samples: number,
    opts: DriverOptions = {},
  ) {
    this.threads = opts.threads ?? new InThread(h, wf);
    this.gradientShards = opts.gradientShards ?? DEFAULT_SHARDS;
    if (!Number.isInteger(this.gradientShards) || this.gradientShards < 1) {
      throw new Error(`gradient shards must be a positive integer, got ${this.gradientShards}`);
    }
    this.anneal = opts.anneal;
    if (this.anneal) checkAnnealable(wf, sampler);
  }

  /** One VMC step. Throws NumericalError (before updating anything) on NaN/Inf energies. */
  async step(): Promise<StepRecord> {
    const t0 = performance.now();
    const lr = this.optimizer.learningRate();
    this.threads.parametersChanged();
    const batch = await drawSamples(this.sampler, this.samples, this.threads);
    const t1 = performance.now();
    const unique = uniqueSamples(orbitRepresentatives(this.wf, batch), batch.count, this.h.nSites);
    const eloc = await this.threads.localEnergies(unique.configs, unique.count);
    const diagnostics = batchDiagnostics(batch, unique, eloc.re);
    const stats = energyStats(eloc.re, eloc.im, unique.multiplicity, diagnostics.tau ?? 0.5);
    const t2 = performance.now();
    if (!Number.isFinite(stats.mean) || !Number.isFinite(stats.variance)) {
      throw new NumericalError(
        `energy is ${stats.mean} (variance ${stats.variance}) at step ${this.stepsDone + 1}: the optimisation diverged; lower --lr`,
      );
    }
    // the objective's local values: E_loc, or F_loc = E_loc + T log|ψ|² when annealing
    const T = this.anneal ? annealTemperature(this.anneal, this.stepsDone) : undefined;
    const { local: target, stats: targetStats } = objectiveValues(eloc, stats, unique.multiplicity, T, diagnostics.tau ?? 0.5);
    if (!Number.isFinite(targetStats.mean)) {
      throw new NumericalError(`free energy is ${targetStats.mean} at step ${this.stepsDone + 1} (T = ${T}): the optimisation diverged; lower --lr`);
    }
    const gradient = this.optimizer.usesEnergyGradient ? await this.energyGradient(unique, target, targetStats) : undefined;
    const derivatives = this.optimizer.usesLogDerivatives ? await this.logDerivatives(unique, target, targetStats) : undefined;
    const t3 = performance.now();
    let opt;
    try {
      const products = this.threads.threads > 1 ? this.threads.products.bind(this.threads) : undefined;
      opt = await this.optimizer.step({
        wf: this.wf, unique, eloc: target, stats: targetStats, gradient, products,
        logDerivatives: derivatives?.O, logDerivativeMoments: derivatives?.moments,
      });
    } finally {
      if (gradient) tf.dispose(gradient);
    }
    this.stepsDone += 1;
    const t4 = performance.now();
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
        // the driver's share (energy gradient or O) plus the optimizer's own (e.g. the SR solve)
        gradient: (t3 - t2) / 1000 + (gradient ? 0 : opt.gradient),
        update: gradient ? (t4 - t3) / 1000 : opt.update,
        total: (t4 - t0) / 1000,
      },
      diagnostics,
      ...(T === undefined ? {} : { anneal: freeEnergyRecord(T, targetStats, eloc, unique.multiplicity) }),
    };
  }

  /**
   * ∂⟨E⟩/∂θ (or ∂F/∂θ, given F_loc in place of E_loc and its statistics) over the fixed
   * gradient shards on the step's threads, summed in float64.
   */
  private async energyGradient(unique: UniqueSamples, eloc: LocalEnergies, stats: EnergyStats): Promise<tf.Tensor[]> {
    const shards = gradientShards(
      {
        configs: unique.configs,
        count: unique.count,
        weights: unique.multiplicity,
        eRe: eloc.re,
        eIm: eloc.im,
        meanRe: stats.mean,
        meanIm: stats.meanIm,
      },
      this.h.nSites,
      this.gradientShards,
    );
    return sumShardGradients(this.wf, await this.threads.gradients(shards));
  }

  /**
   * SR's per-sample log-derivatives over the fixed gradient shards on the step's threads, rows in
   * order, and their weighted sums (sr-moments.ts: multiplicities, local values relative to their mean),
   * formed by each shard's thread and added in shard order.
   */
  private async logDerivatives(unique: UniqueSamples, local: LocalEnergies, stats: EnergyStats): Promise<{ O: LogDerivatives; moments: OMoments }> {
    const weights = momentWeights(unique.multiplicity, local.re, local.im, stats.mean, stats.meanIm);
    const shards = derivativeShards(unique.configs, unique.count, this.h.nSites, this.gradientShards, weights);
    const parts = await this.threads.logDerivatives(shards);
    return {
      O: concatLogDerivatives(parts.map((p) => p.O), parameterCount(this.wf)),
      moments: addMoments(parts.map((p) => p.moments!)),
    };
  }

  parameters(): ParameterTensor[] {
    return getParameters(this.wf);
  }

  setParameters(params: readonly { shape: number[]; values: ArrayLike<number> }[]): void {
    setParameters(this.wf, params);
  }
}
