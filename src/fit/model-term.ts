/**
 * The model side of the NLL gradient of an unnormalised ansatz (the RBM): 2⟨∂logAmp⟩_P, an
 * expectation over the model's own distribution P = |ψ|²/Z, supplied as weighted configurations.
 *
 * - `MetropolisModelTerm`: samples of Metropolis chains that persist across mini-batches and
 *   parameter updates (persistent contrastive divergence, Tieleman, ICML 2008): the chains stay
 *   near equilibrium because each update moves P only a little, so no burn-in per batch is
 *   needed. The chains' state is checkpointed with the sampler's.
 * - `ExactModelTerm`: P by enumeration of the whole space (small systems; the tests use it to
 *   check the gradient against finite differences of the exact NLL).
 */
import type { Wavefunction } from '../ansatz/wavefunction.js';
import type { Sampler } from '../sampler/sampler.js';
import { logSumExp, sectorConfigs, weighted, type WeightedConfigs } from './nll.js';

export interface ModelTerm {
  readonly kind: 'metropolis' | 'exact';
  /** configurations representing P for the current parameters, with weights */
  draw(): WeightedConfigs;
  getState(): unknown;
  setState(state: unknown): void;
}

export class MetropolisModelTerm implements ModelTerm {
  readonly kind = 'metropolis';
  constructor(
    private readonly sampler: Sampler,
    private readonly nSites: number,
    /** samples per draw (rounded up to whole chain lengths by the sampler) */
    readonly samples: number,
  ) {}

  draw(): WeightedConfigs {
    const b = this.sampler.sample(this.samples);
    return weighted(b.configs, b.count, this.nSites);
  }

  getState(): unknown {
    return this.sampler.getState();
  }

  setState(state: unknown): void {
    this.sampler.setState(state);
  }
}

export class ExactModelTerm implements ModelTerm {
  readonly kind = 'exact';
  private readonly all: { configs: Uint8Array; count: number };

  constructor(
    private readonly wf: Wavefunction,
    nUp: number | null,
  ) {
    this.all = sectorConfigs(wf.nSites, nUp);
  }

  draw(): WeightedConfigs {
    const { logAmp } = this.wf.evaluate(this.all.configs, this.all.count);
    const logP = logAmp.map((a) => 2 * a);
    const logZ = logSumExp(logP);
    return { configs: this.all.configs, count: this.all.count, weights: logP.map((l) => Math.exp(l - logZ)) };
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}
}
