/**
 * Stochastic reconfiguration (Sorella; Carleo & Troyer 2017): natural-gradient descent with the
 * quantum geometric tensor.
 *
 * Parameters p_k are real (a complex parameter is a re/im pair). O_k(x) = ∂ log ψ(x)/∂p_k is
 * complex: Re O_k = ∂ logAmp/∂p_k, Im O_k = ∂ phase/∂p_k. With normalised weights w (e.g.
 * multiplicities of distinct samples; normalised here, need not sum to 1):
 *
 *   S_kk' = Re[⟨O_k* O_k'⟩ − ⟨O_k*⟩⟨O_k'⟩]
 *   F_k   = Re[⟨ΔE* O_k⟩],   ΔE = E_loc − ⟨E_loc⟩   (complex E_loc allowed)
 *
 * 2F is the plain gradient of ⟨E⟩. The direction δ solves (S + λ·D) δ = F with the diagonal
 * shift λ: `diagShiftMode: 'absolute'` (default, as NetKet) D = I, i.e. λ is added to the
 * diagonal; `'relative'` D = diag(S_kk) + 1e-12 (Sorella's multiplicative regularisation,
 * S_kk(1+λ)). The update is p ← p − η δ.
 *
 * Both solvers work on X = sqrt(w)·(O − ⟨O⟩) (real and imaginary rows), S = XᵀX:
 *  - 'cholesky': forms S (cost n·P²) and factorises it (P³/3). Good up to P ≈ 1–2 thousand.
 *  - 'cg': conjugate gradient with matrix-free S·v = Xᵀ(Xv), 4·n·P per iteration, no P×P
 *    matrix; warm start from the previous direction. For large P.
 *  - 'auto': cholesky for P ≤ 1500, else cg.
 *
 * Sample space (minSR, Chen & Heyl, Nature Physics 20, 1476 (2024); for real parameters the
 * stacked form of Rende et al., Commun. Phys. 7, 260 (2024)): with Y = [Xre; Xim] (the real and
 * imaginary rows, 2n × P; n × P for a real ansatz) and e = sqrt(w)·[Re ΔE; Im ΔE], S = YᵀY and
 * F = Yᵀe, so the push-through identity (YᵀY + λ)⁻¹Yᵀ = Yᵀ(YYᵀ + λ)⁻¹ gives
 *   δ = Yᵀ (YYᵀ + λ I)⁻¹ e,
 * the same δ as the parameter-space solve, at cost rows²·P instead of P³ (or CG iterations · 4nP):
 * the choice when rows < P. The relative shift S + λ·diag(S) is the absolute one for the rescaled
 * columns Z = Y·diag(S)^(−1/2): δ = diag(S)^(−1/2) Zᵀ (ZZᵀ + λ)⁻¹ e. T = ZZᵀ is formed by
 * float32 tfjs matMuls of row blocks, lower block triangle only, possibly on the step's threads
 * (gram-blocks.ts; the O(rows²·P) part: on the loaded 2-core machine, rows = 1000, P = 8000, one
 * wasm matMul took 1.7 s where float64 loops would take ~11 s); a blocked float32 Cholesky factor
 * of T + λ then preconditions a conjugate-gradient solve of the float64 system (matrix-free
 * products Z(Zᵀv) over the rows of O), which recovers float64 accuracy in one or two iterations.
 */
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { hasAnalyticLogDerivatives, type LogDerivatives } from '../ansatz/log-derivatives.js';
import { assembleGram, blockProducts, centredGram, gramPlan, type BlockProducts } from './gram-blocks.js';
import { momentWeights, rowMoments, type OMoments } from './sr-moments.js';
import type { OptimizerTimings } from './optimizer.js';

export type { LogDerivatives };

export type SrSolver = 'cholesky' | 'cg' | 'auto';

/** Where the linear system is solved: parameter space (P × P) or sample space (rows × rows, minSR). */
export type SrSpace = 'parameter' | 'sample';

export interface SrSolveOptions {
  diagShift: number;
  solver?: SrSolver;
  /** 'absolute': S + λI (default); 'relative': S + λ·diag(S) */
  diagShiftMode?: 'absolute' | 'relative';
  /** CG: stop when ‖r‖ ≤ tol·‖F‖ (default 1e-6) */
  cgTol?: number;
  /** CG: iteration cap (default 1000) */
  cgMaxIter?: number;
  /** CG: initial guess (e.g. the previous direction; parameter space only) */
  x0?: Float64Array | null;
  /** parameter space (default) or sample space (minSR); the same δ */
  space?: SrSpace;
  /**
   * the weighted sums of O for these weights and local values (sr-moments.ts), when the caller
   * formed them where O was computed; otherwise one pass here forms them
   */
  moments?: OMoments;
}

export interface SrSolution {
  delta: Float64Array;
  /** F (half the energy gradient) */
  force: Float64Array;
  solver: 'cholesky' | 'cg';
  space: SrSpace;
  /** CG iterations (0 for cholesky; sample space: preconditioned CG iterations) */
  iterations: number;
  /** relative residual ‖(S+λD)δ − F‖/‖F‖ (sample space: ‖(T+λ)y − e‖/‖e‖ of its system) */
  residual: number;
}

export interface ComplexSeries {
  re: Float64Array;
  im: Float64Array;
}

/** Solves (S + λD) δ = F; returns δ. See `srSolve` for diagnostics. */
export function srDirection(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, opts: SrSolveOptions): Float64Array {
  return srSolve(O, eloc, weights, opts).delta;
}

export function srSolve(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, opts: SrSolveOptions): SrSolution {
  return solveSr(O, eloc, weights, opts, null) as SrSolution;
}

/**
 * `srSolve` with the sample-space Gram products computed by `products` (e.g. spread over the
 * step's threads); the same numbers. Parameter space runs on this thread.
 */
export async function srSolveWith(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, opts: SrSolveOptions, products: BlockProducts): Promise<SrSolution> {
  return solveSr(O, eloc, weights, opts, products);
}

function solveSr(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, opts: SrSolveOptions, products: BlockProducts | null): SrSolution | Promise<SrSolution> {
  const P = O.nParams;
  const n = weights.length;
  if (O.re.length !== n * P || (O.im.length !== n * P && O.im.length !== 0)) {
    throw new Error(`sr: O has ${O.re.length} entries, expected samples·nParams = ${n}·${P}`);
  }
  if (eloc.re.length !== n || eloc.im.length !== n) throw new Error(`sr: ${eloc.re.length} local energies for ${n} samples`);
  const lambda = opts.diagShift;
  if (!(lambda >= 0)) throw new Error(`sr: diagShift must be ≥ 0, got ${lambda}`);
  const space = opts.space ?? 'parameter';
  if (space !== 'parameter' && space !== 'sample') throw new Error(`sr: unknown space "${String(space)}"`);
  const solver = opts.solver ?? 'auto';
  if (solver !== 'cholesky' && solver !== 'cg' && solver !== 'auto') throw new Error(`sr: unknown solver "${String(solver)}"`);
  const mode = opts.diagShiftMode ?? 'absolute';
  if (mode !== 'absolute' && mode !== 'relative') throw new Error(`sr: unknown diagShiftMode "${String(opts.diagShiftMode)}"`);
  if (space === 'sample') {
    const g = sampleSpaceSolve(O, eloc, weights, lambda, mode === 'relative', opts.cgTol ?? 1e-8, opts.cgMaxIter ?? 1000, opts.moments);
    if (products) return solveWith(g, products).then((sol) => ({ ...sol, solver: 'cholesky', space }));
    return { ...solveHere(g), solver: 'cholesky', space };
  }
  const useChol = solver === 'cholesky' || (solver === 'auto' && P <= 1500);
  if (!useChol) return { ...parameterSpaceCg(O, eloc, weights, lambda, mode === 'relative', opts), solver: 'cg', space };
  const { Xre, Xim, F } = centred(O, eloc, weights);
  // diagonal of S (needed for the relative shift)
  let Sdiag: Float64Array | null = null;
  if (mode === 'relative') {
    Sdiag = new Float64Array(P);
    for (let k = 0; k < P; k++) {
      for (let s = 0; s < n; s++) Sdiag[k] += Xre[k * n + s] ** 2 + (Xim ? Xim[k * n + s] ** 2 : 0);
    }
    for (let k = 0; k < P; k++) Sdiag[k] += 1e-12;
  }
  const fNorm = norm(F);
  const D = new Float64Array(P);
  if (Sdiag) for (let k = 0; k < P; k++) D[k] = lambda * Sdiag[k];
  else D.fill(lambda);
  if (fNorm === 0) return { delta: new Float64Array(P), force: F, solver: 'cholesky', space, iterations: 0, residual: 0 };
  const S = gram(Xre, Xim, n, P);
  for (let k = 0; k < P; k++) S[k * P + k] += D[k];
  const delta = choleskySolve(S, P, F);
  const tmp = new Float64Array(P);
  sApply(Xre, Xim, n, P, D, delta, tmp);
  let rr = 0;
  for (let k = 0; k < P; k++) rr += (tmp[k] - F[k]) ** 2;
  return { delta, force: F, solver: 'cholesky', space, iterations: 0, residual: Math.sqrt(rr) / fNorm };
}

/**
 * Parameter-space CG on (S + λD) δ = F with S·v = Yᵀ(Yv) applied through the rows of O
 * (`centredRows`): no centred copy, no transpose, float32 rows read as they are. Measured on
 * the idle 2-core machine (quickstart GRU, M = 1000, P = 8052, 11 iterations): 0.77–1.09 s per
 * solve with the former parameter-major float64 copy of X, 0.51–0.84 s with the rows (the whole SR step
 * of `scripts/bench-natgrad.ts --workers 1`: 2.28 s before, 1.78 s after). Spreading the
 * products over the step's threads (8 fixed row blocks, each worker keeping its blocks for the
 * solve, one round trip per iteration) was measured back to back with `--workers 2`: O + solve
 * 1.27–1.33 s against 1.27–1.31 s here, and more CPU — no gain, not kept.
 * Float32 products on the tfjs backend (the centred rows Y uploaded once per solve with their
 * transpose, Yv and Yᵀa as wasm matMuls with the vector as right operand: 13 ms a pair against
 * 39 ms here, 2-core Xeon) were tried with the residual replaced by the float64 one every 25
 * iterations and before stopping: the float32 rounding, amplified by the conditioning of S + λ,
 * keeps the true residual above the 1e-6 tolerance for many iterations — 39, 47, 97 iterations
 * where this CG takes 12, 19, 33 (diagonal shifts 1e-2, 1e-3, 1e-4; quickstart GRU, M = 1000) —
 * and the solve took 1.1, 0.8–1.0, 2.1 s against 0.7–1.0, 0.9–1.2, 1.6–2.2 s: no gain, not kept.
 * Jacobi preconditioning (z = r/(diag S + λD)) took 4–10× more iterations (fresh state: 49, 152,
 * 461 against 12, 19, 33; a trained N = 20 state: 146, 543, >1000 against 34, 69, 153): not kept.
 */
function parameterSpaceCg(
  O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, lambda: number, relative: boolean, opts: SrSolveOptions,
): Omit<SrSolution, 'solver' | 'space'> {
  const P = O.nParams;
  const Y = centredRows(O, eloc, weights, opts.moments);
  const F = Y.F;
  const Sd = relative ? Y.diagonal() : null;
  const D = new Float64Array(P);
  for (let k = 0; k < P; k++) D[k] = Sd ? lambda * (Sd[k] + 1e-12) : lambda;
  if (norm(F) === 0) return { delta: new Float64Array(P), force: F, iterations: 0, residual: 0 };
  const a = new Float64Array(Y.R);
  const apply = (v: Float64Array, out: Float64Array): void => {
    Y.times(v, a);
    Y.transposeTimes(a, out);
    for (let k = 0; k < P; k++) out[k] += D[k] * v[k];
  };
  const cg = conjugateGradient(apply, F, opts.x0 ?? null, opts.cgTol ?? 1e-6, opts.cgMaxIter ?? 1000);
  return { delta: cg.x, force: F, iterations: cg.iterations, residual: cg.residual };
}

/**
 * Y = [Yre; Yim], the centred, sqrt(weight)-scaled rows of O (R = n real rows, then n imaginary
 * ones when Im O is not constant), and e the matching centred local energies — applied from the
 * rows of O as they are: Y_r = sqrt(w_s)(O_s − ⟨O⟩), so Yv and Yᵀa carry the mean as one extra
 * term. Sums in float64; inner loops unrolled (four partial sums per dot product, two rows per
 * axpy), which keeps them bound by reading the rows.
 */
interface CentredRows {
  R: number;
  /** e_r = sqrt(w_s)(E_loc − ⟨E_loc⟩), real rows then imaginary rows */
  e: Float64Array;
  /** F = Yᵀe (from the weighted sums of O, no pass of its own) */
  F: Float64Array;
  sw: Float64Array;
  mRe: Float64Array;
  mIm: Float64Array;
  /** the parts of Y: the raw rows of O (real, then imaginary when Y has imaginary rows) and their means */
  parts: [ArrayLike<number>, Float64Array][];
  /** the row r: its array, offset, mean and sqrt(weight) */
  row(r: number): [ArrayLike<number>, number, Float64Array, number];
  /** out = Y v (R) */
  times(v: Float64Array, out: Float64Array): void;
  /** out = Yᵀ a (P) */
  transposeTimes(a: Float64Array, out: Float64Array): void;
  /** diag(S)_k = Σ_r Y_rk² (one pass) */
  diagonal(): Float64Array;
}

function centredRows(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, given?: OMoments): CentredRows {
  const P = O.nParams;
  const n = weights.length;
  const { sw, mRe, mIm, eRe, eIm, F } = moments(O, eloc, weights, given);
  // an imaginary part that is constant over the samples (e.g. zero: an RBM with real parameters) has no rows
  let hasIm = O.im.length > 0;
  if (hasIm) {
    let any = false;
    for (let k = 0; k < n * P && !any; k++) any = O.im[k] !== mIm[k % P];
    hasIm = any;
  }
  const R = hasIm ? 2 * n : n;
  const row = (r: number): [ArrayLike<number>, number, Float64Array, number] =>
    r < n ? [O.re, r * P, mRe, sw[r]] : [O.im, (r - n) * P, mIm, sw[r - n]];
  const e = new Float64Array(R);
  for (let s = 0; s < n; s++) {
    e[s] = sw[s] * (eloc.re[s] - eRe);
    if (hasIm) e[n + s] = sw[s] * (eloc.im[s] - eIm);
  }
  // the parts of Y: the real rows, then the imaginary ones
  const parts: [ArrayLike<number>, Float64Array][] = hasIm ? [[O.re, mRe], [O.im, mIm]] : [[O.re, mRe]];
  const times = (v: Float64Array, out: Float64Array): void => {
    parts.forEach(([X, m], q) => {
      let mv = 0;
      for (let k = 0; k < P; k++) mv += m[k] * v[k];
      for (let s = 0; s < n; s++) {
        const o = s * P;
        let c0 = 0, c1 = 0, c2 = 0, c3 = 0; // prettier-ignore
        let k = 0;
        for (; k + 3 < P; k += 4) {
          c0 += X[o + k] * v[k];
          c1 += X[o + k + 1] * v[k + 1];
          c2 += X[o + k + 2] * v[k + 2];
          c3 += X[o + k + 3] * v[k + 3];
        }
        for (; k < P; k++) c0 += X[o + k] * v[k];
        out[q * n + s] = sw[s] * (c0 + c1 + (c2 + c3) - mv);
      }
    });
  };
  const transposeTimes = (a: Float64Array, out: Float64Array): void => {
    out.fill(0);
    parts.forEach(([X, m], q) => {
      let sum = 0;
      let s = 0;
      // two rows at a time
      for (; s + 1 < n; s += 2) {
        const a0 = a[q * n + s] * sw[s];
        const a1 = a[q * n + s + 1] * sw[s + 1];
        sum += a0 + a1;
        const o = s * P;
        const o1 = o + P;
        for (let k = 0; k < P; k++) out[k] += X[o + k] * a0 + X[o1 + k] * a1;
      }
      if (s < n) {
        const a0 = a[q * n + s] * sw[s];
        sum += a0;
        const o = s * P;
        for (let k = 0; k < P; k++) out[k] += X[o + k] * a0;
      }
      for (let k = 0; k < P; k++) out[k] -= sum * m[k];
    });
  };
  const diagonal = (): Float64Array => {
    const Sd = new Float64Array(P);
    for (let r = 0; r < R; r++) {
      const [X, o, m, w] = row(r);
      for (let k = 0; k < P; k++) {
        const y = w * (X[o + k] - m[k]);
        Sd[k] += y * y;
      }
    }
    return Sd;
  };
  return { R, e, F, sw, mRe, mIm, parts, row, times, transposeTimes, diagonal };
}

/** Weighted means ⟨O⟩ (real, imaginary), ⟨E⟩, sqrt(w_s/W) of the rows of O, and F. */
interface Moments {
  sw: Float64Array;
  mRe: Float64Array;
  mIm: Float64Array;
  eRe: number;
  eIm: number;
  /** F = Re⟨ΔE* (O − ⟨O⟩)⟩ */
  F: Float64Array;
}

/**
 * The means and F from the weighted sums of O (sr-moments.ts): those the caller formed where O was
 * computed (`given`, for these weights and local values), or one pass over O here.
 */
function moments(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, given?: OMoments): Moments {
  const P = O.nParams;
  const n = weights.length;
  let W0 = 0;
  let E0re = 0;
  let E0im = 0;
  for (let s = 0; s < n; s++) {
    W0 += weights[s];
    E0re += weights[s] * eloc.re[s];
    E0im += weights[s] * eloc.im[s];
  }
  if (!(W0 > 0)) throw new Error('sr: weights must have a positive sum');
  const sums = given ?? rowMoments(O, momentWeights(weights, eloc.re, eloc.im, E0re / W0, E0im / W0));
  if (sums.wRe.length !== P || sums.uO.length !== P || sums.wIm.length !== (O.im.length > 0 ? P : 0)) {
    throw new Error(`sr: the weighted sums of O are for ${sums.wRe.length} parameters, O has ${P}`);
  }
  // W as the sums were formed (in shard order): ⟨O⟩ then centres exactly
  const W = sums.sumW;
  const mRe = new Float64Array(P);
  const mIm = new Float64Array(P);
  for (let k = 0; k < P; k++) mRe[k] = sums.wRe[k] / W;
  if (sums.wIm.length > 0) for (let k = 0; k < P; k++) mIm[k] = sums.wIm[k] / W;
  // F = (Σ u O − (Σ u)·⟨O⟩)/W, whatever reference the weights u = w(E − E₀) were formed with
  const F = new Float64Array(P);
  for (let k = 0; k < P; k++) F[k] = (sums.uO[k] - sums.sumURe * mRe[k] - sums.sumUIm * mIm[k]) / W;
  const sw = new Float64Array(n);
  let eRe = 0;
  let eIm = 0;
  for (let s = 0; s < n; s++) {
    const w = weights[s] / W;
    sw[s] = Math.sqrt(w);
    eRe += w * eloc.re[s];
    eIm += w * eloc.im[s];
  }
  return { sw, mRe, mIm, eRe, eIm, F };
}

/**
 * X = sqrt(w)(O − ⟨O⟩) (real and imaginary parts; Xim null when Im O ≡ 0 — a real ansatz skips
 * the imaginary rows, halving the cost), stored parameter-major (X[k·n + s]: the products below
 * run along contiguous samples); F = Σ_s sqrt(w)·(Re ΔE·Xre + Im ΔE·Xim).
 */
function centred(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array): { Xre: Float64Array; Xim: Float64Array | null; F: Float64Array } {
  const P = O.nParams;
  const n = weights.length;
  const { sw, mRe, mIm, eRe, eIm } = moments(O, eloc, weights);
  const Xre = new Float64Array(n * P);
  let Xim: Float64Array | null = O.im.length > 0 ? new Float64Array(n * P) : null;
  const F = new Float64Array(P);
  for (let s = 0; s < n; s++) {
    const dr = sw[s] * (eloc.re[s] - eRe);
    const di = sw[s] * (eloc.im[s] - eIm);
    const r = s * P;
    for (let k = 0; k < P; k++) {
      const xr = sw[s] * (O.re[r + k] - mRe[k]);
      Xre[k * n + s] = xr;
      if (Xim) {
        const xi = sw[s] * (O.im[r + k] - mIm[k]);
        Xim[k * n + s] = xi;
        F[k] += dr * xr + di * xi;
      } else {
        F[k] += dr * xr;
      }
    }
  }
  // an imaginary part that is all zero (e.g. an RBM with real parameters) is dropped as well
  if (Xim) {
    let anyIm = false;
    for (let k = 0; k < n * P && !anyIm; k++) anyIm = Xim[k] !== 0;
    if (!anyIm) Xim = null;
  }
  return { Xre, Xim, F };
}

/** The block products of T a sample-space solve asks for (see gram-blocks.ts). */
interface GramRequest {
  blocks: Float32Array[];
  cols: number;
  pairs: [number, number][];
}

interface SampleSpaceSolution {
  delta: Float64Array;
  force: Float64Array;
  iterations: number;
  residual: number;
}

/** Runs a sample-space solve with the block products on this thread. */
function solveHere(g: Generator<GramRequest, SampleSpaceSolution, Float32Array[]>): SampleSpaceSolution {
  let step = g.next();
  while (!step.done) step = g.next(blockProducts(step.value.blocks, step.value.cols, step.value.pairs));
  return step.value;
}

/** Runs a sample-space solve with the block products computed by `products` (e.g. on worker threads). */
async function solveWith(g: Generator<GramRequest, SampleSpaceSolution, Float32Array[]>, products: BlockProducts): Promise<SampleSpaceSolution> {
  let step = g.next();
  while (!step.done) step = g.next(await products(step.value.blocks, step.value.cols, step.value.pairs));
  return step.value;
}

/**
 * minSR: δ = c ⊙ Zᵀ (ZZᵀ + λI)⁻¹ e with Z = Y·diag(c), c_k = 1 (absolute shift) or
 * 1/sqrt(S_kk) (relative), Y = [Xre; Xim] (see the header), worked out from the rows of O
 * without a centred copy: Y_r = sqrt(w_s)(O_r − ⟨O⟩). T = ZZᵀ in float32 by tfjs (gram-blocks.ts);
 * its Cholesky factor (of T + λI) preconditions CG on the float64 system, whose products
 * Z(Zᵀv) are float64 sums over the float32 rows of O.
 *
 * Where the time goes (O of the quickstart state, 1000 × 8052, λ = 0.01, one thread, idle
 * 2-core EPYC): the Gram products 400–480 ms (9 GFLOP, at the ~20 GFLOP/s of a wasm matMul),
 * the factor 50–120 ms, each pass over the rows of O 20–45 ms (two per CG product; one CG
 * iteration here). Taking δ from the CG's own products instead of one more pass, and building the
 * factor from the lower triangle only, took the median solve from 957 to 876 ms (8 interleaved
 * runs each). Two rows per pass in F/Z showed no gain and was not kept.
 * With the absolute shift the products are now of the raw rows of O, centred afterwards
 * (`centredGram`), and the means and F come from the sums of sr-moments.ts (formed where O is
 * computed, on the step's threads): the two passes that formed the means and then F with a
 * centred float32 copy Z of O (40–60 and 50–100 ms) are gone. Solve alone, medians of 6
 * interleaved runs, the sums formed inside it: fresh state 920 → 722 ms (λ 1e-2), 879 → 756
 * (1e-3), 895 → 810 (1e-4); after 200 Adam steps (831 distinct samples) 562 → 480, 584 → 493,
 * 793 → 669 ms; the same CG iterations (1, 2, 3), δ equal to 2e-9 of its largest entry. The
 * relative shift keeps Z (its columns are scaled by diag(S)^(−1/2)).
 */
function* sampleSpaceSolve(
  O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, lambda: number, relative: boolean, tol: number, maxIter: number,
  given?: OMoments,
): Generator<GramRequest, SampleSpaceSolution, Float32Array[]> {
  const P = O.nParams;
  const Y = centredRows(O, eloc, weights, given);
  const { R, e, F } = Y;
  if (norm(F) === 0) return { delta: new Float64Array(P), force: F, iterations: 0, residual: 0 };
  const c = new Float64Array(P).fill(1);
  // the block products of T: computed by whoever runs this generator (this thread or the step's)
  let A: Float64Array;
  if (relative) {
    // Z = Y·diag(c), c = diag(S)^(−1/2), as float32 [R, P]
    const Sd = Y.diagonal();
    for (let k = 0; k < P; k++) c[k] = 1 / Math.sqrt(Sd[k] + 1e-12);
    const Z = new Float32Array(R * P);
    for (let r = 0; r < R; r++) {
      const [X, o, m, w] = Y.row(r);
      for (let k = 0; k < P; k++) Z[r * P + k] = c[k] * w * (X[o + k] - m[k]);
    }
    const plan = gramPlan([Z], P);
    A = assembleGram(R, plan.bounds, plan.pairs, yield { blocks: plan.blocks, cols: P, pairs: plan.pairs });
  } else {
    // Z = Y: the products of the raw rows of O, centred and weighted afterwards (gram-blocks.ts)
    const raw = Y.parts.map(([X]) => (X instanceof Float32Array ? X : Float32Array.from(X)));
    const plan = gramPlan(raw, P);
    const rowWeight = new Float64Array(R);
    for (let r = 0; r < R; r++) rowWeight[r] = Y.sw[r % weights.length] ** 2;
    A = centredGram(R, plan.bounds, plan.pairs, yield { blocks: plan.blocks, cols: P, pairs: plan.pairs }, rowWeight, plan.partStarts);
  }
  for (let r = 0; r < R; r++) A[r * R + r] += lambda;
  preconditionerFactor(A, R);
  // c² ⊙ Yᵀv (P)
  const yt = (v: Float64Array, out: Float64Array): void => {
    Y.transposeTimes(v, out);
    for (let k = 0; k < P; k++) out[k] *= c[k] * c[k];
  };
  // (ZZᵀ + λ) v = Y(c² ⊙ Yᵀv) + λv; u keeps c² ⊙ Yᵀv of the last v
  const u = new Float64Array(P);
  const apply = (v: Float64Array, out: Float64Array): void => {
    yt(v, u);
    Y.times(u, out);
    for (let r = 0; r < R; r++) out[r] += lambda * v[r];
  };
  // δ = c ⊙ Zᵀy = c² ⊙ Yᵀy, accumulated along the iterates y = y0 + Σ α_i p_i from the products
  // the CG forms anyway (its first product is of y0, then one of each p_i): no pass of its own
  const delta = new Float64Array(P);
  let products = 0;
  const y0 = choleskyBackSolve(A, R, e);
  const cg = conjugateGradient(
    (v, out) => {
      apply(v, out);
      if (products++ === 0) delta.set(u);
    },
    e, y0, tol, maxIter,
    (r, z) => z.set(choleskyBackSolve(A, R, r)),
    (alpha) => {
      for (let k = 0; k < P; k++) delta[k] += alpha * u[k];
    },
  );
  return { delta, force: F, iterations: cg.iterations, residual: cg.residual };
}

/** Panel width of the blocked Cholesky factor (`preconditionerFactor`). */
const CHOLESKY_PANEL = 128;

/**
 * Cholesky factor of A (R×R, lower triangle read, factor left in place) for the preconditioner of
 * the sample-space CG: blocked, with the O(R³) work — panel solves and trailing updates — as
 * float32 tfjs matMuls and only the diagonal blocks factored on the host (float64). A float32
 * factor is all a preconditioner needs (CG on the float64 system corrects it). R = 1000 on the
 * loaded 2-core machine, CPU seconds: 0.66–0.76 for the float64 host factor, 0.44–0.49 blocked.
 * Falls back to the host factor when a float32 pivot is not positive (a shift too small for
 * float32).
 */
function preconditionerFactor(A: Float64Array, R: number): void {
  const b = CHOLESKY_PANEL;
  if (R <= 2 * b) {
    choleskyFactor(A, R);
    return;
  }
  const L = new Float64Array(R * R);
  // the lower triangle only (row by row): the panels, the diagonal blocks and the trailing
  // updates below read nothing above the diagonal
  const full = new Float32Array(R * R);
  for (let i = 0; i < R; i++) for (let j = 0; j <= i; j++) full[i * R + j] = A[i * R + j];
  // S: the trailing Schur complement, rows and columns k.. of the matrix
  let S = tf.tensor2d(full, [R, R]);
  try {
    for (let k = 0; k < R; k += b) {
      const w = Math.min(b, R - k);
      const m = R - k - w;
      // diagonal block (only it comes back to the host): Cholesky, then its inverse (lower triangular)
      const Dt = tf.slice(S, [0, 0], [w, w]);
      const Sh = Dt.dataSync();
      Dt.dispose();
      const D = new Float64Array(w * w);
      for (let i = 0; i < w; i++) for (let j = 0; j <= i; j++) D[i * w + j] = Sh[i * w + j];
      try {
        choleskyFactor(D, w);
      } catch {
        S.dispose();
        S = null!;
        choleskyFactor(A, R);
        return;
      }
      for (let i = 0; i < w; i++) for (let j = 0; j <= i; j++) L[(k + i) * R + k + j] = D[i * w + j];
      if (m === 0) break;
      const inv = new Float32Array(w * w); // (L11⁻¹)ᵀ, upper triangular
      for (let c = 0; c < w; c++) {
        // column c of L11⁻¹ by forward substitution of e_c
        const x = new Float64Array(w);
        for (let i = c; i < w; i++) {
          let s2 = i === c ? 1 : 0;
          for (let q = c; q < i; q++) s2 -= D[i * w + q] * x[q];
          x[i] = s2 / D[i * w + i];
        }
        for (let i = c; i < w; i++) inv[c * w + i] = x[i];
      }
      const next = tf.tidy(() => {
        const panel = tf.slice(S, [w, 0], [m, w]); // A21
        const L21 = tf.matMul(panel, tf.tensor2d(inv, [w, w])); // A21 · L11⁻ᵀ
        const trail = tf.slice(S, [w, w], [m, m]);
        return { L21, S2: tf.sub(trail, tf.matMul(L21, tf.transpose(L21))) };
      });
      const l21 = next.L21.dataSync();
      next.L21.dispose();
      for (let i = 0; i < m; i++) for (let j = 0; j < w; j++) L[(k + w + i) * R + k + j] = l21[i * w + j];
      S.dispose();
      S = next.S2 as tf.Tensor2D;
    }
  } finally {
    S?.dispose();
  }
  A.set(L);
}

/**
 * S = XᵀX (X parameter-major, X[k·n + s]; Xim null when all zero), at least its lower triangle
 * (all that `choleskySolve` reads). Blocks of 4×4 entries of S are accumulated in registers over
 * the samples: 8 loads per 16 multiply-adds and no stores in the inner loop. Measured back to back
 * against the former row-by-row S += x xᵀ: the whole `srSolve` 2.3× faster for a real ansatz
 * (n = 841, P = 83) and 2.8× for a complex one (n = 1000, P = 166). Each entry is summed over the samples in
 * order, as before: a real ansatz gets bit-identical S; a complex one now sums the real and
 * imaginary parts separately (δ agrees to ~1e-14).
 */
function gram(Xre: Float64Array, Xim: Float64Array | null, n: number, P: number): Float64Array {
  const S = new Float64Array(P * P);
  for (const X of Xim ? [Xre, Xim] : [Xre]) {
    for (let k0 = 0; k0 < P; k0 += 4) {
      for (let l0 = 0; l0 <= k0; l0 += 4) {
        if (k0 + 4 <= P) gramBlock(X, n, P, k0, l0, S);
        else {
          for (let k = k0; k < P; k++) {
            for (let l = l0; l < Math.min(l0 + 4, k + 1); l++) {
              let c = 0;
              for (let s = 0; s < n; s++) c += X[k * n + s] * X[l * n + s];
              S[k * P + l] += c;
            }
          }
        }
      }
    }
  }
  return S;
}

/** S[k0..k0+4, l0..l0+4] += Σ_s X[k, s] X[l, s] (a full 4×4 block; l0 + 4 ≤ k0 + 4 ≤ P). */
function gramBlock(X: Float64Array, n: number, P: number, k0: number, l0: number, S: Float64Array): void {
  const a0 = k0 * n;
  const a1 = a0 + n;
  const a2 = a1 + n;
  const a3 = a2 + n;
  const b0 = l0 * n;
  const b1 = b0 + n;
  const b2 = b1 + n;
  const b3 = b2 + n;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0; // prettier-ignore
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0; // prettier-ignore
  for (let s = 0; s < n; s++) {
    const x0 = X[a0 + s];
    const x1 = X[a1 + s];
    const x2 = X[a2 + s];
    const x3 = X[a3 + s];
    const y0 = X[b0 + s];
    const y1 = X[b1 + s];
    const y2 = X[b2 + s];
    const y3 = X[b3 + s];
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3; // prettier-ignore
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3; // prettier-ignore
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3; // prettier-ignore
    c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3; // prettier-ignore
  }
  const r0 = k0 * P + l0;
  const r1 = r0 + P;
  const r2 = r1 + P;
  const r3 = r2 + P;
  S[r0] += c00; S[r0 + 1] += c01; S[r0 + 2] += c02; S[r0 + 3] += c03; // prettier-ignore
  S[r1] += c10; S[r1 + 1] += c11; S[r1 + 2] += c12; S[r1 + 3] += c13; // prettier-ignore
  S[r2] += c20; S[r2 + 1] += c21; S[r2 + 2] += c22; S[r2 + 3] += c23; // prettier-ignore
  S[r3] += c30; S[r3 + 1] += c31; S[r3 + 2] += c32; S[r3 + 3] += c33; // prettier-ignore
}

/** out = (XᵀX + diag(D)) v with X parameter-major (X[k·n + s]), Xim null when all zero. */
function sApply(Xre: Float64Array, Xim: Float64Array | null, n: number, P: number, D: Float64Array, v: Float64Array, out: Float64Array): void {
  const a = new Float64Array(n);
  for (const X of Xim ? [Xre, Xim] : [Xre]) {
    a.fill(0);
    for (let k = 0; k < P; k++) {
      const vk = v[k];
      if (vk !== 0) for (let s = 0; s < n; s++) a[s] += vk * X[k * n + s];
    }
    for (let k = 0; k < P; k++) {
      let c = X === Xre ? D[k] * v[k] : out[k];
      for (let s = 0; s < n; s++) c += X[k * n + s] * a[s];
      out[k] = c;
    }
  }
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

/** In-place Cholesky of the lower triangle of A (P×P row-major), then solves A x = b. */
export function choleskySolve(A: Float64Array, P: number, b: Float64Array): Float64Array {
  choleskyFactor(A, P);
  return choleskyBackSolve(A, P, b);
}

/** In-place Cholesky factor L (lower triangle of A, P×P row-major; the upper triangle is not read). */
export function choleskyFactor(A: Float64Array, P: number): void {
  for (let j = 0; j < P; j++) {
    const rj = j * P;
    let d = A[rj + j];
    for (let k = 0; k < j; k++) d -= A[rj + k] * A[rj + k];
    if (!(d > 0)) throw new Error(`sr: matrix not positive definite at pivot ${j} (increase diagShift)`);
    const ljj = Math.sqrt(d);
    A[rj + j] = ljj;
    for (let i = j + 1; i < P; i++) {
      const ri = i * P;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= A[ri + k] * A[rj + k];
      A[ri + j] = s / ljj;
    }
  }
}

/** x = (L Lᵀ)⁻¹ b for the factor L left by `choleskyFactor`. */
export function choleskyBackSolve(L: Float64Array, P: number, b: Float64Array): Float64Array {
  const y = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    const ri = i * P;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * y[k];
    y[i] = s / L[ri + i];
  }
  const x = new Float64Array(P);
  for (let i = P - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < P; k++) s -= L[k * P + i] * x[k];
    x[i] = s / L[i * P + i];
  }
  return x;
}

/**
 * Conjugate gradient for A x = b (A symmetric positive definite, as `apply`), optionally
 * preconditioned (`precond(r, z)`: z = M⁻¹r); stops when ‖r‖ ≤ tol·‖b‖ or after maxIter.
 * `apply` is called first on the initial guess (its residual), then once per iteration on the
 * search direction p, which `onStep` follows (sampleSpaceSolve builds δ from these products).
 */
export function conjugateGradient(
  apply: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  x0: Float64Array | null,
  tol: number,
  maxIter: number,
  precond?: (r: Float64Array, z: Float64Array) => void,
  /** called after each update x ← x + α·p, with α (p is the vector of the last `apply`) */
  onStep?: (alpha: number) => void,
): { x: Float64Array; iterations: number; residual: number } {
  const P = b.length;
  const x = x0 && x0.length === P ? Float64Array.from(x0) : new Float64Array(P);
  const r = new Float64Array(P);
  const Ap = new Float64Array(P);
  apply(x, Ap);
  for (let k = 0; k < P; k++) r[k] = b[k] - Ap[k];
  const bn = norm(b);
  // without a preconditioner z is r itself (plain CG)
  const z = precond ? new Float64Array(P) : r;
  if (precond) precond(r, z);
  const p = Float64Array.from(z);
  let rs = 0;
  for (let k = 0; k < P; k++) rs += r[k] * r[k];
  let rz = rs;
  if (precond) {
    rz = 0;
    for (let k = 0; k < P; k++) rz += r[k] * z[k];
  }
  let it = 0;
  while (Math.sqrt(rs) > tol * bn && it < maxIter) {
    apply(p, Ap);
    let pAp = 0;
    for (let k = 0; k < P; k++) pAp += p[k] * Ap[k];
    if (!(pAp > 0)) break;
    const alpha = rz / pAp;
    let rsNew = 0;
    for (let k = 0; k < P; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * Ap[k];
      rsNew += r[k] * r[k];
    }
    onStep?.(alpha);
    let rzNew = rsNew;
    if (precond) {
      precond(r, z);
      rzNew = 0;
      for (let k = 0; k < P; k++) rzNew += r[k] * z[k];
    }
    const beta = rzNew / rz;
    for (let k = 0; k < P; k++) p[k] = z[k] + beta * p[k];
    rs = rsNew;
    rz = rzNew;
    it++;
  }
  return { x, iterations: it, residual: Math.sqrt(rs) / (bn || 1) };
}

// ---------------------------------------------------------------------------------------------
// Per-sample log-derivatives by autodiff (any ansatz)

/**
 * O_k per sample with tfjs autodiff: two gradient passes (logAmp, phase) per configuration,
 * batch size 1. Slow — it is what makes SR expensive for ansätze without analytic O_k (see
 * scripts/rbm-persample-bench.ts for numbers).
 */
export function perSampleLogDerivatives(wf: Wavefunction, configs: Uint8Array, count: number): LogDerivatives {
  const N = wf.nSites;
  const vars = wf.variables;
  const P = vars.reduce((n, v) => n + v.size, 0);
  const re = new Float64Array(count * P);
  const im = new Float64Array(count * P);
  const row = new Float32Array(N);
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < N; i++) row[i] = configs[b * N + i];
    tf.tidy(() => {
      const x = tf.tensor2d(row, [1, N]);
      for (const part of ['logAmp', 'phase'] as const) {
        const { grads } = tf.variableGrads(() => {
          const lp = wf.logPsi(x);
          // the 0·other term keeps every variable connected (e.g. a real ansatz has a constant phase)
          const other = part === 'logAmp' ? lp.phase : lp.logAmp;
          return lp[part].sum().add(other.sum().mul(0)) as tf.Scalar;
        }, vars);
        const dst = part === 'logAmp' ? re : im;
        let off = b * P;
        for (const v of vars) {
          const g = grads[v.name];
          if (g) dst.set(g.dataSync() as Float32Array, off);
          off += v.size;
        }
      }
    });
  }
  return { re, im, nParams: P };
}

/** Analytic O_k when the ansatz has them (RBM), autodiff otherwise. */
export function logDerivatives(wf: Wavefunction, configs: Uint8Array, count: number): LogDerivatives {
  return hasAnalyticLogDerivatives(wf) ? wf.logDerivatives(configs, count) : perSampleLogDerivatives(wf, configs, count);
}

// ---------------------------------------------------------------------------------------------
// Optimizer

export interface SrConfig {
  learningRate: number;
  /** initial diagonal shift λ0 */
  diagShift: number;
  /** λ_t = max(diagShiftMin, λ0·diagShiftDecay^t); defaults: decay 1 (constant), min 0 */
  diagShiftDecay?: number;
  diagShiftMin?: number;
  diagShiftMode?: 'absolute' | 'relative';
  solver?: SrSolver;
  cgTol?: number;
  cgMaxIter?: number;
  /** start CG from the previous direction (default true; parameter space) */
  warmStart?: boolean;
  /**
   * 'parameter' (default): solve (S + λ)δ = F; 'sample': minSR, the same δ from the rows × rows
   * system (cheaper when rows = samples (×2 for complex O) < parameters); 'auto': sample space
   * when the step's rows are fewer than the parameters
   */
  space?: SrSpace | 'auto';
  /**
   * Optional cap on the size of an update in state space: the step η·δ moves ψ by about
   * η·sqrt(δᵀSδ) ≤ η·sqrt(δ·F) (Fubini–Study units); when that exceeds `maxStateStep` the step is
   * scaled down. Guards the first steps from a near-uniform start, where S is tiny and the
   * energy variance large (natural-gradient steps then overshoot). Default: no cap.
   */
  maxStateStep?: number;
}

export interface SrState {
  kind: 'sr';
  t: number;
  /** previous direction (CG warm start), or null */
  last: number[] | null;
}

export interface SrStepInfo {
  diagShift: number;
  solver: 'cholesky' | 'cg';
  space: SrSpace;
  iterations: number;
  residual: number;
  /** ‖2F‖, the plain energy-gradient norm */
  gradNorm: number;
  /** ‖δ‖ (before any state-step cap) */
  deltaNorm: number;
  /** η·sqrt(δ·F), the approximate state-space step before the cap */
  stateStep: number;
  /** factor applied by the `maxStateStep` cap (1 when inactive) */
  scale: number;
  /** seconds of the solve (centring, the system, the direction; not O) */
  solveSeconds: number;
}

/** What `step` needs from the driver (structurally the driver's StepContext). */
export interface SrStepContext {
  wf: Wavefunction;
  unique: { configs: Uint8Array; count: number; multiplicity: Float64Array };
  eloc: ComplexSeries;
  /** O of the distinct samples, computed by the driver (sharded over its threads); else computed here */
  logDerivatives?: LogDerivatives;
  /** the weighted sums of that O (sr-moments.ts) for the multiplicities and `eloc`, formed by the driver's threads */
  logDerivativeMoments?: OMoments;
  /** block products spread over the driver's threads (sample space); else computed here */
  products?: BlockProducts;
}


export class StochasticReconfiguration {
  readonly kind = 'sr';
  /** SR needs the per-sample log-derivatives instead of the energy gradient */
  readonly usesEnergyGradient = false;
  /** the driver computes them (in shards, on its threads) and passes them as `ctx.logDerivatives` */
  readonly usesLogDerivatives = true;
  private t = 0;
  private last: Float64Array | null = null;
  lastInfo: SrStepInfo | null = null;

  constructor(
    private readonly wf: Wavefunction,
    readonly config: SrConfig,
  ) {
    if (!(config.learningRate > 0)) throw new Error(`sr: learningRate must be > 0, got ${config.learningRate}`);
    if (!(config.diagShift >= 0)) throw new Error(`sr: diagShift must be ≥ 0, got ${config.diagShift}`);
    const sp = config.space ?? 'parameter';
    if (sp !== 'parameter' && sp !== 'sample' && sp !== 'auto') throw new Error(`sr: space must be parameter, sample or auto, got "${String(sp)}"`);
  }

  learningRate(): number {
    return this.config.learningRate;
  }

  /** λ for the next step. */
  diagShift(): number {
    const c = this.config;
    return Math.max(c.diagShiftMin ?? 0, c.diagShift * (c.diagShiftDecay ?? 1) ** this.t);
  }

  /**
   * One SR update from (distinct) samples with multiplicities; returns seconds spent. With
   * `ctx.products` (the driver's threads) a sample-space step spreads its Gram products over them
   * and returns a promise; otherwise everything runs here, synchronously.
   */
  step(ctx: SrStepContext): OptimizerTimings | Promise<OptimizerTimings> {
    const t0 = performance.now();
    const O = ctx.logDerivatives ?? logDerivatives(ctx.wf, ctx.unique.configs, ctx.unique.count);
    // the driver's sums belong to the driver's O
    const moments = ctx.logDerivatives ? ctx.logDerivativeMoments : undefined;
    const w = ctx.unique.multiplicity;
    const update = (delta: Float64Array): OptimizerTimings => {
      const t1 = performance.now();
      applyUpdate(ctx.wf, delta, -this.config.learningRate);
      return { gradient: (t1 - t0) / 1000, update: (performance.now() - t1) / 1000 };
    };
    if (ctx.products) return this.directionWith(O, ctx.eloc, w, ctx.products, moments).then(update);
    return update(this.direction(O, ctx.eloc, w, moments));
  }

  /**
   * Computes the SR direction for the current step and advances the schedule (no update);
   * `moments`: the weighted sums of O for these weights and local values, if already formed.
   */
  direction(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, moments?: OMoments): Float64Array {
    const plan = this.plan(O, weights.length, moments);
    return this.finish(plan, srSolve(O, eloc, weights, plan.opts));
  }

  /** `direction` with the sample-space Gram products computed by `products`; the same numbers. */
  async directionWith(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, products: BlockProducts, moments?: OMoments): Promise<Float64Array> {
    const plan = this.plan(O, weights.length, moments);
    return this.finish(plan, await srSolveWith(O, eloc, weights, plan.opts, products));
  }

  /** The solve options of this step (shift from the schedule, space). */
  private plan(O: LogDerivatives, samples: number, moments?: OMoments): { opts: SrSolveOptions & { space: SrSpace }; t0: number } {
    const space = this.space(O, samples);
    return {
      t0: performance.now(),
      opts: {
        moments,
        space,
        diagShift: this.diagShift(),
        diagShiftMode: this.config.diagShiftMode,
        solver: this.config.solver,
        cgTol: this.config.cgTol,
        cgMaxIter: this.config.cgMaxIter,
        x0: this.config.warmStart === false || space === 'sample' ? null : this.last,
      },
    };
  }

  /** Advances the schedule, records the step's info and applies the state-step cap. */
  private finish(plan: { opts: SrSolveOptions & { space: SrSpace }; t0: number }, sol: SrSolution): Float64Array {
    this.last = sol.delta;
    this.t++;
    let dF = 0;
    for (let k = 0; k < sol.delta.length; k++) dF += sol.delta[k] * sol.force[k];
    const stateStep = this.config.learningRate * Math.sqrt(Math.max(dF, 0));
    const cap = this.config.maxStateStep;
    const scale = cap !== undefined && cap > 0 && stateStep > cap ? cap / stateStep : 1;
    this.lastInfo = {
      diagShift: plan.opts.diagShift,
      solver: sol.solver,
      space: plan.opts.space,
      iterations: sol.iterations,
      residual: sol.residual,
      gradNorm: 2 * norm(sol.force),
      deltaNorm: norm(sol.delta),
      stateStep,
      scale,
      solveSeconds: (performance.now() - plan.t0) / 1000,
    };
    return scale === 1 ? sol.delta : sol.delta.map((v) => v * scale);
  }

  /** The space this step's system is solved in: the configured one, or by size for 'auto'. */
  space(O: LogDerivatives, samples: number): SrSpace {
    const sp = this.config.space ?? 'parameter';
    if (sp !== 'auto') return sp;
    const rows = samples * (O.im.length > 0 ? 2 : 1);
    return rows < O.nParams ? 'sample' : 'parameter';
  }

  getState(): SrState {
    return { kind: 'sr', t: this.t, last: this.last ? Array.from(this.last) : null };
  }

  setState(state: unknown): void {
    const s = state as SrState;
    if (!s || s.kind !== 'sr' || !Number.isInteger(s.t)) throw new Error('sr: malformed optimizer state');
    this.t = s.t;
    this.last = s.last ? Float64Array.from(s.last) : null;
  }

  dispose(): void {
    this.last = null;
  }
}

/** p ← p + scale·delta for the wavefunction's variables flattened in order. */
export function applyUpdate(wf: Wavefunction, delta: Float64Array, scale: number): void {
  const P = wf.variables.reduce((n, v) => n + v.size, 0);
  if (P !== delta.length) throw new Error(`sr: direction has ${delta.length} entries, the ansatz ${P} parameters`);
  let off = 0;
  for (const v of wf.variables) {
    const cur = v.dataSync() as Float32Array;
    const next = new Float32Array(v.size);
    for (let k = 0; k < v.size; k++) next[k] = cur[k] + scale * delta[off + k];
    tf.tidy(() => v.assign(tf.tensor(next, v.shape, 'float32')));
    off += v.size;
  }
}
