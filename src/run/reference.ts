/**
 * The energy a run is compared with: exact (free fermions or Lanczos) when the system is small
 * enough or solvable, else the published reference recorded in the experiment file, else none.
 */
import { betheGroundEnergy, BETHE_MAX_SITES, canSolveExactly, detectHeisenbergChain, exactGroundState } from '../exact/index.js';
import type { ExperimentConfig } from './experiment.js';
import type { ModelParts } from './build.js';

export interface ReferenceEnergy {
  energy: number | null;
  /** 'free-fermion' | 'lanczos' | 'dense' | 'bethe-ansatz' | 'reference' | null */
  method: string | null;
  gap: number | null;
  source?: string;
}

export function referenceEnergy(cfg: ExperimentConfig, parts: ModelParts): ReferenceEnergy {
  const opts = { nUp: parts.nUp };
  const can = canSolveExactly(parts.hamiltonian, parts.lattice, opts);
  if (can.ok) {
    const r = exactGroundState(parts.hamiltonian, parts.lattice, opts);
    return { energy: r.energy, method: r.method, gap: r.gap };
  }
  // Periodic Heisenberg chains beyond Lanczos: the Bethe ansatz (ground state in S^z = 0).
  const J = detectHeisenbergChain(parts.hamiltonian, parts.lattice);
  const n = parts.lattice.nSites;
  if (J !== null && n <= BETHE_MAX_SITES && (parts.nUp === null || parts.nUp === n / 2)) {
    return { energy: J * betheGroundEnergy(n), method: 'bethe-ansatz', gap: null };
  }
  if (cfg.reference) {
    return { energy: cfg.reference.energy, method: 'reference', gap: null, source: cfg.reference.source };
  }
  return { energy: null, method: null, gap: null, source: can.reason };
}
