/**
 * One training run of the playground: the objects `vmc run` builds for an experiment (lattice,
 * compiled Hamiltonian, wavefunction, sampler, optimizer, driver; src/run/build.ts) with the same
 * named random streams (`<seed>:init`, `<seed>:sample`), stepped one VMC step at a time by the
 * library's driver. Nothing here computes physics: energies, gradients, updates, the exact
 * reference (src/run/reference.ts → src/exact) and the correlations (src/measure) are the
 * library's. On the same backend a session therefore gives `vmc run`'s numbers step for step
 * (tests/playground/session.test.ts checks it in Node, tests/playground/browser.test.ts in
 * Chromium).
 *
 * The one addition is a sampler wrapper that keeps the last batch for the page's sample strip. It
 * draws through the wrapped sampler's own `sample`, which for exact samplers draws the same
 * shards with the same seeds as the driver's path through `plan` and the thread pool
 * (src/sampler/sampler.ts: ExactSampler.sample = concatShards(plan(count).map(sampleShard))).
 */
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { parameterCount } from '../../src/ansatz/wavefunction.js';
import { measureCorrelations, type CorrelationMeasurement } from '../../src/measure/correlations.js';
import { drawSamples } from '../../src/measure/samples.js';
import type { MeasuredState } from '../../src/measure/types.js';
import { Rng } from '../../src/rng.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction, type ModelParts } from '../../src/run/build.js';
import type { ExperimentConfig } from '../../src/run/experiment.js';
import { referenceEnergy } from '../../src/run/reference.js';
import type { SampleBatch, Sampler } from '../../src/sampler/sampler.js';
import { VmcDriver, type StepRecord } from '../../src/vmc/driver.js';
import type { Optimizer } from '../../src/vmc/optimizer.js';
import { BROWSER_LIMITS, checkBrowserLimits, exactTooLarge } from './limits.js';

/** A sampler that remembers its last batch (for display); draws exactly what `inner` draws. */
export class RecordingSampler implements Sampler {
  readonly kind: string;
  last: SampleBatch | null = null;

  constructor(private readonly inner: Sampler) {
    this.kind = inner.kind;
  }

  sample(count: number): SampleBatch {
    this.last = this.inner.sample(count);
    return this.last;
  }

  getState(): unknown {
    return this.inner.getState();
  }

  setState(state: unknown): void {
    this.inner.setState(state);
  }
}

export interface ExactLine {
  energy: number | null;
  method: string | null;
  /** why there is no exact energy, or '' */
  note: string;
}

/** Thrown from the exact solver's plan hook when the page should not run that solve. */
class ExactTooLarge extends Error {}

export class TrainingSession {
  private constructor(
    readonly cfg: ExperimentConfig,
    readonly parts: ModelParts,
    readonly wf: Wavefunction,
    readonly sampler: RecordingSampler,
    readonly optimizer: Optimizer,
    readonly driver: VmcDriver,
  ) {}

  /**
   * Builds a run as `vmc run` does, after the browser's size limits (src/run/memory.ts's estimate
   * included); every refusal is an InputError whose `where` names the setting.
   */
  static create(cfg: ExperimentConfig): TrainingSession {
    const parts = buildModel(cfg);
    checkBrowserLimits(cfg, parts.lattice.nSites);
    const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
    try {
      const sampler = new RecordingSampler(buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:sample`)));
      const optimizer = buildOptimizer(cfg, wf);
      const driver = new VmcDriver(parts.hamiltonian, wf, sampler, optimizer, cfg.samples);
      return new TrainingSession(cfg, parts, wf, sampler, optimizer, driver);
    } catch (e) {
      wf.dispose();
      throw e;
    }
  }

  get nSites(): number {
    return this.parts.lattice.nSites;
  }

  get parameters(): number {
    return parameterCount(this.wf);
  }

  /** The exact ground-state energy `vmc run` compares with, if the page can afford the solve. */
  exact(): ExactLine {
    try {
      const ref = referenceEnergy(this.cfg, this.parts, {
        onPlan: (plan) => {
          const why = exactTooLarge(plan);
          if (why) throw new ExactTooLarge(why);
        },
      });
      return { energy: ref.energy, method: ref.method, note: ref.energy === null ? `no exact line: ${ref.source ?? 'no exact method for this system'}` : '' };
    } catch (e) {
      if (e instanceof ExactTooLarge) return { energy: null, method: null, note: e.message };
      throw e;
    }
  }

  /** One VMC step; `samples` holds the first `sampleCount` configurations of its batch. */
  async step(maxSamples = 16): Promise<{ record: StepRecord; samples: Uint8Array; sampleCount: number }> {
    const record = await this.driver.step();
    const batch = this.sampler.last;
    const sampleCount = batch ? Math.min(maxSamples, batch.count) : 0;
    const samples = batch ? batch.configs.slice(0, sampleCount * this.nSites) : new Uint8Array(0);
    return { record, samples, sampleCount };
  }

  /**
   * zz correlations against distance from `count` fresh samples, as `vmc measure` computes them,
   * and xx up to BROWSER_LIMITS.xxSites sites (xx needs ψ of every sample with each pair flipped).
   */
  correlations(count = 2000): CorrelationMeasurement {
    const { cfg, parts, wf } = this;
    const state: MeasuredState = {
      wf,
      lattice: parts.lattice,
      hamiltonian: parts.hamiltonian,
      nUp: parts.nUp,
      sampler: (seed) => buildSampler(cfg, wf, parts, new Rng(`${seed}:measure`)),
    };
    return measureCorrelations(state, drawSamples(state.sampler(String(cfg.seed)), count, this.nSites), {
      metric: 'manhattan',
      withXX: this.nSites <= BROWSER_LIMITS.xxSites,
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.wf.dispose();
  }
}
