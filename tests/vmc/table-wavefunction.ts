/**
 * Test fixture: a wavefunction that stores log|ψ| and arg ψ of every configuration as trainable
 * tables (N ≤ 12). Exact sampling by enumeration. It lets the VMC engine be tested against exact
 * full sums independently of any neural ansatz.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostLogPsi, LogPsi, Wavefunction } from '../../src/ansatz/wavefunction.js';
import type { Rng } from '../../src/rng.js';
import { configIndex } from '../configurations.js';

export class TableWavefunction implements Wavefunction {
  readonly kind = 'table';
  readonly normalized = false;
  readonly variables: tf.Variable[];
  private readonly powers: tf.Tensor2D;

  constructor(
    readonly nSites: number,
    rng: Rng,
    scale = 0.5,
    complex = true,
  ) {
    const dim = 2 ** nSites;
    const a = Float32Array.from({ length: dim }, () => scale * rng.normal());
    const p = Float32Array.from({ length: dim }, () => (complex ? 2 * rng.normal() : 0));
    this.variables = [tf.variable(tf.tensor2d(a, [dim, 1])), tf.variable(tf.tensor2d(p, [dim, 1]))];
    this.powers = tf.tensor2d(Array.from({ length: nSites }, (_, s) => 2 ** s), [nSites, 1]);
  }

  logPsi(configs: tf.Tensor2D): LogPsi {
    return tf.tidy(() => {
      const idx = tf.matMul(configs, this.powers).reshape([-1]).round().toInt();
      const oneHot = tf.oneHot(idx, 2 ** this.nSites).toFloat();
      return {
        logAmp: tf.matMul(oneHot, this.variables[0]).reshape([-1]) as tf.Tensor1D,
        phase: tf.matMul(oneHot, this.variables[1]).reshape([-1]) as tf.Tensor1D,
      };
    });
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const a = this.variables[0].dataSync();
    const p = this.variables[1].dataSync();
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    for (let b = 0; b < count; b++) {
      const i = configIndex(configs, b, this.nSites);
      logAmp[b] = a[i];
      phase[b] = p[i];
    }
    return { logAmp, phase };
  }

  /** |ψ|²/Z for every basis state */
  probabilities(): Float64Array {
    const a = this.variables[0].dataSync();
    const w = Float64Array.from(a, (v) => Math.exp(2 * v));
    const z = w.reduce((s, v) => s + v, 0);
    return w.map((v) => v / z);
  }

  sample(count: number, rng: Rng): Uint8Array {
    const p = this.probabilities();
    const cdf = new Float64Array(p.length);
    let acc = 0;
    p.forEach((v, i) => (cdf[i] = acc += v));
    const out = new Uint8Array(count * this.nSites);
    for (let c = 0; c < count; c++) {
      const u = rng.uniform();
      let lo = 0;
      let hi = p.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      for (let s = 0; s < this.nSites; s++) out[c * this.nSites + s] = (lo >> s) & 1;
    }
    return out;
  }

  spec(): Record<string, unknown> {
    return { kind: 'table', nSites: this.nSites };
  }

  dispose(): void {
    this.powers.dispose();
    for (const v of this.variables) v.dispose();
  }
}

/** Exact ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩ in float64 from a dense Hermitian matrix and host amplitudes. */
export function exactEnergy(
  H: { re: Float64Array; im: Float64Array; dim: number },
  logAmp: ArrayLike<number>,
  phase: ArrayLike<number>,
): number {
  const dim = H.dim;
  const pr = Float64Array.from({ length: dim }, (_, i) => Math.exp(logAmp[i]) * Math.cos(phase[i]));
  const pi = Float64Array.from({ length: dim }, (_, i) => Math.exp(logAmp[i]) * Math.sin(phase[i]));
  let num = 0;
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    norm += pr[i] * pr[i] + pi[i] * pi[i];
    // (Hψ)_i
    let hr = 0;
    let hi = 0;
    for (let j = 0; j < dim; j++) {
      const mr = H.re[i * dim + j];
      const mi = H.im[i * dim + j];
      if (mr === 0 && mi === 0) continue;
      hr += mr * pr[j] - mi * pi[j];
      hi += mr * pi[j] + mi * pr[j];
    }
    num += pr[i] * hr + pi[i] * hi; // Re(ψ_i* (Hψ)_i)
  }
  return num / norm;
}
