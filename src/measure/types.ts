/** What a measurement needs to know about the state it measures. */
import type { Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import type { Sampler } from '../sampler/sampler.js';

export interface MeasuredState {
  wf: Wavefunction;
  lattice: Lattice;
  hamiltonian: CompiledHamiltonian;
  /** fixed number of up spins of the state (U(1) ansatz or sector-restricted chains), or null */
  nUp: number | null;
  /** a fresh sampler of |ψ|², independent for every distinct seed */
  sampler(seed: string): Sampler;
}
