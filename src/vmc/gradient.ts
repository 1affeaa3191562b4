/**
 * Energy gradient by a surrogate loss.
 *
 * For log ψ = logAmp + i·phase and ΔE = E_loc − ⟨E⟩ (design notes):
 *   ∂_k ⟨E⟩ = 2 Re⟨ΔE* ∂_k log ψ⟩ = 2 ⟨Re ΔE · ∂_k logAmp + Im ΔE · ∂_k phase⟩.
 * The surrogate L = (2/W) Σ_x w_x [Re ΔE_x · logAmp(x) + Im ΔE_x · phase(x)], with the ΔE
 * factors held constant, has exactly this gradient. The same formula holds for exact and for
 * Markov-chain samples, and for unnormalised ψ (the ⟨E⟩ subtraction takes care of the norm).
 *
 * The gradient is linear in the samples, so it can be computed in shards (slices of the distinct
 * configurations, e.g. on several threads) and the shards' gradients summed in float64; with a
 * fixed split the sum does not depend on which thread computed which shard.
 */
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { sliceBounds } from '../sampler/sampler.js';

export interface GradientInput {
  /** distinct configurations, count·N bits */
  configs: Uint8Array;
  count: number;
  /** multiplicities */
  weights: Float64Array;
  eRe: Float64Array;
  eIm: Float64Array;
  meanRe: number;
  meanIm: number;
}

/** One slice of the surrogate loss: configurations and their constant coefficients. */
export interface GradientShard {
  /** count·N bits */
  configs: Uint8Array;
  count: number;
  /** 2 w_x Re ΔE_x / W and 2 w_x Im ΔE_x / W */
  coefRe: Float32Array;
  coefIm: Float32Array;
}

/** The surrogate's coefficients 2 w_x ΔE_x / W (float64 arithmetic, stored as float32). */
export function gradientCoefficients(g: GradientInput): { coefRe: Float32Array; coefIm: Float32Array } {
  let W = 0;
  for (let i = 0; i < g.count; i++) W += g.weights[i];
  const coefRe = new Float32Array(g.count);
  const coefIm = new Float32Array(g.count);
  for (let i = 0; i < g.count; i++) {
    const w = (2 * g.weights[i]) / W;
    coefRe[i] = w * (g.eRe[i] - g.meanRe);
    coefIm[i] = w * (g.eIm[i] - g.meanIm);
  }
  return { coefRe, coefIm };
}

/** Splits the surrogate into `parts` fixed slices of the distinct configurations (empty ones dropped). */
export function gradientShards(g: GradientInput, nSites: number, parts: number): GradientShard[] {
  const { coefRe, coefIm } = gradientCoefficients(g);
  const bounds = sliceBounds(g.count, parts);
  const out: GradientShard[] = [];
  for (let k = 0; k < parts; k++) {
    const [a, b] = [bounds[k], bounds[k + 1]];
    if (b === a) continue;
    out.push({
      configs: g.configs.subarray(a * nSites, b * nSites),
      count: b - a,
      coefRe: coefRe.subarray(a, b),
      coefIm: coefIm.subarray(a, b),
    });
  }
  return out;
}

/**
 * ∂L/∂θ of one shard for every variable of `wf` (caller disposes), in chunks of `chunk`
 * configurations so that memory stays bounded.
 */
export function shardGradient(wf: Wavefunction, s: GradientShard, chunk = 4096): tf.Tensor[] {
  const N = wf.nSites;
  const total: tf.Tensor[] = wf.variables.map((v) => tf.zerosLike(v));
  for (let start = 0; start < s.count; start += chunk) {
    const m = Math.min(chunk, s.count - start);
    const x = tf.tensor2d(s.configs.subarray(start * N, (start + m) * N), [m, N], 'float32');
    const aRe = tf.tensor1d(s.coefRe.subarray(start, start + m));
    const aIm = tf.tensor1d(s.coefIm.subarray(start, start + m));
    const { value, grads } = tf.variableGrads(() => {
      const { logAmp, phase } = wf.logPsi(x);
      return tf.add(tf.sum(tf.mul(logAmp, aRe)), tf.sum(tf.mul(phase, aIm))) as tf.Scalar;
    }, wf.variables);
    tf.dispose([value, x, aRe, aIm]);
    wf.variables.forEach((v, k) => {
      const gk = grads[v.name];
      if (gk) {
        const next = tf.add(total[k], gk);
        total[k].dispose();
        total[k] = next;
      }
    });
    for (const t of Object.values(grads)) t.dispose();
  }
  return total;
}

/** `shardGradient` read back to the host: one float32 array per variable. */
export function shardGradientValues(wf: Wavefunction, s: GradientShard): Float32Array[] {
  const grads = shardGradient(wf, s);
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  return out;
}

/** Σ over shards (in shard order, float64) of per-variable gradient values, as tensors. */
export function sumShardGradients(wf: Wavefunction, shards: Float32Array[][]): tf.Tensor[] {
  return wf.variables.map((v, k) => {
    const acc = new Float64Array(v.size);
    for (const s of shards) {
      const g = s[k];
      for (let i = 0; i < acc.length; i++) acc[i] += g[i];
    }
    return tf.tensor(Float32Array.from(acc), v.shape);
  });
}

/**
 * Returns ∂⟨E⟩/∂θ for every variable of `wf` (caller disposes), on this thread, as one shard.
 */
export function energyGradient(wf: Wavefunction, g: GradientInput, chunk = 4096): tf.Tensor[] {
  const { coefRe, coefIm } = gradientCoefficients(g);
  return shardGradient(wf, { configs: g.configs, count: g.count, coefRe, coefIm }, chunk);
}
