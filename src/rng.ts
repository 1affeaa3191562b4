/**
 * Seeded random numbers. Every random draw in the project goes through an `Rng`, so that the same
 * seed on the same backend gives the same numbers, and the generator state can be checkpointed.
 */
import seedrandom from 'seedrandom';

export type RngState = seedrandom.State.Arc4;

export class Rng {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  constructor(seed: number | string, state?: RngState) {
    this.prng = state
      ? seedrandom('', { state })
      : seedrandom(String(seed), { state: true });
  }

  /** Uniform in [0, 1) with 53 bits of randomness. */
  uniform(): number {
    return this.prng.double();
  }

  /** Fills `out` with uniforms in [0, 1). */
  fill(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.prng.double();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal draw (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Serialisable generator state; `new Rng(0, state)` continues the same stream. */
  state(): RngState {
    return this.prng.state();
  }
}
