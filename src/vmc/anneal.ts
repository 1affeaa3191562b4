/**
 * The temperature schedule of variational neural annealing (Hibat-Allah et al., Nature Machine
 * Intelligence 3, 952 (2021); the free energy itself is in vmc/free-energy.ts):
 *
 *   steps 1 … W                 T = T0                       (warm-up)
 *   then N levels of K steps    T_k = T0 (1 − k/N), k = 0 … N−1
 *   every later step            T = 0                        (convergence)
 *
 * as in the authors' code (run_VNA_*.py: T = T0(1 − k/N) set at step W + kK, k = 0 … N, so the
 * first level repeats T0 and T reaches 0 at step W + NK). The temperature of a step is a pure
 * function of the number of steps already done, which a checkpoint keeps, so a resumed run
 * continues the schedule exactly.
 */
import { InputError } from '../errors.js';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import type { Sampler } from '../sampler/sampler.js';

export interface AnnealSchedule {
  /** starting temperature T0 (energy units, Pauli) */
  t0: number;
  /** W: steps at T0 before the temperature decreases */
  warmup: number;
  /** N: temperature levels T0 (1 − k/N), k = 0 … N−1 */
  levels: number;
  /** K: training steps at each level */
  stepsPerT: number;
}

/** Lengths of the schedule when only T0 is given: 300 steps (of the default 500 of a run). */
export const ANNEAL_DEFAULTS = { warmup: 100, levels: 40, stepsPerT: 5 } as const;

/** Temperature of the step taken after `stepsDone` steps. */
export function annealTemperature(s: AnnealSchedule, stepsDone: number): number {
  if (stepsDone < s.warmup) return s.t0;
  const k = Math.floor((stepsDone - s.warmup) / s.stepsPerT);
  return k >= s.levels ? 0 : s.t0 * (1 - k / s.levels);
}

/** Steps with T > 0 possible: W + N·K (every step from there on is at T = 0). */
export function annealLength(s: AnnealSchedule): number {
  return s.warmup + s.levels * s.stepsPerT;
}

/**
 * Annealing needs S = −⟨log |ψ|²⟩ to be exact: a normalised ψ (autoregressive ansätze) and
 * exact samples from it. Anything else is refused with the reason.
 */
export function checkAnnealable(wf: Wavefunction, sampler: Sampler): void {
  if (!wf.normalized) {
    throw new InputError(
      `annealing needs a normalised wavefunction (the entropy S = −⟨log|ψ|²⟩ and the gradient of F = ⟨H⟩ − T·S assume Σ|ψ|² = 1); this ${wf.kind} state is not: use rnn, rnn2d, lru or flow, with --symmetry only in its trivial sector (a non-trivial --symmetry-sector forbids some orbits)`,
      'anneal',
    );
  }
  if (sampler.kind !== 'exact') {
    throw new InputError(
      `annealing needs exact samples from |ψ|² (the entropy S = −⟨log|ψ|²⟩ is estimated from them); the ${sampler.kind} sampler is not exact: use --sampler exact`,
      'anneal',
    );
  }
}
