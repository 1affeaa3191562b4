/**
 * The optimizer contract used by the driver, and its Adam implementation (gradient from the
 * surrogate loss, then an Adam update). Stochastic reconfiguration implements the same contract.
 */
import * as tf from '@tensorflow/tfjs';
import type { LogDerivatives } from '../ansatz/log-derivatives.js';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { Adam, type AdamOptions, type AdamState } from './adam.js';
import type { EnergyStats } from './estimator.js';
import { energyGradient } from './gradient.js';
import type { LocalEnergies } from './local-energy.js';
import type { BlockProducts } from './gram-blocks.js';
import type { OMoments } from './sr-moments.js';
import type { UniqueSamples } from './unique.js';

export interface StepContext {
  wf: Wavefunction;
  unique: UniqueSamples;
  /** local values of the objective: E_loc, or F_loc = E_loc + T log|ψ|² when annealing (vmc/free-energy.ts) */
  eloc: LocalEnergies;
  /** their statistics */
  stats: EnergyStats;
  /** ∂⟨E⟩/∂θ computed by the driver (for optimizers with `usesEnergyGradient`); not disposed here */
  gradient?: tf.Tensor[];
  /** O of the distinct samples computed by the driver (for optimizers with `usesLogDerivatives`) */
  logDerivatives?: LogDerivatives;
  /** their weighted sums (sr-moments.ts), with the multiplicities and `eloc` relative to `stats.mean` */
  logDerivativeMoments?: OMoments;
  /** matrix products spread over the driver's threads (when it has several), e.g. minSR's Gram blocks */
  products?: BlockProducts;
}

export interface OptimizerTimings {
  gradient: number;
  update: number;
}

export interface Optimizer {
  readonly kind: string;
  /**
   * true: the update needs only ∂⟨E⟩/∂θ, which the driver computes (sharded, possibly on worker
   * threads) and passes as `ctx.gradient`
   */
  readonly usesEnergyGradient: boolean;
  /**
   * true: the update needs the per-sample log-derivatives O of the distinct samples, which the
   * driver computes (sharded, possibly on worker threads) and passes as `ctx.logDerivatives`
   */
  readonly usesLogDerivatives?: boolean;
  /** updates the wavefunction's variables in place; returns seconds spent (a promise when it awaits `ctx.products`) */
  step(ctx: StepContext): OptimizerTimings | Promise<OptimizerTimings>;
  learningRate(): number;
  getState(): unknown;
  setState(state: unknown): void;
  dispose(): void;
}

export class AdamOptimizer implements Optimizer {
  readonly kind = 'adam';
  readonly usesEnergyGradient = true;
  private readonly adam: Adam;

  constructor(wf: Wavefunction, opts: AdamOptions) {
    this.adam = new Adam(wf.variables, opts);
  }

  step(ctx: StepContext): OptimizerTimings {
    const t0 = performance.now();
    const own = ctx.gradient === undefined;
    const grads = ctx.gradient ?? energyGradient(ctx.wf, {
      configs: ctx.unique.configs,
      count: ctx.unique.count,
      weights: ctx.unique.multiplicity,
      eRe: ctx.eloc.re,
      eIm: ctx.eloc.im,
      meanRe: ctx.stats.mean,
      meanIm: ctx.stats.meanIm,
    });
    const t1 = performance.now();
    this.adam.apply(grads);
    if (own) tf.dispose(grads);
    const t2 = performance.now();
    return { gradient: (t1 - t0) / 1000, update: (t2 - t1) / 1000 };
  }

  learningRate(): number {
    return this.adam.learningRate();
  }

  getState(): AdamState {
    return this.adam.getState();
  }

  setState(state: unknown): void {
    this.adam.setState(state as AdamState);
  }

  dispose(): void {
    this.adam.dispose();
  }
}
