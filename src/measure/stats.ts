/**
 * Error bars for Monte Carlo averages of per-sample values.
 *
 * Samples come in one of two layouts (see `SampleLayout`): independent draws (exact
 * autoregressive sampling), whose error is the plain standard error, or Markov chains stored
 * chain-major (the Metropolis sampler's layout: value t of chain c at index c·length + t), whose
 * error is estimated by binning: each chain is cut into consecutive bins of `binSize` values, and
 * the error is the standard error of the bin means. With bins longer than the autocorrelation
 * time the bin means are nearly independent, so the estimate accounts for autocorrelation.
 * The default bin size cuts every chain into 16 bins (at least 1 value each).
 */

export interface SampleLayout {
  /** number of values */
  count: number;
  /** Markov chains: number of chains (count = chains·length, chain-major); absent = independent */
  chains?: number;
}

export interface Estimate {
  mean: number;
  /** one standard error of the mean */
  error: number;
}

export interface BinnedEstimate extends Estimate {
  /** number of bins (= count for independent samples) */
  bins: number;
  binSize: number;
}

/** Default number of bins per Markov chain. */
export const BINS_PER_CHAIN = 16;

/** Mean and standard error of `values` in the given layout. */
export function binnedMean(values: ArrayLike<number>, layout: SampleLayout, binsPerChain = BINS_PER_CHAIN): BinnedEstimate {
  const n = layout.count;
  if (values.length < n) throw new Error(`binnedMean: ${values.length} values, layout needs ${n}`);
  if (n === 0) return { mean: NaN, error: NaN, bins: 0, binSize: 0 };
  const chains = layout.chains ?? 0;
  if (chains <= 0 || n % chains !== 0) return plainMean(values, n);
  const length = n / chains;
  const binSize = Math.max(1, Math.floor(length / binsPerChain));
  const perChain = Math.floor(length / binSize);
  const means: number[] = [];
  for (let c = 0; c < chains; c++) {
    for (let b = 0; b < perChain; b++) {
      let s = 0;
      const o = c * length + b * binSize;
      for (let k = 0; k < binSize; k++) s += values[o + k];
      means.push(s / binSize);
    }
  }
  const bins = plainMean(means, means.length);
  // The mean uses every value (a chain's tail beyond its last full bin included).
  let total = 0;
  for (let k = 0; k < n; k++) total += values[k];
  return { mean: total / n, error: bins.error, bins: means.length, binSize };
}

function plainMean(values: ArrayLike<number>, n: number): BinnedEstimate {
  let s = 0;
  for (let k = 0; k < n; k++) s += values[k];
  const mean = s / n;
  let v = 0;
  for (let k = 0; k < n; k++) v += (values[k] - mean) ** 2;
  const error = n > 1 ? Math.sqrt(v / (n - 1) / n) : NaN;
  return { mean, error, bins: n, binSize: 1 };
}

/** Plain estimate object without the binning details (for JSON output). */
export function estimate(values: ArrayLike<number>, layout: SampleLayout): Estimate {
  const { mean, error } = binnedMean(values, layout);
  return { mean, error };
}
