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
 * columns Z = Y·diag(S)^(−1/2): δ = diag(S)^(−1/2) Zᵀ (ZZᵀ + λ)⁻¹ e. T = YYᵀ is formed by
 * float32 tfjs matMuls of row blocks, lower block triangle only (the O(rows²·P) part; measured on
 * the loaded 2-core machine, rows = 1000, P = 8000: 1.7 s as one wasm matMul, ~11 s estimated
 * for plain float64 loops);
 * its float64 Cholesky factor then preconditions a conjugate-gradient solve of the float64 system
 * (matrix-free products Y(Yᵀv)), which recovers full float64 accuracy in a few iterations.
 */
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { hasAnalyticLogDerivatives, type LogDerivatives } from '../ansatz/log-derivatives.js';
import { sliceBounds } from '../sampler/sampler.js';

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
  const sampleMajor = space === 'sample';
  const { Xre, Xim, F, eRe, eIm } = centred(O, eloc, weights, sampleMajor);
  // diagonal of S (needed for the relative shift)
  let Sdiag: Float64Array | null = null;
  if (mode === 'relative') {
    Sdiag = new Float64Array(P);
    const at = sampleMajor ? (k: number, s: number) => s * P + k : (k: number, s: number) => k * n + s;
    for (let k = 0; k < P; k++) {
      for (let s = 0; s < n; s++) Sdiag[k] += Xre[at(k, s)] ** 2 + (Xim ? Xim[at(k, s)] ** 2 : 0);
    }
    for (let k = 0; k < P; k++) Sdiag[k] += 1e-12;
  }
  const fNorm = norm(F);
  if (space === 'sample') {
    if (fNorm === 0) return { delta: new Float64Array(P), force: F, solver: 'cholesky', space, iterations: 0, residual: 0 };
    const sol = sampleSpaceSolve(Xre, Xim, n, P, eRe, eIm, lambda, Sdiag, opts.cgTol ?? 1e-10, opts.cgMaxIter ?? 1000);
    return { ...sol, force: F, solver: 'cholesky', space };
  }
  const D = new Float64Array(P);
  if (Sdiag) for (let k = 0; k < P; k++) D[k] = lambda * Sdiag[k];
  else D.fill(lambda);

  const useChol = solver === 'cholesky' || (solver === 'auto' && P <= 1500);
  const apply = (v: Float64Array, out: Float64Array) => sApply(Xre, Xim, n, P, D, v, out);
  if (fNorm === 0) return { delta: new Float64Array(P), force: F, solver: useChol ? 'cholesky' : 'cg', space, iterations: 0, residual: 0 };

  if (useChol) {
    const S = gram(Xre, Xim, n, P);
    for (let k = 0; k < P; k++) S[k * P + k] += D[k];
    const delta = choleskySolve(S, P, F);
    const tmp = new Float64Array(P);
    apply(delta, tmp);
    let rr = 0;
    for (let k = 0; k < P; k++) rr += (tmp[k] - F[k]) ** 2;
    return { delta, force: F, solver: 'cholesky', space, iterations: 0, residual: Math.sqrt(rr) / fNorm };
  }

  const cg = conjugateGradient(apply, F, opts.x0 ?? null, opts.cgTol ?? 1e-6, opts.cgMaxIter ?? 1000);
  return { delta: cg.x, force: F, solver: 'cg', space, iterations: cg.iterations, residual: cg.residual };
}

/**
 * X = sqrt(w)(O − ⟨O⟩) (real and imaginary parts; Xim null when Im O ≡ 0 — a real ansatz skips
 * the imaginary rows, halving the cost), stored parameter-major (X[k·n + s]: the parameter-space
 * products run along contiguous samples) or, for the sample-space solve, sample-major
 * (X[s·P + k], as O); e = sqrt(w)(E_loc − ⟨E⟩); F = Σ_s (e_re·Xre + e_im·Xim).
 */
function centred(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array, sampleMajor: boolean)
  : { Xre: Float64Array; Xim: Float64Array | null; F: Float64Array; eRe: Float64Array; eIm: Float64Array } {
  const P = O.nParams;
  const n = weights.length;
  let W = 0;
  for (let s = 0; s < n; s++) W += weights[s];
  if (!(W > 0)) throw new Error('sr: weights must have a positive sum');
  const hasIm = O.im.length > 0;
  // means ⟨O⟩ and ⟨E⟩
  const mRe = new Float64Array(P);
  const mIm = new Float64Array(P);
  let eMeanRe = 0;
  let eMeanIm = 0;
  for (let s = 0; s < n; s++) {
    const w = weights[s] / W;
    eMeanRe += w * eloc.re[s];
    eMeanIm += w * eloc.im[s];
    const r = s * P;
    for (let k = 0; k < P; k++) {
      mRe[k] += w * O.re[r + k];
      if (hasIm) mIm[k] += w * O.im[r + k];
    }
  }
  const Xre = new Float64Array(n * P);
  let Xim: Float64Array | null = hasIm ? new Float64Array(n * P) : null;
  const F = new Float64Array(P);
  const eRe = new Float64Array(n);
  const eIm = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const sw = Math.sqrt(weights[s] / W);
    const dr = sw * (eloc.re[s] - eMeanRe);
    const di = sw * (eloc.im[s] - eMeanIm);
    eRe[s] = dr;
    eIm[s] = di;
    const r = s * P;
    for (let k = 0; k < P; k++) {
      const at = sampleMajor ? r + k : k * n + s;
      const xr = sw * (O.re[r + k] - mRe[k]);
      Xre[at] = xr;
      if (Xim) {
        const xi = sw * (O.im[r + k] - mIm[k]);
        Xim[at] = xi;
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
  return { Xre, Xim, F, eRe, eIm };
}

/**
 * minSR: δ = c ⊙ Zᵀ (ZZᵀ + λI)⁻¹ e with Z = Y·diag(c), c_k = 1 (absolute shift) or
 * 1/sqrt(S_kk) (relative), Y = [Xre; Xim] sample-major (see the header). T = ZZᵀ in float32 by
 * tfjs (`sampleGram`); its float64 Cholesky factor (of T + λI) preconditions CG on the float64
 * system.
 */
function sampleSpaceSolve(
  Xre: Float64Array, Xim: Float64Array | null, n: number, P: number, eRe: Float64Array, eIm: Float64Array,
  lambda: number, Sdiag: Float64Array | null, tol: number, maxIter: number,
): { delta: Float64Array; iterations: number; residual: number } {
  const R = Xim ? 2 * n : n;
  const c = new Float64Array(P).fill(1);
  if (Sdiag) for (let k = 0; k < P; k++) c[k] = 1 / Math.sqrt(Sdiag[k]);
  // Z as float32 [R, P]: rows c ⊙ Xre[s, :], then c ⊙ Xim[s, :]
  const Z = new Float32Array(R * P);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < P; k++) Z[s * P + k] = c[k] * Xre[s * P + k];
    if (Xim) for (let k = 0; k < P; k++) Z[(n + s) * P + k] = c[k] * Xim[s * P + k];
  }
  const A = sampleGram(Z, R, P);
  for (let r = 0; r < R; r++) A[r * R + r] += lambda;
  choleskyFactor(A, R);
  const e = new Float64Array(R);
  e.set(eRe);
  if (Xim) e.set(eIm, n);
  const row = (r: number): [Float64Array, number] => (r < n ? [Xre, r * P] : [Xim!, (r - n) * P]);
  // (ZZᵀ + λ) v in float64: u = Zᵀv (P), then Zu + λv
  const u = new Float64Array(P);
  const zt = (v: Float64Array, out: Float64Array): void => {
    out.fill(0);
    for (let r = 0; r < R; r++) {
      const [X, o] = row(r);
      const vr = v[r];
      if (vr !== 0) for (let k = 0; k < P; k++) out[k] += X[o + k] * vr;
    }
    for (let k = 0; k < P; k++) out[k] *= c[k];
  };
  const apply = (v: Float64Array, out: Float64Array): void => {
    zt(v, u);
    for (let k = 0; k < P; k++) u[k] *= c[k];
    for (let r = 0; r < R; r++) {
      const [X, o] = row(r);
      let a = lambda * v[r];
      for (let k = 0; k < P; k++) a += X[o + k] * u[k];
      out[r] = a;
    }
  };
  const y0 = choleskyBackSolve(A, R, e);
  const cg = conjugateGradient(apply, e, y0, tol, maxIter, (r, z) => z.set(choleskyBackSolve(A, R, r)));
  // δ = c ⊙ Zᵀy
  const delta = new Float64Array(P);
  zt(cg.x, delta);
  for (let k = 0; k < P; k++) delta[k] *= c[k];
  return { delta, iterations: cg.iterations, residual: cg.residual };
}

/** Row blocks of the sample-space Gram matrix (see `sampleGram`). */
const GRAM_BLOCKS = 4;

/**
 * T = Z Zᵀ (float64 copy of float32 tfjs products) for Z [R, P] row-major, lower triangle and
 * diagonal filled (all that `choleskyFactor` reads): the rows in GRAM_BLOCKS blocks and only the
 * blocks T_ij = Z_i Z_jᵀ with j ≤ i, i.e. (b + 1)/(2b) of the full product.
 */
function sampleGram(Z: Float32Array, R: number, P: number): Float64Array {
  const T = new Float64Array(R * R);
  const b = sliceBounds(R, Math.min(GRAM_BLOCKS, R));
  const blocks = b.slice(1).map((end, i) => tf.tensor2d(Z.subarray(b[i] * P, end * P), [end - b[i], P]));
  try {
    for (let j = 0; j < blocks.length; j++) {
      const right = tf.transpose(blocks[j]);
      try {
        for (let i = j; i < blocks.length; i++) {
          const t = tf.matMul(blocks[i], right);
          const v = t.dataSync();
          t.dispose();
          const w = b[j + 1] - b[j];
          for (let r = b[i]; r < b[i + 1]; r++) {
            const src = (r - b[i]) * w;
            for (let q = 0; q < w; q++) T[r * R + b[j] + q] = v[src + q];
          }
        }
      } finally {
        right.dispose();
      }
    }
  } finally {
    tf.dispose(blocks);
  }
  return T;
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
 */
export function conjugateGradient(
  apply: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  x0: Float64Array | null,
  tol: number,
  maxIter: number,
  precond?: (r: Float64Array, z: Float64Array) => void,
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

  /** One SR update from (distinct) samples with multiplicities; returns seconds spent. */
  step(ctx: SrStepContext): { gradient: number; update: number } {
    const t0 = performance.now();
    const O = ctx.logDerivatives ?? logDerivatives(ctx.wf, ctx.unique.configs, ctx.unique.count);
    const delta = this.direction(O, ctx.eloc, ctx.unique.multiplicity);
    const t1 = performance.now();
    applyUpdate(ctx.wf, delta, -this.config.learningRate);
    const t2 = performance.now();
    return { gradient: (t1 - t0) / 1000, update: (t2 - t1) / 1000 };
  }

  /** Computes the SR direction for the current step and advances the schedule (no update). */
  direction(O: LogDerivatives, eloc: ComplexSeries, weights: Float64Array): Float64Array {
    const lambda = this.diagShift();
    const space = this.space(O, weights.length);
    const t0 = performance.now();
    const sol = srSolve(O, eloc, weights, {
      space,
      diagShift: lambda,
      diagShiftMode: this.config.diagShiftMode,
      solver: this.config.solver,
      cgTol: this.config.cgTol,
      cgMaxIter: this.config.cgMaxIter,
      x0: this.config.warmStart === false || space === 'sample' ? null : this.last,
    });
    this.last = sol.delta;
    this.t++;
    let dF = 0;
    for (let k = 0; k < sol.delta.length; k++) dF += sol.delta[k] * sol.force[k];
    const stateStep = this.config.learningRate * Math.sqrt(Math.max(dF, 0));
    const cap = this.config.maxStateStep;
    const scale = cap !== undefined && cap > 0 && stateStep > cap ? cap / stateStep : 1;
    this.lastInfo = {
      diagShift: lambda,
      solver: sol.solver,
      space,
      iterations: sol.iterations,
      residual: sol.residual,
      gradNorm: 2 * norm(sol.force),
      deltaNorm: norm(sol.delta),
      stateStep,
      scale,
      solveSeconds: (performance.now() - t0) / 1000,
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
