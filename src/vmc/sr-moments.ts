/**
 * The weighted column sums of O that stochastic reconfiguration needs (sr.ts), summed shard by
 * shard where O is computed (log-derivative-shards.ts, on the step's threads) instead of in
 * passes over the whole matrix on the main thread afterwards:
 *
 *   W = Σ_s w_s,   Σ_s w_s O_s (real and imaginary parts),   Σ_s u_s·O_s with
 *   u_s = w_s (E_s − E₀): Re u with Re O plus Im u with Im O.
 *
 * From these, ⟨O⟩ = Σ w O / W, and the force F_k = Re⟨ΔE* O_k⟩ − … of sr.ts is
 *   F = (Σ_s u_s·O_s − (Σ_s u_s)·⟨O⟩) / W,
 * which does not depend on the reference E₀ (Σ_s w_s (O_s − ⟨O⟩) = 0), so the driver can use its
 * own estimate of ⟨E⟩ before the solve computes the exact weighted mean.
 *
 * Shards are fixed by the run and their sums are added in shard order (`addMoments`), so the
 * result does not depend on the number of threads. Measured on the quickstart state (1000 × 8052,
 * one thread, idle 2-core EPYC): the two passes over O these sums replace (the means, then F with
 * the centred copy) took 40–60 and 50–100 ms on the main thread.
 */
import type { LogDerivatives } from '../ansatz/log-derivatives.js';

/** Row weights of one shard: w_s and u_s = w_s (E_s − E₀) (real, imaginary). */
export interface MomentWeights {
  w: Float64Array;
  uRe: Float64Array;
  uIm: Float64Array;
}

export interface OMoments {
  /** Σ_s w_s */
  sumW: number;
  /** Σ_s u_s (real, imaginary) */
  sumURe: number;
  sumUIm: number;
  /** Σ_s w_s Re O_s [P] */
  wRe: Float64Array;
  /** Σ_s w_s Im O_s [P] (length 0 when O has no imaginary part) */
  wIm: Float64Array;
  /** Σ_s (Re u_s Re O_s + Im u_s Im O_s) [P] */
  uO: Float64Array;
}

/** The sums of `OMoments` over the rows of O (one pass over the rows). */
export function rowMoments(O: LogDerivatives, weights: MomentWeights): OMoments {
  const P = O.nParams;
  const n = weights.w.length;
  if (O.re.length !== n * P) throw new Error(`sr moments: O has ${O.re.length / P} rows, ${n} weights`);
  const hasIm = O.im.length > 0;
  const wRe = new Float64Array(P);
  const wIm = new Float64Array(hasIm ? P : 0);
  const uO = new Float64Array(P);
  let sumW = 0;
  let sumURe = 0;
  let sumUIm = 0;
  for (let s = 0; s < n; s++) {
    const w = weights.w[s];
    const ur = weights.uRe[s];
    const ui = weights.uIm[s];
    sumW += w;
    sumURe += ur;
    sumUIm += ui;
    if (w === 0 && ur === 0 && ui === 0) continue;
    accumulate(O.re, s * P, P, w, ur, wRe, uO);
    if (hasIm) accumulate(O.im, s * P, P, w, ui, wIm, uO);
  }
  return { sumW, sumURe, sumUIm, wRe, wIm, uO };
}

/** a[k] += w·X[o + k], b[k] += u·X[o + k] (one row). */
function accumulate(X: ArrayLike<number>, o: number, P: number, w: number, u: number, a: Float64Array, b: Float64Array): void {
  for (let k = 0; k < P; k++) {
    const x = X[o + k];
    a[k] += w * x;
    b[k] += u * x;
  }
}

/** The sums of several shards, added in the order given. */
export function addMoments(parts: OMoments[]): OMoments {
  if (parts.length === 1) return parts[0];
  const P = parts[0].wRe.length;
  const hasIm = parts.some((p) => p.wIm.length > 0);
  const out: OMoments = { sumW: 0, sumURe: 0, sumUIm: 0, wRe: new Float64Array(P), wIm: new Float64Array(hasIm ? P : 0), uO: new Float64Array(P) };
  for (const p of parts) {
    if (p.wRe.length !== P) throw new Error(`sr moments: shards of ${p.wRe.length} and ${P} parameters`);
    out.sumW += p.sumW;
    out.sumURe += p.sumURe;
    out.sumUIm += p.sumUIm;
    for (let k = 0; k < P; k++) {
      out.wRe[k] += p.wRe[k];
      out.uO[k] += p.uO[k];
    }
    if (hasIm && p.wIm.length > 0) for (let k = 0; k < P; k++) out.wIm[k] += p.wIm[k];
  }
  return out;
}

/** Row weights for SR from multiplicities w and local values E with a reference E₀. */
export function momentWeights(w: Float64Array, eRe: Float64Array, eIm: Float64Array, e0Re: number, e0Im: number): MomentWeights {
  const n = w.length;
  const uRe = new Float64Array(n);
  const uIm = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    uRe[s] = w[s] * (eRe[s] - e0Re);
    uIm[s] = w[s] * (eIm[s] - e0Im);
  }
  return { w, uRe, uIm };
}
