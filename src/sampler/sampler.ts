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

/**
 * One shard of an exact-sampling batch: `count` samples drawn with a generator seeded by `seed`.
 * A batch is split into a fixed number of shards, each with its own random stream, so that the
 * samples do not depend on which thread draws which shard (whole-step parallelism).
 */
export interface SampleShard {
  seed: string;
  count: number;
}

export interface Sampler {
  readonly kind: string;
  sample(count: number): SampleBatch;
  /**
   * Exact samplers: the shards of the next batch of `count` samples (advances the state exactly
   * as `sample(count)` does). `sampleShard` draws each one, on any thread.
   */
  plan?(count: number): SampleShard[];
  getState(): unknown;
  setState(state: unknown): void;
}

/** Bounds of `parts` contiguous, nearly equal slices of `count` items: bounds[k]..bounds[k+1]. */
export function sliceBounds(count: number, parts: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= parts; k++) out.push(Math.round((k * count) / parts));
  return out;
}

/** The samples of one shard (count·N bits); the same on every thread for the same parameters. */
export function sampleShard(wf: Wavefunction, shard: SampleShard): Uint8Array {
  if (!wf.sample) throw new Error(`the ${wf.kind} ansatz cannot be sampled exactly`);
  return wf.sample(shard.count, new Rng(shard.seed));
}

/** Concatenates shards' samples in shard order. */
export function concatShards(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Default number of sampling shards per batch (see ExactSampler). */
export const DEFAULT_SHARDS = 4;

/**
 * Exact, independent samples from an autoregressive wavefunction. Each batch is drawn in
 * `shards` shards (at most one per sample); the seed of every shard is drawn from this
 * sampler's generator, whose state is what a checkpoint keeps.
 */
export class ExactSampler implements Sampler {
  readonly kind = 'exact';
  constructor(
    private readonly wf: Wavefunction,
    private rng: Rng,
    readonly shards: number = DEFAULT_SHARDS,
  ) {
    if (!wf.sample) throw new Error(`the ${wf.kind} ansatz cannot be sampled exactly; use a Metropolis sampler`);
    if (!Number.isInteger(shards) || shards < 1) throw new Error(`sampling shards must be a positive integer, got ${shards}`);
  }

  plan(count: number): SampleShard[] {
    const parts = Math.max(1, Math.min(this.shards, count));
    const bounds = sliceBounds(count, parts);
    const out: SampleShard[] = [];
    for (let k = 0; k < parts; k++) {
      // 53 random bits per shard seed, written as an integer string
      out.push({ seed: String(Math.floor(this.rng.uniform() * 2 ** 53)), count: bounds[k + 1] - bounds[k] });
    }
    return out;
  }

  sample(count: number): SampleBatch {
    return { configs: concatShards(this.plan(count).map((s) => sampleShard(this.wf, s))), count };
  }

  getState(): unknown {
    return { rng: this.rng.state() };
  }

  setState(state: unknown): void {
    this.rng = new Rng(0, (state as { rng: RngState }).rng);
  }
}
