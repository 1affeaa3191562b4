/**
 * The negative log-likelihood of data under a wavefunction's Born distribution P(x) = |ψ(x)|²/Z,
 *   NLL = −(1/M) Σ_i log P(x_i) = −(2/M) Σ_i logAmp(x_i) + log Z,
 * and its gradient (design notes, "NLL"):
 *   ∂NLL = −(2/M) Σ_i ∂logAmp(x_i) + 2 ⟨∂logAmp⟩_P,
 * the second (model) term being ∂ log Z. Autoregressive ansätze and the flow are normalised by
 * construction (Z = 1, no model term); for the RBM the model term is an expectation over P,
 * from Metropolis chains or, on small systems, by enumeration (fit/model-term.ts).
 *
 * The gradient is the energy gradient's surrogate (vmc/gradient.ts, `shardGradient`) with other
 * constant coefficients: ∂ Σ_x c_x logAmp(x) with c = −2w/W on the data and +2w'/W' on the model
 * samples (w: multiplicities or probabilities). The phase plays no part: Z-basis data say nothing
 * about it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { Basis, sectorDimension } from '../exact/index.js';
import { shardGradient } from '../vmc/gradient.js';
import { uniqueSamples } from '../vmc/unique.js';

/** Configurations with weights (multiplicities, or probabilities). */
export interface WeightedConfigs {
  /** count·N bits */
  configs: Uint8Array;
  count: number;
  weights: Float64Array;
}

/** Largest space whose partition function is summed exactly (2^20 evaluations of ψ). */
export const MAX_ENUMERATED_STATES = 2 ** 20;

/** Every configuration of the sector with `nUp` up spins (null: all 2^N), as count·N bits (site s = bit s of the basis state). */
export function sectorConfigs(nSites: number, nUp: number | null): { configs: Uint8Array; count: number } {
  const states = new Basis(nSites, nUp).allStates();
  const configs = new Uint8Array(states.length * nSites);
  for (let k = 0; k < states.length; k++) for (let s = 0; s < nSites; s++) configs[k * nSites + s] = (states[k] >>> s) & 1;
  return { configs, count: states.length };
}

/** log Σ_k exp(a_k), stable. */
export function logSumExp(a: ArrayLike<number>): number {
  let max = -Infinity;
  for (let k = 0; k < a.length; k++) if (a[k] > max) max = a[k];
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.exp(a[k] - max);
  return max + Math.log(s);
}

/**
 * log Z = log Σ_x |ψ(x)|² over the wavefunction's space (the sector `nUp`, or all 2^N): 0 for a
 * normalised ansatz, by enumeration up to MAX_ENUMERATED_STATES states, else null (unknown).
 */
export function logPartition(wf: Wavefunction, nUp: number | null, maxStates = MAX_ENUMERATED_STATES): number | null {
  if (wf.normalized) return 0;
  if (sectorDimension(wf.nSites, nUp) > maxStates) return null;
  const all = sectorConfigs(wf.nSites, nUp);
  const { logAmp } = wf.evaluate(all.configs, all.count);
  return logSumExp(logAmp.map((a) => 2 * a));
}

/** The distinct rows of a data set with their multiplicities. */
export function weighted(configs: Uint8Array, count: number, nSites: number): WeightedConfigs {
  const u = uniqueSamples(configs, count, nSites);
  return { configs: u.configs, count: u.count, weights: u.multiplicity };
}

/** −(1/W) Σ w_x log|ψ(x)|² + log Z (pass logZ = 0 for "up to log Z"). */
export function meanNll(wf: Wavefunction, data: WeightedConfigs, logZ: number): number {
  if (data.count === 0) return NaN;
  const { logAmp } = wf.evaluate(data.configs, data.count);
  let W = 0;
  let s = 0;
  for (let k = 0; k < data.count; k++) {
    W += data.weights[k];
    s += data.weights[k] * 2 * logAmp[k];
  }
  return -s / W + logZ;
}

/**
 * ∂NLL/∂θ for every variable of `wf` (caller disposes): the data term of `data` and, for an
 * unnormalised ansatz, the model term of `model` (samples of P or the enumerated P).
 */
export function nllGradient(wf: Wavefunction, data: WeightedConfigs, model: WeightedConfigs | null): tf.Tensor[] {
  if (!wf.normalized && model === null) throw new Error(`the ${wf.kind} ansatz is not normalised: its NLL gradient needs the model term`);
  const N = wf.nSites;
  const parts = model ? [{ set: data, sign: -1 }, { set: model, sign: 1 }] : [{ set: data, sign: -1 }];
  const count = parts.reduce((n, p) => n + p.set.count, 0);
  const configs = new Uint8Array(count * N);
  const coefRe = new Float32Array(count);
  let at = 0;
  for (const { set, sign } of parts) {
    let W = 0;
    for (let k = 0; k < set.count; k++) W += set.weights[k];
    configs.set(set.configs.subarray(0, set.count * N), at * N);
    for (let k = 0; k < set.count; k++) coefRe[at + k] = (sign * 2 * set.weights[k]) / W;
    at += set.count;
  }
  return shardGradient(wf, { configs, count, coefRe, coefIm: new Float32Array(count) });
}
