/**
 * Two-point correlations versus distance, in Pauli units:
 *   C^zz(r) = mean over pairs (i < j) at distance r of ⟨σ^z_i σ^z_j⟩  (diagonal),
 *   C^xx(r) = mean over the same pairs of ⟨σ^x_i σ^x_j⟩  (through ψ ratios, ./local-values.ts).
 * Both are averaged per sample over the pairs at each distance, then over samples, so one error
 * bar per distance comes out of the binning of ./stats.ts.
 *
 * xx costs ψ of every sample with every pair flipped (N³ per sample). Above XX_ALL_PAIRS_MAX
 * pairs, each sample averages a uniformly random subset of the pairs at each distance, drawn
 * independently per sample: the expectation over samples and subsets is the same all-pair
 * average, and the subset's variance lands in the error bar. Measured at N = 100 (GRU H = 50,
 * 1000 samples, wasm, one thread): all 4950 pairs 478 s; 10 per distance 118 s, error bars about
 * 2× larger, every distance within 1.7σ of the all-pair value.
 *
 * Distance between sites: on a chain |i − j| (periodic: min(|i − j|, N − |i − j|)). On a square
 * lattice the per-axis separations (minimum image along periodic axes) are combined as a
 * Manhattan |dx| + |dy| (default) or Euclidean sqrt(dx² + dy²) distance.
 */
import type { Lattice } from '../lattice/lattice.js';
import { pauliOperator, visitGroupValues } from './local-values.js';
import { perSample, type MeasureSamples } from './samples.js';
import { Rng } from '../rng.js';
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

/** Above this many pairs on the lattice, xx is estimated from a random subset of pairs per sample. */
export const XX_ALL_PAIRS_MAX = 1000;

/** Pairs per distance evaluated per sample for xx: a number, or every pair. */
export type XXPairs = number | 'all';

/**
 * The default: every pair while the lattice has at most XX_ALL_PAIRS_MAX pairs, otherwise an equal
 * share of XX_ALL_PAIRS_MAX per distance (so about that many ψ evaluations per sample). The cost of
 * all pairs grows as N³ per sample (N²/2 pairs, each a pass over up to N sites): at N = 100 on a
 * chain 0.48 s per sample (GRU H = 50, wasm, one thread), 80 minutes for 10 000 samples.
 */
export function defaultXXPairs(byDistance: PairsByDistance): XXPairs {
  const total = byDistance.pairs.reduce((a, l) => a + l.length, 0);
  return total <= XX_ALL_PAIRS_MAX ? 'all' : Math.max(1, Math.floor(XX_ALL_PAIRS_MAX / byDistance.distances.length));
}

export interface CorrelationMeasurement {
  metric: DistanceMetric;
  distance: number[];
  /** number of pairs averaged at each distance */
  pairs: number[];
  zz: Estimate[];
  xx: Estimate[];
  /**
   * pairs evaluated per sample at each distance for xx: `pairs` when every pair is, fewer when a
   * uniformly random subset of that size is drawn independently for every sample (an unbiased
   * estimate of the same pair average; the extra variance is in the error bar)
   */
  xx_pairs_per_sample: number[];
}

export interface CorrelationOptions {
  metric?: DistanceMetric;
  /** false skips xx (the costly part) and returns `xx: []` */
  withXX?: boolean;
  /** xx pairs per distance per sample (default: `defaultXXPairs`) */
  xxPairs?: XXPairs;
  /** seed of the random pair subsets */
  seed?: string;
  /** progress of the xx pass: samples done of total */
  onProgress?: (done: number, total: number) => void;
}

/** zz and xx correlations of `samples`. */
export function measureCorrelations(state: MeasuredState, samples: MeasureSamples, opts: CorrelationOptions = {}): CorrelationMeasurement {
  const metric = opts.metric ?? 'manhattan';
  const N = state.lattice.nSites;
  const byDistance = pairsByDistance(state.lattice, metric);
  const { distances, pairs } = byDistance;
  const D = distances.length;
  const { configs, count } = samples.unique;
  // per distinct configuration and distance, distance-major [d·count + u]
  const zz = new Float64Array(D * count);
  pairs.forEach((list, d) => {
    for (let u = 0; u < count; u++) {
      let s = 0;
      for (const [i, j] of list) s += configs[u * N + i] === configs[u * N + j] ? 1 : -1;
      zz[d * count + u] = s / list.length;
    }
  });
  const series = (a: Float64Array, rows: number, expand: boolean): Estimate[] =>
    distances.map((_, d) => {
      const v = a.subarray(d * rows, (d + 1) * rows);
      return estimate(expand ? perSample(samples, v) : v, samples.layout);
    });
  const base = { metric, distance: distances, pairs: pairs.map((l) => l.length), zz: series(zz, count, true) };
  if (opts.withXX === false) return { ...base, xx: [], xx_pairs_per_sample: [] };

  const choice = opts.xxPairs ?? defaultXXPairs(byDistance);
  const perDistance = pairs.map((l) => (choice === 'all' ? l.length : Math.min(choice, l.length)));
  const op = pauliOperator('sigma_x_sigma_x', [{ pauli: 'XX', sites: pairs.flat() }], state.lattice);
  const groupOf = new Map<string, number>();
  op.groups.forEach((g, k) => groupOf.set(g.flipSites.join(','), k));
  // flip group of every pair, per distance, and the distance of every group
  const groups = pairs.map((list) => Int32Array.from(list, ([i, j]) => groupOf.get(`${i},${j}`)!));
  const groupDistance = new Int32Array(op.groups.length);
  groups.forEach((gs, d) => gs.forEach((g) => (groupDistance[g] = d)));
  const weight = perDistance.map((k) => 1 / k);
  const subset = perDistance.some((k, d) => k < pairs[d].length);
  // every pair: once per distinct configuration; a random subset: per sample (layout order), so
  // that repeated configurations get independent subsets and the binning sees that variance
  const rows = subset ? samples.count : count;
  const rowConfigs = subset ? samples.configs : configs;
  const xx = new Float64Array(D * rows);
  const keep = subset ? pairSubsets(groups, perDistance, op.groups.length, opts.seed ?? '1') : undefined;
  visitGroupValues(op, state.wf, rowConfigs, rows, (u, g, re) => {
    if (g < 0) return;
    const d = groupDistance[g];
    xx[d * rows + u] += re * weight[d];
  }, { nUp: state.nUp, keep, perParent: perDistance.reduce((a, b) => a + b, 0), onProgress: opts.onProgress });
  return { ...base, xx: series(xx, rows, !subset), xx_pairs_per_sample: perDistance };
}

/**
 * keep(row, group) for independent uniformly random subsets of `perDistance[d]` of the groups at
 * each distance d, drawn per row from a stream seeded by the row index (so the choice does not
 * depend on how rows are chunked). The mask of the last row asked for is cached.
 */
function pairSubsets(groups: Int32Array[], perDistance: number[], nGroups: number, seed: string): (row: number, g: number) => boolean {
  const mask = new Uint8Array(nGroups);
  let current = -1;
  return (row, g) => {
    if (row !== current) {
      current = row;
      mask.fill(0);
      const rng = new Rng(`${seed}:xx-pairs:${row}`);
      groups.forEach((gs, d) => {
        const k = perDistance[d];
        if (k >= gs.length) {
          for (const x of gs) mask[x] = 1;
          return;
        }
        // partial Fisher–Yates: the first k of a random permutation
        const order = Int32Array.from(gs);
        for (let i = 0; i < k; i++) {
          const j = i + rng.int(order.length - i);
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
          mask[order[i]] = 1;
        }
      });
    }
    return mask[g] === 1;
  };
}
