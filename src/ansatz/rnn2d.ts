/**
 * The two-dimensional RNN wavefunction of Hibat-Allah et al., PRR 2, 023358 (2020), Sec. II.C.
 *
 * Sites of an Lx × Ly square lattice (site index x + Lx·y) are visited along the zigzag path:
 * even rows left→right, odd rows right→left (path position p = Lx·y + k). The hidden state at
 * (x, y) reads the hidden state and the one-hot spin of the horizontal neighbour visited before
 * in the same row, (x ∓ 1, y), and of the vertical neighbour in the previous row, (x, y − 1);
 * zeros (no input) at the boundary. Dense(2) + softmax gives the conditional of the spin at
 * (x, y); ψ(x) = sqrt(Π p) · exp(i Σ φ) with φ = π·softsign(·) for the complex RNN.
 *
 * Cells (the state and spin of the horizontal and vertical neighbours: h_h, σ_h, h_v, σ_v):
 * - 'plain' (the paper's): h = ELU(σ_h W_h + σ_v W_v + h_h U_h + h_v U_v + b);
 * - 'gated' (GRU-style, as the 2D GRU of Hibat-Allah et al., Nat. Mach. Intell. 3, 952 (2021)):
 *     z = σ(σ_h W_zh + σ_v W_zv + h_h U_zh + h_v U_zv + b_z)        update gate
 *     n = tanh(σ_h W_nh + σ_v W_nv + h_h U_nh + h_v U_nv + b_n)     candidate
 *     h = z ⊙ n + (1 − z) ⊙ (h_h M_h + h_v M_v)                    the gate mixes the neighbours
 *
 * Magnetisation sector, head, prefix-sharing evaluation, chunking and sampling follow the 1D RNN
 * (rnn.ts) and share its helpers (rnn/common.ts). Specific to 2D:
 * - the state at path position p depends on p − 1 and on the vertical neighbour p − 2k − 1 of the
 *   previous row, so the passes keep one live state per column (`live[x]`: the current row's
 *   state where already visited, the previous row's elsewhere);
 * - a branched row (a connected configuration first differing at p) shares its parent's live
 *   states; they are appended lazily, when a column's state is next read, so each position costs
 *   at most two row appends however wide the lattice is;
 * - inputs and bias of a gate are one constant [A,6] indicator (σ_h ∈ {0,1,none}, σ_v ∈ {0,1,none})
 *   times a per-pass [6,H] matrix [W_h0 + b; W_h1 + b; b; W_v0; W_v1; 0]: one tiny matMul;
 * - the training gradient is recorded op by op on the tfjs tape with the explicit-transpose
 *   matMul gradients of tf-ops.ts (for the 1D GRU this was within 10% of a hand-written BPTT);
 *   tanh is 2σ(2y) − 1 with the factor 2 folded into the candidate weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { Connections } from '../hamiltonian/types.js';
import type { Rng } from '../rng.js';
import {
  checkNUp,
  appendParentRows, constVar, createHeadVariables, evaluateChunked, evaluateConnectedShared, glorot, GRAD_OPS,
  head, headInputs, headSlots, PLAIN_OPS, prepareHead, readAccumulators, routeHead, sampleChunked, tidy, toPath,
  type HeadWeights, type Ops, type RowSet,
} from './rnn/common.js';
import { mmConstLeft } from './tf-ops.js';
import { parameterCount, type ConnectedLogPsi, type HostLogPsi, type LogPsi, type Wavefunction } from './wavefunction.js';
import {
  batchedLogDerivatives, derivativeChunk, recordTapePasses, recordingOps, Routing, variableOffsets, type LogDerivatives,
} from './log-derivatives.js';

export type Rnn2dCell = 'plain' | 'gated';

export interface Rnn2dOptions {
  /** lattice width (sites per row) and height (rows) */
  lx: number;
  ly: number;
  /** hidden units (default 50) */
  hidden?: number;
  /** 'plain' ELU cell of the paper or 'gated' GRU-style cell (default 'gated') */
  cell?: Rnn2dCell;
  /** phase head (complex RNN); false: positive (default false) */
  complex?: boolean;
  /** fixed number of up spins (bits equal to 1); null: unconstrained (default null) */
  nUp?: number | null;
  /** rows per tfjs pass in evaluate / evaluateConnected / sample; bounds peak memory (default 8192) */
  chunk?: number;
  /**
   * No-gradient cell (evaluate, evaluateConnected, sample; for benchmarks): 'fused' (default) one
   * product per gate with [h_h, h_v, inputs], bias-free activation fused; 'ops' separate products
   */
  forward?: 'fused' | 'ops';
}

export interface ResolvedRnn2dOptions {
  lx: number;
  ly: number;
  hidden: number;
  cell: Rnn2dCell;
  complex: boolean;
  nUp: number | null;
  chunk: number;
  forward: 'fused' | 'ops';
}

export const RNN2D_DEFAULTS = { hidden: 50, cell: 'gated', complex: false, nUp: null, chunk: 8192 } as const;

export function resolveRnn2dOptions(opts: Rnn2dOptions): ResolvedRnn2dOptions {
  const { lx, ly } = opts;
  for (const [name, v] of [['lx', lx], ['ly', ly]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`rnn2d: ${name} must be a positive integer, got ${v}`);
  }
  const N = lx * ly;
  const hidden = opts.hidden ?? RNN2D_DEFAULTS.hidden;
  const chunk = opts.chunk ?? RNN2D_DEFAULTS.chunk;
  const cell = opts.cell ?? RNN2D_DEFAULTS.cell;
  if (!Number.isInteger(hidden) || hidden < 1) throw new Error(`rnn2d: hidden must be a positive integer, got ${hidden}`);
  if (!Number.isInteger(chunk) || chunk < 2) throw new Error(`rnn2d: chunk must be an integer ≥ 2, got ${chunk}`);
  if (cell !== 'plain' && cell !== 'gated') throw new Error(`rnn2d: cell must be plain or gated, got "${String(cell)}"`);
  const nUp = checkNUp('rnn2d', N, opts.nUp);
  const forward = opts.forward ?? 'fused';
  if (forward !== 'fused' && forward !== 'ops') throw new Error(`rnn2d: forward must be fused or ops, got "${String(forward)}"`);
  return { lx, ly, hidden, cell, complex: opts.complex ?? RNN2D_DEFAULTS.complex, nUp, chunk, forward };
}

/** The zigzag path: site index (x + Lx·y) at each path position. Same as `Lattice.order('snake')`. */
export function zigzagPath(lx: number, ly: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < ly; y++) for (let k = 0; k < lx; k++) out.push(y * lx + (y % 2 === 0 ? k : lx - 1 - k));
  return out;
}

/** One gate of the cell: input matrix (null for the input-free mixing map) and the two recurrent maps. */
interface Gate {
  A: tf.Tensor2D | null;
  Uh: tf.Tensor2D;
  Uv: tf.Tensor2D;
}

/** Per-pass effective weights: plain [pre-activation]; gated [update, candidate×2, mixing]. */
interface Prepared extends HeadWeights {
  gates: Gate[];
  /** no-gradient passes with forward 'fused': per gate [U_h; U_v; A] ([2H+6, H]; A = 0 for the mixing map) */
  fused: tf.Tensor2D[] | null;
}

class Rnn2dWavefunction implements Wavefunction {
  readonly kind = 'rnn2d';
  readonly nSites: number;
  readonly variables: tf.Variable[];
  readonly normalized = true;
  readonly connectedExact = true;
  readonly opts: ResolvedRnn2dOptions;
  /** site at each path position */
  readonly order: number[];
  /** per path position: column x, and the path positions of the horizontal and vertical neighbours (−1: none) */
  private readonly col: Int32Array;
  private readonly hPos: Int32Array;
  private readonly vPos: Int32Array;
  /** per gate: input weights for σ_h and σ_v [2,H], bias [H], recurrent U_h, U_v [H,H] (W null for mixing) */
  private readonly gateVars: { Wh: tf.Variable | null; Wv: tf.Variable | null; b: tf.Variable | null; Uh: tf.Variable; Uv: tf.Variable; scale: number }[] = [];
  private readonly Wo: tf.Variable;
  private readonly bo: tf.Variable;
  private readonly Wp: tf.Variable | null;
  private readonly bp: tf.Variable | null;
  /** [6,2] selectors of the σ_h and σ_v rows, [6,1] of the bias rows; D = [[−1],[1]] */
  private readonly Ch: tf.Tensor2D;
  private readonly Cv: tf.Tensor2D;
  private readonly Cb: tf.Tensor2D;
  private readonly D: tf.Tensor2D;
  private readonly user: Rnn2dOptions;

  constructor(opts: Rnn2dOptions, rng: Rng) {
    this.user = opts;
    this.opts = resolveRnn2dOptions(opts);
    const { lx: Lx, ly: Ly, hidden: H, cell, complex } = this.opts;
    const N = Lx * Ly;
    this.nSites = N;
    this.order = zigzagPath(Lx, Ly);
    this.col = new Int32Array(N);
    this.hPos = new Int32Array(N);
    this.vPos = new Int32Array(N);
    for (let p = 0; p < N; p++) {
      const k = p % Lx;
      this.col[p] = this.order[p] % Lx;
      this.hPos[p] = k > 0 ? p - 1 : -1;
      this.vPos[p] = p >= Lx ? p - 2 * k - 1 : -1;
    }
    // Glorot uniform over each gate's whole kernel [σ_h; σ_v; h_h; h_v] of shape [2H + 4, H].
    const fanIn = 2 * H + 4;
    const gl = (rows: number) => glorot(rng, [rows, H], fanIn, H);
    const vars: tf.Variable[] = [];
    const inputGate = (scale: number, bias: number) => {
      const g = { Wh: gl(2), Wv: gl(2), Uh: gl(H), Uv: gl(H), b: constVar(H, bias), scale };
      this.gateVars.push(g);
      vars.push(g.Wh, g.Wv, g.Uh, g.Uv, g.b);
    };
    if (cell === 'plain') {
      inputGate(1, 0);
    } else {
      inputGate(1, 0); // update gate
      inputGate(2, 0); // candidate: tanh(y) = 2σ(2y) − 1
      const g = { Wh: null, Wv: null, b: null, Uh: gl(H), Uv: gl(H), scale: 1 }; // mixing maps
      this.gateVars.push(g);
      vars.push(g.Uh, g.Uv);
    }
    const headVars = createHeadVariables(rng, H, complex);
    ({ Wo: this.Wo, bo: this.bo, Wp: this.Wp, bp: this.bp } = headVars);
    vars.push(...headVars.list);
    this.variables = vars;
    this.Ch = tf.tensor2d([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], [6, 2]);
    this.Cv = tf.tensor2d([0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0], [6, 2]);
    this.Cb = tf.tensor2d([1, 1, 1, 0, 0, 0], [6, 1]);
    this.D = tf.tensor2d([-1, 1], [2, 1]);
  }

  spec(): Record<string, unknown> {
    const o = this.opts;
    const out: Record<string, unknown> = { kind: 'rnn2d', lx: o.lx, ly: o.ly, hidden: o.hidden, cell: o.cell, complex: o.complex, nUp: o.nUp };
    if (this.user.chunk !== undefined) out.chunk = o.chunk;
    if (o.forward !== 'fused') out.forward = o.forward;
    return out;
  }

  dispose(): void {
    tf.dispose(this.variables);
    tf.dispose([this.Ch, this.Cv, this.Cb, this.D]);
  }

  // ---------------------------------------------------------------------------------------------
  // effective weights and the cell

  private prepare(): Prepared {
    const gates = this.gateVars.map((g): Gate => {
      const s = (t: tf.Tensor2D) => (g.scale === 1 ? t : (tf.mul(t, g.scale) as tf.Tensor2D));
      let A: tf.Tensor2D | null = null;
      if (g.Wh && g.Wv && g.b) {
        A = s(tf.addN([
          mmConstLeft(this.Ch, g.Wh as tf.Tensor2D),
          mmConstLeft(this.Cv, g.Wv as tf.Tensor2D),
          mmConstLeft(this.Cb, tf.reshape(g.b, [1, -1]) as tf.Tensor2D),
        ]) as tf.Tensor2D);
      }
      return { A, Uh: s(g.Uh as tf.Tensor2D), Uv: s(g.Uv as tf.Tensor2D) };
    });
    return { gates, fused: null, ...prepareHead(this.Wo, this.bo, this.Wp, this.bp, this.D) };
  }

  /** `prepare()` plus the fused cell's stacked weights, for the no-gradient passes (caller releases). */
  private prepareForward(): Prepared {
    return tidy(() => {
      const P = this.prepare();
      if (this.opts.forward !== 'fused') return P;
      const H = this.opts.hidden;
      const fused = P.gates.map((g) => tf.concat([g.Uh, g.Uv, g.A ?? tf.zeros([6, H])], 0) as tf.Tensor2D);
      return { ...P, fused };
    });
  }

  /** Disposes the derived tensors of a no-gradient `prepare()` (never the variables). */
  private release(P: Prepared): void {
    const vars = new Set<number>(this.variables.map((v) => v.id));
    const all = [...P.gates.flatMap((g) => [g.A, g.Uh, g.Uv]), ...(P.fused ?? []), P.wd, P.bd, P.wp, P.bp];
    for (const t of all) if (t && !vars.has(t.id) && !t.isDisposed) t.dispose();
  }

  /** Σ of a gate's input term (if any) and recurrent terms; null when there is nothing to add. */
  private linear(ops: Ops, g: Gate, ind: tf.Tensor2D, hh: tf.Tensor2D | null, hv: tf.Tensor2D | null): tf.Tensor2D | null {
    const terms: tf.Tensor2D[] = [];
    if (g.A) terms.push(ops.mmConst(ind, g.A));
    if (hh) terms.push(ops.mm(hh, g.Uh));
    if (hv) terms.push(ops.mm(hv, g.Uv));
    if (terms.length === 0) return null;
    return terms.length === 1 ? terms[0] : (tf.addN(terms) as tf.Tensor2D);
  }

  /** New hidden state [A,H] from the indicator [A,6] and the neighbours' states (null: boundary). */
  private cell(P: Prepared, ops: Ops, ind: tf.Tensor2D, hh: tf.Tensor2D | null, hv: tf.Tensor2D | null): tf.Tensor2D {
    const G = P.gates;
    if (this.opts.cell === 'plain') return tf.elu(this.linear(ops, G[0], ind, hh, hv)!) as tf.Tensor2D;
    const z = tf.sigmoid(this.linear(ops, G[0], ind, hh, hv)!);
    const n = tf.sub(tf.mul(tf.sigmoid(this.linear(ops, G[1], ind, hh, hv)!), 2), 1);
    const m = this.linear(ops, G[2], ind, hh, hv);
    return (m ? tf.add(m, tf.mul(z, tf.sub(n, m))) : tf.mul(z, n)) as tf.Tensor2D;
  }

  /**
   * The cell without gradients. With forward 'fused': x̃ = [h_h, h_v, indicator] (zeros for a
   * missing neighbour; one concat along the inner axis) and one product per gate with its stacked
   * weights, the activation fused into the matMul kernel (ELU for the plain cell, σ for the gates):
   * 3 products instead of 9 (+3 tiny ones and 3 sums) for the gated cell. Same numbers as `cell`
   * up to float32 rounding.
   */
  private forwardCell(P: Prepared, ind: tf.Tensor2D, hh: tf.Tensor2D | null, hv: tf.Tensor2D | null): tf.Tensor2D {
    if (!P.fused) return this.cell(P, PLAIN_OPS, ind, hh, hv);
    const A = ind.shape[0];
    const H = this.opts.hidden;
    const zero = (): tf.Tensor2D => tf.zeros([A, H]);
    const x = tf.concat([hh ?? zero(), hv ?? zero(), ind], 1) as tf.Tensor2D;
    const [K0, K1, K2] = P.fused;
    if (this.opts.cell === 'plain') return tf.fused.matMul({ a: x, b: K0, activation: 'elu' }) as tf.Tensor2D;
    const z = tf.fused.matMul({ a: x, b: K0, activation: 'sigmoid' });
    const n = tf.sub(tf.mul(tf.fused.matMul({ a: x, b: K1, activation: 'sigmoid' }), 2), 1);
    const m = tf.matMul(x, K2);
    return tf.add(m, tf.mul(z, tf.sub(n, m))) as tf.Tensor2D;
  }

  /** [A,6] indicator of the neighbours' spins at path position p: [σ_h one-hot or none | σ_v …]. */
  private indicator(bits: Uint8Array, A: number, p: number): tf.Tensor2D {
    const N = this.nSites;
    const hp = this.hPos[p];
    const vp = this.vPos[p];
    const d = new Float32Array(A * 6);
    for (let r = 0; r < A; r++) {
      d[6 * r + (hp < 0 ? 2 : bits[r * N + hp])] = 1;
      d[6 * r + 3 + (vp < 0 ? 2 : bits[r * N + vp])] = 1;
    }
    return tf.tensor2d(d, [A, 6]);
  }

  /** Horizontal and vertical neighbour states of path position p from the per-column live states. */
  private neighbours(live: (tf.Tensor2D | null)[], p: number): [tf.Tensor2D | null, tf.Tensor2D | null] {
    return [this.hPos[p] < 0 ? null : live[this.col[p - 1]], this.vPos[p] < 0 ? null : live[this.col[p]]];
  }

  // ---------------------------------------------------------------------------------------------
  // differentiable pass

  logPsi(configs: tf.Tensor2D): LogPsi {
    const N = this.nSites;
    const B = configs.shape[0];
    if (configs.shape[1] !== N) throw new Error(`rnn2d.logPsi: expected [B, ${N}] configurations, got [${configs.shape}]`);
    const bits = toPath(configs.dataSync() as Float32Array, B, this.order);
    return tidy(() => this.pass(this.prepare(), GRAD_OPS, bits, B));
  }

  /** The differentiable pass over B path-ordered configurations with the matrix products `ops`. */
  private pass(P: Prepared, ops: Ops, bits: Uint8Array, B: number): LogPsi {
    const N = this.nSites;
    const { complex, nUp } = this.opts;
    const ups = new Int32Array(B);
    const live: (tf.Tensor2D | null)[] = new Array(this.opts.lx).fill(null);
    const sps: tf.Tensor2D[] = [];
    const phs: tf.Tensor2D[] = [];
    for (let p = 0; p < N; p++) {
      const [hh, hv] = this.neighbours(live, p);
      const h = this.cell(P, ops, this.indicator(bits, B, p), hh, hv);
      live[this.col[p]] = h;
      const [m, k, oh] = headInputs(bits, ups, B, p, N, nUp, complex);
      const [sp, ph] = head(P, ops, h, m, k, oh);
      sps.push(sp);
      if (ph) phs.push(ph);
      for (let r = 0; r < B; r++) ups[r] += bits[r * N + p];
    }
    const logAmp = tf.reshape(tf.mul(tf.addN(sps), -0.5), [B]) as tf.Tensor1D;
    const phase = complex ? (tf.mul(tf.sum(tf.addN(phs), 1), Math.PI) as tf.Tensor1D) : (tf.zeros([B]) as tf.Tensor1D);
    return { logAmp, phase };
  }

  // ---------------------------------------------------------------------------------------------
  // per-sample log-derivatives

  /**
   * O_k(x) for `count` configurations: per chunk, the differentiable pass on the tfjs tape with
   * products that record, per gate matrix and position, the (input, cotangent) pairs
   * (log-derivatives.ts `recordingOps`), once for Σ logAmp and (complex) once for Σ phase; the
   * pairs are contracted per sample (Σ over positions of the outer products, one batched matMul
   * per matrix) and routed to the variables.
   */
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives {
    const nP = parameterCount(this);
    return batchedLogDerivatives(this.nSites, nP, this.opts.complex, configs, count, derivativeChunk(nP), (x, B, re, im) => {
      const bits = toPath(x, B, this.order);
      recordTapePasses(this.variables, re, im, (part, rec) => {
        const P = this.prepare();
        const slots = new Map<number, string>();
        P.gates.forEach((g, q) => {
          if (g.A) slots.set(g.A.id, `A${q}`);
          slots.set(g.Uh.id, `Uh${q}`);
          slots.set(g.Uv.id, `Uv${q}`);
        });
        headSlots(P, slots);
        return tf.sum(this.pass(P, recordingOps(GRAD_OPS, () => rec, slots), bits, B)[part]) as tf.Scalar;
      });
      return this.routing();
    });
  }

  /**
   * From the per-sample gate-matrix gradients to the variables: A = s·(C_h W_h + C_v W_v + C_b b)
   * (rows 0, 1 of A to W_h, rows 3, 4 to W_v, rows 0, 1, 2 to b), U = s·U_var, and the head.
   */
  private routing(): Routing {
    const H = this.opts.hidden;
    const off = variableOffsets(this.variables);
    const r = new Routing(parameterCount(this));
    let v = 0;
    this.gateVars.forEach((g, q) => {
      const s = g.scale;
      if (g.Wh) {
        const A = `A${q}`;
        r.range(A, 6 * H, 0, off[v], 2 * H, s); // W_h
        r.range(A, 6 * H, 3 * H, off[v + 1], 2 * H, s); // W_v
        r.range(`Uh${q}`, H * H, 0, off[v + 2], H * H, s);
        r.range(`Uv${q}`, H * H, 0, off[v + 3], H * H, s);
        for (let c = 0; c < 3; c++) r.range(A, 6 * H, c * H, off[v + 4], H, s); // b
        v += 5;
      } else {
        r.range(`Uh${q}`, H * H, 0, off[v], H * H, s);
        r.range(`Uv${q}`, H * H, 0, off[v + 1], H * H, s);
        v += 2;
      }
    });
    routeHead(r, H, off[v], off[v + 1], this.opts.complex ? { oWp: off[v + 2], obp: off[v + 3] } : null);
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // no-gradient passes

  /**
   * Runs the rows of `rs` without gradients. Roots start at position 0; a branched row shares its
   * parent's states before its branch position and the state at it, and continues with its own
   * bits from the head of that position on. Live column states are brought up to the active row
   * count when read (rows joined since the state was written copy their parent's row).
   */
  private runRows(P: Prepared, rs: RowSet): HostLogPsi {
    const N = this.nSites;
    const { bits, rows: R, roots } = rs;
    const { complex, nUp } = this.opts;
    const ups = new Int32Array(R);
    const live: (tf.Tensor2D | null)[] = new Array(this.opts.lx).fill(null);
    const sync = (c: number, A: number) => {
      const t = live[c];
      if (t && t.shape[0] < A) {
        live[c] = tidy(() => appendParentRows(t, rs.parent, A));
        t.dispose();
      }
    };
    let A = roots;
    let acc: tf.Tensor2D = tf.zeros([A, 1]);
    let pacc: tf.Tensor2D | null = complex ? tf.zeros([A, 2]) : null;
    for (let p = 0; p < N; p++) {
      let end = A;
      while (end < R && rs.branch[end] === p) end++;
      const x = this.col[p];
      if (this.hPos[p] >= 0) sync(this.col[p - 1], A);
      if (this.vPos[p] >= 0) sync(x, A);
      const res = tidy(() => {
        const [hh, hv] = this.neighbours(live, p);
        let h = this.forwardCell(P, this.indicator(bits, A, p), hh, hv);
        let a = acc;
        let pa = pacc;
        if (end > A) {
          const append = (t: tf.Tensor2D) => appendParentRows(t, rs.parent, end);
          h = append(h);
          a = append(a);
          if (pa) pa = append(pa);
        }
        const [m, k, oh] = headInputs(bits, ups, end, p, N, nUp, complex);
        const [sp, ph] = head(P, PLAIN_OPS, h, m, k, oh);
        return { h, acc: tf.add(a, sp) as tf.Tensor2D, pacc: ph && pa ? (tf.add(pa, ph) as tf.Tensor2D) : null };
      });
      live[x]?.dispose(); // the vertical neighbour's state: not read again
      live[x] = res.h;
      acc.dispose();
      pacc?.dispose();
      acc = res.acc;
      pacc = res.pacc;
      A = end;
      for (let r = 0; r < R; r++) ups[r] += bits[r * N + p];
    }
    const out = readAccumulators(acc, pacc, R);
    tf.dispose(live.filter((t): t is tf.Tensor2D => t !== null));
    acc.dispose();
    pacc?.dispose();
    return out;
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    const N = this.nSites;
    if (configs.length < count * N) throw new Error(`rnn2d.evaluate: need ${count * N} bits, got ${configs.length}`);
    if (count === 0) return { logAmp: new Float64Array(0), phase: new Float64Array(0) };
    const P = this.prepareForward();
    try {
      return evaluateChunked(configs, count, this.order, this.opts.chunk, (rs) => this.runRows(P, rs));
    } finally {
      this.release(P);
    }
  }

  evaluateConnected(parents: Uint8Array, conn: Connections): ConnectedLogPsi {
    const P = this.prepareForward();
    try {
      return evaluateConnectedShared(parents, conn, this.order, this.opts.chunk, 'rnn2d', (rs) => this.runRows(P, rs));
    } finally {
      this.release(P);
    }
  }

  /**
   * Exact ancestral sampling along the zigzag path, one cell step per position for the whole
   * batch (see `sampleChunked`): same seed and same `chunk` ⇒ same samples.
   */
  sample(count: number, rng: Rng): Uint8Array {
    if (count === 0) return new Uint8Array(0);
    const P = this.prepareForward();
    try {
      return sampleChunked(count, this.order, this.opts.chunk, this.opts.nUp, rng, (B) => {
        const live: (tf.Tensor2D | null)[] = new Array(this.opts.lx).fill(null);
        return {
          step: (p, bits) => {
            const res = tidy(() => {
              const [hh, hv] = this.neighbours(live, p);
              const h = this.forwardCell(P, this.indicator(bits, B, p), hh, hv);
              return { h, d: PLAIN_OPS.affine(h, P.wd, P.bd) };
            });
            live[this.col[p]]?.dispose(); // the vertical neighbour's state: not read again
            live[this.col[p]] = res.h;
            const d = res.d.dataSync();
            res.d.dispose();
            return d;
          },
          dispose: () => tf.dispose(live.filter((t): t is tf.Tensor2D => t !== null)),
        };
      });
    } finally {
      this.release(P);
    }
  }
}

/** The 2D RNN wavefunction (kind 'rnn2d') on an lx × ly square lattice; `spec()` returns the resolved options. */
export function createRnn2d(opts: Rnn2dOptions, rng: Rng): Wavefunction {
  return new Rnn2dWavefunction(opts, rng);
}
