/**
 * The recurrent-neural-network wavefunction of Hibat-Allah et al., PRR 2, 023358 (2020).
 *
 * Along a path through the sites (default: natural order), position j reads the one-hot encoding
 * of the previous spin (zeros at j = 0), updates one or more stacked GRU cells, and a Dense(2) +
 * softmax head gives the conditional p(x_j | x_<j). ψ(x) = sqrt(Π_j p_j) · exp(i Σ_j φ_j) with
 * φ_j = π·softsign(Dense(2)(h_j)[x_j]) for the complex RNN (phase 0 for the positive RNN).
 *
 * Magnetisation sector (`nUp`): once the up (down) quota is used the outcome is forbidden and the
 * conditional renormalised, identically in sampling and in evaluation, so Σ_x P(x) = 1 over the
 * sector. In evaluation the forbidden outcome gets a logit shifted by −BIG (log p ≈ −BIG), so a
 * configuration outside the sector has logAmp ≈ −BIG/2 per violation (ψ = 0 to double precision).
 *
 * GRU cell (the TF1 `GRUCell` the paper used, reset gate before the recurrent product):
 *   z = σ(x W_z + h U_z + b_z),  r = σ(x W_r + h U_r + b_r),
 *   n = tanh(x W_n + (r ⊙ h) U_n + b_n),  h' = z ⊙ h + (1 − z) ⊙ n.
 *
 * Formulation (tfjs-wasm; measured with scripts/bench-rnn.ts --compare yes, B=1000, H=50):
 * - one-hot input and bias of the first layer: a constant [B,3] indicator ([1−x, x, 0], or
 *   [0, 0, 1] at j = 0) times a per-pass [3,H] matrix [W_0 + b; W_1 + b; b] — one tiny matMul,
 *   no broadcasting add; other biases are added inside the matMul kernel (tf.fused.matMul);
 * - separate weight matrices per gate: a GRU step took 2.2 ms, versus 4.5 ms for one fused
 *   [H,3H] matMul followed by slices along the inner axis;
 * - tanh(y) = 2σ(2y) − 1 (0.4 ms vs 1.6 ms for tanh), the factor 2 folded into the candidate
 *   weights once per pass;
 * - Dense(2)+softmax for two outcomes is a logistic of the logit difference d = l_1 − l_0;
 *   log p(x_j) = −softplus(−(2x_j − 1)(d + shift)), with the constraint shift ±BIG;
 * - training gradient (`logPsi`): one custom-gradient op with hand-written backpropagation
 *   through the sequence ('bptt'); no matMul with transpose flags (4.1–4.5 ms vs 0.6 ms for an
 *   explicit transpose); weight gradients as one matMul over all positions whose right operand
 *   (which the wasm kernel re-packs for every new tensor: 23 ms vs 7 ms when reused) is the
 *   activation matrix shared by several gradients. N=20: bptt 0.40 s, op-by-op tape with
 *   explicit-transpose gradients 0.43 s, tfjs's built-in matMul gradients 1.23 s;
 * - no-gradient passes (evaluate, evaluateConnected, sample): the fused step `gruFused`, three
 *   fused matMul+sigmoid kernels on [h, input] with the biases folded into the indicator rows
 *   (measured with scripts/bench-rnn.ts --forward-compare yes, N=20, M=1000, interleaved:
 *   evaluateConnected 414 ms vs 484 ms for the op-by-op step, sampling 35 ms vs 46 ms; the
 *   results are bit-identical, since the one-hot input adds exactly one row of each matrix);
 * - evaluateConnected: parents and their connected configurations run as one growing batch; a
 *   configuration joins, with a copy of its parent's state, after the GRU update at the first
 *   path position where it differs (about half the work: ×2.0 faster than from scratch for
 *   single flips at N=20 and N=100). Rows are appended by reading the parent rows back and
 *   concatenating along the outer axis (1.0 ms) — the wasm gather kernel is slow (7.6 ms);
 * - evaluateConnected shares prefixes across parents too (a trie over all distinct rows,
 *   rnn/common.ts `evaluateConnectedShared`) where that saves at least a fifth of the updates:
 *   local energies of the TFIM chain N = 20, H = 50, one thread, interleaved with the parent-only
 *   plan: 1000 fresh samples 0.21–0.32 s vs 0.35–0.50 s, 500 samples of a trained state 0.10–0.17 s
 *   vs 0.13–0.27 s; the quickstart (400 steps, 2 threads) 56.8–62.3 s vs 64.7–75.1 s, same bits.
 *   At N = 100 it saves 2–4% of the updates and the parent-only plan is kept.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import type { Connections } from '../hamiltonian/types.js';
import { parameterCount, type ConnectedLogPsi, type HostLogPsi, type LogPsi, type Wavefunction } from './wavefunction.js';
import { mmConstLeft } from './tf-ops.js';
import {
  batchedLogDerivatives, derivativeChunk, Routing, variableOffsets, type LogDerivatives, type PerSampleGradients,
} from './log-derivatives.js';
import {
  checkNUp, checkPath,
  appendParentRows, BIG, constVar, createHeadVariables, evaluateChunked, evaluateConnectedShared, fresh, glorot, head,
  headArrays, headInputs, oneHotArray, PLAIN_OPS, GRAD_OPS, prepareHead, readAccumulators, routeHead, sampleChunked, tidy, toPath,
  type HeadWeights, type Ops, type RowSet,
} from './rnn/common.js';

export interface RnnOptions {
  nSites: number;
  /** GRU units per layer (default 50) */
  hidden?: number;
  /** stacked GRU layers (default 1) */
  layers?: number;
  /** phase head (complex RNN); false: positive RNN (default false) */
  complex?: boolean;
  /** fixed number of up spins (bits equal to 1); null: unconstrained (default null) */
  nUp?: number | null;
  /** path through the sites (a permutation of 0..N−1); default natural order */
  order?: number[];
  /** rows per tfjs pass in evaluate / evaluateConnected / sample; bounds peak memory (default 8192) */
  chunk?: number;
  /**
   * How logPsi is differentiated (for benchmarks): 'bptt' (default) hand-written backpropagation
   * through the sequence as one custom-gradient op; 'tape' op-by-op on the tfjs tape with
   * explicit-transpose matMul gradients; 'builtin' op-by-op with tfjs's own matMul gradient.
   */
  gradient?: 'bptt' | 'tape' | 'builtin';
  /**
   * No-gradient GRU step (evaluate, evaluateConnected, sample; for benchmarks): 'fused' (default)
   * three fused matMul+sigmoid kernels on [h, input]; 'ops' separate products and adds.
   */
  forward?: 'fused' | 'ops';
}

export interface ResolvedRnnOptions {
  nSites: number;
  hidden: number;
  layers: number;
  complex: boolean;
  nUp: number | null;
  order: number[];
  chunk: number;
  gradient: 'bptt' | 'tape' | 'builtin';
  forward: 'fused' | 'ops';
}

export const RNN_DEFAULTS = { hidden: 50, layers: 1, complex: false, nUp: null, chunk: 8192 } as const;

export function resolveRnnOptions(opts: RnnOptions): ResolvedRnnOptions {
  const N = opts.nSites;
  if (!Number.isInteger(N) || N < 1) throw new Error(`rnn: nSites must be a positive integer, got ${N}`);
  const hidden = opts.hidden ?? RNN_DEFAULTS.hidden;
  const layers = opts.layers ?? RNN_DEFAULTS.layers;
  const chunk = opts.chunk ?? RNN_DEFAULTS.chunk;
  if (!Number.isInteger(hidden) || hidden < 1) throw new Error(`rnn: hidden must be a positive integer, got ${hidden}`);
  if (!Number.isInteger(layers) || layers < 1) throw new Error(`rnn: layers must be a positive integer, got ${layers}`);
  if (!Number.isInteger(chunk) || chunk < 2) throw new Error(`rnn: chunk must be an integer ≥ 2, got ${chunk}`);
  const nUp = checkNUp('rnn', N, opts.nUp);
  const order = checkPath('rnn', N, opts.order);
  const gradient = opts.gradient ?? 'bptt';
  if (!['bptt', 'tape', 'builtin'].includes(gradient)) throw new Error(`rnn: unknown gradient mode "${gradient}"`);
  const forward = opts.forward ?? 'fused';
  if (!['fused', 'ops'].includes(forward)) throw new Error(`rnn: unknown forward mode "${forward}"`);
  return { nSites: N, hidden, layers, complex: opts.complex ?? RNN_DEFAULTS.complex, nUp, order, chunk, gradient, forward };
}

interface LayerVars {
  Wz: tf.Variable; Wr: tf.Variable; Wn: tf.Variable;
  Uz: tf.Variable; Ur: tf.Variable; Un: tf.Variable;
  bz: tf.Variable; br: tf.Variable; bn: tf.Variable;
}

/** Per-pass effective weights (computed from the variables, differentiably). */
interface Prepared extends HeadWeights {
  /** first layer: [3,H] input-plus-bias matrices (candidate scaled by 2) */
  A: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  /** layers ≥ 1: input weights and biases (candidate scaled by 2); index 0 unused */
  W: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D][];
  b: [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D][];
  /** recurrent weights per layer (candidate scaled by 2) */
  U: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D][];
}

/**
 * Weights of the fused no-gradient step, per layer, for the product with [h, input] (see
 * `gruFused`): update gate [H+din, H], reset gate [H+din, H+din] (its din extra outputs are
 * σ(BIG) = 1, so r̃ ⊙ [h, input] = [r ⊙ h, input]), candidate [H+din, H] (scaled by 2); biases
 * for layers ≥ 1 (layer 0 folds them into its indicator rows, which sum to 1).
 */
interface FusedLayer {
  z: tf.Tensor2D;
  r: tf.Tensor2D;
  n: tf.Tensor2D;
  bz: tf.Tensor1D | null;
  br: tf.Tensor1D | null;
  bn: tf.Tensor1D | null;
}

/** The three GRU gates, in variable order. */
const GATES = ['z', 'r', 'n'] as const;

/** Host-side constants of a BPTT pass (see `bpttInputs`). */
interface BpttInputs {
  B: number;
  /** per position: head multiplier m and offset k [B], one-hot of the bit [B,2] (complex only) */
  ms: Float32Array[];
  ks: Float32Array[];
  ohs: Float32Array[];
  /** [N·B, 3] first-layer indicators, position-major */
  ind: Float32Array;
}

/** What the BPTT forward pass keeps (see `bpttForward`). */
interface BpttForward {
  saved: tf.Tensor[];
  /** per position and layer: indices into `saved` of [h, z, n, r, rh] */
  slot: number[][][];
  /** per position: indices of u and g (−1: none) */
  headSlot: [number, number][];
  acc: tf.Tensor2D;
  pacc: tf.Tensor2D | null;
}

/** Per-position cotangents of a backward pass (see `backprop`), in position order. */
interface BpttCotangents {
  daz: tf.Tensor2D[][];
  dar: tf.Tensor2D[][];
  dan: tf.Tensor2D[][];
  dds: tf.Tensor2D[];
  dqs: tf.Tensor2D[];
}

class RnnWavefunction implements Wavefunction {
  readonly kind = 'rnn';
  readonly nSites: number;
  readonly variables: tf.Variable[];
  readonly normalized = true;
  readonly connectedExact = true;
  readonly opts: ResolvedRnnOptions;
  private readonly layerVars: LayerVars[] = [];
  private readonly Wo: tf.Variable;
  private readonly bo: tf.Variable;
  private readonly Wp: tf.Variable | null;
  private readonly bp: tf.Variable | null;
  /** constants */
  private readonly C3: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  private readonly D: tf.Tensor2D;
  private readonly user: RnnOptions;

  constructor(opts: RnnOptions, rng: Rng) {
    this.user = opts;
    this.opts = resolveRnnOptions(opts);
    const { nSites: N, hidden: H, layers, complex } = this.opts;
    this.nSites = N;
    const vars: tf.Variable[] = [];
    for (let l = 0; l < layers; l++) {
      const din = l === 0 ? 2 : H;
      // TF1 GRUCell initialisation: Glorot uniform over the gates kernel [din+H, 2H] and the
      // candidate kernel [din+H, H]; gate biases 1, candidate bias 0.
      const gl = (rows: number, fo: number) => glorot(rng, [rows, H], din + H, fo);
      const lv: LayerVars = {
        Wz: gl(din, 2 * H), Wr: gl(din, 2 * H), Wn: gl(din, H),
        Uz: gl(H, 2 * H), Ur: gl(H, 2 * H), Un: gl(H, H),
        bz: constVar(H, 1), br: constVar(H, 1), bn: constVar(H, 0),
      };
      this.layerVars.push(lv);
      vars.push(lv.Wz, lv.Wr, lv.Wn, lv.Uz, lv.Ur, lv.Un, lv.bz, lv.br, lv.bn);
    }
    const headVars = createHeadVariables(rng, H, complex);
    ({ Wo: this.Wo, bo: this.bo, Wp: this.Wp, bp: this.bp } = headVars);
    vars.push(...headVars.list);
    this.variables = vars;
    // [3,2] selector for the one-hot rows, [3,1] for the bias; ×2 versions for the candidate.
    this.C3 = [
      tf.tensor2d([1, 0, 0, 1, 0, 0], [3, 2]),
      tf.tensor2d([1, 1, 1], [3, 1]),
      tf.tensor2d([2, 0, 0, 2, 0, 0], [3, 2]),
      tf.tensor2d([2, 2, 2], [3, 1]),
    ];
    this.D = tf.tensor2d([-1, 1], [2, 1]);
  }

  spec(): Record<string, unknown> {
    const o = this.opts;
    const natural = o.order.every((s, i) => s === i);
    const out: Record<string, unknown> = {
      kind: 'rnn', nSites: o.nSites, hidden: o.hidden, layers: o.layers, complex: o.complex, nUp: o.nUp,
    };
    if (!natural) out.order = [...o.order];
    if (this.user.chunk !== undefined) out.chunk = o.chunk;
    if (o.gradient !== 'bptt') out.gradient = o.gradient;
    if (o.forward !== 'fused') out.forward = o.forward;
    return out;
  }

  dispose(): void {
    tf.dispose(this.variables);
    tf.dispose([...this.C3, this.D]);
  }

  // ---------------------------------------------------------------------------------------------
  // effective weights

  private prepare(): Prepared {
    const { layers } = this.opts;
    const [Cw, Cb, Cw2, Cb2] = this.C3;
    const row = (b: tf.Variable) => tf.reshape(b, [1, -1]) as tf.Tensor2D;
    const A: Prepared['A'] = [null!, null!, null!];
    const W: Prepared['W'] = [];
    const b: Prepared['b'] = [];
    const U: Prepared['U'] = [];
    for (let l = 0; l < layers; l++) {
      const v = this.layerVars[l];
      if (l === 0) {
        A[0] = tf.add(mmConstLeft(Cw, v.Wz as tf.Tensor2D), mmConstLeft(Cb, row(v.bz)));
        A[1] = tf.add(mmConstLeft(Cw, v.Wr as tf.Tensor2D), mmConstLeft(Cb, row(v.br)));
        A[2] = tf.add(mmConstLeft(Cw2, v.Wn as tf.Tensor2D), mmConstLeft(Cb2, row(v.bn)));
        W.push(null!);
        b.push(null!);
      } else {
        W.push([v.Wz as tf.Tensor2D, v.Wr as tf.Tensor2D, tf.mul(v.Wn, 2)]);
        b.push([fresh(v.bz), fresh(v.br), fresh(v.bn, 2)]);
      }
      U.push([v.Uz as tf.Tensor2D, v.Ur as tf.Tensor2D, tf.mul(v.Un, 2)]);
    }
    return { A, W, b, U, ...prepareHead(this.Wo, this.bo, this.Wp, this.bp, this.D) };
  }

  /** `prepare()` plus the fused step's weights, for the no-gradient passes (caller releases). */
  private prepareForward(): { P: Prepared; F: FusedLayer[] | null } {
    return tidy(() => {
      const P = this.prepare();
      if (this.opts.forward !== 'fused') return { P, F: null };
      const H = this.opts.hidden;
      const F: FusedLayer[] = [];
      for (let l = 0; l < this.opts.layers; l++) {
        const [Uz, Ur, Un] = P.U[l];
        const [Wz, Wr, Wn] = l === 0 ? P.A : P.W[l];
        const din = Wz.shape[0];
        const rExtra = l === 0 ? tf.fill([din, din], BIG) : tf.zeros([din, din]);
        F.push({
          z: tf.concat([Uz, Wz], 0) as tf.Tensor2D,
          r: tf.concat([tf.concat([Ur, tf.zeros([H, din])], 1), tf.concat([Wr, rExtra], 1)], 0) as tf.Tensor2D,
          n: tf.concat([Un, Wn], 0) as tf.Tensor2D,
          bz: l === 0 ? null : fresh(P.b[l][0]),
          br: l === 0 ? null : (tf.concat([P.b[l][1], tf.fill([din], BIG)]) as tf.Tensor1D),
          bn: l === 0 ? null : fresh(P.b[l][2]),
        });
      }
      return { P, F };
    });
  }

  /** Disposes what `prepareForward()` derived (never the variables). */
  private releaseForward(x: { P: Prepared; F: FusedLayer[] | null }): void {
    this.release(x.P);
    for (const f of x.F ?? []) tf.dispose([f.z, f.r, f.n, ...[f.bz, f.br, f.bn].filter((t): t is tf.Tensor1D => t !== null)]);
  }

  /** Disposes the derived tensors of a no-gradient `prepare()` (never the variables). */
  private release(P: Prepared): void {
    const vars = new Set<number>(this.variables.map((v) => v.id));
    const all = [...P.A, ...P.W.flat(), ...P.b.flat(), ...P.U.flat(), P.wd, P.bd, P.wp, P.bp];
    for (const t of all) if (t && !vars.has(t.id) && !t.isDisposed) t.dispose();
  }

  // ---------------------------------------------------------------------------------------------
  // one position

  /** GRU update of all layers; `h[l]` null means the zero initial state. */
  private gru(P: Prepared, ops: Ops, ind: tf.Tensor2D, h: (tf.Tensor2D | null)[]): tf.Tensor2D[] {
    const out: tf.Tensor2D[] = [];
    let x: tf.Tensor2D = ind;
    for (let l = 0; l < this.opts.layers; l++) {
      let pz: tf.Tensor2D, pr: tf.Tensor2D, pn: tf.Tensor2D;
      if (l === 0) {
        pz = ops.mmConst(ind, P.A[0]);
        pr = ops.mmConst(ind, P.A[1]);
        pn = ops.mmConst(ind, P.A[2]);
      } else {
        pz = ops.affine(x, P.W[l][0], P.b[l][0]);
        pr = ops.affine(x, P.W[l][1], P.b[l][1]);
        pn = ops.affine(x, P.W[l][2], P.b[l][2]);
      }
      const hl = h[l];
      let hn: tf.Tensor2D;
      if (hl === null) {
        const z = tf.sigmoid(pz);
        const n = tf.sub(tf.mul(tf.sigmoid(pn), 2), 1);
        hn = tf.sub(n, tf.mul(z, n));
      } else {
        const U = P.U[l];
        const z = tf.sigmoid(tf.add(pz, ops.mm(hl, U[0])));
        const r = tf.sigmoid(tf.add(pr, ops.mm(hl, U[1])));
        const n = tf.sub(tf.mul(tf.sigmoid(tf.add(pn, ops.mm(tf.mul(r, hl), U[2]))), 2), 1);
        hn = tf.add(n, tf.mul(z, tf.sub(hl, n)));
      }
      out.push(hn);
      x = hn;
    }
    return out;
  }

  /**
   * The GRU update of all layers without gradients, in six kernels per layer instead of
   * fifteen: with x̃ = [h, input] (one concat along the inner axis),
   *   z = σ(x̃·[U_z; W_z] + b_z),  r̃ = σ(x̃·[[U_r, 0]; [W_r, BIG]] + [b_r, BIG]) = [r, 1…1],
   *   s = σ((r̃ ⊙ x̃)·[2U_n; 2W_n] + 2b_n),  n = 2s − 1 = tanh(·),  h' = n + z ⊙ (h − n),
   * each product with its bias and sigmoid in one fused matMul kernel (tf.fused.matMul). The
   * same numbers as `gru` up to float32 rounding (the input term is summed inside the product).
   */
  private gruFused(F: FusedLayer[], ind: tf.Tensor2D, h: (tf.Tensor2D | null)[]): tf.Tensor2D[] {
    const out: tf.Tensor2D[] = [];
    let x: tf.Tensor2D = ind;
    const A = ind.shape[0];
    for (let l = 0; l < this.opts.layers; l++) {
      const f = F[l];
      const hl = h[l] ?? (tf.zeros([A, this.opts.hidden]) as tf.Tensor2D);
      const hx = tf.concat([hl, x], 1) as tf.Tensor2D;
      const z = tf.fused.matMul({ a: hx, b: f.z, bias: f.bz ?? undefined, activation: 'sigmoid' }) as tf.Tensor2D;
      const r = tf.fused.matMul({ a: hx, b: f.r, bias: f.br ?? undefined, activation: 'sigmoid' }) as tf.Tensor2D;
      const s = tf.fused.matMul({ a: tf.mul(r, hx) as tf.Tensor2D, b: f.n, bias: f.bn ?? undefined, activation: 'sigmoid' });
      const n = tf.sub(tf.mul(s, 2), 1);
      const hn = tf.add(n, tf.mul(z, tf.sub(hl, n))) as tf.Tensor2D;
      out.push(hn);
      x = hn;
    }
    return out;
  }

  /** One no-gradient GRU update with the configured forward formulation. */
  private step(fw: { P: Prepared; F: FusedLayer[] | null }, ind: tf.Tensor2D, h: (tf.Tensor2D | null)[]): tf.Tensor2D[] {
    return fw.F ? this.gruFused(fw.F, ind, h) : this.gru(fw.P, PLAIN_OPS, ind, h);
  }

  // ---------------------------------------------------------------------------------------------
  // host-side per-position inputs

  /** [A,3] first-layer indicator for position j from bits at j−1. */
  private indicator(bits: Uint8Array, A: number, j: number): tf.Tensor2D {
    const N = this.nSites;
    const d = new Float32Array(A * 3);
    if (j === 0) {
      for (let r = 0; r < A; r++) d[3 * r + 2] = 1;
    } else {
      for (let r = 0; r < A; r++) d[3 * r + bits[r * N + j - 1]] = 1;
    }
    return tf.tensor2d(d, [A, 3]);
  }

  // ---------------------------------------------------------------------------------------------
  // differentiable pass

  logPsi(configs: tf.Tensor2D): LogPsi {
    const N = this.nSites;
    const B = configs.shape[0];
    if (configs.shape[1] !== N) throw new Error(`rnn.logPsi: expected [B, ${N}] configurations, got [${configs.shape}]`);
    const bits = toPath(configs.dataSync() as Float32Array, B, this.opts.order);
    const g = this.opts.gradient;
    if (g === 'bptt') return this.logPsiBptt(bits, B);
    return this.logPsiTape(bits, B, g === 'tape' ? GRAD_OPS : PLAIN_OPS);
  }

  /** Differentiable pass recorded op by op on the tfjs tape (for comparison with `logPsiBptt`). */
  private logPsiTape(bits: Uint8Array, B: number, ops: Ops): LogPsi {
    const N = this.nSites;
    return tidy(() => {
      const P = this.prepare();
      const ups = new Int32Array(B);
      let h: (tf.Tensor2D | null)[] = new Array(this.opts.layers).fill(null);
      let acc: tf.Tensor2D | null = null;
      let pacc: tf.Tensor2D | null = null;
      for (let j = 0; j < N; j++) {
        const hn = this.gru(P, ops, this.indicator(bits, B, j), h);
        const [m, k, oh] = headInputs(bits, ups, B, j, N, this.opts.nUp, this.opts.complex);
        const [sp, ph] = head(P, ops, hn[hn.length - 1], m, k, oh);
        acc = acc ? (tf.add(acc, sp) as tf.Tensor2D) : sp;
        if (ph) pacc = pacc ? (tf.add(pacc, ph) as tf.Tensor2D) : ph;
        for (let r = 0; r < B; r++) ups[r] += bits[r * N + j];
        h = hn;
      }
      const logAmp = tf.reshape(tf.mul(acc!, -0.5), [B]) as tf.Tensor1D;
      const phase = pacc
        ? (tf.mul(tf.sum(pacc, 1), Math.PI) as tf.Tensor1D)
        : (tf.zeros([B]) as tf.Tensor1D);
      return { logAmp, phase };
    });
  }

  /** Host-side constants of a BPTT pass: head multipliers/offsets, one-hots and first-layer indicators per position. */
  private bpttInputs(bits: Uint8Array, B: number): BpttInputs {
    const N = this.nSites;
    const complex = this.opts.complex;
    const ms: Float32Array[] = [];
    const ks: Float32Array[] = [];
    const ohs: Float32Array[] = [];
    const ind = new Float32Array(N * B * 3);
    const ups = new Int32Array(B);
    for (let j = 0; j < N; j++) {
      const [m, k] = headArrays(bits, ups, B, j, N, this.opts.nUp);
      ms.push(m);
      ks.push(k);
      if (complex) ohs.push(oneHotArray(bits, B, j, N));
      const o = j * B * 3;
      for (let r = 0; r < B; r++) {
        ind[o + 3 * r + (j === 0 ? 2 : bits[r * N + j - 1])] = 1;
        ups[r] += bits[r * N + j];
      }
    }
    return { B, ms, ks, ohs, ind };
  }

  /**
   * The forward pass of BPTT, position by position, keeping what the backward pass needs: per
   * position and layer [h, z, n, r, rh] (r, rh absent at j = 0), then u (head input of the
   * softplus) and g (phase head output). Returns the saved tensors (caller disposes) and the
   * accumulators −2·logAmp [B,1] and the phase sums [B,2].
   */
  private bpttForward(P: Prepared, inp: BpttInputs): BpttForward {
    const N = this.nSites;
    const L = this.opts.layers;
    const { B, ms, ks, ohs, ind } = inp;
    const saved: tf.Tensor[] = [];
    const slot: number[][][] = [];
    const headSlot: [number, number][] = [];
    let h: (tf.Tensor2D | null)[] = new Array(L).fill(null);
    let acc: tf.Tensor2D | null = null;
    let pacc: tf.Tensor2D | null = null;
    for (let j = 0; j < N; j++) {
      const res = tidy(() => {
        const keep: tf.Tensor[][] = [];
        const hn: tf.Tensor2D[] = [];
        let x: tf.Tensor2D = tf.tensor2d(ind.subarray(j * B * 3, (j + 1) * B * 3), [B, 3]);
        for (let l = 0; l < L; l++) {
          let pz: tf.Tensor2D, pr: tf.Tensor2D, pn: tf.Tensor2D;
          if (l === 0) {
            pz = tf.matMul(x, P.A[0]);
            pr = tf.matMul(x, P.A[1]);
            pn = tf.matMul(x, P.A[2]);
          } else {
            pz = PLAIN_OPS.affine(x, P.W[l][0], P.b[l][0]);
            pr = PLAIN_OPS.affine(x, P.W[l][1], P.b[l][1]);
            pn = PLAIN_OPS.affine(x, P.W[l][2], P.b[l][2]);
          }
          const hp = h[l];
          let z: tf.Tensor2D, n: tf.Tensor2D, hl: tf.Tensor2D;
          if (hp === null) {
            z = tf.sigmoid(pz);
            n = tf.sub(tf.mul(tf.sigmoid(pn), 2), 1) as tf.Tensor2D;
            hl = tf.sub(n, tf.mul(z, n)) as tf.Tensor2D;
            keep.push([hl, z, n]);
          } else {
            z = tf.sigmoid(tf.add(pz, tf.matMul(hp, P.U[l][0]))) as tf.Tensor2D;
            const r = tf.sigmoid(tf.add(pr, tf.matMul(hp, P.U[l][1])));
            const rh = tf.mul(r, hp);
            n = tf.sub(tf.mul(tf.sigmoid(tf.add(pn, tf.matMul(rh, P.U[l][2]))), 2), 1) as tf.Tensor2D;
            hl = tf.add(n, tf.mul(z, tf.sub(hp, n))) as tf.Tensor2D;
            keep.push([hl, z, n, r, rh]);
          }
          hn.push(hl);
          x = hl;
        }
        const d = PLAIN_OPS.affine(x, P.wd, P.bd);
        const u = tf.add(tf.mul(tf.tensor2d(ms[j], [B, 1]), d), tf.tensor2d(ks[j], [B, 1]));
        const sp = tf.softplus(u) as tf.Tensor2D;
        const nacc = j > 0 ? tf.add(acc!, sp) : sp;
        let g: tf.Tensor2D | null = null;
        let npacc: tf.Tensor | null = null;
        if (P.wp && P.bp) {
          const gg = tf.mul(PLAIN_OPS.affine(x, P.wp, P.bp), tf.tensor2d(ohs[j], [B, 2])) as tf.Tensor2D;
          g = gg;
          const ph = tf.div(gg, tf.add(tf.abs(gg), 1));
          npacc = j > 0 ? tf.add(pacc!, ph) : ph;
        }
        return { hn, keep, u, g, acc: nacc as tf.Tensor2D, pacc: npacc as tf.Tensor2D | null };
      });
      if (j > 0) tf.dispose([acc!, ...(pacc ? [pacc] : [])]);
      acc = res.acc;
      pacc = res.pacc;
      h = res.hn;
      slot.push(res.keep.map((list) => list.map((t) => saved.push(t) - 1)));
      headSlot.push([saved.push(res.u) - 1, res.g ? saved.push(res.g) - 1 : -1]);
    }
    return { saved, slot, headSlot, acc: acc!, pacc };
  }

  /**
   * Differentiable pass as one custom-gradient op with hand-written backpropagation through the
   * sequence. Compared with recording every op on the tfjs tape this avoids the tape's per-op
   * bookkeeping (a copy of every saved input, an accumulation add for every fan-out) and turns
   * the weight gradients into one large matMul per weight matrix over all positions.
   */
  private logPsiBptt(bits: Uint8Array, B: number): LogPsi {
    const complex = this.opts.complex;
    const inp = this.bpttInputs(bits, B);
    const vars = this.variables;

    const forward = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const P = this.prepare();
      const fw = this.bpttForward(P, inp);
      this.release(P);
      const logAmp = tf.reshape(tf.mul(fw.acc, -0.5), [B]);
      const value = fw.pacc ? tf.concat([logAmp, tf.mul(tf.sum(fw.pacc, 1), Math.PI)], 0) : logAmp;
      tf.dispose([fw.acc, ...(fw.pacc ? [fw.pacc] : [])]);
      save(fw.saved);
      const gradFunc = (dy: tf.Tensor, sv: tf.Tensor[]) => this.backward(dy, { ...fw, saved: sv }, inp);
      return { value, gradFunc };
    };
    const f = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
    return tidy(() => {
      const out = f(...vars);
      if (!complex) return { logAmp: out as tf.Tensor1D, phase: tf.zeros([B]) as tf.Tensor1D };
      return {
        logAmp: tf.slice(out, [0], [B]) as tf.Tensor1D,
        phase: tf.slice(out, [B], [B]) as tf.Tensor1D,
      };
    });
  }

  /**
   * Backpropagation through the sequence: the cotangents of every position's pre-activations,
   * without any reduction over the batch. `dacc` [B,1] is ∂L/∂(Σ softplus) (= −½ ∂L/∂logAmp;
   * null: no amplitude term), `dP2` [B,2] is ∂L/∂(phase sums) (null: no phase term). Per layer and
   * position (position order): ∂L/∂(update, reset, candidate pre-activations) — the candidate's
   * for tanh's own argument, so the weights' cotangents are those of the unscaled variables —
   * and per position ∂L/∂d of the logit difference and ∂L/∂(phase head outputs).
   */
  private backprop(dacc: tf.Tensor2D | null, dP2: tf.Tensor2D | null, fw: BpttForward, inp: BpttInputs): BpttCotangents {
    const N = this.nSites;
    const L = this.opts.layers;
    const { B, ms, ohs } = inp;
    const sv = fw.saved;
    const { slot, headSlot } = fw;
    const T = (t: tf.Tensor) => tf.transpose(t as tf.Tensor2D);
    const lv = this.layerVars;
    const UT = lv.map((v) => [T(v.Uz), T(v.Ur), T(v.Un)]);
    const WT = lv.map((v, l) => (l === 0 ? null : [T(v.Wz), T(v.Wr), T(v.Wn)]));
    const wdT = T(tf.matMul(this.Wo as tf.Tensor2D, this.D)); // [1,H]
    const WpT = this.Wp ? T(this.Wp) : null; // [2,H]
    const daz: tf.Tensor2D[][] = lv.map(() => []);
    const dar: tf.Tensor2D[][] = lv.map(() => []);
    const dan: tf.Tensor2D[][] = lv.map(() => []);
    const dds: tf.Tensor2D[] = [];
    const dqs: tf.Tensor2D[] = [];
    let dhNext: (tf.Tensor2D | null)[] = new Array(L).fill(null);
    for (let j = N - 1; j >= 0; j--) {
      const res = tidy(() => {
        const [iu, ig] = headSlot[j];
        let dh: tf.Tensor2D | null = null;
        let dd: tf.Tensor2D | null = null;
        if (dacc) {
          const du = tf.mul(dacc, tf.sigmoid(sv[iu]));
          dd = tf.mul(du, tf.tensor2d(ms[j], [B, 1])) as tf.Tensor2D;
          dh = tf.matMul(dd, wdT) as tf.Tensor2D;
        }
        let dq: tf.Tensor2D | null = null;
        if (dP2 && WpT) {
          const g = sv[ig];
          const a = tf.add(tf.abs(g), 1);
          dq = tf.mul(tf.div(dP2, tf.mul(a, a)), tf.tensor2d(ohs[j], [B, 2])) as tf.Tensor2D;
          const dhq = tf.matMul(dq, WpT) as tf.Tensor2D;
          dh = dh ? (tf.add(dh, dhq) as tf.Tensor2D) : dhq;
        }
        const outNext: (tf.Tensor2D | null)[] = new Array(L).fill(null);
        const gz: tf.Tensor2D[] = [];
        const gr: tf.Tensor2D[] = [];
        const gn: tf.Tensor2D[] = [];
        for (let l = L - 1; l >= 0; l--) {
          const dn1 = dhNext[l];
          if (dn1) dh = dh ? (tf.add(dh, dn1) as tf.Tensor2D) : dn1;
          const s = slot[j][l];
          const z = sv[s[1]];
          const n = sv[s[2]];
          const hp = j > 0 ? sv[slot[j - 1][l][0]] : null;
          if (dh === null) dh = tf.zerosLike(z) as tf.Tensor2D; // no cotangent reaches this position
          const omz = tf.sub(1, z);
          const dn = tf.mul(dh, omz);
          const dz = hp ? tf.mul(dh, tf.sub(hp, n)) : tf.neg(tf.mul(dh, n));
          const dazl = tf.mul(dz, tf.mul(z, omz)) as tf.Tensor2D;
          const danl = tf.mul(dn, tf.sub(1, tf.mul(n, n))) as tf.Tensor2D;
          let darl: tf.Tensor2D;
          if (hp) {
            const r = sv[s[3]];
            const drh = tf.matMul(danl, UT[l][2]);
            darl = tf.mul(tf.mul(drh, hp), tf.mul(r, tf.sub(1, r))) as tf.Tensor2D;
            const dhp = tf.addN([tf.mul(dh, z), tf.mul(drh, r), tf.matMul(dazl, UT[l][0]), tf.matMul(darl, UT[l][1])]);
            outNext[l] = dhp as tf.Tensor2D;
          } else {
            darl = tf.zerosLike(dazl);
          }
          gz[l] = dazl;
          gr[l] = darl;
          gn[l] = danl;
          if (l > 0) {
            const w = WT[l]!;
            dh = tf.addN([tf.matMul(dazl, w[0]), tf.matMul(darl, w[1]), tf.matMul(danl, w[2])]) as tf.Tensor2D;
          }
        }
        return { outNext, gz, gr, gn, dd, dq };
      });
      tf.dispose(dhNext.filter((t): t is tf.Tensor2D => t !== null));
      dhNext = res.outNext;
      for (let l = 0; l < L; l++) {
        daz[l].push(res.gz[l]);
        dar[l].push(res.gr[l]);
        dan[l].push(res.gn[l]);
      }
      if (res.dd) dds.push(res.dd);
      if (res.dq) dqs.push(res.dq);
    }
    tf.dispose(dhNext.filter((t): t is tf.Tensor2D => t !== null));
    tf.dispose([...UT.flat(), ...WT.flatMap((w) => w ?? []), wdT, ...(WpT ? [WpT] : [])]);
    // lists were filled from j = N−1 down to 0: reverse to position order
    for (const lists of [daz, dar, dan]) for (const x of lists) x.reverse();
    dds.reverse();
    dqs.reverse();
    return { daz, dar, dan, dds, dqs };
  }

  /** Gradients of the BPTT pass with respect to all variables, in `variables` order. */
  private backward(dy: tf.Tensor, fw: BpttForward, inp: BpttInputs): tf.Tensor[] {
    const N = this.nSites;
    const { layers: L, complex } = this.opts;
    const { B, ind } = inp;
    const sv = fw.saved;
    const { slot } = fw;
    const T = (t: tf.Tensor) => tf.transpose(t as tf.Tensor2D);
    const lv = this.layerVars;
    const D = this.D;
    const dacc = tf.reshape(tf.mul(complex ? tf.slice(dy, [0], [B]) : dy, -0.5), [B, 1]) as tf.Tensor2D;
    const dP2 = complex
      ? (tf.matMul(tf.reshape(tf.slice(dy, [B], [B]), [B, 1]), tf.tensor2d([Math.PI, Math.PI], [1, 2])) as tf.Tensor2D)
      : null;
    const { daz, dar, dan, dds, dqs } = this.backprop(dacc, dP2, fw, inp);
    // Weight gradients: one matMul over all positions per weight matrix. The wasm matMul packs
    // its right operand on every call with a new tensor (~30 ns per element, as much as the
    // product itself), so the right operand is the activation matrix shared by several
    // gradients (packed once) and the left one a transposed gradient: G^T = D^T · X.
    const cat = (ts: tf.Tensor[]) => (ts.length === 1 ? ts[0] : tf.concat(ts, 0)) as tf.Tensor2D;
    const out: tf.Tensor[] = [];
    const hOf = (j: number, l: number) => sv[slot[j][l][0]] as tf.Tensor2D;
    const onesCol = tf.ones([N * B, 1]) as tf.Tensor2D;
    for (let l = 0; l < L; l++) {
      const DZT = T(cat(daz[l]));
      const DRT = T(cat(dar[l]));
      const DNT = T(cat(dan[l]));
      let gW: tf.Tensor[];
      let gb: tf.Tensor[];
      if (l === 0) {
        const I = tf.tensor2d(ind, [N * B, 3]);
        const Ct = tf.tensor2d([1, 0, 0, 0, 1, 0], [2, 3]);
        const ones3 = tf.ones([1, 3]) as tf.Tensor2D;
        const dA = [DZT, DRT, DNT].map((d) => T(tf.matMul(d, I))); // [3,H]
        gW = dA.map((a) => tf.matMul(Ct, a));
        gb = dA.map((a) => tf.reshape(tf.matMul(ones3, a), [-1]));
      } else {
        const X = cat(Array.from({ length: N }, (_, j) => hOf(j, l - 1)));
        gW = [DZT, DRT, DNT].map((d) => T(tf.matMul(d, X)));
        gb = [DZT, DRT, DNT].map((d) => tf.reshape(tf.matMul(d, onesCol), [-1]));
      }
      let gU: tf.Tensor[];
      if (N > 1) {
        // positions j ≥ 1 (the recurrent input is zero at j = 0): columns B.. of the transposes
        const HP = cat(Array.from({ length: N - 1 }, (_, j) => hOf(j, l)));
        const RH = cat(Array.from({ length: N - 1 }, (_, j) => sv[slot[j + 1][l][4]]));
        const tail = (d: tf.Tensor2D[]) => T(cat(d.slice(1)));
        gU = [T(tf.matMul(tail(daz[l]), HP)), T(tf.matMul(tail(dar[l]), HP)), T(tf.matMul(tail(dan[l]), RH))];
      } else {
        gU = [lv[l].Uz, lv[l].Ur, lv[l].Un].map((u) => tf.zerosLike(u));
      }
      out.push(gW[0], gW[1], gW[2], gU[0], gU[1], gU[2], gb[0], gb[1], gb[2]);
    }
    const HTT = T(cat(Array.from({ length: N }, (_, j) => hOf(j, L - 1)))); // [H, NB]
    const onesRow = tf.ones([1, N * B]) as tf.Tensor2D;
    const DD = cat(dds);
    const Dt = tf.transpose(D);
    out.push(tf.matMul(tf.matMul(HTT, DD), Dt), tf.reshape(tf.matMul(tf.matMul(onesRow, DD), Dt), [2]));
    if (complex) {
      const DQ = cat(dqs);
      out.push(tf.matMul(HTT, DQ), tf.reshape(tf.matMul(onesRow, DQ), [2]));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // per-sample log-derivatives

  /**
   * O_k(x) for `count` configurations: the BPTT forward pass once per chunk, its backward pass
   * once for Σ logAmp and (complex) once for Σ phase, and the weight cotangents contracted per
   * sample instead of over the batch (log-derivatives.ts): for each weight matrix the batched
   * outer product Σ_j x_j ⊗ δ_j over the positions, one batched matMul per matrix.
   */
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives {
    const P = parameterCount(this);
    return batchedLogDerivatives(this.nSites, P, this.opts.complex, configs, count, derivativeChunk(P), (x, B, re, im) =>
      this.derivativePass(x, B, re, im),
    );
  }

  private derivativePass(configs: Uint8Array, B: number, re: PerSampleGradients, im: PerSampleGradients | null): Routing {
    const N = this.nSites;
    const L = this.opts.layers;
    const inp = this.bpttInputs(toPath(configs, B, this.opts.order), B);
    const P = tidy(() => this.prepare());
    const fw = this.bpttForward(P, inp);
    this.release(P);
    try {
      const sv = fw.saved;
      const hOf = (j: number, l: number) => sv[fw.slot[j][l][0]] as tf.Tensor2D;
      const inds = Array.from({ length: N }, (_, j) => tf.tensor2d(inp.ind.subarray(j * B * 3, (j + 1) * B * 3), [B, 3]));
      const record = (rec: PerSampleGradients, c: BpttCotangents) => {
        for (let l = 0; l < L; l++) {
          const g = [c.daz[l], c.dar[l], c.dan[l]];
          GATES.forEach((gate, q) => {
            for (let j = 0; j < N; j++) {
              if (l === 0) rec.outer(`A0${gate}`, inds[j], g[q][j]);
              else {
                rec.outer(`W${l}${gate}`, hOf(j, l - 1), g[q][j]);
                rec.sum(`b${l}${gate}`, g[q][j]);
              }
              // the recurrent input is zero at j = 0; the candidate's is r ⊙ h
              if (j > 0) rec.outer(`U${l}${gate}`, gate === 'n' ? (sv[fw.slot[j][l][4]] as tf.Tensor2D) : hOf(j - 1, l), g[q][j]);
            }
          });
        }
        c.dds.forEach((dd, j) => {
          rec.outer('wd', hOf(j, L - 1), dd);
          rec.sum('bd', dd);
        });
        c.dqs.forEach((dq, j) => {
          rec.outer('wp', hOf(j, L - 1), dq);
          rec.sum('bp', dq);
        });
        tf.dispose([...c.daz.flat(), ...c.dar.flat(), ...c.dan.flat(), ...c.dds, ...c.dqs]);
      };
      try {
        // logAmp = −½ Σ softplus
        record(re, tidy(() => this.backprop(tf.fill([B, 1], -0.5) as tf.Tensor2D, null, fw, inp)));
        // phase = π Σ (both phase-head columns)
        if (im) record(im, tidy(() => this.backprop(null, tf.fill([B, 2], Math.PI) as tf.Tensor2D, fw, inp)));
      } finally {
        tf.dispose(inds);
      }
    } finally {
      tf.dispose([...fw.saved, fw.acc, ...(fw.pacc ? [fw.pacc] : [])]);
    }
    return this.routing();
  }

  /**
   * From the per-sample slot gradients of `derivativePass` to the variables: the first layer's
   * [3,H] matrices are [W_0 + b; W_1 + b; b] (rows 0, 1 to W, all three to b), the logit
   * difference is Wo·[−1, 1]ᵀ, everything else is a variable itself.
   */
  private routing(): Routing {
    const H = this.opts.hidden;
    const off = variableOffsets(this.variables);
    const r = new Routing(parameterCount(this));
    let v = 0;
    for (let l = 0; l < this.opts.layers; l++) {
      const din = l === 0 ? 2 : H;
      const [oW, oU, ob] = [v, v + 3, v + 6];
      GATES.forEach((gate, q) => {
        if (l === 0) {
          const s = `A0${gate}`;
          r.range(s, 3 * H, 0, off[oW + q], din * H);
          for (let c = 0; c < 3; c++) r.range(s, 3 * H, c * H, off[ob + q], H);
        } else {
          r.range(`W${l}${gate}`, H * H, 0, off[oW + q], H * H);
          r.range(`b${l}${gate}`, H, 0, off[ob + q], H);
        }
        r.range(`U${l}${gate}`, H * H, 0, off[oU + q], H * H);
      });
      v += 9;
    }
    // head variables: Wo [H,2], bo [2], then Wp [H,2], bp [2]
    routeHead(r, H, off[v], off[v + 1], this.opts.complex ? { oWp: off[v + 2], obp: off[v + 3] } : null);
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // no-gradient passes

  /**
   * Runs the rows of `rs` through the network without gradients. Roots start at position 0; a
   * branched row copies the state and partial sums of its parent after the parent's GRU update at
   * its branch position (it shares the parent's bits before that position) and continues with its
   * own bits. Returns log|ψ| and arg ψ per row.
   */
  private runRows(fw: { P: Prepared; F: FusedLayer[] | null }, rs: RowSet): { logAmp: Float64Array; phase: Float64Array } {
    const P = fw.P;
    const N = this.nSites;
    const { bits, rows: R } = rs;
    const complex = this.opts.complex;
    const ups = new Int32Array(R);
    let A = rs.roots;
    let next = rs.roots;
    let h: (tf.Tensor2D | null)[] = new Array(this.opts.layers).fill(null);
    let acc: tf.Tensor2D = tf.zeros([A, 1]);
    let pacc: tf.Tensor2D | null = complex ? tf.zeros([A, 2]) : null;
    for (let j = 0; j < N; j++) {
      let end = next;
      while (end < R && rs.branch[end] === j) end++;
      const res = tidy(() => {
        let hn = this.step(fw, this.indicator(bits, A, j), h);
        let a = acc;
        let pa = pacc;
        if (end > next) {
          // append the new rows: copies of their parents' rows
          const append = (t: tf.Tensor2D) => appendParentRows(t, rs.parent, end);
          hn = hn.map(append);
          a = append(a);
          if (pa) pa = append(pa);
        }
        const An = end > next ? end : A;
        const [m, k, oh] = headInputs(bits, ups, An, j, N, this.opts.nUp, complex);
        const [sp, ph] = head(P, PLAIN_OPS, hn[hn.length - 1], m, k, oh);
        return { h: hn, acc: tf.add(a, sp) as tf.Tensor2D, pacc: ph && pa ? (tf.add(pa, ph) as tf.Tensor2D) : null };
      });
      tf.dispose(h.filter((t): t is tf.Tensor2D => t !== null));
      tf.dispose(acc);
      if (pacc) tf.dispose(pacc);
      h = res.h;
      acc = res.acc;
      pacc = res.pacc;
      if (end > next) {
        A = end;
        next = end;
      }
      // up counts of every row (active or not) from its own bits
      for (let r = 0; r < R; r++) ups[r] += bits[r * N + j];
    }
    const out = readAccumulators(acc, pacc, R);
    tf.dispose(h as tf.Tensor[]);
    tf.dispose(acc);
    if (pacc) tf.dispose(pacc);
    return out;
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const N = this.nSites;
    if (configs.length < count * N) throw new Error(`rnn.evaluate: need ${count * N} bits, got ${configs.length}`);
    if (count === 0) return { logAmp: new Float64Array(0), phase: new Float64Array(0) };
    const fw = this.prepareForward();
    try {
      return evaluateChunked(configs, count, this.opts.order, this.opts.chunk, (rs) => this.runRows(fw, rs));
    } finally {
      this.releaseForward(fw);
    }
  }

  evaluateConnected(parents: Uint8Array, conn: Connections): ConnectedLogPsi {
    const fw = this.prepareForward();
    try {
      return evaluateConnectedShared(parents, conn, this.opts.order, this.opts.chunk, 'rnn', (rs) => this.runRows(fw, rs));
    } finally {
      this.releaseForward(fw);
    }
  }

  /**
   * Exact ancestral sampling, position by position, in batches of `chunk` samples (see
   * `sampleChunked`): same seed and same `chunk` ⇒ same samples.
   */
  sample(count: number, rng: Rng): Uint8Array {
    const { order, nUp, chunk, layers } = this.opts;
    if (count === 0) return new Uint8Array(0);
    const fw = this.prepareForward();
    const P = fw.P;
    try {
      return sampleChunked(count, order, chunk, nUp, rng, (B) => {
        let h: (tf.Tensor2D | null)[] = new Array(layers).fill(null);
        const live = () => h.filter((t): t is tf.Tensor2D => t !== null);
        return {
          step: (j, bits) => {
            const res = tidy(() => {
              const hn = this.step(fw, this.indicator(bits, B, j), h);
              return { h: hn, d: PLAIN_OPS.affine(hn[hn.length - 1], P.wd, P.bd) };
            });
            tf.dispose(live());
            h = res.h;
            const d = res.d.dataSync();
            res.d.dispose();
            return d;
          },
          dispose: () => tf.dispose(live()),
        };
      });
    } finally {
      this.releaseForward(fw);
    }
  }
}

/** The RNN wavefunction (kind 'rnn'); `spec()` returns the resolved options. */
export function createRnn(opts: RnnOptions, rng: Rng): Wavefunction {
  return new RnnWavefunction(opts, rng);
}
