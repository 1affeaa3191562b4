/**
 * Markov-chain diagnostics. Pure functions over per-sample series (e.g. local energies) stored
 * CHAIN-MAJOR, as the Metropolis sampler returns them: value t of chain c at index c·length + t.
 *
 * - `tauInt`: integrated autocorrelation time τ = ½ + Σ_{t≥1} ρ(t) (τ = ½ for independent
 *   samples; AR(1) with coefficient φ gives (1+φ)/(2(1−φ))), with Sokal's automatic window: the
 *   smallest W with W ≥ c·τ(W) (c = 5). The autocovariance is averaged over chains around the
 *   GLOBAL mean, so chains stuck at different levels show up as a long τ (conservative).
 * - `splitRhat`: split-R̂ (Gelman et al., BDA3 §11.4): each chain split in two halves;
 *   R̂ = sqrt(((n−1)/n·W + B/n) / W). ≈ 1 for mixed chains, > 1.01–1.1 signals trouble.
 * - `chainStats`: mean, variance, τ, R̂ and the error of the mean σ·sqrt(2τ/n).
 */

export interface ChainStats {
  mean: number;
  /** ⟨(x − mean)²⟩ over all samples */
  variance: number;
  /** integrated autocorrelation time (½ for independent samples) */
  tauInt: number;
  /** split-R̂ (NaN when chains are too short) */
  rHat: number;
  /** standard error of the mean accounting for autocorrelation: sqrt(variance·2τ/n) */
  error: number;
  /** error assuming independent samples: sqrt(variance/n) */
  naiveError: number;
  /** effective sample size n/(2τ) */
  ess: number;
  samples: number;
}

function check(x: ArrayLike<number>, chains: number, length: number): void {
  if (!Number.isInteger(chains) || chains < 1 || !Number.isInteger(length) || length < 1) {
    throw new Error(`diagnostics: chains and length must be positive integers (got ${chains}, ${length})`);
  }
  if (x.length < chains * length) throw new Error(`diagnostics: series has ${x.length} values, need chains·length = ${chains * length}`);
}

/**
 * Normalised autocorrelation ρ(t) for t = 0..maxLag (chain-averaged, global mean). ρ(0) = 1.
 */
export function autocorrelation(x: ArrayLike<number>, chains: number, length: number, maxLag: number): Float64Array {
  check(x, chains, length);
  const n = chains * length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += x[k];
  mean /= n;
  const lags = Math.min(maxLag, length - 1);
  const rho = new Float64Array(lags + 1);
  let c0 = 0;
  for (let k = 0; k < n; k++) c0 += (x[k] - mean) ** 2;
  c0 /= n;
  if (!(c0 > 0)) {
    rho[0] = 1;
    return rho; // constant series: no correlation measurable
  }
  for (let t = 0; t <= lags; t++) {
    let s = 0;
    for (let c = 0; c < chains; c++) {
      const o = c * length;
      for (let i = 0; i + t < length; i++) s += (x[o + i] - mean) * (x[o + i + t] - mean);
    }
    rho[t] = s / (chains * (length - t)) / c0;
  }
  return rho;
}

/**
 * Integrated autocorrelation time with Sokal's automatic window (c = 5 by default).
 * Returns ½ for a constant or single-sample series.
 */
export function tauInt(x: ArrayLike<number>, chains: number, length: number, c = 5): number {
  check(x, chains, length);
  if (length < 2) return 0.5;
  const n = chains * length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += x[k];
  mean /= n;
  let c0 = 0;
  for (let k = 0; k < n; k++) c0 += (x[k] - mean) ** 2;
  c0 /= n;
  if (!(c0 > 0)) return 0.5;
  let tau = 0.5;
  for (let t = 1; t < length; t++) {
    let s = 0;
    for (let ch = 0; ch < chains; ch++) {
      const o = ch * length;
      for (let i = 0; i + t < length; i++) s += (x[o + i] - mean) * (x[o + i + t] - mean);
    }
    tau += s / (chains * (length - t)) / c0;
    if (t >= c * tau) break;
  }
  return Math.max(tau, 0.5);
}

/** Split-R̂ over chains (each chain split in halves). NaN when a half has fewer than 2 samples. */
export function splitRhat(x: ArrayLike<number>, chains: number, length: number): number {
  check(x, chains, length);
  const n = Math.floor(length / 2);
  if (n < 2) return NaN;
  const m = 2 * chains;
  const means = new Float64Array(m);
  const vars = new Float64Array(m);
  for (let c = 0; c < chains; c++) {
    for (let h = 0; h < 2; h++) {
      // first half: [0, n); second half: [length − n, length) (drops the middle value when odd)
      const o = c * length + (h === 0 ? 0 : length - n);
      let s = 0;
      for (let i = 0; i < n; i++) s += x[o + i];
      const mu = s / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[o + i] - mu) ** 2;
      means[2 * c + h] = mu;
      vars[2 * c + h] = v / (n - 1);
    }
  }
  let W = 0;
  let grand = 0;
  for (let k = 0; k < m; k++) {
    W += vars[k];
    grand += means[k];
  }
  W /= m;
  grand /= m;
  let B = 0;
  for (let k = 0; k < m; k++) B += (means[k] - grand) ** 2;
  B = (B * n) / (m - 1);
  if (!(W > 0)) return B > 0 ? Infinity : 1;
  const varPlus = ((n - 1) / n) * W + B / n;
  return Math.sqrt(varPlus / W);
}

/** Mean, variance, τ, R̂ and the autocorrelation-aware error of a chain-major series. */
export function chainStats(x: ArrayLike<number>, chains: number, length: number): ChainStats {
  check(x, chains, length);
  const n = chains * length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += x[k];
  mean /= n;
  let v = 0;
  for (let k = 0; k < n; k++) v += (x[k] - mean) ** 2;
  const variance = v / n;
  const tau = tauInt(x, chains, length);
  const denom = Math.max(n - 1, 1);
  return {
    mean,
    variance,
    tauInt: tau,
    rHat: splitRhat(x, chains, length),
    error: Math.sqrt((variance * 2 * tau) / denom),
    naiveError: Math.sqrt(variance / denom),
    ess: n / (2 * tau),
    samples: n,
  };
}

/**
 * Expands per-distinct-configuration values back to the original samples:
 * out[b] = values[index[b]] (index from de-duplication), so diagnostics can use chain order.
 */
export function expandByIndex(values: ArrayLike<number>, index: ArrayLike<number>): Float64Array {
  const out = new Float64Array(index.length);
  for (let b = 0; b < index.length; b++) out[b] = values[index[b]];
  return out;
}
