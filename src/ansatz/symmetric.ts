/**
 * Symmetry averaging of an autoregressive state (Hibat-Allah, Melko & Carrasquilla,
 * arXiv 2207.14314): for a group G of spin-configuration maps g,
 *
 *   |ψ_G(x)|² = (1/|G|) Σ_g |ψ(g x)|²,   arg ψ_G(x) = arg Σ_g χ(g)* e^{i φ(g x)},
 *
 * with φ = arg ψ and χ a one-dimensional representation of G. Since every g permutes the
 * configurations, Σ_x |ψ_G(x)|² = Σ_x |ψ(x)|² = 1: the state stays normalised, and exact samples
 * come from x ~ |ψ|² followed by a uniformly random g (P(y) = Σ_g |ψ(g⁻¹y)|²/|G| = |ψ_G(y)|²).
 * Covariance: ψ_G(h x) = χ(h) ψ_G(x) for every h ∈ G (for a 1D χ, χ(g h⁻¹)* = χ(g)* χ(h)).
 * The conjugate in the phase sum makes χ the character of the state itself.
 *
 * The phase sum has unit weights, as in the paper: for a positive network (φ = 0) it is
 * Σ_g χ(g)* = 0 for every non-trivial χ, so a non-trivial sector needs a phase head (the caller,
 * run/symmetry.ts, refuses it otherwise).
 *
 * Forbidden orbits. A configuration x fixed by some h with χ(h) ≠ 1 (e.g. the fully polarised
 * state at momentum k ≠ 0) must have ψ(x) = 0 in that sector: covariance gives ψ(x) = χ(h) ψ(x).
 * The phase sum vanishes there identically (its terms cancel coset by coset), yet the averaged
 * modulus does not; so such configurations get log|ψ_G| = FORBIDDEN (ψ = 0 to double precision,
 * no gradient), and the sampler redraws x when g x lands on one. The state is then normalised
 * only up to the weight |ψ|² put on forbidden orbits (`normalized` is false for a non-trivial χ),
 * which the energy and its gradient do not need. With the trivial χ nothing is forbidden.
 *
 * Evaluation: the images g x of every configuration form one batch of |G|·B rows for the wrapped
 * network (host-built bits: no gather on the device); log|ψ_G| (a log-mean-exp) and the phase are
 * combined on the host in float64. In `logPsi` both combinations are custom-gradient ops whose
 * backward pass multiplies by host-computed weights — ∂ log|ψ_G| / ∂ log|ψ(g x)| = |ψ(g x)|² /
 * Σ_h |ψ(h x)|² and ∂ arg ψ_G / ∂ φ(g x) = Re(χ(g)* e^{iφ(g x)} / S) with S the phase sum — so the
 * gradient runs through the network's own (wasm-tuned) backward pass and one broadcasting multiply
 * of |G|·B elements; no transposed matMul, gather or trigonometric kernel is added.
 * `evaluateConnected` forwards the images of parents and connected configurations to the wrapped
 * network's prefix-sharing pass (g x' is connected to g x by the permuted flips), so its values are
 * those of `evaluate` bit for bit when the network's are (`connectedExact`).
 *
 * `orbitRepresentatives` maps configurations to a fixed member of their orbit: ψ_G(g x) differs
 * from ψ_G(x) by the constant χ(g), so local energies (for an H that commutes with G) and
 * ∂ log ψ_G are the same on the whole orbit, and the driver evaluates each orbit once.
 *
 * Cost: |G| evaluations of the wrapped network per configuration, in sampling only the one draw.
 */
import * as tf from '@tensorflow/tfjs';
import type { Connections } from '../hamiltonian/types.js';
import type { Rng } from '../rng.js';
import { parameterCount, type ConnectedLogPsi, type HostLogPsi, type LogPsi, type Wavefunction } from './wavefunction.js';
import { derivativeChunk, hasAnalyticLogDerivatives, type AnalyticLogDerivatives, type LogDerivatives } from './log-derivatives.js';

export interface SymmetryOperation {
  /** perm[s] = g(s): the spin on site s moves to site g(s) */
  perm: ArrayLike<number>;
  /** followed by the global spin flip x → 1 − x */
  flip: boolean;
  /** the character χ(g) = chiRe + i·chiIm */
  chiRe: number;
  chiIm: number;
}

export interface SymmetryOptions {
  /** what `spec()` records under `symmetry` (names, sector, group order) */
  describe?: Record<string, unknown>;
  /** most image rows handed to the wrapped network at once (bounds host memory; default 65536) */
  maxRows?: number;
}

/** Wraps an autoregressive wavefunction into its symmetry average over `ops` (a group, identity included). */
export function withSymmetry(wf: Wavefunction, ops: readonly SymmetryOperation[], opts: SymmetryOptions = {}): Wavefunction {
  return new SymmetrizedWavefunction(wf, ops, opts);
}

type T1 = tf.Tensor1D;
type GradFn = Parameters<typeof tf.customGrad>[0];

/** log|ψ_G| of a forbidden configuration (as the RNNs' masked outcomes: ≈ −BIG/2). */
export const FORBIDDEN_LOGAMP = -5000;

/** Rounds of redrawing in `sample` before giving up (a network concentrated on forbidden orbits). */
const MAX_REDRAWS = 200;

class SymmetrizedWavefunction implements Wavefunction {
  readonly kind: string;
  readonly nSites: number;
  readonly variables: tf.Variable[];
  readonly normalized: boolean;
  readonly connectedExact?: boolean;
  readonly evaluateConnected?: (parents: Uint8Array, conn: Connections) => ConnectedLogPsi;
  /** the wrapped network's O combined over the images (when it has a batched O) */
  readonly logDerivatives?: (configs: Uint8Array, count: number) => LogDerivatives;
  /** number of group elements |G| */
  readonly order: number;
  /** from[g][t] = g⁻¹(t): (g x)_t = x_{from[g][t]} ⊕ flip[g] */
  private readonly from: Int32Array[];
  private readonly flip: Uint8Array;
  /** χ(g)* */
  private readonly cRe: Float64Array;
  private readonly cIm: Float64Array;
  private readonly maxRows: number;
  /** some χ(g) ≠ 1: configurations fixed by such a g are forbidden */
  private readonly restricted: boolean;
  private readonly trivialChi: Uint8Array;
  private readonly describe: Record<string, unknown>;

  constructor(
    readonly inner: Wavefunction,
    ops: readonly SymmetryOperation[],
    opts: SymmetryOptions,
  ) {
    if (!inner.sample) throw new Error(`symmetry averaging needs an exactly sampled (autoregressive) ansatz; ${inner.kind} is not`);
    const N = inner.nSites;
    if (ops.length === 0) throw new Error('symmetry averaging needs at least the identity');
    this.kind = inner.kind;
    this.nSites = N;
    this.variables = inner.variables;
    this.trivialChi = Uint8Array.from(ops, (g) => (Math.hypot(g.chiRe - 1, g.chiIm) < 1e-9 ? 1 : 0));
    this.restricted = this.trivialChi.includes(0);
    this.normalized = inner.normalized && !this.restricted;
    this.connectedExact = inner.connectedExact;
    this.order = ops.length;
    this.from = ops.map((g, k) => {
      const inv = new Int32Array(N).fill(-1);
      if (g.perm.length !== N) throw new Error(`symmetry operation ${k}: a permutation of ${N} sites expected`);
      for (let s = 0; s < N; s++) {
        const t = g.perm[s];
        if (!Number.isInteger(t) || t < 0 || t >= N || inv[t] !== -1) throw new Error(`symmetry operation ${k}: not a permutation of ${N} sites`);
        inv[t] = s;
      }
      return inv;
    });
    this.flip = Uint8Array.from(ops, (g) => (g.flip ? 1 : 0));
    this.cRe = Float64Array.from(ops, (g) => g.chiRe);
    this.cIm = Float64Array.from(ops, (g) => -g.chiIm);
    this.maxRows = opts.maxRows ?? 65536;
    this.describe = { order: ops.length, ...(opts.describe ?? {}) };
    if (inner.evaluateConnected) this.evaluateConnected = (parents, conn) => this.connected(parents, conn);
    if (hasAnalyticLogDerivatives(inner)) this.logDerivatives = (configs, count) => this.derivatives(inner, configs, count);
  }

  /**
   * O_k of ψ_G from the wrapped network's batched O on the images (log-derivatives.ts), with the
   * weights of `logPsi`'s backward pass: Re O_G(x) = Σ_g w_A(g) Re O(g x), Im O_G(x) = Σ_g w_φ(g) Im O(g x).
   */
  private derivatives(inner: Wavefunction & AnalyticLogDerivatives, configs: Uint8Array, count: number): LogDerivatives {
    const G = this.order;
    const P = parameterCount(inner);
    const re = new Float32Array(count * P);
    let im = new Float32Array(0);
    const block = Math.max(1, Math.floor(Math.min(this.maxRows, derivativeChunk(P)) / G));
    for (let s = 0; s < count; s += block) {
      const e = Math.min(count, s + block);
      const img = this.images(configs, s, e);
      const forbidden = this.forbiddenRows(configs, s, e);
      const lp = inner.evaluate(img, (e - s) * G);
      const wA = this.amplitudeWeights(lp.logAmp, forbidden);
      const wP = this.phaseWeights(lp.phase, forbidden);
      const O = inner.logDerivatives(img, (e - s) * G);
      if (O.im.length > 0 && im.length === 0) im = new Float32Array(count * P);
      for (let b = 0; b < e - s; b++) {
        const dst = (s + b) * P;
        for (let g = 0; g < G; g++) {
          const r = b * G + g;
          const a = wA[r];
          const p = wP[r];
          const src = r * P;
          if (a !== 0) for (let k = 0; k < P; k++) re[dst + k] += a * O.re[src + k];
          if (p !== 0 && O.im.length > 0) for (let k = 0; k < P; k++) im[dst + k] += p * O.im[src + k];
        }
      }
    }
    return { re, im, nParams: P };
  }

  // ---------------------------------------------------------------------------------------------
  // images

  /** The |G| images of rows `from`..`to`−1 of `src` (count·N values), row-major: row (b − from)·|G| + g. */
  private images(src: ArrayLike<number>, from: number, to: number): Uint8Array {
    const N = this.nSites;
    const G = this.order;
    const out = new Uint8Array((to - from) * G * N);
    let o = 0;
    for (let b = from; b < to; b++) {
      const base = b * N;
      for (let g = 0; g < G; g++) {
        const f = this.from[g];
        const fl = this.flip[g];
        for (let t = 0; t < N; t++) out[o++] = src[base + f[t]] ^ fl;
      }
    }
    return out;
  }

  /** Whether configuration `row` of `src` (count·N values) is fixed by an operation with χ ≠ 1. */
  private forbidden(src: ArrayLike<number>, row: number): boolean {
    if (!this.restricted) return false;
    const N = this.nSites;
    const base = row * N;
    for (let g = 0; g < this.order; g++) {
      if (this.trivialChi[g]) continue;
      const f = this.from[g];
      const fl = this.flip[g];
      let t = 0;
      while (t < N && (src[base + f[t]] ^ fl) === src[base + t]) t++;
      if (t === N) return true;
    }
    return false;
  }

  /** Forbidden flags of rows from..to−1 of `src`, or null when nothing can be forbidden. */
  private forbiddenRows(src: ArrayLike<number>, from: number, to: number): Uint8Array | null {
    if (!this.restricted) return null;
    return Uint8Array.from({ length: to - from }, (_, b) => (this.forbidden(src, from + b) ? 1 : 0));
  }

  // ---------------------------------------------------------------------------------------------
  // combinations (float64, host)

  /** log|ψ_G| of configuration r from the |G| values la[base + g·stride]. */
  private logMeanExp(la: ArrayLike<number>, base: number, stride: number): number {
    const G = this.order;
    let m = -Infinity;
    for (let g = 0; g < G; g++) m = Math.max(m, 2 * la[base + g * stride]);
    if (!Number.isFinite(m)) return m === -Infinity ? -Infinity : NaN;
    let s = 0;
    for (let g = 0; g < G; g++) s += Math.exp(2 * la[base + g * stride] - m);
    return 0.5 * (m + Math.log(s / G));
  }

  /** Phase sum S = Σ_g χ(g)* e^{iφ_g} of the values ph[base + g·stride]. */
  private phaseSum(ph: ArrayLike<number>, base: number, stride: number): [number, number] {
    let re = 0;
    let im = 0;
    for (let g = 0; g < this.order; g++) {
      const p = ph[base + g * stride];
      const c = Math.cos(p);
      const s = Math.sin(p);
      re += this.cRe[g] * c - this.cIm[g] * s;
      im += this.cRe[g] * s + this.cIm[g] * c;
    }
    return [re, im];
  }

  private combineAmplitudes(la: ArrayLike<number>, forbidden: Uint8Array | null): Float64Array {
    const G = this.order;
    return Float64Array.from({ length: la.length / G }, (_, b) => (forbidden?.[b] ? FORBIDDEN_LOGAMP : this.logMeanExp(la, b * G, 1)));
  }

  private combinePhases(ph: ArrayLike<number>, forbidden: Uint8Array | null): Float64Array {
    const G = this.order;
    return Float64Array.from({ length: ph.length / G }, (_, b) => {
      if (forbidden?.[b]) return 0;
      const [re, im] = this.phaseSum(ph, b * G, 1);
      return Math.atan2(im, re);
    });
  }

  /** ∂ log|ψ_G(x_b)| / ∂ log|ψ(g x_b)| = |ψ(g x_b)|² / Σ_h |ψ(h x_b)|² (0 for a forbidden x_b) */
  private amplitudeWeights(la: ArrayLike<number>, forbidden: Uint8Array | null): Float32Array {
    const G = this.order;
    const w = new Float32Array(la.length);
    for (let b = 0; b < la.length / G; b++) {
      if (forbidden?.[b]) continue;
      const lse = 2 * this.logMeanExp(la, b * G, 1) + Math.log(G);
      for (let g = 0; g < G; g++) w[b * G + g] = Math.exp(2 * la[b * G + g] - lse);
    }
    return w;
  }

  /** ∂ arg S / ∂ φ_g = Re(χ(g)* e^{iφ_g} / S) (0 where S = 0 and for a forbidden x_b) */
  private phaseWeights(ph: ArrayLike<number>, forbidden: Uint8Array | null): Float32Array {
    const G = this.order;
    const w = new Float32Array(ph.length);
    for (let b = 0; b < ph.length / G; b++) {
      if (forbidden?.[b]) continue;
      const [sRe, sIm] = this.phaseSum(ph, b * G, 1);
      const n2 = sRe * sRe + sIm * sIm;
      if (n2 === 0) continue;
      for (let g = 0; g < G; g++) {
        const p = ph[b * G + g];
        const c = Math.cos(p);
        const s = Math.sin(p);
        const tRe = this.cRe[g] * c - this.cIm[g] * s;
        const tIm = this.cRe[g] * s + this.cIm[g] * c;
        w[b * G + g] = (tRe * sRe + tIm * sIm) / n2;
      }
    }
    return w;
  }

  /**
   * A differentiable [B·|G|] → [B] reduction whose value is `combine` of the host values and whose
   * gradient is dy_b · weight_{b,g}, with the weights recomputed from the saved input.
   */
  private customOp(combine: (v: Float32Array) => Float64Array, weights: (v: Float32Array) => Float32Array): (x: T1) => T1 {
    const G = this.order;
    const f = (x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return {
        value: tf.tensor1d(Float32Array.from(combine(x.dataSync() as Float32Array))),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const B = dy.shape[0]!;
          const w = tf.tensor2d(weights(saved[0].dataSync() as Float32Array), [B, G]);
          return [tf.reshape(tf.mul(tf.reshape(dy, [B, 1]), w), [B * G])];
        },
      };
    };
    return tf.customGrad(f as unknown as GradFn) as unknown as (x: T1) => T1;
  }

  // ---------------------------------------------------------------------------------------------
  // the Wavefunction contract

  logPsi(configs: tf.Tensor2D): LogPsi {
    const N = this.nSites;
    const B = configs.shape[0];
    const bits = configs.dataSync();
    const forbidden = this.forbiddenRows(bits, 0, B);
    const amplitude = this.customOp((la) => this.combineAmplitudes(la, forbidden), (la) => this.amplitudeWeights(la, forbidden));
    const phase = this.customOp((ph) => this.combinePhases(ph, forbidden), (ph) => this.phaseWeights(ph, forbidden));
    return tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(this.images(bits, 0, B)), [B * this.order, N]);
      const r = this.inner.logPsi(x);
      return { logAmp: amplitude(r.logAmp), phase: phase(r.phase) };
    });
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const G = this.order;
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    const block = Math.max(1, Math.floor(this.maxRows / G));
    for (let s = 0; s < count; s += block) {
      const e = Math.min(count, s + block);
      const r = this.inner.evaluate(this.images(configs, s, e), (e - s) * G);
      for (let b = 0; b < e - s; b++) this.combineInto(r, b * G, 1, logAmp, phase, s + b, this.forbidden(configs, s + b));
    }
    return { logAmp, phase };
  }

  /** Writes log ψ_G from the |G| wrapped values at r[base + g·stride] into out[at]. */
  private combineInto(r: HostLogPsi, base: number, stride: number, logAmp: Float64Array, phase: Float64Array, at: number, forbidden: boolean): void {
    if (forbidden) {
      logAmp[at] = FORBIDDEN_LOGAMP;
      phase[at] = 0;
      return;
    }
    logAmp[at] = this.logMeanExp(r.logAmp, base, stride);
    const [re, im] = this.phaseSum(r.phase, base, stride);
    phase[at] = Number.isNaN(logAmp[at]) ? NaN : Math.atan2(im, re);
  }

  /**
   * The images of parents p0..p1−1 and of their connected entries, as Connections of the |G|·(p1−p0)
   * image parents (image parent (p − p0)·|G| + g holds g x_p and the images g x' of x_p's entries).
   */
  private imageConnections(parents: Uint8Array, conn: Connections, p0: number, p1: number): { parents: Uint8Array; conn: Connections } {
    const N = this.nSites;
    const G = this.order;
    const P = (p1 - p0) * G;
    const k0 = conn.offsets[p0];
    const per = conn.offsets[p1] - k0;
    const K = per * G;
    const offsets = new Int32Array(P + 1);
    const configs = new Uint8Array(K * N);
    const elemRe = new Float64Array(K);
    const elemIm = new Float64Array(K);
    const parent = new Int32Array(K);
    const group = new Int32Array(K);
    const diag = new Float64Array(P);
    let k = 0;
    for (let p = p0; p < p1; p++) {
      for (let g = 0; g < G; g++) {
        const q = (p - p0) * G + g;
        diag[q] = conn.diag[p];
        const f = this.from[g];
        const fl = this.flip[g];
        for (let e = conn.offsets[p]; e < conn.offsets[p + 1]; e++, k++) {
          for (let t = 0; t < N; t++) configs[k * N + t] = conn.configs[e * N + f[t]] ^ fl;
          elemRe[k] = conn.elemRe[e];
          elemIm[k] = conn.elemIm[e];
          parent[k] = q;
          group[k] = conn.group[e];
        }
        offsets[q + 1] = k;
      }
    }
    return {
      parents: this.images(parents, p0, p1),
      conn: { count: P, nSites: N, diag, offsets, configs, elemRe, elemIm, parent, group },
    };
  }

  private connected(parents: Uint8Array, conn: Connections): ConnectedLogPsi {
    const G = this.order;
    const K = conn.offsets[conn.count];
    const logAmp = new Float64Array(K);
    const phase = new Float64Array(K);
    const own = { logAmp: new Float64Array(conn.count), phase: new Float64Array(conn.count) };
    let p0 = 0;
    while (p0 < conn.count) {
      // parents whose images (entries and the parent itself) fit in maxRows, at least one
      let p1 = p0 + 1;
      while (p1 < conn.count && (conn.offsets[p1 + 1] - conn.offsets[p0] + p1 + 1 - p0) * G <= this.maxRows) p1++;
      const img = this.imageConnections(parents, conn, p0, p1);
      const r = this.inner.evaluateConnected!(img.parents, img.conn);
      for (let p = p0; p < p1; p++) {
        const n = conn.offsets[p + 1] - conn.offsets[p];
        const first = img.conn.offsets[(p - p0) * G];
        for (let e = 0; e < n; e++) {
          const k = conn.offsets[p] + e;
          this.combineInto(r, first + e, n, logAmp, phase, k, this.forbidden(conn.configs, k));
        }
        if (r.parents) this.combineInto(r.parents, (p - p0) * G, 1, own.logAmp, own.phase, p, this.forbidden(parents, p));
        else {
          own.logAmp[p] = NaN;
          own.phase[p] = NaN;
        }
      }
      p0 = p1;
    }
    return { logAmp, phase, parents: own };
  }

  /**
   * x ~ |ψ|², then a uniformly random g from the same stream: x' = g x ~ |ψ_G|². Forbidden
   * configurations (non-trivial χ only) are redrawn, which samples |ψ_G|² restricted to the
   * allowed orbits.
   */
  sample(count: number, rng: Rng): Uint8Array {
    const N = this.nSites;
    const out = new Uint8Array(count * N);
    let filled = 0;
    for (let round = 0; filled < count; round++) {
      if (round === MAX_REDRAWS) {
        throw new Error(`symmetrised sampling: ${count - filled} of ${count} samples still land on configurations the sector forbids after ${MAX_REDRAWS} redraws`);
      }
      // with a non-trivial χ a few more than needed, so that rare forbidden draws cost no extra round
      const need = count - filled;
      const draw = this.restricted ? need + (need >> 3) + 4 : need;
      const x = this.inner.sample!(draw, rng);
      for (let b = 0; b < draw && filled < count; b++) {
        const g = rng.int(this.order);
        const f = this.from[g];
        const fl = this.flip[g];
        const at = filled * N;
        for (let t = 0; t < N; t++) out[at + t] = x[b * N + f[t]] ^ fl;
        if (!this.forbidden(out, filled)) filled++;
      }
    }
    return out;
  }

  /** Every configuration replaced by the lexicographically smallest member of its orbit. */
  orbitRepresentatives(configs: Uint8Array, count: number): Uint8Array {
    const N = this.nSites;
    const out = new Uint8Array(count * N);
    const img = new Uint8Array(N);
    for (let b = 0; b < count; b++) {
      const base = b * N;
      const best = out.subarray(base, base + N);
      best.set(configs.subarray(base, base + N));
      for (let g = 1; g < this.order; g++) {
        const f = this.from[g];
        const fl = this.flip[g];
        for (let t = 0; t < N; t++) img[t] = configs[base + f[t]] ^ fl;
        let t = 0;
        while (t < N && img[t] === best[t]) t++;
        if (t < N && img[t] < best[t]) best.set(img);
      }
    }
    return out;
  }

  spec(): Record<string, unknown> {
    return { ...this.inner.spec(), symmetry: this.describe };
  }

  dispose(): void {
    this.inner.dispose();
  }
}
