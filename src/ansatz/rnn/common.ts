/**
 * Pieces shared by the autoregressive recurrent wavefunctions (`rnn.ts`, the 1D GRU RNN along a
 * path, and `rnn2d.ts`, the 2D RNN along the zigzag path): host-side per-position inputs, the
 * Dense(2)+softmax head with the U(1) constraint, the growing-batch bookkeeping of prefix-sharing
 * evaluation (rows that branch off a parent), chunking, and the sampling draw.
 *
 * Conventions (see rnn.ts): bits are path-ordered, row r at r·N; the head reads the logit
 * difference d = l_1 − l_0 and log p(x_j) = −softplus(m·d + k) with m = −(2x_j − 1) and k the
 * constraint shift (±BIG for a forced outcome, so a forbidden one gets log p ≈ −BIG).
 */
import * as tf from '@tensorflow/tfjs';
import type { Connections } from '../../hamiltonian/types.js';
import type { Rng } from '../../rng.js';
import type { ConnectedLogPsi, HostLogPsi } from '../wavefunction.js';
import { affine, mm, mmConstLeft, mmConstRight } from '../tf-ops.js';
import { forcedBit } from '../u1.js';
import { uniqueSamplesKeyed } from '../../vmc/unique.js';
import type { Routing } from '../log-derivatives.js';

/** Logit shift of a forbidden outcome: log p(forbidden) ≈ −BIG, log p(allowed) = 0 exactly. */
export const BIG = 1e4;

/** Matrix products used by a pass: differentiable (custom gradients) or plain. */
export interface Ops {
  mm: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
  mmConst: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
  affine: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
}

export const GRAD_OPS: Ops = { mm, mmConst: mmConstLeft, affine };
export const PLAIN_OPS: Ops = {
  mm: (a, b) => tf.matMul(a, b),
  mmConst: (a, b) => tf.matMul(a, b),
  affine: (x, w, b) => tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D,
};

/**
 * The fixed number of up spins (null: unconstrained) of an autoregressive ansatz `name` on N
 * sites, validated.
 */
export function checkNUp(name: string, N: number, nUp: number | null | undefined): number | null {
  const n = nUp ?? null;
  if (n !== null && (!Number.isInteger(n) || n < 0 || n > N)) {
    throw new Error(`${name}: nUp must be an integer between 0 and ${N} (number of sites), got ${n}`);
  }
  return n;
}

/** The site path of an autoregressive ansatz `name` (default natural order), validated as a permutation. */
export function checkPath(name: string, N: number, order: readonly number[] | undefined): number[] {
  const out = order ? [...order] : Array.from({ length: N }, (_, i) => i);
  if (out.length !== N || new Set(out).size !== N || out.some((s) => !Number.isInteger(s) || s < 0 || s >= N)) {
    throw new Error(`${name}: order must be a permutation of 0..${N - 1}`);
  }
  return out;
}

/** tf.tidy for results holding tensors in plain objects (nulls allowed). */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as T;
}

/** Glorot-uniform [rows, cols] variable with the given fans. */
export function glorot(rng: Rng, shape: [number, number], fanIn: number, fanOut: number): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const data = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * limit;
  return tf.tidy(() => tf.variable(tf.tensor2d(data, shape), true));
}

export function constVar(n: number, value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill([n], value) as tf.Tensor1D, true));
}

/**
 * A copy of a rank-1 tensor in a fresh buffer (times k). Biases go to the fused matMul kernel,
 * whose wasm version checks the rank of the shape its buffer was created with (a reshaped tensor
 * keeps the original one).
 */
export function fresh(b: tf.Tensor, k = 1): tf.Tensor1D {
  return tf.mul(b, k) as tf.Tensor1D;
}

/** The Dense(2) head variables [H,2], [2] and, for the complex RNN, the phase head's; `list` in variable order. */
export function createHeadVariables(rng: Rng, H: number, complex: boolean)
  : { Wo: tf.Variable; bo: tf.Variable; Wp: tf.Variable | null; bp: tf.Variable | null; list: tf.Variable[] } {
  const Wo = glorot(rng, [H, 2], H, 2);
  const bo = constVar(2, 0);
  if (!complex) return { Wo, bo, Wp: null, bp: null, list: [Wo, bo] };
  const Wp = glorot(rng, [H, 2], H, 2);
  const bp = constVar(2, 0);
  return { Wo, bo, Wp, bp, list: [Wo, bo, Wp, bp] };
}

/** Per-pass head weights: logit difference [H,1] and [1]; phase head [H,2] and [2] (complex). */
export interface HeadWeights {
  wd: tf.Tensor2D;
  bd: tf.Tensor1D;
  wp: tf.Tensor2D | null;
  bp: tf.Tensor1D | null;
}

/** Head weights from the Dense(2) variables; `D` is the constant [[−1],[1]]. Differentiable. */
export function prepareHead(Wo: tf.Variable, bo: tf.Variable, Wp: tf.Variable | null, bp: tf.Variable | null, D: tf.Tensor2D): HeadWeights {
  const wd = mmConstRight(Wo as tf.Tensor2D, D);
  const bd = fresh(tf.reshape(mmConstRight(tf.reshape(bo, [1, -1]) as tf.Tensor2D, D), [1]));
  return { wd, bd, wp: Wp ? (Wp as tf.Tensor2D) : null, bp: bp ? fresh(bp) : null };
}

/**
 * Per-sample log-derivative routing of the head (log-derivatives.ts): slot 'wd' [H] (the logit
 * difference's weights, Wo·[−1, 1]ᵀ) and 'bd' [1] to Wo [H,2] and bo [2] at offsets oWo, obo;
 * for the complex head 'wp' [H·2] and 'bp' [2] to Wp and bp at oWp, obp.
 */
export function routeHead(r: Routing, H: number, oWo: number, obo: number, phase: { oWp: number; obp: number } | null): void {
  for (let i = 0; i < H; i++) {
    r.entry('wd', H, i, oWo + 2 * i, -1);
    r.entry('wd', H, i, oWo + 2 * i + 1, 1);
  }
  r.entry('bd', 1, 0, obo, -1);
  r.entry('bd', 1, 0, obo + 1, 1);
  if (phase) {
    r.range('wp', 2 * H, 0, phase.oWp, 2 * H);
    r.range('bp', 2, 0, phase.obp, 2);
  }
}

/** Slot names of the head's effective weights (for `recordingOps`): tensor id → slot. */
export function headSlots(P: HeadWeights, slots: Map<number, string>): void {
  slots.set(P.wd.id, 'wd');
  slots.set(P.bd.id, 'bd');
  if (P.wp && P.bp) {
    slots.set(P.wp.id, 'wp');
    slots.set(P.bp.id, 'bp');
  }
}

/** Path-ordered bits of `count` configurations given in natural site order (from row `start`). */
export function toPath(configs: Uint8Array | Float32Array, count: number, order: readonly number[], start = 0): Uint8Array {
  const N = order.length;
  const out = new Uint8Array(count * N);
  for (let r = 0; r < count; r++) {
    const src = (start + r) * N;
    const dst = r * N;
    for (let j = 0; j < N; j++) out[dst + j] = configs[src + order[j]] > 0.5 ? 1 : 0;
  }
  return out;
}

/**
 * Multiplier and offset of the logit difference for position j: log p(x_j) = −softplus(m·d + k),
 * m = −(2x_j − 1), k = m·shift, shift = +BIG when the down quota is used (up forced), −BIG when
 * the up quota is used (down forced). `ups[r]` counts the up spins before position j.
 */
export function headArrays(bits: Uint8Array, ups: Int32Array, A: number, j: number, N: number, nUp: number | null): [Float32Array, Float32Array] {
  const m = new Float32Array(A);
  const k = new Float32Array(A);
  for (let r = 0; r < A; r++) {
    const s = bits[r * N + j] === 1 ? -1 : 1;
    m[r] = s;
    const f = forcedBit(ups[r], j, N, nUp);
    if (f === 0) k[r] = -BIG * s; // up quota used: down forced
    else if (f === 1) k[r] = BIG * s; // down quota used: up forced
  }
  return [m, k];
}

/** [A,2] one-hot of the bits at position j. */
export function oneHotArray(bits: Uint8Array, A: number, j: number, N: number): Float32Array {
  const d = new Float32Array(A * 2);
  for (let r = 0; r < A; r++) d[2 * r + bits[r * N + j]] = 1;
  return d;
}

/** Head inputs of position j as tensors: [m, k] and the one-hot (complex only). */
export function headInputs(bits: Uint8Array, ups: Int32Array, A: number, j: number, N: number, nUp: number | null, complex: boolean)
  : [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | null] {
  const [m, k] = headArrays(bits, ups, A, j, N, nUp);
  return [tf.tensor2d(m, [A, 1]), tf.tensor2d(k, [A, 1]), complex ? tf.tensor2d(oneHotArray(bits, A, j, N), [A, 2]) : null];
}

/** log p(x_j) summand (softplus form, [A,1]) and phase summand [A,2] for the active rows. */
export function head(P: HeadWeights, ops: Ops, hTop: tf.Tensor2D, m: tf.Tensor2D, k: tf.Tensor2D, oh: tf.Tensor2D | null)
  : [tf.Tensor2D, tf.Tensor2D | null] {
  const d = ops.affine(hTop, P.wd, P.bd);
  const sp = tf.softplus(tf.add(tf.mul(m, d), k)) as tf.Tensor2D;
  let ph: tf.Tensor2D | null = null;
  if (P.wp && P.bp && oh) {
    const g = tf.mul(ops.affine(hTop, P.wp, P.bp), oh);
    ph = tf.div(g, tf.add(tf.abs(g), 1)) as tf.Tensor2D;
  }
  return [sp, ph];
}

/** Host log|ψ| = −½·Σ softplus and arg ψ = π·Σ softsign from the accumulators of R rows. */
export function readAccumulators(acc: tf.Tensor2D, pacc: tf.Tensor2D | null, R: number): HostLogPsi {
  const accH = acc.dataSync();
  const logAmp = new Float64Array(R);
  for (let r = 0; r < R; r++) logAmp[r] = -0.5 * accH[r];
  const phase = new Float64Array(R);
  if (pacc) {
    const p = pacc.dataSync();
    for (let r = 0; r < R; r++) phase[r] = Math.PI * (p[2 * r] + p[2 * r + 1]);
  }
  return { logAmp, phase };
}

/**
 * Draws the bits of position j for B rows from the logit differences `d` (u < σ(d) ⇒ up), with
 * the U(1) constraint forcing the outcome once a quota is used; updates `ups`.
 */
function drawPosition(d: ArrayLike<number>, u: Float64Array, bits: Uint8Array, ups: Int32Array, B: number, j: number, N: number, nUp: number | null): void {
  for (let r = 0; r < B; r++) {
    const f = forcedBit(ups[r], j, N, nUp);
    const x = f >= 0 ? f : u[r] * (1 + Math.exp(-d[r])) < 1 ? 1 : 0; // u < σ(d)
    bits[r * N + j] = x;
    ups[r] += x;
  }
}

/** One batch of ancestral sampling: the recurrent state of B rows, advanced position by position. */
export interface SampleBatch {
  /** advances to position j (bits before j are drawn) and returns the logit differences d of B rows */
  step(j: number, bits: Uint8Array): ArrayLike<number>;
  /** releases the batch's state tensors */
  dispose(): void;
}

/**
 * Exact ancestral sampling along `order`, in batches of `chunk` samples: for each batch and
 * position one uniform per sample is drawn from `rng` (also where the constraint forces the
 * outcome). Same seed and same `chunk` ⇒ same samples. Returns count·N bits in natural order.
 */
export function sampleChunked(
  count: number, order: readonly number[], chunk: number, nUp: number | null, rng: Rng, begin: (B: number) => SampleBatch,
): Uint8Array {
  const N = order.length;
  const out = new Uint8Array(count * N);
  for (let s = 0; s < count; s += chunk) {
    const B = Math.min(chunk, count - s);
    const bits = new Uint8Array(B * N);
    const ups = new Int32Array(B);
    const u = new Float64Array(B);
    const batch = begin(B);
    try {
      for (let j = 0; j < N; j++) {
        const d = batch.step(j, bits);
        rng.fill(u);
        drawPosition(d, u, bits, ups, B, j, N, nUp);
      }
    } finally {
      batch.dispose();
    }
    for (let r = 0; r < B; r++) {
      const dst = (s + r) * N;
      for (let j = 0; j < N; j++) out[dst + order[j]] = bits[r * N + j];
    }
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// prefix-sharing passes

/** Host-side description of the rows of a branched pass. */
export interface RowSet {
  /** number of rows R */
  rows: number;
  /** path-ordered bits, R·N */
  bits: Uint8Array;
  /** the first `roots` rows start at position 0 */
  roots: number;
  /** for rows ≥ roots: the row they copy their state from, and the position after whose recurrent
   * update they branch off; sorted by branch position ascending. The parent is a root or a row
   * with a smaller branch position (so it is active when the row joins), and shares the row's
   * bits before its branch position. */
  parent: Int32Array;
  branch: Int32Array;
}

/**
 * `t` (rows 0..n−1) with rows n..`to`−1 appended, each a copy of row `parent[r]` < r: a row of
 * `t`, or one appended before it (a state written before the parent joined, brought up to date
 * later, as rnn2d.ts does with its column states). Built on the host: the wasm gather kernel is
 * ~20× slower than reading back the parent rows, copying and concatenating along the outer axis
 * (a plain memory copy).
 */
export function appendParentRows(t: tf.Tensor2D, parent: Int32Array, to: number): tf.Tensor2D {
  const [n, w] = t.shape;
  // read back only the leading rows that are parents
  let need = 0;
  for (let r = n; r < to; r++) if (parent[r] < n) need = Math.max(need, parent[r] + 1);
  const src = need === 0 ? new Float32Array(0) : ((n > 2 * need ? tf.slice(t, [0, 0], [need, w]) : t).dataSync() as Float32Array);
  const blk = new Float32Array((to - n) * w);
  for (let r = n; r < to; r++) {
    const p = parent[r];
    if (p < n) blk.set(src.subarray(p * w, (p + 1) * w), (r - n) * w);
    else blk.copyWithin((r - n) * w, (p - n) * w, (p - n + 1) * w);
  }
  return tf.concat([t, tf.tensor2d(blk, [to - n, w])], 0);
}

/** Runs `count` natural-order configurations through `run` in passes of at most `chunk` rows. */
export function evaluateChunked(
  configs: Uint8Array, count: number, order: readonly number[], chunk: number, run: (rs: RowSet) => HostLogPsi,
): HostLogPsi {
  const logAmp = new Float64Array(count);
  const phase = new Float64Array(count);
  for (let s = 0; s < count; s += chunk) {
    const c = Math.min(chunk, count - s);
    const res = run({ rows: c, roots: c, bits: toPath(configs, c, order, s), parent: new Int32Array(c), branch: new Int32Array(c) });
    logAmp.set(res.logAmp, s);
    phase.set(res.phase, s);
  }
  return { logAmp, phase };
}

/**
 * Prefix-sharing evaluation of connected configurations: parents and their connected entries
 * run as one growing batch of at most `chunk` rows per pass; an entry joins, with a copy of its
 * parent's state, at the first path position where it differs (an entry equal to its parent
 * branches at the last position: same result). Returns log ψ per entry, and of the parents that
 * were roots of a pass (those with entries; NaN for the others).
 */
export function evaluateConnectedChunked(
  parents: Uint8Array, conn: Connections, order: readonly number[], chunk: number, name: string,
  run: (rs: RowSet) => HostLogPsi, firstDiff?: Int32Array,
): ConnectedLogPsi {
  const N = order.length;
  if (parents.length < conn.count * N) {
    throw new Error(`${name}.evaluateConnected: need ${conn.count * N} parent bits, got ${parents.length}`);
  }
  const K = conn.offsets[conn.count] ?? 0;
  const logAmp = new Float64Array(K);
  const phase = new Float64Array(K);
  const own: HostLogPsi = { logAmp: new Float64Array(conn.count).fill(NaN), phase: new Float64Array(conn.count).fill(NaN) };
  if (K === 0) return { logAmp, phase, parents: own };
  if (conn.nSites !== N) throw new Error(`${name}.evaluateConnected: connections are for ${conn.nSites} sites, not ${N}`);
  firstDiff ??= firstDifferences(parents, conn, order);
  // units: a parent with (a slice of) its entries, at most chunk−1 entries each
  const units: [number, number, number][] = [];
  for (let p = 0; p < conn.count; p++) {
    for (let a = conn.offsets[p]; a < conn.offsets[p + 1]; a += chunk - 1) {
      units.push([p, a, Math.min(a + chunk - 1, conn.offsets[p + 1])]);
    }
  }
  let u0 = 0;
  while (u0 < units.length) {
    let rows = 0;
    let u1 = u0;
    while (u1 < units.length && rows + 1 + units[u1][2] - units[u1][1] <= chunk) {
      rows += 1 + units[u1][2] - units[u1][1];
      u1++;
    }
    connectedPass(parents, conn, order, firstDiff, units.slice(u0, u1), rows, run, logAmp, phase, own);
    u0 = u1;
  }
  return { logAmp, phase, parents: own };
}

/**
 * Per connected entry, the first path position where it differs from its parent (N − 1 for an
 * entry equal to its parent: it branches at the last position, with the same result).
 */
function firstDifferences(parents: Uint8Array, conn: Connections, order: readonly number[]): Int32Array {
  const N = order.length;
  const K = conn.offsets[conn.count] ?? 0;
  const firstDiff = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    const p = conn.parent[k];
    let j = 0;
    while (j < N - 1 && conn.configs[k * N + order[j]] === parents[p * N + order[j]]) j++;
    firstDiff[k] = j;
  }
  return firstDiff;
}

function connectedPass(
  parents: Uint8Array, conn: Connections, order: readonly number[], firstDiff: Int32Array,
  units: [number, number, number][], rows: number, run: (rs: RowSet) => HostLogPsi,
  logAmp: Float64Array, phase: Float64Array, own: HostLogPsi,
): void {
  const N = order.length;
  const roots = units.length;
  // children sorted by branch position (counting sort, stable)
  const counts = new Int32Array(N + 1);
  for (const [, a, b] of units) for (let k = a; k < b; k++) counts[firstDiff[k] + 1]++;
  for (let j = 0; j < N; j++) counts[j + 1] += counts[j];
  const entry = new Int32Array(rows - roots);
  const parentRow = new Int32Array(rows);
  const branch = new Int32Array(rows);
  units.forEach(([, a, b], u) => {
    for (let k = a; k < b; k++) {
      const pos = counts[firstDiff[k]]++;
      entry[pos] = k;
      parentRow[roots + pos] = u;
      branch[roots + pos] = firstDiff[k];
    }
  });
  const bits = new Uint8Array(rows * N);
  units.forEach(([p], u) => {
    for (let j = 0; j < N; j++) bits[u * N + j] = parents[p * N + order[j]];
  });
  for (let c = 0; c < entry.length; c++) {
    const k = entry[c];
    const dst = (roots + c) * N;
    for (let j = 0; j < N; j++) bits[dst + j] = conn.configs[k * N + order[j]];
  }
  const res = run({ rows, roots, bits, parent: parentRow, branch });
  units.forEach(([p], u) => {
    own.logAmp[p] = res.logAmp[u];
    own.phase[p] = res.phase[u];
  });
  for (let c = 0; c < entry.length; c++) {
    logAmp[entry[c]] = res.logAmp[roots + c];
    phase[entry[c]] = res.phase[roots + c];
  }
}

/** The trie plan is used when it needs at most this fraction of the grouped plan's recurrent updates. */
export const TRIE_MAX_FRACTION = 0.8;

/**
 * Prefix-sharing evaluation across parents (a trie): the distinct configurations among the
 * parents and all their connected entries, sorted in path order, run as growing batches of at
 * most `chunk` rows in which every configuration joins at the first position where it differs
 * from the configurations before it, with a copy of the state of one that shares its bits up to
 * there. The work is then one recurrent update per distinct prefix (per trie node) instead of one
 * per prefix of every entry: samples of a trained state share long prefixes, and so do their
 * connected entries. Counted on 1000 samples of the trained N = 20 TFIM chain (GRU H = 50) with
 * their single flips: 76 958 updates against 177 660 grouped by parent (2.3×). At N = 100 the
 * samples share only their first ~15 bits and the trie saves 2–4% of the updates, and it cost
 * more than it saved: a fresh N = 100 step's local energies took 10.5 s against 9.1 s grouped by
 * parent (measured once, machine loaded) — probably because its parents are spread over the
 * batch, so each append reads back most of the state instead of the roots only. So the
 * updates of both plans are counted on the host first, and the trie is used only where it needs
 * at most TRIE_MAX_FRACTION of the grouped plan's (`evaluateConnectedChunked`).
 * Only for ansätze whose rows are computed independently of their batch (connectedExact): a
 * value does not depend on which rows it was computed with, so both plans give the same bits.
 * Returns log ψ of every entry and of every parent the pass evaluated (NaN for the others).
 */
export function evaluateConnectedShared(
  parents: Uint8Array, conn: Connections, order: readonly number[], chunk: number, name: string,
  run: (rs: RowSet) => HostLogPsi,
): ConnectedLogPsi {
  const N = order.length;
  const K = conn.offsets[conn.count] ?? 0;
  // no entries, or bits that do not fit: the grouped plan returns (or says why not)
  if (K === 0 || conn.nSites !== N || parents.length < conn.count * N) return evaluateConnectedChunked(parents, conn, order, chunk, name, run);
  const plan = planShared(parents, conn, order, chunk);
  if (plan.trieUpdates > TRIE_MAX_FRACTION * plan.groupedUpdates) {
    return evaluateConnectedChunked(parents, conn, order, chunk, name, run, plan.firstDiff);
  }
  const M = conn.count;
  const logAmp = new Float64Array(K);
  const phase = new Float64Array(K);
  const own: HostLogPsi = { logAmp: new Float64Array(M), phase: new Float64Array(M) };
  const { blocks, plans, distinctOf } = plan;
  // per distinct row (index into the distinct set)
  const valueAmp = new Float64Array(plan.distinct);
  const valuePhase = new Float64Array(plan.distinct);
  blocks.forEach((rows, b) => {
    const res = run(plans[b].rows);
    plans[b].rowOf.forEach((r, i) => {
      valueAmp[rows[i]] = res.logAmp[r];
      valuePhase[rows[i]] = res.phase[r];
    });
  });
  for (let p = 0; p < M; p++) {
    own.logAmp[p] = valueAmp[distinctOf[p]];
    own.phase[p] = valuePhase[distinctOf[p]];
  }
  for (let k = 0; k < K; k++) {
    logAmp[k] = valueAmp[distinctOf[M + k]];
    phase[k] = valuePhase[distinctOf[M + k]];
  }
  return { logAmp, phase, parents: own };
}

/**
 * Both plans of a prefix-sharing pass over `parents` and their entries: the distinct rows (their
 * number, and the distinct row of every parent and entry), sorted in path order and cut into
 * blocks of `chunk` rows, each block's trie pass, the entries' first differences from their
 * parents (the grouped plan's input), and the recurrent updates of either plan.
 */
export function planShared(parents: Uint8Array, conn: Connections, order: readonly number[], chunk: number): {
  distinct: number; distinctOf: Int32Array; blocks: number[][]; plans: ReturnType<typeof triePlan>[];
  firstDiff: Int32Array; trieUpdates: number; groupedUpdates: number;
} {
  const N = order.length;
  const M = conn.count;
  const K = conn.offsets[M] ?? 0;
  // path-ordered bits of parents (rows 0..M−1) then entries (M..M+K−1), and the distinct rows
  const all = new Uint8Array((M + K) * N);
  for (let p = 0; p < M; p++) for (let j = 0; j < N; j++) all[p * N + j] = parents[p * N + order[j]];
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) all[(M + k) * N + j] = conn.configs[k * N + order[j]];
  const distinct = uniqueSamplesKeyed(all, M + K, N);
  // path order of the distinct rows: bitsKey packs bits most significant first, so the keys sort
  // as the bit strings do
  const keys = distinct.keys;
  const sorted = Array.from(keys.keys()).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  const blocks: number[][] = [];
  for (let s0 = 0; s0 < sorted.length; s0 += chunk) blocks.push(sorted.slice(s0, Math.min(s0 + chunk, sorted.length)));
  const plans = blocks.map((rows) => triePlan(distinct.configs, N, rows));
  const trieUpdates = plans.reduce((a, p) => a + p.updates, 0);
  const firstDiff = firstDifferences(parents, conn, order);
  // grouped: every parent with entries from position 0, every entry from its first difference
  let groupedUpdates = 0;
  for (let p = 0; p < M; p++) if (conn.offsets[p + 1] > conn.offsets[p]) groupedUpdates += N;
  for (let k = 0; k < K; k++) groupedUpdates += N - firstDiff[k];
  return { distinct: distinct.count, distinctOf: distinct.index, blocks, plans, firstDiff, trieUpdates, groupedUpdates };
}

/**
 * The pass over distinct, path-ordered, sorted rows `src` of `all`: row 0 is the root; row i
 * joins at ℓ_i, the length of its common prefix with row i−1, copying the state of the nearest
 * earlier row that joined before ℓ_i (a stack of the rows on the current trie path: only its top
 * shares ℓ_i bits with row i and is active before ℓ_i). Rows run in order of their join position;
 * `rowOf[i]` is row i's place in the pass, `updates` the number of recurrent updates.
 */
function triePlan(all: Uint8Array, N: number, src: number[]): { rows: RowSet; rowOf: Int32Array; updates: number } {
  const n = src.length;
  const join = new Int32Array(n);
  const from = new Int32Array(n);
  join[0] = -1;
  const stack: number[] = [0];
  let updates = N;
  for (let i = 1; i < n; i++) {
    const a = src[i - 1] * N;
    const b = src[i] * N;
    let l = 0;
    while (l < N - 1 && all[a + l] === all[b + l]) l++;
    while (join[stack[stack.length - 1]] >= l) stack.pop();
    join[i] = l;
    from[i] = stack[stack.length - 1];
    stack.push(i);
    updates += N - l;
  }
  // pass order: the root, then by join position (stable counting sort)
  const counts = new Int32Array(N + 1);
  for (let i = 1; i < n; i++) counts[join[i] + 1]++;
  for (let j = 0; j < N; j++) counts[j + 1] += counts[j];
  const rowOf = new Int32Array(n);
  for (let i = 1; i < n; i++) rowOf[i] = 1 + counts[join[i]]++;
  const bits = new Uint8Array(n * N);
  const parent = new Int32Array(n);
  const branch = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rowOf[i];
    bits.set(all.subarray(src[i] * N, (src[i] + 1) * N), r * N);
    if (i > 0) {
      parent[r] = rowOf[from[i]];
      branch[r] = join[i];
    }
  }
  return { rows: { rows: n, roots: 1, bits, parent, branch }, rowOf, updates };
}
