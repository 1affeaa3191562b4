/**
 * Test helpers for the RBM / Metropolis / SR tests, built on the engine itself: Hamiltonians from
 * the shipped model files (`loadModel` + `compileHamiltonian`), local energies from
 * `localEnergies`, weighted means from `energyStats`, sector bases from the exact solver's `Basis`.
 * What is left here is enumeration of a (sector of the) configuration space and the exact |ψ|²
 * and ⟨H⟩ of a wavefunction over it.
 */
import { Basis } from '../../src/exact/index.js';
import { compileHamiltonian, loadModel, type CompiledHamiltonian } from '../../src/hamiltonian/index.js';
import { chain, type Boundary, type Lattice } from '../../src/lattice/lattice.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { energyStats } from '../../src/vmc/estimator.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import { enumerateConfigs } from '../configurations.js';

/** A shipped model (hamiltonians/<model>.json) compiled on a chain (periodic by default). */
export function chainModel(
  model: 'tfim' | 'heisenberg',
  n: number,
  params: Record<string, number> = {},
  bc: Boundary = 'periodic',
): { lattice: Lattice; h: CompiledHamiltonian } {
  const lattice = chain(n, bc);
  return { lattice, h: compileHamiltonian(loadModel(model, params), lattice) };
}

/**
 * Every configuration of N sites (nUp = null) or of the sector with nUp up spins, as count·N
 * bits with x_s = bit s of the basis state; `basis.index(state)` locates a configuration.
 */
export function enumerate(n: number, nUp: number | null = null): { configs: Uint8Array; count: number; basis: Basis } {
  // the shared enumeration lists states in increasing order, as Basis does
  return { ...enumerateConfigs(n, nUp), basis: new Basis(n, nUp) };
}

/** Basis state (bit s = site s) of configuration `row` of a count·N bit array. */
export { configIndex as configState } from '../configurations.js';

/** |ψ|² normalised over the enumerated configurations. */
export function exactProbabilities(wf: Wavefunction, configs: Uint8Array, count: number): Float64Array {
  const { logAmp } = wf.evaluate(configs, count);
  const mx = logAmp.reduce((m, v) => Math.max(m, v), -Infinity);
  const p = Float64Array.from(logAmp, (v) => Math.exp(2 * (v - mx)));
  const Z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / Z);
}

/** ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩ by enumeration of the sector nUp (null: all configurations). */
export function exactEnergy(h: CompiledHamiltonian, wf: Wavefunction, nUp: number | null = null): number {
  const { configs, count } = enumerate(h.nSites, nUp);
  const e = localEnergies(h, wf, configs, count);
  return energyStats(e.re, e.im, exactProbabilities(wf, configs, count)).mean;
}
