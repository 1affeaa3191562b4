/**
 * Magnetisations in Pauli units: ⟨σ^z⟩ = ⟨Σ_i σ^z_i⟩/N, ⟨|Σ_i σ^z_i|⟩/N (non-zero in an ordered
 * phase even when symmetry keeps ⟨σ^z⟩ = 0) and ⟨σ^x⟩ = ⟨Σ_i σ^x_i⟩/N through ψ ratios, plus the
 * per-site profiles ⟨σ^z_i⟩ and ⟨σ^x_i⟩. In a fixed-S^z sector every single flip leaves the
 * sector, so ⟨σ^x_i⟩ = 0 exactly (and nothing is evaluated).
 */
import { pauliOperator, visitGroupValues } from './local-values.js';
import { perSample, type MeasureSamples } from './samples.js';
import { estimate, type Estimate } from './stats.js';
import type { MeasuredState } from './types.js';

export interface MagnetizationMeasurement {
  /** ⟨σ^z⟩ per site */
  sz: Estimate;
  /** ⟨|Σ σ^z|⟩/N */
  abs_sz: Estimate;
  /** ⟨σ^x⟩ per site */
  sx: Estimate;
  /** ⟨σ^z_i⟩, i = 0..N−1 */
  sz_site: Estimate[];
  /** ⟨σ^x_i⟩ */
  sx_site: Estimate[];
}

export function measureMagnetization(state: MeasuredState, samples: MeasureSamples): MagnetizationMeasurement {
  const N = state.lattice.nSites;
  const { configs, count } = samples.unique;
  // per distinct configuration: σ^z_i and Re σ^x_i,loc, site-major [i·count + u]
  const z = new Float64Array(N * count);
  const x = new Float64Array(N * count);
  for (let u = 0; u < count; u++) for (let i = 0; i < N; i++) z[i * count + u] = 2 * configs[u * N + i] - 1;
  const op = pauliOperator('sigma_x', [{ pauli: 'X', sites: Array.from({ length: N }, (_, i) => [i]) }], state.lattice);
  const siteOf = op.groups.map((g) => g.flipSites[0]);
  visitGroupValues(op, state.wf, configs, count, (u, g, re) => {
    if (g >= 0) x[siteOf[g] * count + u] += re;
  }, { nUp: state.nUp });

  const total = (a: Float64Array, abs: boolean): Float64Array => {
    const out = new Float64Array(count);
    for (let u = 0; u < count; u++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += a[i * count + u];
      out[u] = (abs ? Math.abs(s) : s) / N;
    }
    return out;
  };
  const est = (perUnique: ArrayLike<number>): Estimate => estimate(perSample(samples, perUnique), samples.layout);
  const site = (a: Float64Array): Estimate[] => Array.from({ length: N }, (_, i) => est(a.subarray(i * count, (i + 1) * count)));
  return {
    sz: est(total(z, false)),
    abs_sz: est(total(z, true)),
    sx: est(total(x, false)),
    sz_site: site(z),
    sx_site: site(x),
  };
}
