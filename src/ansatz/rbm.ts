/**
 * Restricted Boltzmann machine wavefunction (Carleo & Troyer, Science 355, 602 (2017)):
 *
 *   log ψ(σ) = Σ_i a_i σ_i + Σ_j log(2 cosh θ_j),   θ_j = b_j + Σ_i W_ij σ_i,   σ = 2x − 1,
 *
 * with M = αN hidden units. Parameters are complex by default, stored as real/imaginary pairs of
 * float32 variables; `complex: false` gives a real (positive) RBM.
 *
 * Variable order (checkpoints, optimizers and `logDerivatives` rely on it):
 *   complex: [aRe (N), aIm (N), bRe (M), bIm (M), WRe (N×M), WIm (N×M)]
 *   real:    [a (N), b (M), W (N×M)]
 * W is row-major [N, M]: W_ij at i·M + j. With `symmetries` (e.g. chain translations) the
 * variables are the reduced a [1], b [α], w [α, N] in the same order, expanded internally.
 *
 * log(2 cosh z) for z = x + iy, written with real operations and stable for large |x|:
 * with s = sign(x) (s = −1 at x = 0), u = exp(−2|x|),
 *   Re = |x| + ½·log(1 + 2u·cos 2y + u²)
 *   Im = s·(y − atan2(u·sin 2y, 1 + u·cos 2y))          (mod 2π)
 * because 2cosh z = e^{sz}(1 + e^{−2sz}). Likewise tanh z = (s(1 − u²) + i·2u·sin 2y)/(1 + 2u·cos 2y + u²).
 *
 * (the tfjs `logPsi` and the host kernel's direct path use these forms).
 *
 * Besides the Wavefunction contract the RBM offers, all in plain-JS float64 and all built on the
 * θ tables of `HiddenKernel` (θ_j, E_j = e^{−2θ_j}, Σθ per configuration):
 *  - `evaluateConnected`: θ of each parent computed once; a connected configuration differing in
 *    any set F of sites costs O(|F|·M) (θ' = θ − 2 Σ_{i∈F} σ_i W_i·), none of it transcendental;
 *  - `createWalkers`: Metropolis tables per chain, a flip or an exchange costs O(M);
 *  - `logDerivatives`: analytic O_k(σ) = ∂ log ψ/∂p_k per sample (for stochastic reconfiguration).
 * The tables of the last batch of configurations are kept, so the local energies (parents, then
 * connected configurations) and SR (O_k of the same samples) compute θ once per sample and step.
 * Host copies of the parameters (and the flip tables) are re-read whenever a variable was assigned.
 *
 * Measured (symmetric real RBM α = 2, TFIM chain N = 40 periodic, 50 chains, SR, M = 1000,
 * scripts/bench-rbm.ts, the two versions back to back on the shared 2-core machine): 0.52–0.56 s →
 * 0.145–0.17 s per step (README, "RBM step"). Float64 summation order changed (products of 1 + E per block instead of a sum of
 * log 2cosh per unit; θ from the up spins): trajectories of experiments/rbm-tfim-chain40.json
 * agree with the former code to ~1e-13 in the energy over the first 137 steps.
 *
 * An optional explicit sign (−1)^{number of up spins on `signSites`} (e.g. sublattice A for the
 * Marshall sign) is carried in the phase; it changes neither |ψ| nor the O_k.
 */
import * as tf from '@tensorflow/tfjs';
import { mm } from './tf-ops.js';
import type { Connections } from '../hamiltonian/types.js';
import type { Rng } from '../rng.js';
import type { HostLogPsi, LogPsi, Wavefunction } from './wavefunction.js';
import type { AnalyticLogDerivatives, LogDerivatives } from './log-derivatives.js';

export interface RbmOptions {
  nSites: number;
  /** hidden-unit density: M = round(α·N) hidden units (default 1) */
  alpha?: number;
  /** complex parameters (default true) */
  complex?: boolean;
  /** standard deviation of the initial parameters (default 0.01) */
  initScale?: number;
  /** sites whose up spins each contribute a factor −1 (e.g. Marshall sign); default none */
  signSites?: number[] | null;
  /** configurations per chunk in the tfjs path (default 2048) */
  chunkSize?: number;
  /**
   * Symmetric RBM (Carleo & Troyer's translation-invariant form): a list of site permutations
   * g (perm[i] = g(i)), e.g. `chainTranslations(N)`. Then α must be an integer, M = α·|G|
   * hidden units θ_{f,g} = b_f + Σ_i w_f[i]·σ_{g(i)}, and one shared visible bias a (exact for
   * a transitive group such as translations). Parameters: α(N+1)+1 (×2 when complex).
   */
  symmetries?: number[][] | null;
}

/** The N translations of a periodic chain: g_k(i) = (i + k) mod N. */
export function chainTranslations(n: number): number[][] {
  return Array.from({ length: n }, (_, k) => Array.from({ length: n }, (_, i) => (i + k) % n));
}

export { hasAnalyticLogDerivatives, type AnalyticLogDerivatives, type LogDerivatives } from './log-derivatives.js';

/**
 * Metropolis look-up tables for `chains` chains whose configurations live in the array given to
 * `createWalkers` (owned by the sampler, chain c at c·N). `logAmpRatio` must be followed either by
 * `accept` (same chain and sites, updates the tables AND flips the bits) or by nothing.
 */
export interface MarkovWalkers {
  /** log|ψ(x')| − log|ψ(x)| for flipping site s0 (and s1 when s1 ≥ 0) of chain c */
  logAmpRatio(c: number, s0: number, s1: number): number;
  /** accepts the proposal last passed to `logAmpRatio` for chain c */
  accept(c: number, s0: number, s1: number): void;
}

export interface LocalUpdateWavefunction extends Wavefunction {
  createWalkers(configs: Uint8Array, chains: number): MarkovWalkers;
}

export function hasLocalUpdates(wf: Wavefunction): wf is LocalUpdateWavefunction {
  return typeof (wf as Partial<LocalUpdateWavefunction>).createWalkers === 'function';
}

interface HostParams {
  aRe: Float64Array;
  aIm: Float64Array;
  bRe: Float64Array;
  bIm: Float64Array;
  WRe: Float64Array;
  WIm: Float64Array;
}

/**
 * Host parameters plus the flip tables e^{±4 W_ij} (N×M like W; imaginary parts empty when real)
 * and, for θ from the up spins only, h0 = (b − Σ_i W_i)/2 and Σ_i a_i.
 */
interface HostTables extends HostParams {
  epRe: Float64Array;
  epIm: Float64Array;
  enRe: Float64Array;
  enIm: Float64Array;
  h0Re: Float64Array;
  h0Im: Float64Array;
  aSumRe: number;
  aSumIm: number;
}

/**
 * Σ_j log 2cosh θ_j of one configuration from its θ table, and the same sum after flipping any
 * set of sites, in O(M) per flipped site and without a transcendental function per hidden unit.
 *
 * Per hidden unit the table holds θ_j and E_j = e^{−2θ_j} (complex for a complex RBM), and per
 * configuration Σ_j θ_j. Since log 2cosh θ = θ + log(1 + E),
 *
 *   Σ_j log 2cosh θ_j = Σ_j θ_j + log Π_j (1 + E_j)        (imaginary part mod 2π),
 *
 * one log (and one atan2 for the phase) per block of units, and no branch on the sign of θ
 * (measured: mispredicted sign branches made an earlier version ~3× slower). Real factors are
 * ≥ 1, so a block of 32 can only overflow; complex ones are ≳ 1e-16 unless θ sits on a zero of
 * cosh, so a block of 16 cannot underflow. A block that overflows (or meets an E that is not
 * kept, see below) is redone per unit in the bounded form
 *   Re log 2cosh θ = |Re θ| + log|g|,  Im = Im θ + arg g,  g = (1 + E)/max(1, |E|)  (|g| ≤ 2),
 * or directly with exp, cos and sin.
 *
 * Flipping sites F (spins σ_f before the flip) gives θ'_j = θ_j − d_j with d_j = 2 Σ_f σ_f W_{f j},
 * so E'_j = E_j·e^{2d_j}, e^{2d} = Π_f e^{4σ_f W_{f j}} a product of the flip tables ep = e^{4W},
 * en = e^{−4W} (computed once per parameter update), and Σθ' = Σθ − Σ_j d_j with the row sums of
 * W. Products keep the relative precision (unlike cosh(θ−d)/cosh θ = cosh d − tanh θ·sinh d, which
 * cancels when |θ| is large). E is kept only while it is a normal number well inside the float64
 * range (|Re θ| ≲ 170–340); otherwise it is NaN and that unit is computed directly, as are all
 * units when partial products of the tables could overflow (|flips|·max|4W| > 600).
 *
 * Measured (symmetric real RBM α = 2, N = 40, TFIM, M = 1000 samples): the per-unit
 * exp + log1p of the direct formula was ~70% of a VMC step; this kernel evaluates a single flip
 * in ~3 ns per hidden unit.
 */
const BLOCK_RE = 32;
const BLOCK_CX = 16;
/** E (real) is kept while 1e-300 < E < 1e300; |E|² (complex) while 1e-290 < |E|² < 1e290 */
const E_MIN = 1e-300;
const E_MAX = 1e300;
const E2_MIN = 1e-290;
const E2_MAX = 1e290;

export class HiddenKernel {
  /** result of the last `exact` or `flipped`: Σ_j log 2cosh θ_j (real and imaginary parts) */
  re = 0;
  im = 0;
  /** Σ_j θ_j after the last `exact` or `apply` (to be kept with the table) */
  sumRe = 0;
  sumIm = 0;
  /** flipped sites and their spins σ (before the flip), filled by the caller; count passed as k */
  readonly sites: Int32Array;
  readonly sig: Float64Array;
  /** a row of zeros (W) and of ones (e^{4W}): no flip (`exact`) */
  private readonly zeros: Float64Array;
  private readonly ones: Float64Array;
  /** row sums Σ_j W_ij */
  private readonly rowRe: Float64Array;
  private readonly rowIm: Float64Array;
  /** scratch: Σ 2σ_f W_f· and Π e^{4σ_f W_f·} over the flipped sites (more than one) */
  private readonly dRe: Float64Array;
  private readonly dIm: Float64Array;
  private readonly fRe: Float64Array;
  private readonly fIm: Float64Array;
  /** the rows of the current move (see `selectRows`) and Σ_j c·w_j */
  private readonly rows: { wRe: Float64Array; wIm: Float64Array; fRe: Float64Array; fIm: Float64Array; r: number; c: number; dRe: number; dIm: number };
  /** largest number of flipped sites whose table products cannot overflow */
  private readonly maxFlips: number;

  constructor(
    private readonly p: HostTables,
    private readonly M: number,
    private readonly complex: boolean,
    nSites: number,
  ) {
    this.sites = new Int32Array(nSites);
    this.sig = new Float64Array(nSites);
    this.zeros = new Float64Array(M);
    this.ones = new Float64Array(M).fill(1);
    this.rowRe = new Float64Array(nSites);
    this.rowIm = new Float64Array(nSites);
    for (let i = 0; i < nSites; i++) {
      for (let j = 0; j < M; j++) {
        this.rowRe[i] += p.WRe[i * M + j];
        this.rowIm[i] += p.WIm[i * M + j];
      }
    }
    this.dRe = new Float64Array(M);
    this.dIm = new Float64Array(M);
    this.fRe = new Float64Array(M);
    this.fIm = new Float64Array(M);
    this.rows = { wRe: p.WRe, wIm: p.WIm, fRe: p.epRe, fIm: p.epIm, r: 0, c: 0, dRe: 0, dIm: 0 };
    let wmax = 0;
    for (let k = 0; k < p.WRe.length; k++) wmax = Math.max(wmax, Math.abs(p.WRe[k]));
    this.maxFlips = wmax > 0 ? Math.floor(600 / (4 * wmax)) : nSites;
  }

  /** E and Σθ from θ (at offset o of the four arrays); sets re (and im when `withPhase`), sumRe, sumIm. */
  exact(thRe: Float64Array, thIm: Float64Array, eRe: Float64Array, eIm: Float64Array, o: number, withPhase = true): void {
    this.directE(thRe, thIm, eRe, eIm, o, this.M);
    let sr = 0;
    let si = 0;
    for (let j = o; j < o + this.M; j++) sr += thRe[j];
    if (this.complex) for (let j = o; j < o + this.M; j++) si += thIm[j];
    this.sumRe = sr;
    this.sumIm = si;
    const { ones, zeros, rows } = this;
    rows.dRe = 0;
    rows.dIm = 0;
    if (this.complex) this.sumComplex(thRe, thIm, eRe, eIm, o, sr, si, zeros, zeros, 0, 0, ones, zeros, false, withPhase);
    else this.sumReal(thRe, eRe, o, sr, zeros, 0, 0, ones, false, 0, 0, ones);
  }

  /** E_j = e^{−2θ_j} computed directly (NaN outside the kept range) for `n` units from offset o. */
  private directE(thRe: Float64Array, thIm: Float64Array, eRe: Float64Array, eIm: Float64Array, o: number, n: number): void {
    for (let j = o; j < o + n; j++) {
      const v = Math.exp(-2 * thRe[j]);
      if (this.complex) {
        const ok = v * v > E2_MIN && v * v < E2_MAX;
        eRe[j] = ok ? v * Math.cos(2 * thIm[j]) : NaN;
        eIm[j] = ok ? -v * Math.sin(2 * thIm[j]) : NaN;
      } else {
        eRe[j] = v > E_MIN && v < E_MAX ? v : NaN;
      }
    }
  }

  /**
   * Σ_j log 2cosh θ'_j after flipping `this.sites[0..k)` of the configuration whose θ, E are at
   * offset o and whose Σθ is (sRe, sIm); the table is only read. Sets re, and im when `withPhase`.
   */
  flipped(
    thRe: Float64Array, thIm: Float64Array, eRe: Float64Array, eIm: Float64Array, o: number, sRe: number, sIm: number,
    k: number, withPhase: boolean,
  ): void {
    const direct = k > this.maxFlips;
    if (k === 2 && !this.complex) {
      // an exchange (or any two-site term) of a real RBM: both rows read in place, nothing stored
      const { p, sites, sig, M } = this;
      const [r, r2] = [sites[0] * M, sites[1] * M];
      const [c, c2] = [2 * sig[0], 2 * sig[1]];
      const lin = sRe - c * this.rowRe[sites[0]] - c2 * this.rowRe[sites[1]];
      this.sumReal(thRe, eRe, o, lin, p.WRe, r, c, sig[0] > 0 ? p.epRe : p.enRe, direct, r2, c2, sig[1] > 0 ? p.epRe : p.enRe);
      return;
    }
    this.selectRows(k);
    const { wRe, wIm, fRe, fIm, r, c, dRe, dIm } = this.rows;
    if (this.complex) this.sumComplex(thRe, thIm, eRe, eIm, o, sRe - dRe, sIm - dIm, wRe, wIm, r, c, fRe, fIm, direct, withPhase);
    else this.sumReal(thRe, eRe, o, sRe - dRe, wRe, r, c, fRe, direct, 0, 0, this.ones);
  }

  /**
   * A move is θ' = θ − c·w[r + ·], E' = E·f[r + ·]: for one flipped site its rows of W and of the
   * flip tables (c = 2σ), for more sites w = Σ_f 2σ_f W_f·, f = Π_f e^{4σ_f W_f·} (r = 0, c = 1);
   * rows.dRe/dIm = Σ_j c·w_j.
   */
  private selectRows(k: number): void {
    const { p, sites, sig, rows } = this;
    if (k > 1) {
      this.accumulate(k);
      rows.wRe = this.dRe;
      rows.wIm = this.dIm;
      rows.fRe = this.fRe;
      rows.fIm = this.fIm;
      rows.r = 0;
      rows.c = 1;
      return;
    }
    const s = sites[0];
    rows.wRe = p.WRe;
    rows.wIm = p.WIm;
    rows.fRe = sig[0] > 0 ? p.epRe : p.enRe;
    rows.fIm = sig[0] > 0 ? p.epIm : p.enIm;
    rows.r = s * this.M;
    rows.c = 2 * sig[0];
    rows.dRe = rows.c * this.rowRe[s];
    rows.dIm = rows.c * this.rowIm[s];
  }

  /** dRe/dIm = Σ_f 2σ_f W_f·, fRe/fIm = Π_f e^{4σ_f W_f·} over the k flipped sites, and their sums */
  private accumulate(k: number): void {
    if (!this.complex) {
      this.accumulateReal(k);
      return;
    }
    const { M, p, sites, sig, dRe, dIm, fRe, fIm, rows } = this;
    const { WRe, WIm } = p;
    rows.dRe = 0;
    rows.dIm = 0;
    for (let f = 0; f < k; f++) {
      const r = sites[f] * M;
      const c = 2 * sig[f];
      const aRe = sig[f] > 0 ? p.epRe : p.enRe;
      const aIm = sig[f] > 0 ? p.epIm : p.enIm;
      rows.dRe += c * this.rowRe[sites[f]];
      rows.dIm += c * this.rowIm[sites[f]];
      if (f === 0) {
        // the first site initialises the sums
        for (let j = 0; j < M; j++) {
          dRe[j] = c * WRe[r + j];
          fRe[j] = aRe[r + j];
        }
        if (this.complex) {
          for (let j = 0; j < M; j++) {
            dIm[j] = c * WIm[r + j];
            fIm[j] = aIm[r + j];
          }
        }
        continue;
      }
      if (!this.complex) {
        for (let j = 0; j < M; j++) {
          dRe[j] += c * WRe[r + j];
          fRe[j] *= aRe[r + j];
        }
        continue;
      }
      for (let j = 0; j < M; j++) {
        dRe[j] += c * WRe[r + j];
        dIm[j] += c * WIm[r + j];
        const ar = aRe[r + j];
        const ai = aIm[r + j];
        const t = fRe[j] * ar - fIm[j] * ai;
        fIm[j] = fRe[j] * ai + fIm[j] * ar;
        fRe[j] = t;
      }
    }
  }

  private accumulateReal(k: number): void {
    const M = this.M;
    const W = this.p.WRe;
    const d = this.dRe;
    const f = this.fRe;
    let r = this.sites[0] * M;
    let c = 2 * this.sig[0];
    let a = this.sig[0] > 0 ? this.p.epRe : this.p.enRe;
    let ds = c * this.rowRe[this.sites[0]];
    for (let j = 0; j < M; j++) {
      d[j] = c * W[r + j];
      f[j] = a[r + j];
    }
    for (let q = 1; q < k; q++) {
      r = this.sites[q] * M;
      c = 2 * this.sig[q];
      a = this.sig[q] > 0 ? this.p.epRe : this.p.enRe;
      ds += c * this.rowRe[this.sites[q]];
      for (let j = 0; j < M; j++) {
        d[j] += c * W[r + j];
        f[j] *= a[r + j];
      }
    }
    this.rows.dRe = ds;
    this.rows.dIm = 0;
  }

  /**
   * Σ_j log 2cosh θ'_j for θ' = θ − c·w[r + ·] − c2·w[r2 + ·] with Σθ' = lin,
   * E' = E·f[r + ·]·f2[r2 + ·] (real RBM; c2 = 0 and f2 = ones for a single row).
   */
  private sumReal(
    thRe: Float64Array, eRe: Float64Array, o: number, lin: number, w: Float64Array, r: number, c: number, f: Float64Array,
    direct: boolean, r2: number, c2: number, f2: Float64Array,
  ): void {
    const { M } = this;
    const two = c2 !== 0;
    let acc = lin;
    for (let j0 = 0; j0 < M; j0 += BLOCK_RE) {
      const j1 = Math.min(M, j0 + BLOCK_RE);
      // fast: log Π (1 + E'), two products for instruction-level parallelism
      let p0 = 1;
      let p1 = 1;
      let j = j0;
      if (two) {
        for (; j + 1 < j1; j += 2) {
          p0 *= 1 + eRe[o + j] * f[r + j] * f2[r2 + j];
          p1 *= 1 + eRe[o + j + 1] * f[r + j + 1] * f2[r2 + j + 1];
        }
        if (j < j1) p0 *= 1 + eRe[o + j] * f[r + j] * f2[r2 + j];
      } else {
        for (; j + 1 < j1; j += 2) {
          p0 *= 1 + eRe[o + j] * f[r + j];
          p1 *= 1 + eRe[o + j + 1] * f[r + j + 1];
        }
        if (j < j1) p0 *= 1 + eRe[o + j] * f[r + j];
      }
      const prod = p0 * p1;
      if (!direct && prod < E_MAX) {
        acc += Math.log(prod);
        continue;
      }
      // safe: Σ (|θ'| − θ') + log Π g, g = (1 + E')/max(1, E') = 1 + e^{−2|θ'|} (directly when E' is not kept)
      let corr = 0;
      let pg = 1;
      for (j = j0; j < j1; j++) {
        const x2 = thRe[o + j] - c * w[r + j] - c2 * w[r2 + j];
        const v = eRe[o + j] * f[r + j] * f2[r2 + j];
        pg *= !direct && v > E_MIN && v < E_MAX ? (1 + v) / Math.max(1, v) : 1 + Math.exp(-2 * Math.abs(x2));
        corr += Math.abs(x2) - x2;
      }
      acc += corr + Math.log(pg);
    }
    this.re = acc;
    this.im = 0;
  }

  /** The same for a complex RBM (Σθ' = lin + i·linIm); the phase only when `withPhase`. */
  private sumComplex(
    thRe: Float64Array, thIm: Float64Array, eRe: Float64Array, eIm: Float64Array, o: number, lin: number, linIm: number,
    wRe: Float64Array, wIm: Float64Array, r: number, c: number, fRe: Float64Array, fIm: Float64Array,
    direct: boolean, withPhase: boolean,
  ): void {
    const { M } = this;
    let acc = lin;
    let arg = linIm;
    for (let j0 = 0; j0 < M; j0 += BLOCK_CX) {
      const j1 = Math.min(M, j0 + BLOCK_CX);
      // fast: log Π (1 + E'), complex
      let pr = 1;
      let pi = 0;
      for (let j = j0; j < j1; j++) {
        const er = eRe[o + j];
        const ei = eIm[o + j];
        const fr = fRe[r + j];
        const fi = fIm[r + j];
        const gr = 1 + er * fr - ei * fi;
        const gi = er * fi + ei * fr;
        const t = pr * gr - pi * gi;
        pi = pr * gi + pi * gr;
        pr = t;
      }
      const mag = Math.hypot(pr, pi);
      if (!direct && mag > E_MIN && mag < E_MAX) {
        acc += Math.log(mag);
        if (withPhase) arg += Math.atan2(pi, pr);
        continue;
      }
      // safe: per unit g = (1 + E')/max(1, |E'|) with Im log 2cosh θ' = Im θ' + arg g, or directly
      // g = 1 + e^{−2sθ'} (s = sign Re θ') with Im log 2cosh θ' = s·Im θ' + arg g; the sums carry
      // corrections to the Σθ' already counted
      let corr = 0;
      let corrIm = 0;
      pr = 1;
      pi = 0;
      for (let j = j0; j < j1; j++) {
        const x2 = thRe[o + j] - c * wRe[r + j];
        const y2 = thIm[o + j] - c * wIm[r + j];
        const er = eRe[o + j];
        const ei = eIm[o + j];
        const fr = fRe[r + j];
        const fi = fIm[r + j];
        const vr = er * fr - ei * fi;
        const vi = er * fi + ei * fr;
        const m = vr * vr + vi * vi;
        let gr: number;
        let gi: number;
        corr += Math.abs(x2) - x2;
        if (!direct && m > E2_MIN && m < E2_MAX) {
          const n = Math.sqrt(Math.max(1, m));
          gr = (1 + vr) / n;
          gi = vi / n;
        } else {
          const s = x2 > 0 ? 1 : -1;
          const u = Math.exp(-2 * Math.abs(x2));
          corrIm += (s - 1) * y2;
          gr = 1 + u * Math.cos(2 * y2);
          gi = -s * u * Math.sin(2 * y2);
        }
        const t = pr * gr - pi * gi;
        pi = pr * gi + pi * gr;
        pr = t;
      }
      acc += corr + Math.log(Math.hypot(pr, pi));
      arg += corrIm + Math.atan2(pi, pr);
    }
    this.re = acc;
    this.im = withPhase ? arg : 0;
  }

  /** Applies the flip of `this.sites[0..k)` to the table at offset o (θ and E in place); sets sumRe, sumIm. */
  apply(thRe: Float64Array, thIm: Float64Array, eRe: Float64Array, eIm: Float64Array, o: number, k: number): void {
    const M = this.M;
    this.selectRows(k);
    const { wRe, wIm, fRe, fIm, r, c } = this.rows;
    // E that leaves the range where it is kept (or unsafe products) is recomputed from θ
    const direct = k > this.maxFlips;
    let sr = 0;
    let si = 0;
    if (!this.complex) {
      for (let j = o; j < o + M; j++) sr += thRe[j] -= c * wRe[r - o + j];
      let bad = direct;
      for (let j = o; j < o + M; j++) {
        const v = (eRe[j] *= fRe[r - o + j]);
        bad ||= !(v > E_MIN && v < E_MAX);
      }
      if (bad) for (let j = o; j < o + M; j++) if (direct || !(eRe[j] > E_MIN && eRe[j] < E_MAX)) this.directE(thRe, thIm, eRe, eIm, j, 1);
      this.sumRe = sr;
      this.sumIm = 0;
      return;
    }
    for (let j = 0; j < M; j++) {
      sr += thRe[o + j] -= c * wRe[r + j];
      si += thIm[o + j] -= c * wIm[r + j];
      const er = eRe[o + j];
      const ei = eIm[o + j];
      const vr = er * fRe[r + j] - ei * fIm[r + j];
      const vi = er * fIm[r + j] + ei * fRe[r + j];
      eRe[o + j] = vr;
      eIm[o + j] = vi;
      const m = vr * vr + vi * vi;
      if (direct || !(m > E2_MIN && m < E2_MAX)) this.directE(thRe, thIm, eRe, eIm, o + j, 1);
    }
    this.sumRe = sr;
    this.sumIm = si;
  }
}

/** θ tables of a batch of configurations (`Rbm.tablesOf`): count·M per array, count per term */
interface BatchTables {
  /** copy of the configurations the tables belong to, and the parameters they were computed with */
  x: Uint8Array;
  count: number;
  host: HostTables | null;
  thRe: Float64Array;
  thIm: Float64Array;
  eRe: Float64Array;
  eIm: Float64Array;
  /** Σ_j θ_j, Σ a_i σ_i and Σ_j log 2cosh θ_j (re, im) */
  sumRe: Float64Array;
  sumIm: Float64Array;
  visRe: Float64Array;
  visIm: Float64Array;
  hidRe: Float64Array;
  hidIm: Float64Array;
}

/** at most this many θ entries (configurations × hidden units) are tabulated at once: 4 MB per array */
const TABLE_ENTRIES = 1 << 19;

function emptyTables(): BatchTables {
  const z = new Float64Array(0);
  return { x: new Uint8Array(0), count: 0, host: null, thRe: z, thIm: z, eRe: z, eIm: z, sumRe: z, sumIm: z, visRe: z, visIm: z, hidRe: z, hidIm: z };
}

function bytesEqual(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return false;
  return true;
}

export class Rbm implements LocalUpdateWavefunction, AnalyticLogDerivatives {
  readonly kind = 'rbm';
  readonly nSites: number;
  readonly nHidden: number;
  readonly alpha: number;
  readonly complex: boolean;
  readonly normalized = false;
  readonly variables: tf.Variable[];
  readonly nParams: number;
  readonly signSites: number[];
  private readonly chunkSize: number;
  private readonly initScale: number;
  /** symmetry permutations (null: plain RBM) */
  readonly perms: number[][] | null;
  private expandW: tf.Tensor2D | null = null;
  private expandB: tf.Tensor2D | null = null;
  private host: HostTables | null = null;
  private kernel: HiddenKernel | null = null;
  private hostIds: unknown[] = [];
  /** symmetry permutations transposed, g(i) at i·|G| + g (null: plain RBM) */
  private readonly permT: Int32Array | null;
  /** θ tables of the last batch (`tablesOf`), and the most configurations it holds */
  private readonly tables: BatchTables = emptyTables();
  private readonly tableBatch: number;
  /** scratch: σ of one configuration */
  private readonly sigmaRow: Float64Array;

  constructor(opts: RbmOptions, rng: Rng) {
    const N = opts.nSites;
    if (!Number.isInteger(N) || N < 1) throw new Error(`rbm: nSites must be a positive integer, got ${N}`);
    const alpha = opts.alpha ?? 1;
    const perms = opts.symmetries && opts.symmetries.length > 0 ? opts.symmetries.map((g) => [...g]) : null;
    if (perms) {
      if (!Number.isInteger(alpha) || alpha < 1) throw new Error(`rbm: a symmetric RBM needs an integer alpha ≥ 1, got ${alpha}`);
      for (const g of perms) {
        const seen = new Set(g);
        if (g.length !== N || seen.size !== N || g.some((v) => !Number.isInteger(v) || v < 0 || v >= N)) {
          throw new Error('rbm: every symmetry must be a permutation of the N sites');
        }
      }
    }
    const M = perms ? alpha * perms.length : Math.round(alpha * N);
    if (!(alpha > 0) || M < 1) throw new Error(`rbm: alpha must give at least one hidden unit, got alpha=${alpha}`);
    this.perms = perms;
    this.permT = perms ? Int32Array.from({ length: N * perms.length }, (_, k) => perms[k % perms.length][Math.floor(k / perms.length)]) : null;
    this.sigmaRow = new Float64Array(N);
    this.tableBatch = Math.max(1, Math.floor(TABLE_ENTRIES / M));
    this.nSites = N;
    this.nHidden = M;
    this.alpha = alpha;
    this.complex = opts.complex ?? true;
    this.initScale = opts.initScale ?? 0.01;
    this.chunkSize = opts.chunkSize ?? 2048;
    this.signSites = [...(opts.signSites ?? [])];
    for (const s of this.signSites) {
      if (!Number.isInteger(s) || s < 0 || s >= N) throw new Error(`rbm: sign site ${s} out of range`);
    }
    const init = (shape: number[]): tf.Variable => {
      const n = shape.reduce((p, q) => p * q, 1);
      const v = new Float32Array(n);
      for (let k = 0; k < n; k++) v[k] = this.initScale * rng.normal();
      return tf.variable(tf.tensor(v, shape, 'float32'), true);
    };
    const [nA, nB, wShape] = perms ? [1, alpha, [alpha, N]] : [N, M, [N, M]];
    this.variables = this.complex
      ? [init([nA]), init([nA]), init([nB]), init([nB]), init(wShape), init(wShape)]
      : [init([nA]), init([nB]), init(wShape)];
    if (perms) {
      // W_full[g(i), f·G + g] = w_f[i]: expansion matrix E [α·N, N·M] (constant 0/1)
      const G = perms.length;
      const E = new Float32Array(alpha * N * N * M);
      const Eb = new Float32Array(alpha * M);
      for (let f = 0; f < alpha; f++) {
        for (let gi = 0; gi < G; gi++) {
          const h = f * G + gi;
          Eb[f * M + h] = 1;
          for (let i = 0; i < N; i++) E[(f * N + i) * N * M + perms[gi][i] * M + h] = 1;
        }
      }
      this.expandW = tf.tensor2d(E, [alpha * N, N * M]);
      this.expandB = tf.tensor2d(Eb, [alpha, M]);
    }
    this.nParams = this.variables.reduce((n, v) => n + v.size, 0);
  }

  // ------------------------------------------------------------------ tfjs (differentiable)

  logPsi(configs: tf.Tensor2D): LogPsi {
    return tf.tidy(() => {
      const N = this.nSites;
      const B = configs.shape[0];
      const s = configs.mul(2).sub(1) as tf.Tensor2D;
      const v = this.fullTensors();
      const [aRe, bRe, WRe] = this.complex ? [v[0], v[2], v[4]] : [v[0], v[1], v[2]];
      const thRe = mm(s, WRe as tf.Tensor2D).add(bRe);
      const visRe = mm(s, aRe.reshape([N, 1]) as tf.Tensor2D).reshape([B]);
      let phase: tf.Tensor1D;
      let hid: tf.Tensor;
      if (!this.complex) {
        const sg = tf.step(thRe, -1);
        const ax = thRe.mul(sg);
        hid = ax.add(tf.log1p(tf.exp(ax.mul(-2))));
        phase = tf.zeros([B]);
      } else {
        const [aIm, bIm, WIm] = [v[1], v[3], v[5]];
        const thIm = mm(s, WIm as tf.Tensor2D).add(bIm);
        const sg = tf.step(thRe, -1);
        const ax = thRe.mul(sg);
        const u = tf.exp(ax.mul(-2));
        const c2 = tf.cos(thIm.mul(2));
        const s2 = tf.sin(thIm.mul(2));
        const one = tf.scalar(1);
        hid = ax.add(tf.log(one.add(u.mul(c2).mul(2)).add(u.square())).mul(0.5));
        const hidIm = sg.mul(thIm.sub(tf.atan2(u.mul(s2), one.add(u.mul(c2)))));
        const visIm = mm(s, aIm.reshape([N, 1]) as tf.Tensor2D).reshape([B]);
        phase = visIm.add(hidIm.sum(1)) as tf.Tensor1D;
      }
      if (this.signSites.length > 0) {
        const mask = new Float32Array(N);
        for (const site of this.signSites) mask[site] = Math.PI;
        phase = phase.add(tf.matMul(configs, tf.tensor2d(mask, [N, 1])).reshape([B])) as tf.Tensor1D;
      }
      const logAmp = visRe.add(hid.sum(1)) as tf.Tensor1D;
      return { logAmp, phase };
    });
  }

  /** Parameters in the plain layout (a [N], b [M], W [N, M]); expanded for a symmetric RBM. */
  private fullTensors(): tf.Tensor[] {
    if (!this.perms) return this.variables;
    const N = this.nSites;
    const M = this.nHidden;
    const alpha = this.alpha;
    const out: tf.Tensor[] = [];
    const per = this.complex ? 2 : 1;
    for (let c = 0; c < per; c++) {
      out.push(this.variables[c].reshape([1]).tile([N]));
    }
    for (let c = 0; c < per; c++) {
      out.push(mm(this.variables[per + c].reshape([1, alpha]) as tf.Tensor2D, this.expandB!).reshape([M]));
    }
    for (let c = 0; c < per; c++) {
      out.push(mm(this.variables[2 * per + c].reshape([1, alpha * N]) as tf.Tensor2D, this.expandW!).reshape([N, M]));
    }
    // reorder to [aRe, aIm, bRe, bIm, WRe, WIm] (complex) or [a, b, W] (real)
    return this.complex ? [out[0], out[1], out[2], out[3], out[4], out[5]] : out;
  }

  // ------------------------------------------------------------------ host (float64)

  /**
   * Current parameters in float64 (plain layout) and the flip tables, re-read when any variable
   * was assigned since the last call.
   */
  hostParams(): HostTables {
    const ids = this.variables.map((v) => v.dataId);
    if (this.host && ids.every((id, k) => id === this.hostIds[k])) return this.host;
    const rd = (v: tf.Variable) => Float64Array.from(v.dataSync() as Float32Array);
    const v = this.variables;
    const N = this.nSites;
    const M = this.nHidden;
    let p: HostParams = this.complex
      ? { aRe: rd(v[0]), aIm: rd(v[1]), bRe: rd(v[2]), bIm: rd(v[3]), WRe: rd(v[4]), WIm: rd(v[5]) }
      : {
          aRe: rd(v[0]),
          aIm: new Float64Array(N),
          bRe: rd(v[1]),
          bIm: new Float64Array(M),
          WRe: rd(v[2]),
          WIm: new Float64Array(N * M),
        };
    if (this.perms) p = this.expandHost(p);
    // flip tables e^{±4W} (see HiddenKernel)
    const K = N * M;
    // all fields listed (not spread) so that the object keeps a fast, fixed shape
    const t: HostTables = {
      aRe: p.aRe,
      aIm: p.aIm,
      bRe: p.bRe,
      bIm: p.bIm,
      WRe: p.WRe,
      WIm: p.WIm,
      epRe: new Float64Array(K),
      enRe: new Float64Array(K),
      epIm: new Float64Array(this.complex ? K : 0),
      enIm: new Float64Array(this.complex ? K : 0),
      h0Re: Float64Array.from(p.bRe),
      h0Im: Float64Array.from(p.bIm),
      aSumRe: p.aRe.reduce((s, v) => s + v, 0),
      aSumIm: p.aIm.reduce((s, v) => s + v, 0),
    };
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < M; j++) {
        t.h0Re[j] -= p.WRe[i * M + j];
        t.h0Im[j] -= p.WIm[i * M + j];
      }
    }
    for (let j = 0; j < M; j++) {
      t.h0Re[j] *= 0.5;
      t.h0Im[j] *= 0.5;
    }
    for (let k = 0; k < K; k++) {
      const ep = Math.exp(4 * p.WRe[k]);
      const en = Math.exp(-4 * p.WRe[k]);
      if (this.complex) {
        const c = Math.cos(4 * p.WIm[k]);
        const s = Math.sin(4 * p.WIm[k]);
        t.epRe[k] = ep * c;
        t.epIm[k] = ep * s;
        t.enRe[k] = en * c;
        t.enIm[k] = -en * s;
      } else {
        t.epRe[k] = ep;
        t.enRe[k] = en;
      }
    }
    this.host = t;
    this.kernel = new HiddenKernel(t, M, this.complex, N);
    this.hostIds = ids;
    return t;
  }

  /** The hidden-unit kernel for the current parameters. */
  hiddenKernel(): HiddenKernel {
    this.hostParams();
    return this.kernel!;
  }

  /** Symmetric RBM: reduced host arrays (a [1], b [α], w [α, N]) → plain layout. */
  private expandHost(r: HostParams): HostParams {
    const N = this.nSites;
    const M = this.nHidden;
    const perms = this.perms!;
    const G = perms.length;
    const out: HostParams = {
      aRe: new Float64Array(N).fill(r.aRe[0]),
      aIm: new Float64Array(N).fill(this.complex ? r.aIm[0] : 0),
      bRe: new Float64Array(M),
      bIm: new Float64Array(M),
      WRe: new Float64Array(N * M),
      WIm: new Float64Array(N * M),
    };
    for (let f = 0; f < this.alpha; f++) {
      for (let gi = 0; gi < G; gi++) {
        const h = f * G + gi;
        out.bRe[h] = r.bRe[f];
        out.bIm[h] = this.complex ? r.bIm[f] : 0;
        for (let i = 0; i < N; i++) {
          out.WRe[perms[gi][i] * M + h] = r.WRe[f * N + i];
          out.WIm[perms[gi][i] * M + h] = this.complex ? r.WIm[f * N + i] : 0;
        }
      }
    }
    return out;
  }

  /**
   * θ of one configuration (written at offset o) and its visible term Σ a_i σ_i (re, im), from the
   * up spins only: θ = b + Σ_i σ_i W_i = 2·(h0 + Σ_{x_i = 1} W_i), h0 = (b − Σ_i W_i)/2 (half the
   * row additions of the ±1 sum).
   */
  private theta(p: HostTables, x: Uint8Array, off: number, thRe: Float64Array, thIm: Float64Array, o: number): [number, number] {
    const N = this.nSites;
    const M = this.nHidden;
    const complex = this.complex;
    const { aRe, aIm, WRe, WIm } = p;
    thRe.set(p.h0Re, o);
    if (complex) thIm.set(p.h0Im, o);
    let vr = 0;
    let vi = 0;
    for (let i = 0; i < N; i++) {
      if (!x[off + i]) continue;
      const r = i * M - o;
      vr += aRe[i];
      vi += aIm[i];
      for (let j = o; j < o + M; j++) thRe[j] += WRe[r + j];
      if (complex) for (let j = o; j < o + M; j++) thIm[j] += WIm[r + j];
    }
    for (let j = o; j < o + M; j++) thRe[j] *= 2;
    if (complex) for (let j = o; j < o + M; j++) thIm[j] *= 2;
    return [2 * vr - p.aSumRe, 2 * vi - p.aSumIm];
  }

  /**
   * θ, E (HiddenKernel) and the two parts of log ψ of `count` configurations (at most
   * `tableBatch` at a time). The local energies of a step evaluate the parents, then their
   * connected configurations from the parents' tables, and SR their O_k: the tables of the last
   * batch are kept, with a copy of its configurations compared byte by byte, so that θ is computed
   * once per configuration and step.
   */
  private tablesOf(configs: Uint8Array, count: number): BatchTables {
    const p = this.hostParams();
    const N = this.nSites;
    const M = this.nHidden;
    const t = this.tables;
    if (t.host === p && t.count === count && bytesEqual(t.x, configs, count * N)) return t;
    if (t.visRe.length < count) {
      const cap = Math.min(this.tableBatch, Math.max(count, 2 * t.visRe.length));
      t.x = new Uint8Array(cap * N);
      for (const k of ['thRe', 'thIm', 'eRe', 'eIm'] as const) t[k] = new Float64Array(cap * M);
      for (const k of ['sumRe', 'sumIm', 'visRe', 'visIm', 'hidRe', 'hidIm'] as const) t[k] = new Float64Array(cap);
    }
    const kern = this.kernel!;
    for (let b = 0; b < count; b++) {
      const [vr, vi] = this.theta(p, configs, b * N, t.thRe, t.thIm, b * M);
      kern.exact(t.thRe, t.thIm, t.eRe, t.eIm, b * M);
      t.visRe[b] = vr;
      t.visIm[b] = vi;
      t.hidRe[b] = kern.re;
      t.hidIm[b] = kern.im;
      t.sumRe[b] = kern.sumRe;
      t.sumIm[b] = kern.sumIm;
    }
    t.x.set(configs.subarray(0, count * N));
    t.count = count;
    t.host = p;
    return t;
  }

  private signPhase(x: Uint8Array, off: number): number {
    let up = 0;
    for (const s of this.signSites) up += x[off + s];
    return up & 1 ? Math.PI : 0;
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const N = this.nSites;
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    for (let start = 0; start < count; start += this.tableBatch) {
      const m = Math.min(this.tableBatch, count - start);
      const t = this.tablesOf(configs.subarray(start * N, (start + m) * N), m);
      for (let b = 0; b < m; b++) {
        const sp = this.signPhase(configs, (start + b) * N);
        logAmp[start + b] = t.visRe[b] + t.hidRe[b];
        phase[start + b] = this.complex ? t.visIm[b] + t.hidIm[b] + sp : sp;
      }
    }
    return { logAmp, phase };
  }

  /**
   * Connected configurations from the parent's θ table (HiddenKernel): θ' = θ − 2 Σ_{flipped i}
   * σ_i W_i·, any number of flipped sites, O(|flips|·M) each after O(N·M) per parent.
   */
  evaluateConnected(parents: Uint8Array, conn: Connections): HostLogPsi {
    const p = this.hostParams();
    const kern = this.kernel!;
    const N = this.nSites;
    const M = this.nHidden;
    const K = conn.offsets[conn.count];
    const logAmp = new Float64Array(K);
    const phase = new Float64Array(K);
    const { sites, sig } = kern;
    for (let start = 0; start < conn.count; start += this.tableBatch) {
      const m = Math.min(this.tableBatch, conn.count - start);
      const t = this.tablesOf(parents.subarray(start * N, (start + m) * N), m);
      for (let q = start; q < start + m; q++) {
        const b = q - start;
        for (let k = conn.offsets[q]; k < conn.offsets[q + 1]; k++) {
          let nf = 0;
          let dvr = 0;
          let dvi = 0;
          for (let i = 0; i < N; i++) {
            const xi = parents[q * N + i];
            if (conn.configs[k * N + i] === xi) continue;
            const s = xi ? 1 : -1;
            sites[nf] = i;
            sig[nf++] = s;
            dvr -= 2 * s * p.aRe[i];
            dvi -= 2 * s * p.aIm[i];
          }
          let hr = t.hidRe[b];
          let hi = t.hidIm[b];
          if (nf > 0) {
            kern.flipped(t.thRe, t.thIm, t.eRe, t.eIm, b * M, t.sumRe[b], t.sumIm[b], nf, true);
            hr = kern.re;
            hi = kern.im;
          }
          logAmp[k] = t.visRe[b] + dvr + hr;
          const sp = this.signPhase(conn.configs, k * N);
          phase[k] = this.complex ? t.visIm[b] + dvi + hi + sp : sp;
        }
      }
    }
    return { logAmp, phase };
  }

  /**
   * tanh θ_j from the table at offset o: (1 − E)/(1 + E) with E = e^{−2θ}, or directly (with
   * s = sign Re θ, u = e^{−2|Re θ|}) where E is not kept.
   */
  private tanhTheta(t: BatchTables, o: number, tr: Float64Array, ti: Float64Array): void {
    for (let j = 0; j < this.nHidden; j++) {
      const er = t.eRe[o + j];
      if (!this.complex) {
        if (er === er) {
          tr[j] = (1 - er) / (1 + er);
        } else {
          const x = t.thRe[o + j];
          const u = Math.exp(-2 * Math.abs(x));
          tr[j] = ((x > 0 ? 1 : -1) * (1 - u)) / (1 + u);
        }
        ti[j] = 0;
        continue;
      }
      const ei = t.eIm[o + j];
      if (er === er) {
        const den = (1 + er) * (1 + er) + ei * ei;
        tr[j] = (1 - er * er - ei * ei) / den;
        ti[j] = (-2 * ei) / den;
      } else {
        const x = t.thRe[o + j];
        const y = t.thIm[o + j];
        const s = x > 0 ? 1 : -1;
        const u = Math.exp(-2 * s * x);
        const den = 1 + 2 * u * Math.cos(2 * y) + u * u;
        tr[j] = (s * (1 - u * u)) / den;
        ti[j] = (2 * u * Math.sin(2 * y)) / den;
      }
    }
  }

  /**
   * Analytic O_k(x) = ∂ log ψ(x)/∂p_k, rows of `nParams` in variable order. For a complex
   * parameter c = c_re + i·c_im: O for c_re is f'(c), for c_im it is i·f'(c) (log ψ is holomorphic).
   * ∂/∂a_i = σ_i, ∂/∂b_j = tanh θ_j, ∂/∂W_ij = σ_i tanh θ_j.
   */
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives {
    const N = this.nSites;
    const M = this.nHidden;
    const P = this.nParams;
    const re = new Float64Array(count * P);
    const im = new Float64Array(count * P);
    const tr = new Float64Array(M);
    const ti = new Float64Array(M);
    let t: BatchTables | null = null;
    for (let b = 0; b < count; b++) {
      const off = b * N;
      const tb = b % this.tableBatch;
      if (tb === 0) t = this.tablesOf(configs.subarray(off, Math.min(count, b + this.tableBatch) * N), Math.min(this.tableBatch, count - b));
      this.tanhTheta(t!, tb * M, tr, ti);
      const row = b * P;
      if (this.perms) {
        this.symmetricRow(configs, off, tr, ti, re, im, row);
      } else if (this.complex) {
        // [aRe, aIm, bRe, bIm, WRe, WIm]
        const oAIm = row + N;
        const oBRe = row + 2 * N;
        const oBIm = oBRe + M;
        const oWRe = oBIm + M;
        const oWIm = oWRe + N * M;
        for (let i = 0; i < N; i++) {
          const sg = configs[off + i] ? 1 : -1;
          re[row + i] = sg;
          im[oAIm + i] = sg;
          const r = i * M;
          for (let j = 0; j < M; j++) {
            re[oWRe + r + j] = sg * tr[j];
            im[oWRe + r + j] = sg * ti[j];
            re[oWIm + r + j] = -sg * ti[j];
            im[oWIm + r + j] = sg * tr[j];
          }
        }
        for (let j = 0; j < M; j++) {
          re[oBRe + j] = tr[j];
          im[oBRe + j] = ti[j];
          re[oBIm + j] = -ti[j];
          im[oBIm + j] = tr[j];
        }
      } else {
        const oB = row + N;
        const oW = oB + M;
        for (let i = 0; i < N; i++) {
          const sg = configs[off + i] ? 1 : -1;
          re[row + i] = sg;
          const r = i * M;
          for (let j = 0; j < M; j++) re[oW + r + j] = sg * tr[j];
        }
        for (let j = 0; j < M; j++) re[oB + j] = tr[j];
      }
    }
    return { re, im, nParams: P };
  }

  /**
   * Symmetric RBM: O for the tied parameters are sums over the group:
   * O_a = Σ_i σ_i, O_{b_f} = Σ_g tanh θ_{f,g}, O_{w_f[i]} = Σ_g σ_{g(i)} tanh θ_{f,g}.
   */
  private symmetricRow(x: Uint8Array, off: number, tr: Float64Array, ti: Float64Array, re: Float64Array, im: Float64Array, row: number): void {
    const N = this.nSites;
    const perm = this.permT!;
    const G = perm.length / N;
    const A = this.alpha;
    const sg = this.sigmaRow;
    let ss = 0;
    for (let i = 0; i < N; i++) {
      sg[i] = x[off + i] ? 1 : -1;
      ss += sg[i];
    }
    // reduced layout: complex [aRe, aIm, bRe (A), bIm (A), wRe (A·N), wIm (A·N)]; real [a, b, w]
    const per = this.complex ? 2 : 1;
    const oB = row + per;
    const oW = oB + per * A;
    re[row] = ss;
    if (this.complex) im[row + 1] = ss;
    for (let f = 0; f < A; f++) {
      let sr = 0;
      let si = 0;
      const fg = f * G;
      for (let gi = 0; gi < G; gi++) {
        sr += tr[fg + gi];
        si += ti[fg + gi];
      }
      const o = oW + f * N;
      for (let i = 0; i < N; i++) {
        // Σ_g σ_{g(i)} tanh θ_{f,g}, with the permutations transposed (permT[i·G + g] = g(i))
        const pi = i * G;
        let wr = 0;
        for (let gi = 0; gi < G; gi++) wr += sg[perm[pi + gi]] * tr[fg + gi];
        re[o + i] = wr;
        if (!this.complex) continue;
        let wi = 0;
        for (let gi = 0; gi < G; gi++) wi += sg[perm[pi + gi]] * ti[fg + gi];
        im[o + i] = wi;
      }
      re[oB + f] = sr;
      im[oB + f] = si;
      if (this.complex) {
        re[oB + A + f] = -si;
        im[oB + A + f] = sr;
        const o2 = oW + A * N + f * N;
        for (let i = 0; i < N; i++) {
          re[o2 + i] = -im[o + i];
          im[o2 + i] = re[o + i];
        }
      }
    }
  }

  createWalkers(configs: Uint8Array, chains: number): MarkovWalkers {
    return new RbmWalkers(this, this.hostParams(), configs, chains);
  }

  spec(): Record<string, unknown> {
    return {
      kind: 'rbm',
      nSites: this.nSites,
      alpha: this.alpha,
      nHidden: this.nHidden,
      complex: this.complex,
      initScale: this.initScale,
      signSites: this.signSites,
      symmetries: this.perms,
    };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.expandW?.dispose();
    this.expandB?.dispose();
    this.host = null;
  }

  /** @internal used by the walkers */
  initTheta(p: HostTables, x: Uint8Array, off: number, thRe: Float64Array, thIm: Float64Array, o: number): [number, number] {
    return this.theta(p, x, off, thRe, thIm, o);
  }
}

/**
 * θ look-up tables per chain: θ_j and E_j = e^{−2θ_j} per hidden unit (HiddenKernel), and
 * Σ_j log|2cosh θ_j| of the current configuration. A proposal (one or two flipped sites) reads the
 * tables in O(M) without transcendental functions per unit; `accept` updates them in O(M).
 */
class RbmWalkers implements MarkovWalkers {
  private readonly thRe: Float64Array;
  private readonly thIm: Float64Array;
  private readonly eRe: Float64Array;
  private readonly eIm: Float64Array;
  /** Σ_j θ_j and Σ_j log|2cosh θ_j| of each chain's configuration, and the latter for the last proposal */
  private readonly sumRe: Float64Array;
  private readonly sumIm: Float64Array;
  private readonly hid: Float64Array;
  private propHid = 0;
  private readonly kern: HiddenKernel;
  private readonly N: number;
  private readonly M: number;

  constructor(
    rbm: Rbm,
    private readonly p: HostTables,
    private readonly configs: Uint8Array,
    chains: number,
  ) {
    const N = (this.N = rbm.nSites);
    const M = (this.M = rbm.nHidden);
    const cm = rbm.complex ? chains * M : 0;
    this.kern = rbm.hiddenKernel();
    this.thRe = new Float64Array(chains * M);
    this.thIm = new Float64Array(chains * M);
    this.eRe = new Float64Array(chains * M);
    this.eIm = new Float64Array(cm);
    this.hid = new Float64Array(chains);
    this.sumRe = new Float64Array(chains);
    this.sumIm = new Float64Array(chains);
    for (let c = 0; c < chains; c++) {
      rbm.initTheta(p, configs, c * N, this.thRe, this.thIm, c * M);
      this.kern.exact(this.thRe, this.thIm, this.eRe, this.eIm, c * M, false);
      this.hid[c] = this.kern.re;
      this.sumRe[c] = this.kern.sumRe;
      this.sumIm[c] = this.kern.sumIm;
    }
  }

  /** Puts the move into the kernel's site list; returns the change of Σ_i Re a_i σ_i. */
  private setMove(c: number, s0: number, s1: number): number {
    const { N, p, kern } = this;
    const x = this.configs;
    const sg0 = x[c * N + s0] ? 1 : -1;
    kern.sites[0] = s0;
    kern.sig[0] = sg0;
    let dv = -2 * sg0 * p.aRe[s0];
    if (s1 >= 0) {
      const sg1 = x[c * N + s1] ? 1 : -1;
      kern.sites[1] = s1;
      kern.sig[1] = sg1;
      dv -= 2 * sg1 * p.aRe[s1];
    }
    return dv;
  }

  logAmpRatio(c: number, s0: number, s1: number): number {
    const dv = this.setMove(c, s0, s1);
    this.kern.flipped(this.thRe, this.thIm, this.eRe, this.eIm, c * this.M, this.sumRe[c], this.sumIm[c], s1 >= 0 ? 2 : 1, false);
    this.propHid = this.kern.re;
    // log|ψ'| − log|ψ| = Δ(Σ a_i σ_i) + Δ(Σ_j log|2cosh θ_j|)
    return dv + this.propHid - this.hid[c];
  }

  accept(c: number, s0: number, s1: number): void {
    const { N, M } = this;
    this.setMove(c, s0, s1);
    this.kern.apply(this.thRe, this.thIm, this.eRe, this.eIm, c * M, s1 >= 0 ? 2 : 1);
    this.sumRe[c] = this.kern.sumRe;
    this.sumIm[c] = this.kern.sumIm;
    this.hid[c] = this.propHid;
    this.configs[c * N + s0] ^= 1;
    if (s1 >= 0) this.configs[c * N + s1] ^= 1;
  }

  /** θ of chain c (for tests: equals a full re-evaluation). */
  theta(c: number): { re: Float64Array; im: Float64Array } {
    const M = this.M;
    return { re: this.thRe.slice(c * M, (c + 1) * M), im: this.thIm.slice(c * M, (c + 1) * M) };
  }
}

export function createRbm(opts: RbmOptions, rng: Rng): Rbm {
  return new Rbm(opts, rng);
}
