/**
 * Energy of a state from fresh samples: ⟨H⟩ from the local energies, its error bar (binned for
 * Markov chains), the variance of E_loc, and the relative error to an exact energy when known.
 */
import { localEnergies } from '../vmc/local-energy.js';
import { perSample, type MeasureSamples } from './samples.js';
import { binnedMean, type Estimate } from './stats.js';
import type { MeasuredState } from './types.js';

export interface EnergyMeasurement extends Estimate {
  per_site: number;
  /** ⟨|E_loc − ⟨E⟩|²⟩ */
  variance: number;
  /** mean imaginary part of E_loc (→ 0; a diagnostic) */
  imag: number;
  exact: number | null;
  relative_error: number | null;
}

export function measureEnergy(state: MeasuredState, samples: MeasureSamples, exact: number | null = null): EnergyMeasurement {
  const e = localEnergies(state.hamiltonian, state.wf, samples.unique.configs, samples.unique.count);
  const re = perSample(samples, e.re);
  const im = perSample(samples, e.im);
  const { mean, error } = binnedMean(re, samples.layout);
  const imag = binnedMean(im, samples.layout).mean;
  let v = 0;
  for (let k = 0; k < re.length; k++) v += (re[k] - mean) ** 2 + (im[k] - imag) ** 2;
  return {
    mean,
    error,
    per_site: mean / state.lattice.nSites,
    variance: v / re.length,
    imag,
    exact,
    relative_error: exact === null ? null : Math.abs(mean - exact) / Math.abs(exact),
  };
}
