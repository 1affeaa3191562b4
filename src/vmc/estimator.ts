/**
 * Energy statistics from weighted local energies, summed in float64.
 *
 * With independent (exact autoregressive) samples the standard error is sqrt(Var/M). With Markov
 * chain samples the caller passes the integrated autocorrelation time τ, and the error becomes
 * sqrt(2τ·Var/M) (τ = 1/2 for independent samples).
 */

export interface EnergyStats {
  /** ⟨E_loc⟩, real part */
  mean: number;
  /** imaginary part of ⟨E_loc⟩ (→ 0 for an exact eigenstate; a diagnostic) */
  meanIm: number;
  /** ⟨|E_loc − ⟨E⟩|²⟩ */
  variance: number;
  /** standard error of the mean */
  error: number;
  /** number of samples behind the estimate */
  samples: number;
}

/**
 * @param weights multiplicities of each distinct configuration (sum = number of samples)
 * @param tauInt integrated autocorrelation time (1/2 for independent samples)
 */
export function energyStats(re: Float64Array, im: Float64Array, weights: Float64Array, tauInt = 0.5): EnergyStats {
  let W = 0;
  let sRe = 0;
  let sIm = 0;
  for (let i = 0; i < re.length; i++) {
    W += weights[i];
    sRe += weights[i] * re[i];
    sIm += weights[i] * im[i];
  }
  const mean = sRe / W;
  const meanIm = sIm / W;
  let v = 0;
  for (let i = 0; i < re.length; i++) {
    const dr = re[i] - mean;
    const di = im[i] - meanIm;
    v += weights[i] * (dr * dr + di * di);
  }
  const variance = v / W;
  const error = Math.sqrt((2 * Math.max(tauInt, 0.5) * variance) / Math.max(W - 1, 1));
  return { mean, meanIm, variance, error, samples: W };
}
