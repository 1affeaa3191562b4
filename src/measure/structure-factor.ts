/**
 * Static structure factor S(q) = (1/N) Σ_ij e^{i q·(r_i − r_j)} ⟨σ^z_i σ^z_j⟩ (Pauli units;
 * S(q) = N·⟨σ^z⟩²-like peaks for order at q). Per sample it is |Σ_j e^{i q·r_j} σ^z_j|²/N ≥ 0,
 * averaged with error bars like any other per-sample value. Positions r_j are the lattice
 * coordinates (x, y) in lattice spacings; q runs over the lattice momenta 2π(kx/Lx, ky/Ly)
 * (chains: q = 2πk/N, k = 0..⌊N/2⌋, since S(q) = S(−q)); the same grid is used with open
 * boundaries, where it is simply a set of wave vectors.
 */
import { perSample, type MeasureSamples } from './samples.js';
import { estimate, type Estimate } from './stats.js';
import type { MeasuredState } from './types.js';

export interface StructureFactorMeasurement {
  /** integer momentum indices (kx, ky) */
  k: [number, number][];
  /** wave vectors (qx, qy) in inverse lattice spacings */
  q: [number, number][];
  value: Estimate[];
}

export function momentumGrid(state: Pick<MeasuredState, 'lattice'>): { k: [number, number][]; q: [number, number][] } {
  const lat = state.lattice;
  const k: [number, number][] = [];
  if (lat.kind === 'chain') {
    for (let kx = 0; kx <= Math.floor(lat.nSites / 2); kx++) k.push([kx, 0]);
  } else {
    for (let ky = 0; ky < lat.size[1]; ky++) for (let kx = 0; kx < lat.size[0]; kx++) k.push([kx, ky]);
  }
  const Lx = lat.size[0];
  const Ly = lat.kind === 'chain' ? 1 : lat.size[1];
  return { k, q: k.map(([a, b]) => [(2 * Math.PI * a) / Lx, (2 * Math.PI * b) / Ly]) };
}

export function measureStructureFactor(state: MeasuredState, samples: MeasureSamples): StructureFactorMeasurement {
  const lat = state.lattice;
  const N = lat.nSites;
  const { k, q } = momentumGrid(state);
  const { configs, count } = samples.unique;
  const value = q.map(([qx, qy]) => {
    const c = new Float64Array(N);
    const s = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      const [x, y] = lat.coords(j);
      c[j] = Math.cos(qx * x + qy * y);
      s[j] = Math.sin(qx * x + qy * y);
    }
    const perUnique = new Float64Array(count);
    for (let u = 0; u < count; u++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < N; j++) {
        const sz = 2 * configs[u * N + j] - 1;
        re += c[j] * sz;
        im += s[j] * sz;
      }
      perUnique[u] = (re * re + im * im) / N;
    }
    return estimate(perSample(samples, perUnique), samples.layout);
  });
  return { k, q, value };
}
