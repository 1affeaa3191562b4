/**
 * The energy a run is compared with: exact (free fermions, dense or Lanczos) when the system is
 * small enough or solvable, else the published reference recorded in the experiment file, else
 * none.
 *
 * The exact solve uses the library's default for S^z sectors (src/exact/index.ts): with
 * --magnetization only that sector; without it the ground state over all sectors (one sector
 * when H commutes with S², the S^z ≤ 0 half when it is spin-flip symmetric), so `vmc run`,
 * `vmc exact` and `exactGroundState` agree.
 */
import {
  betheGroundEnergy,
  BETHE_MAX_SITES,
  detectHeisenbergChain,
  exactGroundState,
  planExact,
  type ExactOptions,
  type ExactPlan,
  type SectorChoice,
} from '../exact/index.js';
import { InputError } from '../errors.js';
import type { ExperimentConfig } from './experiment.js';
import type { ModelParts } from './build.js';

export interface ReferenceEnergy {
  energy: number | null;
  /** 'free-fermion' | 'lanczos' | 'dense' | 'bethe-ansatz' | 'reference' | null */
  method: string | null;
  /** to the next distinct level (over all sectors unless --magnetization fixed one) */
  gap: number | null;
  source?: string;
  /** the S^z sector of the ground state (number of up spins), null for the full space or no exact solve */
  nUp?: number | null;
  /** how the sectors were chosen (exact solves only) */
  sectorChoice?: SectorChoice;
  /** all sectors attaining E0 (exact solves in sectors only) */
  groundSectors?: number[] | null;
}

/** Hooks for a caller that wants to show what a long exact solve is doing. */
export interface ReferenceHooks {
  /** called with the plan before the solve starts; may throw to refuse it */
  onPlan?: (plan: ExactPlan) => void;
  onSector?: ExactOptions['onSector'];
  onProgress?: ExactOptions['onProgress'];
}

/** The exact-solver options a run's model implies: --magnetization fixes the sector, else the library default. */
export function exactOptions(parts: ModelParts): ExactOptions {
  return parts.nUp === null ? {} : { nUp: parts.nUp };
}

export function referenceEnergy(cfg: ExperimentConfig, parts: ModelParts, hooks: ReferenceHooks = {}): ReferenceEnergy {
  const opts = exactOptions(parts);
  let plan: ExactPlan | null = null;
  let reason: string | undefined;
  try {
    plan = planExact(parts.hamiltonian, parts.lattice, opts);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    reason = err.message;
  }
  if (plan) {
    hooks.onPlan?.(plan);
    const r = exactGroundState(parts.hamiltonian, parts.lattice, { ...opts, onSector: hooks.onSector, onProgress: hooks.onProgress });
    return { energy: r.energy, method: r.method, gap: r.gap, nUp: r.nUp, sectorChoice: r.sectorChoice, groundSectors: r.groundSectors };
  }
  // Periodic Heisenberg chains beyond Lanczos: the Bethe ansatz (ground state in S^z = 0).
  const J = detectHeisenbergChain(parts.hamiltonian, parts.lattice);
  const n = parts.lattice.nSites;
  if (J !== null && n <= BETHE_MAX_SITES && (parts.nUp === null || parts.nUp === n / 2)) {
    return { energy: J * betheGroundEnergy(n), method: 'bethe-ansatz', gap: null, nUp: n / 2 };
  }
  if (cfg.reference) {
    return { energy: cfg.reference.energy, method: 'reference', gap: null, source: cfg.reference.source };
  }
  return { energy: null, method: null, gap: null, source: reason };
}
