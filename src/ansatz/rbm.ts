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
 * Besides the Wavefunction contract the RBM offers, all in plain-JS float64:
 *  - `logDerivatives`: analytic O_k(σ) = ∂ log ψ/∂p_k per sample (for stochastic reconfiguration);
 *  - `evaluateConnected`: θ of each parent computed once, connected configurations by θ updates;
 *  - `createWalkers`: Metropolis look-up tables of θ (a flip costs O(M) instead of O(NM)).
 * Host copies of the parameters are re-read whenever a variable has been assigned.
 *
 * An optional explicit sign (−1)^{number of up spins on `signSites`} (e.g. sublattice A for the
 * Marshall sign) is carried in the phase; it changes neither |ψ| nor the O_k.
 */
import * as tf from '@tensorflow/tfjs';
import { mm } from './tf-ops.js';
import type { Connections } from '../hamiltonian/types.js';
import type { Rng } from '../rng.js';
import type { HostLogPsi, LogPsi, Wavefunction } from './wavefunction.js';

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

export interface LogDerivatives {
  /** count × nParams, row-major: Re O_k(x_s) = ∂ log|ψ(x_s)| / ∂p_k */
  re: Float64Array;
  /** count × nParams: Im O_k(x_s) = ∂ arg ψ(x_s) / ∂p_k */
  im: Float64Array;
  nParams: number;
}

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

export interface AnalyticLogDerivatives {
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives;
}

export function hasAnalyticLogDerivatives(wf: Wavefunction): wf is Wavefunction & AnalyticLogDerivatives {
  return typeof (wf as Partial<AnalyticLogDerivatives>).logDerivatives === 'function';
}

interface HostParams {
  aRe: Float64Array;
  aIm: Float64Array;
  bRe: Float64Array;
  bIm: Float64Array;
  WRe: Float64Array;
  WIm: Float64Array;
}

/** Re log(2 cosh(x + iy)), stable for any x. */
export function logAbs2Cosh(x: number, y: number): number {
  const ax = x < 0 ? -x : x;
  const u = Math.exp(-2 * ax);
  return ax + 0.5 * Math.log(1 + 2 * u * Math.cos(2 * y) + u * u);
}

/** Im log(2 cosh(x + iy)) on the branch described in the file header. */
export function argOf2Cosh(x: number, y: number): number {
  const s = x > 0 ? 1 : -1;
  const u = Math.exp(-2 * s * x);
  return s * (y - Math.atan2(u * Math.sin(2 * y), 1 + u * Math.cos(2 * y)));
}

/** log(2 cosh x) for real x. */
function logCoshReal(x: number): number {
  const ax = x < 0 ? -x : x;
  return ax + Math.log1p(Math.exp(-2 * ax));
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
  private host: HostParams | null = null;
  private hostIds: unknown[] = [];

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

  /** Current parameters in float64, re-read when any variable was assigned since the last call. */
  hostParams(): HostParams {
    const ids = this.variables.map((v) => v.dataId);
    if (this.host && ids.every((id, k) => id === this.hostIds[k])) return this.host;
    const rd = (v: tf.Variable) => Float64Array.from(v.dataSync() as Float32Array);
    const v = this.variables;
    const N = this.nSites;
    const M = this.nHidden;
    this.host = this.complex
      ? { aRe: rd(v[0]), aIm: rd(v[1]), bRe: rd(v[2]), bIm: rd(v[3]), WRe: rd(v[4]), WIm: rd(v[5]) }
      : {
          aRe: rd(v[0]),
          aIm: new Float64Array(N),
          bRe: rd(v[1]),
          bIm: new Float64Array(M),
          WRe: rd(v[2]),
          WIm: new Float64Array(N * M),
        };
    if (this.perms) this.host = this.expandHost(this.host);
    this.hostIds = ids;
    return this.host;
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

  /** θ (re, im) of one configuration and its visible term Σ a_i σ_i (re, im). */
  private theta(p: HostParams, x: Uint8Array, off: number, thRe: Float64Array, thIm: Float64Array): [number, number] {
    const N = this.nSites;
    const M = this.nHidden;
    thRe.set(p.bRe);
    thIm.set(p.bIm);
    let vr = 0;
    let vi = 0;
    for (let i = 0; i < N; i++) {
      const sg = x[off + i] ? 1 : -1;
      vr += sg * p.aRe[i];
      vi += sg * p.aIm[i];
      const r = i * M;
      if (sg > 0) {
        for (let j = 0; j < M; j++) {
          thRe[j] += p.WRe[r + j];
          thIm[j] += p.WIm[r + j];
        }
      } else {
        for (let j = 0; j < M; j++) {
          thRe[j] -= p.WRe[r + j];
          thIm[j] -= p.WIm[r + j];
        }
      }
    }
    return [vr, vi];
  }

  private hiddenSum(thRe: Float64Array, thIm: Float64Array, out: [number, number]): void {
    const M = this.nHidden;
    let re = 0;
    let im = 0;
    if (this.complex) {
      for (let j = 0; j < M; j++) {
        re += logAbs2Cosh(thRe[j], thIm[j]);
        im += argOf2Cosh(thRe[j], thIm[j]);
      }
    } else {
      for (let j = 0; j < M; j++) re += logCoshReal(thRe[j]);
    }
    out[0] = re;
    out[1] = im;
  }

  private signPhase(x: Uint8Array, off: number): number {
    let up = 0;
    for (const s of this.signSites) up += x[off + s];
    return up & 1 ? Math.PI : 0;
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const p = this.hostParams();
    const N = this.nSites;
    const M = this.nHidden;
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    const thRe = new Float64Array(M);
    const thIm = new Float64Array(M);
    const h: [number, number] = [0, 0];
    for (let b = 0; b < count; b++) {
      const [vr, vi] = this.theta(p, configs, b * N, thRe, thIm);
      this.hiddenSum(thRe, thIm, h);
      logAmp[b] = vr + h[0];
      phase[b] = this.complex ? vi + h[1] + this.signPhase(configs, b * N) : this.signPhase(configs, b * N);
    }
    return { logAmp, phase };
  }

  /** Connected configurations: θ' = θ − 2 Σ_{flipped i} σ_i W_i·, O(|flips|·M) each. */
  evaluateConnected(parents: Uint8Array, conn: Connections): HostLogPsi {
    const p = this.hostParams();
    const N = this.nSites;
    const M = this.nHidden;
    const K = conn.offsets[conn.count];
    const logAmp = new Float64Array(K);
    const phase = new Float64Array(K);
    const thRe = new Float64Array(M);
    const thIm = new Float64Array(M);
    const tRe = new Float64Array(M);
    const tIm = new Float64Array(M);
    const h: [number, number] = [0, 0];
    for (let q = 0; q < conn.count; q++) {
      if (conn.offsets[q + 1] === conn.offsets[q]) continue;
      const [vr, vi] = this.theta(p, parents, q * N, thRe, thIm);
      for (let k = conn.offsets[q]; k < conn.offsets[q + 1]; k++) {
        tRe.set(thRe);
        tIm.set(thIm);
        let dvr = 0;
        let dvi = 0;
        for (let i = 0; i < N; i++) {
          const xi = parents[q * N + i];
          if (conn.configs[k * N + i] === xi) continue;
          const t = xi ? 2 : -2; // θ' = θ − 2σ_i W_i
          dvr -= t * p.aRe[i];
          dvi -= t * p.aIm[i];
          const r = i * M;
          for (let j = 0; j < M; j++) {
            tRe[j] -= t * p.WRe[r + j];
            tIm[j] -= t * p.WIm[r + j];
          }
        }
        this.hiddenSum(tRe, tIm, h);
        logAmp[k] = vr + dvr + h[0];
        const sp = this.signPhase(conn.configs, k * N);
        phase[k] = this.complex ? vi + dvi + h[1] + sp : sp;
      }
    }
    return { logAmp, phase };
  }

  /**
   * Analytic O_k(x) = ∂ log ψ(x)/∂p_k, rows of `nParams` in variable order. For a complex
   * parameter c = c_re + i·c_im: O for c_re is f'(c), for c_im it is i·f'(c) (log ψ is holomorphic).
   * ∂/∂a_i = σ_i, ∂/∂b_j = tanh θ_j, ∂/∂W_ij = σ_i tanh θ_j.
   */
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives {
    const p = this.hostParams();
    const N = this.nSites;
    const M = this.nHidden;
    const P = this.nParams;
    const re = new Float64Array(count * P);
    const im = new Float64Array(count * P);
    const thRe = new Float64Array(M);
    const thIm = new Float64Array(M);
    const tr = new Float64Array(M);
    const ti = new Float64Array(M);
    for (let b = 0; b < count; b++) {
      const off = b * N;
      this.theta(p, configs, off, thRe, thIm);
      for (let j = 0; j < M; j++) {
        const x = thRe[j];
        const s = x > 0 ? 1 : -1;
        const u = Math.exp(-2 * s * x);
        if (this.complex) {
          const c2 = Math.cos(2 * thIm[j]);
          const den = 1 + 2 * u * c2 + u * u;
          tr[j] = (s * (1 - u * u)) / den;
          ti[j] = (2 * u * Math.sin(2 * thIm[j])) / den;
        } else {
          tr[j] = (s * (1 - u)) / (1 + u);
          ti[j] = 0;
        }
      }
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
    const perms = this.perms!;
    const G = perms.length;
    const A = this.alpha;
    let ss = 0;
    for (let i = 0; i < N; i++) ss += x[off + i] ? 1 : -1;
    // reduced layout: complex [aRe, aIm, bRe (A), bIm (A), wRe (A·N), wIm (A·N)]; real [a, b, w]
    const per = this.complex ? 2 : 1;
    const oB = row + per;
    const oW = oB + per * A;
    re[row] = ss;
    if (this.complex) im[row + 1] = ss;
    for (let f = 0; f < A; f++) {
      let sr = 0;
      let si = 0;
      for (let gi = 0; gi < G; gi++) {
        sr += tr[f * G + gi];
        si += ti[f * G + gi];
      }
      re[oB + f] = sr;
      im[oB + f] = si;
      if (this.complex) {
        re[oB + A + f] = -si;
        im[oB + A + f] = sr;
      }
      for (let i = 0; i < N; i++) {
        let wr = 0;
        let wi = 0;
        for (let gi = 0; gi < G; gi++) {
          if (x[off + perms[gi][i]]) {
            wr += tr[f * G + gi];
            wi += ti[f * G + gi];
          } else {
            wr -= tr[f * G + gi];
            wi -= ti[f * G + gi];
          }
        }
        re[oW + f * N + i] = wr;
        im[oW + f * N + i] = wi;
        if (this.complex) {
          re[oW + A * N + f * N + i] = -wi;
          im[oW + A * N + f * N + i] = wr;
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
  initTheta(p: HostParams, x: Uint8Array, off: number, thRe: Float64Array, thIm: Float64Array): void {
    this.theta(p, x, off, thRe, thIm);
  }
}

/**
 * θ look-up tables per chain. A flip of site i changes θ by −2σ_i W_i·; the ratio needs only
 * Re log 2cosh of the M proposed θ (current values are cached per hidden unit).
 */
class RbmWalkers implements MarkovWalkers {
  private readonly thRe: Float64Array;
  private readonly thIm: Float64Array;
  private readonly lc: Float64Array;
  private readonly propRe: Float64Array;
  private readonly propIm: Float64Array;
  private readonly propLc: Float64Array;
  private readonly N: number;
  private readonly M: number;

  constructor(
    private readonly rbm: Rbm,
    private readonly p: HostParams,
    private readonly configs: Uint8Array,
    chains: number,
  ) {
    const N = (this.N = rbm.nSites);
    const M = (this.M = rbm.nHidden);
    this.thRe = new Float64Array(chains * M);
    this.thIm = new Float64Array(chains * M);
    this.lc = new Float64Array(chains * M);
    this.propRe = new Float64Array(M);
    this.propIm = new Float64Array(M);
    this.propLc = new Float64Array(M);
    for (let c = 0; c < chains; c++) {
      const r = this.thRe.subarray(c * M, (c + 1) * M);
      const i = this.thIm.subarray(c * M, (c + 1) * M);
      rbm.initTheta(p, configs, c * N, r, i);
      for (let j = 0; j < M; j++) this.lc[c * M + j] = rbm.complex ? logAbs2Cosh(r[j], i[j]) : logCoshReal(r[j]);
    }
  }

  logAmpRatio(c: number, s0: number, s1: number): number {
    const { N, M, p } = this;
    const base = c * M;
    const t0 = this.configs[c * N + s0] ? 2 : -2;
    let d = -t0 * p.aRe[s0];
    const r0 = s0 * M;
    const pr = this.propRe;
    const pi = this.propIm;
    if (s1 < 0) {
      for (let j = 0; j < M; j++) {
        pr[j] = this.thRe[base + j] - t0 * p.WRe[r0 + j];
        pi[j] = this.thIm[base + j] - t0 * p.WIm[r0 + j];
      }
    } else {
      const t1 = this.configs[c * N + s1] ? 2 : -2;
      d -= t1 * p.aRe[s1];
      const r1 = s1 * M;
      for (let j = 0; j < M; j++) {
        pr[j] = this.thRe[base + j] - t0 * p.WRe[r0 + j] - t1 * p.WRe[r1 + j];
        pi[j] = this.thIm[base + j] - t0 * p.WIm[r0 + j] - t1 * p.WIm[r1 + j];
      }
    }
    const plc = this.propLc;
    if (this.rbm.complex) {
      for (let j = 0; j < M; j++) {
        const v = logAbs2Cosh(pr[j], pi[j]);
        plc[j] = v;
        d += v - this.lc[base + j];
      }
    } else {
      for (let j = 0; j < M; j++) {
        const v = logCoshReal(pr[j]);
        plc[j] = v;
        d += v - this.lc[base + j];
      }
    }
    return d;
  }

  accept(c: number, s0: number, s1: number): void {
    const { N, M } = this;
    const base = c * M;
    this.thRe.set(this.propRe, base);
    this.thIm.set(this.propIm, base);
    this.lc.set(this.propLc, base);
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
