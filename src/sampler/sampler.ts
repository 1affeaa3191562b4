/**
 * The sampler contract: draws configurations from |ψ|² for the current parameters. Its state
 * (random generator, Markov chains) is explicit so that runs can be checkpointed and resumed.
 */
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { Rng, type RngState } from '../rng.js';

export interface SampleBatch {
  /** count·N bits */
  configs: Uint8Array;
  count: number;
  /** Markov chains: the layout needed by autocorrelation diagnostics (chain-major) */
  chains?: number;
  /** extra per-step diagnostics, e.g. { acceptance: 0.43 } */
  diagnostics?: Record<string, number>;
}

export interface Sampler {
  readonly kind: string;
  sample(count: number): SampleBatch;
  getState(): unknown;
  setState(state: unknown): void;
}

/** Exact, independent samples from an autoregressive wavefunction. */
export class ExactSampler implements Sampler {
  readonly kind = 'exact';
  constructor(
    private readonly wf: Wavefunction,
    private rng: Rng,
  ) {
    if (!wf.sample) throw new Error(`the ${wf.kind} ansatz cannot be sampled exactly; use a Metropolis sampler`);
  }

  sample(count: number): SampleBatch {
    return { configs: this.wf.sample!(count, this.rng), count };
  }

  getState(): unknown {
    return { rng: this.rng.state() };
  }

  setState(state: unknown): void {
    this.rng = new Rng(0, (state as { rng: RngState }).rng);
  }
}
