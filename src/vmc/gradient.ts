/**
 * Energy gradient by a surrogate loss.
 *
 * For log ψ = logAmp + i·phase and ΔE = E_loc − ⟨E⟩ (design notes):
 *   ∂_k ⟨E⟩ = 2 Re⟨ΔE* ∂_k log ψ⟩ = 2 ⟨Re ΔE · ∂_k logAmp + Im ΔE · ∂_k phase⟩.
 * The surrogate L = (2/W) Σ_x w_x [Re ΔE_x · logAmp(x) + Im ΔE_x · phase(x)], with the ΔE
 * factors held constant, has exactly this gradient. The same formula holds for exact and for
 * Markov-chain samples, and for unnormalised ψ (the ⟨E⟩ subtraction takes care of the norm).
 */
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';

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

/**
 * Returns ∂⟨E⟩/∂θ for every variable of `wf` (caller disposes), computed in chunks of
 * `chunk` configurations so that memory stays bounded.
 */
export function energyGradient(wf: Wavefunction, g: GradientInput, chunk = 4096): tf.Tensor[] {
  const N = wf.nSites;
  let W = 0;
  for (let i = 0; i < g.count; i++) W += g.weights[i];
  const total: tf.Tensor[] = wf.variables.map((v) => tf.zerosLike(v));
  for (let start = 0; start < g.count; start += chunk) {
    const m = Math.min(chunk, g.count - start);
    const cRe = new Float32Array(m);
    const cIm = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const w = (2 * g.weights[start + i]) / W;
      cRe[i] = w * (g.eRe[start + i] - g.meanRe);
      cIm[i] = w * (g.eIm[start + i] - g.meanIm);
    }
    const x = tf.tensor2d(g.configs.subarray(start * N, (start + m) * N), [m, N], 'float32');
    const aRe = tf.tensor1d(cRe);
    const aIm = tf.tensor1d(cIm);
    const { value, grads } = tf.variableGrads(() => {
      const { logAmp, phase } = wf.logPsi(x);
      return tf.add(tf.sum(tf.mul(logAmp, aRe)), tf.sum(tf.mul(phase, aIm))) as tf.Scalar;
    }, wf.variables);
    value.dispose();
    x.dispose();
    aRe.dispose();
    aIm.dispose();
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
