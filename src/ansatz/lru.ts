/**
 * Linear-recurrent-unit wavefunction: the LRU of Orvieto et al., "Resurrecting recurrent neural
 * networks for long sequences", ICML 2023, as the 1D cell of an autoregressive wavefunction
 * (PSR-NQS, Merali, Hibat-Allah et al.), with the heads of `rnn.ts`.
 *
 * Along the path, position t reads the previous spin (an embedding row E[c_t], c_t = x_{t−1}, or
 * the start token c_0 = 2): u⁰_t = E[c_t] ∈ R^H. Each of L layers (state size P = H, complex
 * numbers as pairs of real tensors):
 *   h_t = λ ⊙ h_{t−1} + γ ⊙ (u_t B),   λ = exp(−exp(ν) + i·exp(θ)),  γ = sqrt(1 − |λ|²),
 *   y_t = Re(h_t C) + D ⊙ u_t,          u_t ← u_t + GLU(y_t),  GLU(y) = (y W_a + b_a) ⊙ σ(y W_g + b_g),
 * then the Dense(2)+softmax head (and phase head) of rnn.ts on u^L_t, with the same U(1) masking;
 * the Marshall sign is the wrapper of sign.ts. ψ(x) = sqrt(Π_t p_t) · exp(i Σ_t φ_t).
 *
 * Parallel evaluation (evaluate, evaluateConnected, logPsi: no loop over sites):
 * - Layer 0 in closed form. Its input takes three values, so
 *     y⁰_t = ĉ_t + Σ_{s<t} x_s G_{t−1−s},  G_n = Re((λ^n ⊙ Δw) C) + [n = 0] D ⊙ (E_1 − E_0),
 *     ĉ_t = Re((λ^t ⊙ w_2 + Σ_{n<t} λ^n ⊙ w_0) C) + D ⊙ E[c_t = t ? 0 : 2],
 *   with w_c = γ ⊙ (E_c B), Δw = w_1 − w_0: all positions of B configurations are ONE matMul
 *   [B,N]·[N,N·H] of the bits with the Toeplitz matrix Ĝ[s,(t,·)] = G_{t−1−s} (built from the
 *   table G by a constant selection matMul, since the gradient of gather fails on wasm).
 * - Layers ≥ 1: the input projections, output projections and GLUs are batched over all rows;
 *   the elementwise recurrence itself, h_t = λ ⊙ h_{t−1} + v_t, is one op (`segmentRecurrence`)
 *   whose forward and backward (reverse recurrence) loops run on the host, O(R·P) each. It
 *   replaced a Hillis–Steele parallel scan (log2 N levels of h ← h + λ^d ⊙ shift_d(h), shift =
 *   outer-axis slice + pad + mask): measured back to back (N=20, M=500 single flips, H=50, L=2)
 *   evaluateConnected 9.3 s → with the scan 14.2 s, gradient 3.6 s vs 5.1 s (machine loaded ~10×;
 *   the scan's slices, pads and complex multiplies were > half of the kernel time).
 * - The per-position GLUs and the heads run as one batched pass over all (configuration,
 *   position) rows.
 * - evaluateConnected: a configuration connected to a parent differs from it from path position
 *   k on (its first differing site). Its rows t ≥ k only are recomputed: layer 0 from the
 *   parent's y⁰ plus Σ_{flipped s<t} (x′_s − x_s) G_{t−1−s} (host-side, O(H) per row and flip);
 *   layers ≥ 1 by the recurrence over the child's rows started from the parent's state at k − 1
 *   (injected as λ ⊙ h_{k−1} into the first row); log p of positions < k from the parent's rows.
 * Sampling is site by site (the recurrence as written above); the same step gives the
 * sequential evaluation (`evaluation: 'sequential'`) that tests the parallel one.
 *
 * Measured choices (tfjs-wasm 4.22, on the 2-core machine shared with other jobs, load 12–26, so
 * absolute times are 3–10× inflated; ratios back to back in one process; B=1000, N=20, H=50;
 * the former scripts/bench-lru.ts, now npm run bench, and micro-benchmarks):
 * - batched matMul [P,B,N]·[P,N,N] (a per-unit Toeplitz kernel for every layer) ran at
 *   ~0.75 GFLOP/s (54 ms at N=20, 1.7 s at N=100): not used;
 * - the wasm Slice kernel copies its whole input before slicing, so splitting an [N·B,·] tensor
 *   into N per-position pieces costs O(N²) copies (split into 20: 72 ms for 20000×50): the
 *   parallel passes never split per position; the closed-form layer-0 matMul [B,N]·[N,N·H] took
 *   3 ms at N=20;
 * - layers ≥ 1: the host recurrence op against the parallel scan (N=20, M=500 single flips,
 *   L=2): evaluateConnected 9.3 s vs 14.2 s, gradient 3.6 s vs 5.1 s; keeping the complex state
 *   as one [R,2P] tensor (one input and one output matMul, no slices) took evaluateConnected from
 *   13.2 s to 11.0 s under tf.profile;
 * - against the GRU rnn (same 1000 random configurations, TFIM N=20, H=50, one layer each,
 *   machine load ≈ 3): ψ of all single flips 0.76 s vs 0.71 s, gradient 0.17 s vs 0.23 s,
 *   sampling 1000 configurations 0.15 s vs 0.05 s (the LRU step has about twice the ops per
 *   site); a VMC step (npm run bench -- --ansatz lru,rnn) TFIM M=1000 0.93 s vs 1.13 s, Heisenberg ring
 *   M=500 (Marshall, S^z=0) 0.64 s vs 0.28 s — but on the same 500 random S^z=0 configurations of
 *   that ring the connected pass took 375 ms vs 406 ms, so the step difference comes from the
 *   different samples of the two initial states (not profiled further).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import type { Connections } from '../hamiltonian/types.js';
import { parameterCount, type HostLogPsi, type LogPsi, type Wavefunction } from './wavefunction.js';
import {
  batchedLogDerivatives, derivativeChunk, recordingDiag, recordTapePasses, recordingOps, Routing, variableOffsets, type LogDerivatives,
} from './log-derivatives.js';
import { mmConstLeft } from './tf-ops.js';
import {
  checkNUp, checkPath,
  constVar, createHeadVariables, evaluateChunked, evaluateConnectedChunked, fresh, glorot, head, headArrays, headSlots,
  oneHotArray, GRAD_OPS, PLAIN_OPS, prepareHead, readAccumulators, routeHead, sampleChunked, tidy, toPath,
  type HeadWeights, type Ops, type RowSet,
} from './rnn/common.js';

export interface LruOptions {
  nSites: number;
  /** width of the residual stream and of the complex state (default 50) */
  hidden?: number;
  /** stacked LRU blocks (default 1) */
  layers?: number;
  /** phase head (complex amplitudes); false: positive wavefunction (default false) */
  complex?: boolean;
  /** fixed number of up spins; null: unconstrained (default null) */
  nUp?: number | null;
  /** path through the sites (a permutation of 0..N−1); default natural order */
  order?: number[];
  /** configurations per tfjs pass (rows = configurations × positions); default ⌊2^17/N⌋, at least 16 */
  chunk?: number;
  /** evaluate/evaluateConnected: 'parallel' (default) or 'sequential' (site by site, the sampling step; for tests and benchmarks) */
  evaluation?: 'parallel' | 'sequential';
}

export interface ResolvedLruOptions {
  nSites: number;
  hidden: number;
  layers: number;
  complex: boolean;
  nUp: number | null;
  order: number[];
  chunk: number;
  evaluation: 'parallel' | 'sequential';
}

export function resolveLruOptions(opts: LruOptions): ResolvedLruOptions {
  const N = opts.nSites;
  if (!Number.isInteger(N) || N < 1) throw new Error(`lru: nSites must be a positive integer, got ${N}`);
  const hidden = opts.hidden ?? 50;
  const layers = opts.layers ?? 1;
  const chunk = opts.chunk ?? Math.max(16, Math.floor(131072 / N));
  if (!Number.isInteger(hidden) || hidden < 1) throw new Error(`lru: hidden must be a positive integer, got ${hidden}`);
  if (!Number.isInteger(layers) || layers < 1) throw new Error(`lru: layers must be a positive integer, got ${layers}`);
  if (!Number.isInteger(chunk) || chunk < 2) throw new Error(`lru: chunk must be an integer ≥ 2, got ${chunk}`);
  const nUp = checkNUp('lru', N, opts.nUp);
  const order = checkPath('lru', N, opts.order);
  const evaluation = opts.evaluation ?? 'parallel';
  if (evaluation !== 'parallel' && evaluation !== 'sequential') throw new Error(`lru: unknown evaluation mode "${evaluation}"`);
  return { nSites: N, hidden, layers, complex: opts.complex ?? false, nUp, order, chunk, evaluation };
}

type T2 = tf.Tensor2D;

interface LayerVars {
  nu: tf.Variable; theta: tf.Variable;
  Bre: tf.Variable; Bim: tf.Variable; Cre: tf.Variable; Cim: tf.Variable; D: tf.Variable;
  Wa: tf.Variable; ba: tf.Variable; Wg: tf.Variable; bg: tf.Variable;
}

/** Per-pass effective weights of one layer (derived from the variables, differentiably). */
interface PreparedLayer {
  /** λ^n for n = 0..N−1, [N,P] */
  powRe: T2; powIm: T2;
  /** λ as [1,P] */
  lamRe: T2; lamIm: T2;
  /** γ ⊙ B, [H,P] */
  BgRe: T2; BgIm: T2;
  Cre: T2; Cim: T2;
  /** the same in the [re | im] layout: λ [1,2P], γ ⊙ B [H,2P], and [C_re; −C_im] [2P,H] (Re(h C) = h·Ccat) */
  lamCat: T2; Bcat: T2; Ccat: T2;
  /** D as [1,H] */
  D: T2;
  Wa: T2; ba: tf.Tensor1D; Wg: T2; bg: tf.Tensor1D;
}

interface Prepared extends HeadWeights {
  E: T2;
  layers: PreparedLayer[];
  /** layer-0 closed form: Toeplitz matrix Ĝ [N, N·H], offsets ĉ [1, N·H], table G [N,H] */
  Ghat: T2; chat: T2; Gtab: T2;
}

/** Host-side row layout of a pass: every configuration contributes the rows of positions start..N−1. */
interface Rows {
  count: number;
  /** R rows; row of (configuration r, position t ≥ start[r]) is rowStart[r] + t − start[r] */
  R: number;
  start: Int32Array;
  rowStart: Int32Array;
  /** position of each row within its segment (t − start) */
  tau: Int32Array;
  maxLen: number;
}

function makeRows(count: number, N: number, start: Int32Array): Rows {
  const rowStart = new Int32Array(count);
  let R = 0;
  let maxLen = 0;
  for (let r = 0; r < count; r++) {
    rowStart[r] = R;
    R += N - start[r];
    maxLen = Math.max(maxLen, N - start[r]);
  }
  const tau = new Int32Array(R);
  for (let r = 0; r < count; r++) for (let t = start[r]; t < N; t++) tau[rowStart[r] + t - start[r]] = t - start[r];
  return { count, R, start, rowStart, tau, maxLen };
}

/** Complex product (a_re + i a_im)(b_re + i b_im) of broadcastable tensors. */
function cmul(aRe: tf.Tensor, aIm: tf.Tensor, bRe: tf.Tensor, bIm: tf.Tensor): [T2, T2] {
  return [tf.sub(tf.mul(aRe, bRe), tf.mul(aIm, bIm)) as T2, tf.add(tf.mul(aRe, bIm), tf.mul(aIm, bRe)) as T2];
}

/**
 * The diagonal linear recurrence h_t = λ ⊙ h_{t−1} + v_t along every segment of `rows` (rows of a
 * segment contiguous, h = v at τ = 0), as one op with a hand-written gradient. Complex vectors are
 * rows [re(P) | im(P)] of [R, 2P] tensors; λ is [1, 2P]. Backward, δ_t = ∂L/∂h_t + λ̄ ⊙ δ_{t+1}
 * (the reverse recurrence), ∂L/∂v_t = δ_t, ∂L/∂λ = Σ_t δ_t ⊙ h̄_{t−1}. Both loops run on the host
 * in float64: O(R·P), against O(R·P·log N) tensor ops (each a few memory passes) for the parallel
 * scan it replaced.
 */
function segmentRecurrence(rows: Rows, perSegment?: (grad: Float32Array) => void): (v: T2, lam: T2) => T2 {
  const { R, tau } = rows;
  // with `perSegment`: ∂L/∂λ of every segment separately ([count, 2P], for per-sample
  // log-derivatives) is handed over instead of returning their sum (a zero gradient is returned)
  let segment: Int32Array | null = null;
  if (perSegment) {
    segment = new Int32Array(R);
    for (let r = 0; r < rows.count; r++) segment.fill(r, rows.rowStart[r], r + 1 < rows.count ? rows.rowStart[r + 1] : R);
  }
  const f = (v: tf.Tensor, lam: tf.Tensor, save: tf.GradSaveFunc) => {
    const P = v.shape[1]! / 2;
    const W = 2 * P;
    const l = lam.dataSync();
    const h = Float32Array.from(v.dataSync() as Float32Array);
    for (let i = 0; i < R; i++) {
      if (tau[i] === 0) continue;
      const o = i * W;
      for (let p = 0; p < P; p++) {
        const a = h[o - W + p];
        const b = h[o - W + P + p];
        h[o + p] += l[p] * a - l[P + p] * b;
        h[o + P + p] += l[p] * b + l[P + p] * a;
      }
    }
    const value = tf.tensor2d(h, [R, W]);
    save([value]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const g = dy.dataSync();
      const hs = saved[0].dataSync();
      const d = new Float64Array(R * W);
      const gl = new Float64Array(segment ? rows.count * W : W);
      for (let i = R - 1; i >= 0; i--) {
        const o = i * W;
        const og = segment ? segment[i] * W : 0;
        const next = i + 1 < R && tau[i + 1] > 0;
        for (let p = 0; p < P; p++) {
          let dr = g[o + p];
          let di = g[o + P + p];
          if (next) {
            const er = d[o + W + p];
            const ei = d[o + W + P + p];
            dr += l[p] * er + l[P + p] * ei;
            di += l[p] * ei - l[P + p] * er;
          }
          d[o + p] = dr;
          d[o + P + p] = di;
          if (tau[i] > 0) {
            const a = hs[o - W + p];
            const b = hs[o - W + P + p];
            gl[og + p] += dr * a + di * b;
            gl[og + P + p] += di * a - dr * b;
          }
        }
      }
      if (perSegment) {
        perSegment(Float32Array.from(gl));
        return [tf.tensor2d(Float32Array.from(d), [R, W]), tf.zeros([1, W])];
      }
      return [tf.tensor2d(Float32Array.from(d), [R, W]), tf.tensor2d(Float32Array.from(gl), [1, W])];
    };
    return { value, gradFunc };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (v: T2, lam: T2) => T2;
}

class LruWavefunction implements Wavefunction {
  readonly kind = 'lru';
  readonly nSites: number;
  readonly variables: tf.Variable[];
  readonly normalized = true;
  readonly opts: ResolvedLruOptions;
  private readonly user: LruOptions;
  private readonly E: tf.Variable;
  private readonly layerVars: LayerVars[] = [];
  private readonly Wo: tf.Variable;
  private readonly bo: tf.Variable;
  private readonly Wp: tf.Variable | null;
  private readonly bp: tf.Variable | null;
  /** constants: [[-1],[1]] for the head, n as a column [N,1], strictly lower-triangular ones [N,N],
   * Toeplitz selection [N·N, N], first-layer indicator of ĉ [N,3], [n = 0] column [N,1], row selectors [1,3] */
  private readonly cD: T2;
  private readonly cN: T2;
  private readonly cLower: T2;
  private readonly cSel: T2;
  private readonly cInd0: T2;
  private readonly cFirst: T2;
  private readonly cPick: [T2, T2, T2];

  constructor(opts: LruOptions, rng: Rng) {
    this.user = opts;
    this.opts = resolveLruOptions(opts);
    const { nSites: N, hidden: H, layers, complex } = this.opts;
    this.nSites = N;
    const normal = (shape: [number, number], scale: number) => {
      const d = new Float32Array(shape[0] * shape[1]);
      for (let i = 0; i < d.length; i++) d[i] = scale * rng.normal();
      return tf.tidy(() => tf.variable(tf.tensor2d(d, shape), true));
    };
    const vec = (f: (i: number) => number) => {
      const d = new Float32Array(H);
      for (let i = 0; i < H; i++) d[i] = f(i);
      return tf.tidy(() => tf.variable(tf.tensor1d(d), true));
    };
    this.E = normal([3, H], 0.5);
    const vars: tf.Variable[] = [this.E];
    for (let l = 0; l < layers; l++) {
      // Orvieto et al. initialisation: |λ| uniform on the ring r ∈ [0.5, 0.99] (density ∝ r),
      // arg λ uniform in [0, π]; B, C complex Gaussian with variances 1/(2H), 1/H.
      const rMin = 0.5, rMax = 0.99;
      const nu = vec(() => {
        const r = Math.sqrt(rng.uniform() * (rMax * rMax - rMin * rMin) + rMin * rMin);
        return Math.log(-Math.log(r));
      });
      const theta = vec(() => Math.log(Math.max(1e-3, Math.PI * rng.uniform())));
      const lv: LayerVars = {
        nu, theta,
        Bre: normal([H, H], Math.sqrt(1 / (2 * H))), Bim: normal([H, H], Math.sqrt(1 / (2 * H))),
        Cre: normal([H, H], Math.sqrt(1 / H)), Cim: normal([H, H], Math.sqrt(1 / H)),
        D: vec(() => 0.5 * rng.normal()),
        Wa: glorot(rng, [H, H], H, H), ba: constVar(H, 0), Wg: glorot(rng, [H, H], H, H), bg: constVar(H, 0),
      };
      this.layerVars.push(lv);
      vars.push(lv.nu, lv.theta, lv.Bre, lv.Bim, lv.Cre, lv.Cim, lv.D, lv.Wa, lv.ba, lv.Wg, lv.bg);
    }
    const headVars = createHeadVariables(rng, H, complex);
    ({ Wo: this.Wo, bo: this.bo, Wp: this.Wp, bp: this.bp } = headVars);
    vars.push(...headVars.list);
    this.variables = vars;
    this.cD = tf.tensor2d([-1, 1], [2, 1]);
    this.cN = tf.tensor2d(Float32Array.from({ length: N }, (_, n) => n), [N, 1]);
    const lower = new Float32Array(N * N);
    for (let t = 0; t < N; t++) for (let n = 0; n < t; n++) lower[t * N + n] = 1;
    this.cLower = tf.tensor2d(lower, [N, N]);
    const sel = new Float32Array(N * N * N);
    for (let s = 0; s < N; s++) for (let t = s + 1; t < N; t++) sel[(s * N + t) * N + (t - 1 - s)] = 1;
    this.cSel = tf.tensor2d(sel, [N * N, N]);
    const ind0 = new Float32Array(N * 3);
    for (let t = 0; t < N; t++) ind0[3 * t + (t === 0 ? 2 : 0)] = 1;
    this.cInd0 = tf.tensor2d(ind0, [N, 3]);
    this.cFirst = tf.tensor2d(Float32Array.from({ length: N }, (_, n) => (n === 0 ? 1 : 0)), [N, 1]);
    this.cPick = [tf.tensor2d([1, 0, 0], [1, 3]), tf.tensor2d([-1, 1, 0], [1, 3]), tf.tensor2d([0, 0, 1], [1, 3])];
  }

  spec(): Record<string, unknown> {
    const o = this.opts;
    const out: Record<string, unknown> = {
      kind: 'lru', nSites: o.nSites, hidden: o.hidden, layers: o.layers, complex: o.complex, nUp: o.nUp,
    };
    if (!o.order.every((s, i) => s === i)) out.order = [...o.order];
    if (this.user.chunk !== undefined) out.chunk = o.chunk;
    if (o.evaluation !== 'parallel') out.evaluation = o.evaluation;
    return out;
  }

  dispose(): void {
    tf.dispose(this.variables);
    tf.dispose([this.cD, this.cN, this.cLower, this.cSel, this.cInd0, this.cFirst, ...this.cPick]);
  }

  // ---------------------------------------------------------------------------------------------
  // effective weights

  private prepare(): Prepared {
    const N = this.nSites;
    const H = this.opts.hidden;
    const row = (v: tf.Variable) => tf.reshape(v, [1, -1]) as T2;
    const layers = this.layerVars.map((v): PreparedLayer => {
      const en = tf.exp(row(v.nu)); // −log|λ|
      const et = tf.exp(row(v.theta)); // arg λ
      const mag = tf.exp(tf.neg(mmConstLeft(this.cN, en as T2))); // |λ|^n, [N,P]
      const ang = mmConstLeft(this.cN, et as T2);
      const m1 = tf.exp(tf.neg(en));
      const gamma = tf.sqrt(tf.sub(1, tf.mul(m1, m1))); // sqrt(1 − |λ|²)
      const lamRe = tf.mul(m1, tf.cos(et)) as T2;
      const lamIm = tf.mul(m1, tf.sin(et)) as T2;
      const BgRe = tf.mul(v.Bre, gamma) as T2;
      const BgIm = tf.mul(v.Bim, gamma) as T2;
      return {
        powRe: tf.mul(mag, tf.cos(ang)) as T2, powIm: tf.mul(mag, tf.sin(ang)) as T2,
        lamRe, lamIm, BgRe, BgIm, Cre: v.Cre as T2, Cim: v.Cim as T2, D: row(v.D),
        lamCat: tf.concat([lamRe, lamIm], 1), Bcat: tf.concat([BgRe, BgIm], 1), Ccat: tf.concat([v.Cre as T2, tf.neg(v.Cim) as T2], 0),
        Wa: v.Wa as T2, ba: fresh(v.ba), Wg: v.Wg as T2, bg: fresh(v.bg),
      };
    });
    // layer-0 closed form (see the header)
    const L0 = layers[0];
    const E = this.E as T2;
    const wRe = tf.matMul(E, L0.BgRe) as T2; // [3,P]: w_c = γ ⊙ (E_c B)
    const wIm = tf.matMul(E, L0.BgIm) as T2;
    const pick = (k: number, w: T2) => mmConstLeft(this.cPick[k], w); // [1,P]
    const reC = (zRe: tf.Tensor, zIm: tf.Tensor) => tf.sub(tf.matMul(zRe as T2, L0.Cre), tf.matMul(zIm as T2, L0.Cim)) as T2;
    const [gRe, gIm] = cmul(L0.powRe, L0.powIm, pick(1, wRe), pick(1, wIm));
    const dE = mmConstLeft(this.cPick[1], E); // E_1 − E_0, [1,H]
    const Gtab = tf.add(reC(gRe, gIm), mmConstLeft(this.cFirst, tf.mul(L0.D, dE) as T2)) as T2; // [N,H]
    const Ghat = tf.reshape(mmConstLeft(this.cSel, Gtab), [N, N * H]) as T2;
    const [aRe, aIm] = cmul(L0.powRe, L0.powIm, pick(2, wRe), pick(2, wIm));
    const sRe = mmConstLeft(this.cLower, L0.powRe); // Σ_{n<t} λ^n
    const sIm = mmConstLeft(this.cLower, L0.powIm);
    const [bRe, bIm] = cmul(sRe, sIm, pick(0, wRe), pick(0, wIm));
    const chat0 = tf.add(reC(tf.add(aRe, bRe), tf.add(aIm, bIm)), mmConstLeft(this.cInd0, tf.mul(E, L0.D) as T2));
    const chat = tf.reshape(chat0, [1, N * H]) as T2;
    return { E, layers, Ghat, chat, Gtab, ...prepareHead(this.Wo, this.bo, this.Wp, this.bp, this.cD) };
  }

  /** Disposes the derived tensors of a no-gradient `prepare()` (never the variables). */
  private release(P: Prepared): void {
    const vars = new Set<number>(this.variables.map((v) => v.id));
    const all: (tf.Tensor | null)[] = [P.Ghat, P.chat, P.Gtab, P.wd, P.bd, P.wp, P.bp];
    for (const L of P.layers) all.push(...Object.values(L));
    for (const t of all) if (t && !vars.has(t.id) && !t.isDisposed) t.dispose();
  }

  // ---------------------------------------------------------------------------------------------
  // building blocks shared by the parallel and the sequential passes

  private glu(L: PreparedLayer, ops: Ops, y: T2): T2 {
    return tf.mul(ops.affine(y, L.Wa, L.ba), tf.sigmoid(ops.affine(y, L.Wg, L.bg))) as T2;
  }

  /** y = Re(h C) + D ⊙ u (h in the [re | im] layout), then u + GLU(y). */
  private block(L: PreparedLayer, ops: Ops, h: T2, u: T2, diag: (u: T2, d: T2) => T2 = (a, d) => tf.mul(a, d) as T2): T2 {
    const y = tf.add(ops.mm(h, L.Ccat), diag(u, L.D)) as T2;
    return tf.add(u, this.glu(L, ops, y)) as T2;
  }

  /** [A,3] layer-0 indicator rows (start token at position 0) for the given (configuration, position) pairs. */
  private indicatorRows(bits: Uint8Array, rows: Rows): Float32Array {
    const N = this.nSites;
    const ind = new Float32Array(rows.R * 3);
    for (let r = 0; r < rows.count; r++) {
      for (let t = rows.start[r]; t < N; t++) {
        const i = rows.rowStart[r] + t - rows.start[r];
        ind[3 * i + (t === 0 ? 2 : bits[r * N + t - 1])] = 1;
      }
    }
    return ind;
  }

  /** Head inputs (m, k, one-hot) of every row, from the configurations' bits and up counts. */
  private headRows(bits: Uint8Array, rows: Rows): { m: Float32Array; k: Float32Array; oh: Float32Array | null } {
    const N = this.nSites;
    const { count, R, start, rowStart } = rows;
    const m = new Float32Array(R);
    const k = new Float32Array(R);
    const oh = this.opts.complex ? new Float32Array(2 * R) : null;
    const ups = new Int32Array(count);
    for (let t = 0; t < N; t++) {
      const [mt, kt] = headArrays(bits, ups, count, t, N, this.opts.nUp);
      const ot = oh ? oneHotArray(bits, count, t, N) : null;
      for (let r = 0; r < count; r++) {
        if (t >= start[r]) {
          const i = rowStart[r] + t - start[r];
          m[i] = mt[r];
          k[i] = kt[r];
          if (oh && ot) {
            oh[2 * i] = ot[2 * r];
            oh[2 * i + 1] = ot[2 * r + 1];
          }
        }
        ups[r] += bits[r * N + t];
      }
    }
    return { m, k, oh };
  }

  /**
   * The network on all rows at once: layer-0 output y⁰ given, layers ≥ 1 by the recurrence (with
   * `inject[l]` = λ ⊙ h_{start−1} added to the first row of each segment, or null), GLUs, head.
   * Returns the head summands and the states of layers ≥ 1 (for branching).
   */
  private network(P: Prepared, ops: Ops, y0: T2, ind: T2, rows: Rows, head3: [T2, T2, T2 | null], inject: (T2 | null)[])
    : { sp: T2; ph: T2 | null; states: T2[] } {
    const u0 = ops.mmConst(ind, P.E);
    let u = tf.add(u0, this.glu(P.layers[0], ops, y0)) as T2;
    const states: T2[] = [];
    if (P.layers.length > 1) {
      const rec = segmentRecurrence(rows);
      for (let l = 1; l < P.layers.length; l++) {
        const L = P.layers[l];
        let v = ops.mm(u, L.Bcat);
        const inj = inject[l];
        if (inj) v = tf.add(v, inj) as T2;
        const h = rec(v, L.lamCat);
        states.push(h);
        u = this.block(L, ops, h, u);
      }
    }
    const [sp, ph] = head(P, ops, u, head3[0], head3[1], head3[2]);
    return { sp, ph, states };
  }

  /** Full pass over `count` path-ordered configurations (rows sample-major, positions 0..N−1). */
  private fullPass(P: Prepared, ops: Ops, bits: Uint8Array, count: number)
    : { sp: T2; ph: T2 | null; y0: T2; states: T2[]; rows: Rows } {
    const N = this.nSites;
    const H = this.opts.hidden;
    const rows = makeRows(count, N, new Int32Array(count));
    const x = tf.tensor2d(Float32Array.from(bits.subarray(0, count * N)), [count, N]);
    const y0 = tf.reshape(tf.add(ops.mmConst(x, P.Ghat), P.chat), [count * N, H]) as T2;
    const hr = this.headRows(bits, rows);
    const head3: [T2, T2, T2 | null] = [
      tf.tensor2d(hr.m, [rows.R, 1]), tf.tensor2d(hr.k, [rows.R, 1]), hr.oh ? tf.tensor2d(hr.oh, [rows.R, 2]) : null,
    ];
    const ind = tf.tensor2d(this.indicatorRows(bits, rows), [rows.R, 3]);
    const out = this.network(P, ops, y0, ind, rows, head3, []);
    return { ...out, y0, rows };
  }

  // ---------------------------------------------------------------------------------------------
  // differentiable pass

  logPsi(configs: tf.Tensor2D): LogPsi {
    const N = this.nSites;
    const B = configs.shape[0];
    if (configs.shape[1] !== N) throw new Error(`lru.logPsi: expected [B, ${N}] configurations, got [${configs.shape}]`);
    const bits = toPath(configs.dataSync() as Float32Array, B, this.opts.order);
    return tidy(() => {
      const P = this.prepare();
      const { sp, ph } = this.fullPass(P, GRAD_OPS, bits, B);
      const logAmp = tf.mul(tf.sum(tf.reshape(sp, [B, N]), 1), -0.5) as tf.Tensor1D;
      const phase = ph ? (tf.mul(tf.sum(tf.reshape(ph, [B, 2 * N]), 1), Math.PI) as tf.Tensor1D) : (tf.zeros([B]) as tf.Tensor1D);
      return { logAmp, phase };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // per-sample log-derivatives

  /**
   * O_k(x) for `count` configurations: per chunk, the network in recurrence form on the tfjs tape
   * (every layer, the first included: u⁰ = E[c], h = λ ⊙ h_prev + u B_γ, the block and its GLU, the
   * head, all positions of all configurations as rows) with products that record their (input,
   * cotangent) pairs (log-derivatives.ts), once for Σ logAmp and (complex) once for Σ phase; the
   * recurrence hands over ∂/∂λ per configuration. The closed form of the first layer is not used
   * here: its derivatives with respect to ν, θ, B, C, D and E would have to be routed through λ^n.
   */
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives {
    const N = this.nSites;
    const nP = parameterCount(this);
    return batchedLogDerivatives(N, nP, this.opts.complex, configs, count, derivativeChunk(nP), (x, B, re, im) => {
      const bits = toPath(x, B, this.opts.order);
      const rows = makeRows(B, N, new Int32Array(B));
      const hr = this.headRows(bits, rows);
      const indRows = this.indicatorRows(bits, rows);
      recordTapePasses(this.variables, re, im, (part, rec) => {
        const P = this.prepare();
        const slots = new Map<number, string>([[P.E.id, 'E']]);
        headSlots(P, slots);
        P.layers.forEach((L, l) => {
          for (const [k, t] of [['B', L.Bcat], ['C', L.Ccat], ['Wa', L.Wa], ['ba', L.ba], ['Wg', L.Wg], ['bg', L.bg]] as const) slots.set(t.id, `${k}${l}`);
        });
        const ops = recordingOps(GRAD_OPS, () => rec, slots, N);
        let u = ops.mmConst(tf.tensor2d(indRows, [rows.R, 3]), P.E);
        P.layers.forEach((L, l) => {
          const h = segmentRecurrence(rows, (g) => rec.host(`lam${l}`, g))(ops.mm(u, L.Bcat), L.lamCat);
          u = this.block(L, ops, h, u, recordingDiag(() => rec, `D${l}`, N));
        });
        const m = tf.tensor2d(hr.m, [rows.R, 1]);
        const k = tf.tensor2d(hr.k, [rows.R, 1]);
        const [sp, ph] = head(P, ops, u, m, k, hr.oh ? tf.tensor2d(hr.oh, [rows.R, 2]) : null);
        return (part === 'logAmp' ? tf.mul(tf.sum(sp), -0.5) : tf.mul(tf.sum(ph!), Math.PI)) as tf.Scalar;
      });
      return this.routing();
    });
  }

  /**
   * From the per-sample gradients of the effective weights to the variables (the Jacobian of
   * `prepare` at the current parameters): with m = |λ| = exp(−e^ν), φ = arg λ = e^θ,
   * γ = sqrt(1 − m²): ∂λ/∂ν = −e^ν λ, ∂λ/∂θ = i e^θ λ, ∂γ/∂ν = e^ν m²/γ; B_γ = γ ⊙ [B_re | B_im];
   * C_cat = [C_re; −C_im]; the head as in rnn.ts.
   */
  private routing(): Routing {
    const H = this.opts.hidden;
    const Pn = H; // state size
    const off = variableOffsets(this.variables);
    const r = new Routing(parameterCount(this));
    r.range('E', 3 * H, 0, off[0], 3 * H);
    this.layerVars.forEach((lv, l) => {
      const o = 1 + 11 * l; // nu, theta, Bre, Bim, Cre, Cim, D, Wa, ba, Wg, bg
      const nu = lv.nu.dataSync();
      const th = lv.theta.dataSync();
      const Bre = lv.Bre.dataSync();
      const Bim = lv.Bim.dataSync();
      const W = 2 * Pn;
      for (let p = 0; p < Pn; p++) {
        const en = Math.exp(nu[p]);
        const et = Math.exp(th[p]);
        const m = Math.exp(-en);
        const lre = m * Math.cos(et);
        const lim = m * Math.sin(et);
        const gamma = Math.sqrt(1 - m * m);
        const dGamma = (en * m * m) / gamma;
        // λ (host slot [re(P) | im(P)]) to ν and θ
        r.entry(`lam${l}`, W, p, off[o] + p, -en * lre);
        r.entry(`lam${l}`, W, Pn + p, off[o] + p, -en * lim);
        r.entry(`lam${l}`, W, p, off[o + 1] + p, -et * lim);
        r.entry(`lam${l}`, W, Pn + p, off[o + 1] + p, et * lre);
        for (let i = 0; i < H; i++) {
          const sre = i * W + p;
          const sim = i * W + Pn + p;
          r.entry(`B${l}`, H * W, sre, off[o + 2] + i * Pn + p, gamma);
          r.entry(`B${l}`, H * W, sim, off[o + 3] + i * Pn + p, gamma);
          r.entry(`B${l}`, H * W, sre, off[o] + p, dGamma * Bre[i * Pn + p]);
          r.entry(`B${l}`, H * W, sim, off[o] + p, dGamma * Bim[i * Pn + p]);
        }
      }
      r.range(`C${l}`, W * H, 0, off[o + 4], Pn * H);
      r.range(`C${l}`, W * H, Pn * H, off[o + 5], Pn * H, -1);
      r.range(`D${l}`, H, 0, off[o + 6], H);
      r.range(`Wa${l}`, H * H, 0, off[o + 7], H * H);
      r.range(`ba${l}`, H, 0, off[o + 8], H);
      r.range(`Wg${l}`, H * H, 0, off[o + 9], H * H);
      r.range(`bg${l}`, H, 0, off[o + 10], H);
    });
    const v = 1 + 11 * this.opts.layers;
    routeHead(r, H, off[v], off[v + 1], this.opts.complex ? { oWp: off[v + 2], obp: off[v + 3] } : null);
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // no-gradient passes

  /**
   * Log ψ of the rows of `rs`: the roots by a full pass; every branched row (first differing path
   * position k = branch) by a pass over its positions ≥ k only, started from its parent's state.
   */
  private runRows(P: Prepared, rs: RowSet): HostLogPsi {
    const N = this.nSites;
    const H = this.opts.hidden;
    const nL = this.opts.layers;
    const roots = rs.roots;
    const children = rs.rows - roots;
    const complex = this.opts.complex;
    // roots (tensors out of the tidy, read back outside it: tidy walks every key of a returned typed array)
    const rootT = tidy(() => {
      const o = this.fullPass(P, PLAIN_OPS, rs.bits, roots);
      return { sp: o.sp, ph: o.ph, y0: children > 0 ? o.y0 : null, states: children > 0 ? o.states : [] };
    });
    const root = {
      sp: rootT.sp.dataSync() as Float32Array,
      ph: rootT.ph ? (rootT.ph.dataSync() as Float32Array) : null,
      y0: rootT.y0 ? (rootT.y0.dataSync() as Float32Array) : null,
      states: rootT.states.map((t) => t.dataSync() as Float32Array),
    };
    tf.dispose([rootT.sp, rootT.ph, rootT.y0, ...rootT.states].filter((t) => t !== null) as tf.Tensor[]);
    const acc = new Float64Array(rs.rows);
    const pacc = new Float64Array(complex ? 2 * rs.rows : 0);
    for (let r = 0; r < roots; r++) {
      for (let t = 0; t < N; t++) {
        const i = r * N + t;
        acc[r] += root.sp[i];
        if (root.ph) {
          pacc[2 * r] += root.ph[2 * i];
          pacc[2 * r + 1] += root.ph[2 * i + 1];
        }
      }
    }
    if (children > 0) {
      const bits = rs.bits.subarray(roots * N);
      const start = rs.branch.slice(roots);
      const rows = makeRows(children, N, start);
      const G = P.Gtab.dataSync() as Float32Array;
      const y0 = new Float32Array(rows.R * H);
      for (let c = 0; c < children; c++) {
        const p = rs.parent[roots + c];
        const k = start[c];
        // log p of positions < k: the parent's
        for (let t = 0; t < k; t++) {
          const i = p * N + t;
          acc[roots + c] += root.sp[i];
          if (root.ph) {
            pacc[2 * (roots + c)] += root.ph[2 * i];
            pacc[2 * (roots + c) + 1] += root.ph[2 * i + 1];
          }
        }
        // layer 0: the parent's y⁰ plus the closed-form change of every flipped bit
        const base = rows.rowStart[c] - k;
        y0.set(root.y0!.subarray((p * N + k) * H, (p + 1) * N * H), rows.rowStart[c] * H);
        for (let s = k; s < N - 1; s++) {
          const dx = bits[c * N + s] - rs.bits[p * N + s];
          if (dx === 0) continue;
          for (let t = s + 1; t < N; t++) {
            const o = (base + t) * H;
            const g = (t - 1 - s) * H;
            for (let h = 0; h < H; h++) y0[o + h] += dx * G[g + h];
          }
        }
      }
      const outT = tidy(() => {
        // layers ≥ 1: inject λ ⊙ h_{k−1} of the parent into the first row of each child
        const inject: (T2 | null)[] = [null];
        const W = 2 * H;
        for (let l = 1; l < nL; l++) {
          const hs = root.states[l - 1];
          const lam = P.layers[l].lamCat.dataSync();
          const z = new Float32Array(rows.R * W);
          for (let c = 0; c < children; c++) {
            const k = start[c];
            if (k === 0) continue;
            const src = (rs.parent[roots + c] * N + k - 1) * W;
            const dst = rows.rowStart[c] * W;
            for (let h = 0; h < H; h++) {
              const a = hs[src + h];
              const b = hs[src + H + h];
              z[dst + h] = lam[h] * a - lam[H + h] * b;
              z[dst + H + h] = lam[h] * b + lam[H + h] * a;
            }
          }
          inject.push(tf.tensor2d(z, [rows.R, W]));
        }
        const hr = this.headRows(bits, rows);
        const head3: [T2, T2, T2 | null] = [
          tf.tensor2d(hr.m, [rows.R, 1]), tf.tensor2d(hr.k, [rows.R, 1]), hr.oh ? tf.tensor2d(hr.oh, [rows.R, 2]) : null,
        ];
        const ind = tf.tensor2d(this.indicatorRows(bits, rows), [rows.R, 3]);
        const o = this.network(P, PLAIN_OPS, tf.tensor2d(y0, [rows.R, H]), ind, rows, head3, inject);
        return { sp: o.sp, ph: o.ph };
      });
      const sp = outT.sp.dataSync() as Float32Array;
      const ph = outT.ph ? (outT.ph.dataSync() as Float32Array) : null;
      tf.dispose([outT.sp, ...(outT.ph ? [outT.ph] : [])]);
      for (let c = 0; c < children; c++) {
        for (let i = rows.rowStart[c]; i < rows.rowStart[c] + N - start[c]; i++) {
          acc[roots + c] += sp[i];
          if (ph) {
            pacc[2 * (roots + c)] += ph[2 * i];
            pacc[2 * (roots + c) + 1] += ph[2 * i + 1];
          }
        }
      }
    }
    const accT = tf.tensor2d(Float32Array.from(acc), [rs.rows, 1]);
    const paccT = complex ? tf.tensor2d(Float32Array.from(pacc), [rs.rows, 2]) : null;
    try {
      return readAccumulators(accT, paccT, rs.rows);
    } finally {
      tf.dispose([accT, ...(paccT ? [paccT] : [])]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // site-by-site recurrence (sampling; sequential evaluation)

  /** A batch of B rows advanced position by position; `step` returns u^L at position j. */
  private stepper(P: Prepared, B: number): { step: (j: number, bits: Uint8Array) => T2; dispose: () => void } {
    const N = this.nSites;
    let h: [T2, T2][] | null = null; // [re, im] per layer
    return {
      step: (j, bits) => {
        const res = tidy(() => {
          const ind = new Float32Array(B * 3);
          for (let r = 0; r < B; r++) ind[3 * r + (j === 0 ? 2 : bits[r * N + j - 1])] = 1;
          let u = PLAIN_OPS.mmConst(tf.tensor2d(ind, [B, 3]), P.E);
          const hn: [T2, T2][] = [];
          P.layers.forEach((L, l) => {
            const vRe = tf.matMul(u, L.BgRe) as T2;
            const vIm = tf.matMul(u, L.BgIm) as T2;
            let cur: [T2, T2];
            if (h === null) cur = [vRe, vIm];
            else {
              const [aRe, aIm] = cmul(L.lamRe, L.lamIm, h[l][0], h[l][1]);
              cur = [tf.add(aRe, vRe) as T2, tf.add(aIm, vIm) as T2];
            }
            hn.push(cur);
            u = this.block(L, PLAIN_OPS, tf.concat(cur, 1), u);
          });
          return { hn, u };
        });
        if (h) tf.dispose(h.flat());
        h = res.hn;
        return res.u;
      },
      dispose: () => {
        if (h) tf.dispose(h.flat());
      },
    };
  }

  /** Site-by-site evaluation of the rows of `rs` (roots only: every row from position 0). */
  private runSequential(P: Prepared, rs: RowSet): HostLogPsi {
    const N = this.nSites;
    const R = rs.rows;
    const st = this.stepper(P, R);
    const ups = new Int32Array(R);
    let acc: T2 = tf.zeros([R, 1]);
    let pacc: T2 | null = this.opts.complex ? tf.zeros([R, 2]) : null;
    try {
      for (let j = 0; j < N; j++) {
        const u = st.step(j, rs.bits);
        const next = tidy(() => {
          const [m, k, oh] = [
            ...headArrays(rs.bits, ups, R, j, N, this.opts.nUp).map((a) => tf.tensor2d(a, [R, 1])),
            this.opts.complex ? tf.tensor2d(oneHotArray(rs.bits, R, j, N), [R, 2]) : null,
          ] as [T2, T2, T2 | null];
          const [sp, ph] = head(P, PLAIN_OPS, u, m, k, oh);
          return { acc: tf.add(acc, sp) as T2, pacc: pacc && ph ? (tf.add(pacc, ph) as T2) : null };
        });
        u.dispose();
        tf.dispose([acc, ...(pacc ? [pacc] : [])]);
        acc = next.acc;
        pacc = next.pacc;
        for (let r = 0; r < R; r++) ups[r] += rs.bits[r * N + j];
      }
      return readAccumulators(acc, pacc, R);
    } finally {
      st.dispose();
      tf.dispose([acc, ...(pacc ? [pacc] : [])]);
    }
  }

  private run(P: Prepared, rs: RowSet): HostLogPsi {
    if (this.opts.evaluation === 'parallel') return this.runRows(P, rs);
    // sequential: every row from scratch
    return this.runSequential(P, { ...rs, roots: rs.rows });
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const N = this.nSites;
    if (configs.length < count * N) throw new Error(`lru.evaluate: need ${count * N} bits, got ${configs.length}`);
    if (count === 0) return { logAmp: new Float64Array(0), phase: new Float64Array(0) };
    const P = tidy(() => this.prepare());
    try {
      return evaluateChunked(configs, count, this.opts.order, this.opts.chunk, (rs) => this.run(P, rs));
    } finally {
      this.release(P);
    }
  }

  evaluateConnected(parents: Uint8Array, conn: Connections): HostLogPsi {
    const P = tidy(() => this.prepare());
    try {
      return evaluateConnectedChunked(parents, conn, this.opts.order, this.opts.chunk, 'lru', (rs) => this.run(P, rs));
    } finally {
      this.release(P);
    }
  }

  /** Exact ancestral sampling, site by site, in batches of `chunk` samples (see `sampleChunked`). */
  sample(count: number, rng: Rng): Uint8Array {
    if (count === 0) return new Uint8Array(0);
    const { order, nUp, chunk } = this.opts;
    const P = tidy(() => this.prepare());
    try {
      return sampleChunked(count, order, chunk, nUp, rng, (B) => {
        const st = this.stepper(P, B);
        return {
          step: (j, bits) => {
            const u = st.step(j, bits);
            const dT = PLAIN_OPS.affine(u, P.wd, P.bd);
            const d = dT.dataSync();
            tf.dispose([u, dT]);
            return d;
          },
          dispose: () => st.dispose(),
        };
      });
    } finally {
      this.release(P);
    }
  }
}

/** The LRU wavefunction (kind 'lru'); `spec()` returns the resolved options. */
export function createLru(opts: LruOptions, rng: Rng): Wavefunction {
  return new LruWavefunction(opts, rng);
}
