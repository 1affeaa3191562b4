/**
 * Two-point correlations versus distance, in Pauli units:
 *   C^zz(r) = mean over pairs (i < j) at distance r of ⟨σ^z_i σ^z_j⟩  (diagonal),
 *   C^xx(r) = mean over the same pairs of ⟨σ^x_i σ^x_j⟩  (through ψ ratios, ./local-values.ts).
 * Both are averaged per sample over the pairs at each distance, then over samples, so one error
 * bar per distance comes out of the binning of ./stats.ts.
 *
 * Distance between sites: on a chain |i − j| (periodic: min(|i − j|, N − |i − j|)). On a square
 * lattice the per-axis separations (minimum image along periodic axes) are combined as a
 * Manhattan |dx| + |dy| (default) or Euclidean sqrt(dx² + dy²) distance.
 */
import type { Lattice } from '../lattice/lattice.js';
import { pauliOperator, visitGroupValues } from './local-values.js';
import { perSample, type MeasureSamples } from './samples.js';
import { estimate, type Estimate } from './stats.js';
import type { MeasuredState } from './types.js';

export type DistanceMetric = 'manhattan' | 'euclidean';

export interface PairsByDistance {
  /** distinct distances, ascending */
  distances: number[];
  /** pairs [i, j] (i < j) at each distance */
  pairs: [number, number][][];
}

export function siteDistance(lattice: Lattice, i: number, j: number, metric: DistanceMetric = 'manhattan'): number {
  const [xi, yi] = lattice.coords(i);
  const [xj, yj] = lattice.coords(j);
  const sep = (d: number, L: number): number => (lattice.bc === 'periodic' ? Math.min(d, L - d) : d);
  const dx = sep(Math.abs(xi - xj), lattice.size[0]);
  const dy = lattice.kind === 'chain' ? 0 : sep(Math.abs(yi - yj), lattice.size[1]);
  return metric === 'euclidean' ? Math.sqrt(dx * dx + dy * dy) : dx + dy;
}

export function pairsByDistance(lattice: Lattice, metric: DistanceMetric = 'manhattan'): PairsByDistance {
  const byKey = new Map<string, { d: number; pairs: [number, number][] }>();
  const N = lattice.nSites;
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const d = siteDistance(lattice, i, j, metric);
      const key = d.toFixed(9);
      let e = byKey.get(key);
      if (!e) byKey.set(key, (e = { d, pairs: [] }));
      e.pairs.push([i, j]);
    }
  }
  const entries = [...byKey.values()].sort((a, b) => a.d - b.d);
  return { distances: entries.map((e) => e.d), pairs: entries.map((e) => e.pairs) };
}

export interface CorrelationMeasurement {
  metric: DistanceMetric;
  distance: number[];
  /** number of pairs averaged at each distance */
  pairs: number[];
  zz: Estimate[];
  xx: Estimate[];
}

/**
 * zz and xx correlations of `samples`. `withXX: false` skips xx (it is the costly part: ψ of
 * every sample with every pair flipped) and returns `xx: []`.
 */
export function measureCorrelations(state: MeasuredState, samples: MeasureSamples, metric: DistanceMetric = 'manhattan', withXX = true): CorrelationMeasurement {
  const N = state.lattice.nSites;
  const { distances, pairs } = pairsByDistance(state.lattice, metric);
  const D = distances.length;
  const { configs, count } = samples.unique;
  // per distinct configuration and distance, distance-major [d·count + u]
  const zz = new Float64Array(D * count);
  const xx = new Float64Array(D * count);
  pairs.forEach((list, d) => {
    for (let u = 0; u < count; u++) {
      let s = 0;
      for (const [i, j] of list) s += configs[u * N + i] === configs[u * N + j] ? 1 : -1;
      zz[d * count + u] = s / list.length;
    }
  });
  const series = (a: Float64Array): Estimate[] =>
    distances.map((_, d) => estimate(perSample(samples, a.subarray(d * count, (d + 1) * count)), samples.layout));
  if (!withXX) return { metric, distance: distances, pairs: pairs.map((l) => l.length), zz: series(zz), xx: [] };
  const all = pairs.flat();
  const op = pauliOperator('sigma_x_sigma_x', [{ pauli: 'XX', sites: all }], state.lattice);
  const distanceOf = new Map<string, number>();
  pairs.forEach((list, d) => list.forEach(([i, j]) => distanceOf.set(`${i},${j}`, d)));
  const groupDistance = op.groups.map((g) => distanceOf.get(g.flipSites.join(','))!);
  const weight = pairs.map((list) => 1 / list.length);
  visitGroupValues(op, state.wf, configs, count, (u, g, re) => {
    if (g < 0) return;
    const d = groupDistance[g];
    xx[d * count + u] += re * weight[d];
  }, { nUp: state.nUp });
  return { metric, distance: distances, pairs: pairs.map((l) => l.length), zz: series(zz), xx: series(xx) };
}
