/**
 * Thick-restart Lanczos (Wu & Simon, SIAM J. Matrix Anal. Appl. 22, 602 (2000)) for the lowest
 * eigenvalues of a large Hermitian operator given only as a matrix–vector product.
 *
 * - The Krylov basis holds at most `krylov` vectors. Every new Lanczos vector is fully
 *   re-orthogonalised against the basis (a second pass when the first lost much of the norm),
 *   so no spurious copies ("ghosts") of converged eigenvalues appear.
 * - When the basis is full, the projected matrix T is diagonalised; the lowest Ritz vectors are
 *   kept (the "thick" restart), the residual direction is appended, and T becomes an arrow
 *   matrix. Memory is therefore (krylov + 1) vectors, whatever the number of iterations.
 * - Convergence: a Ritz pair (θ, y) has residual ‖Hy − θy‖ = |β_m · y_m|; it is converged when
 *   that is ≤ tol · max(1, |θ|). The eigenvalue error is then about residual² / spacing.
 * - `levels = 2` asks for the ground level and the lowest level distinct from it (by more than
 *   `degeneracyTol`), so an exactly degenerate ground level that Lanczos happens to resolve
 *   twice is not reported as a zero gap. In exact arithmetic a Krylov space holds one vector per
 *   distinct eigenvalue, so the multiplicity of a level is not resolved; "gap" means the distance
 *   to the next distinct level.
 *
 * Complex Hermitian operators use interleaved (re, im) vectors. Lanczos coefficients α, β stay
 * real, the projected matrix stays real symmetric, and only the re-orthogonalisation needs
 * complex inner products.
 */
import { symmetricEigen } from './dense.js';

export interface LinearOperator {
  /** dimension of the space */
  readonly dim: number;
  /** true when vectors are complex, stored as interleaved (re, im) pairs of length 2·dim */
  readonly complex: boolean;
  /** out = H·v */
  apply(v: Float64Array, out: Float64Array): void;
}

export interface LanczosOptions {
  /** 1: ground level only; 2: also the next distinct level (default 2) */
  levels?: 1 | 2;
  /** residual tolerance relative to max(1, |θ|) (default 1e-8: eigenvalue errors ~ residual²/spacing, far below 1e-10) */
  tol?: number;
  /** levels closer than this (relative to max(1, |E0|)) count as one (default 1e-9) */
  degeneracyTol?: number;
  /** Krylov basis size before a restart (default 40, at most dim) */
  krylov?: number;
  /** maximum number of matrix–vector products (default 20000) */
  maxMatvecs?: number;
  /** return the ground-state vector */
  wantVector?: boolean;
  /** seed of the deterministic start vector */
  seed?: number;
  /** called after every matrix–vector product with the number of products so far */
  onProduct?: (matvecs: number) => void;
  /** called after every restart with progress information */
  onRestart?: (info: { matvecs: number; restarts: number; ritz: number[]; residuals: number[] }) => void;
}

export interface LanczosResult {
  /** ground energy */
  e0: number;
  /** lowest level distinct from e0 (null when levels = 1 or the space has a single level) */
  e1: number | null;
  /** residual norms of the ground and the e1 Ritz pairs */
  residuals: number[];
  converged: boolean;
  matvecs: number;
  restarts: number;
  /** ground-state vector (interleaved when complex), unit norm */
  vector?: Float64Array;
}

/** Deterministic pseudo-random numbers in (−1, 1) (splitmix32-style hash of a counter). */
function fillRandom(v: Float64Array, seed: number): void {
  let s = (seed * 0x9e3779b9) >>> 0;
  for (let i = 0; i < v.length; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    v[i] = (z >>> 0) / 2147483648 - 1;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
  }
  if (i < n) s0 += a[i] * b[i];
  return s0 + s1;
}

/** y += s·x */
function axpy(y: Float64Array, s: number, x: Float64Array): void {
  const n = y.length;
  for (let i = 0; i < n; i++) y[i] += s * x[i];
}

function scale(y: Float64Array, s: number): void {
  for (let i = 0; i < y.length; i++) y[i] *= s;
}

/** Imaginary part of ⟨a|b⟩ for interleaved complex vectors: Σ a_re b_im − a_im b_re. */
function dotIm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 2) s += a[i] * b[i + 1] - a[i + 1] * b[i];
  return s;
}

/** y −= (cr + i·ci)·x for interleaved complex vectors. */
function caxpyNeg(y: Float64Array, cr: number, ci: number, x: Float64Array): void {
  for (let i = 0; i < y.length; i += 2) {
    const xr = x[i];
    const xi = x[i + 1];
    y[i] -= cr * xr - ci * xi;
    y[i + 1] -= cr * xi + ci * xr;
  }
}

/**
 * One classical Gram–Schmidt pass of a real w against basis[0..count): all coefficients first,
 * then one update, both blocked by four vectors so that w streams through memory once per four
 * basis vectors (the pass is memory-bound for large spaces).
 */
function orthogonaliseReal(w: Float64Array, basis: Float64Array[], count: number): void {
  const n = w.length;
  const c = new Float64Array(count);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const [a0, a1, a2, a3, a4, a5, a6, a7] = basis.slice(i, i + 8);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let r = 0; r < n; r++) {
      const x = w[r];
      s0 += a0[r] * x;
      s1 += a1[r] * x;
      s2 += a2[r] * x;
      s3 += a3[r] * x;
      s4 += a4[r] * x;
      s5 += a5[r] * x;
      s6 += a6[r] * x;
      s7 += a7[r] * x;
    }
    c[i] = s0;
    c[i + 1] = s1;
    c[i + 2] = s2;
    c[i + 3] = s3;
    c[i + 4] = s4;
    c[i + 5] = s5;
    c[i + 6] = s6;
    c[i + 7] = s7;
  }
  for (; i < count; i++) c[i] = dot(basis[i], w);
  i = 0;
  for (; i + 8 <= count; i += 8) {
    const [a0, a1, a2, a3, a4, a5, a6, a7] = basis.slice(i, i + 8);
    const [c0, c1, c2, c3, c4, c5, c6, c7] = c.subarray(i, i + 8);
    for (let r = 0; r < n; r++) {
      w[r] -= c0 * a0[r] + c1 * a1[r] + c2 * a2[r] + c3 * a3[r] + c4 * a4[r] + c5 * a5[r] + c6 * a6[r] + c7 * a7[r];
    }
  }
  for (; i + 2 <= count; i += 2) {
    const a0 = basis[i];
    const a1 = basis[i + 1];
    const c0 = c[i];
    const c1 = c[i + 1];
    for (let r = 0; r < n; r++) w[r] -= c0 * a0[r] + c1 * a1[r];
  }
  for (; i < count; i++) axpy(w, -c[i], basis[i]);
}

/** One Gram–Schmidt pass of w against basis[0..count) (modified GS order for complex vectors). */
function orthogonalise(w: Float64Array, basis: Float64Array[], count: number, complex: boolean): void {
  if (!complex) {
    orthogonaliseReal(w, basis, count);
    return;
  }
  for (let i = 0; i < count; i++) {
    const v = basis[i];
    const cr = dot(v, w);
    if (complex) {
      const ci = dotIm(v, w);
      caxpyNeg(w, cr, ci, v);
    } else {
      axpy(w, -cr, v);
    }
  }
}

/** w ⊥ basis[0..count), twice when the first pass cancelled much of w. Returns ‖w‖. */
function reorthogonalise(w: Float64Array, basis: Float64Array[], count: number, complex: boolean): number {
  const before = Math.sqrt(dot(w, w));
  orthogonalise(w, basis, count, complex);
  let after = Math.sqrt(dot(w, w));
  if (after < 0.7 * before) {
    orthogonalise(w, basis, count, complex);
    after = Math.sqrt(dot(w, w));
  }
  return after;
}

/**
 * In place: basis[i] ← Σ_l basis[l]·Y[l, i] for i < k (Y is m×m row-major, columns = vectors),
 * processed in chunks so that only a small buffer is needed.
 */
function rotateBasis(basis: Float64Array[], m: number, Y: Float64Array, ySize: number, k: number): void {
  const L = basis[0].length;
  const chunk = 2048;
  const tmp = new Float64Array(m * chunk);
  for (let start = 0; start < L; start += chunk) {
    const len = Math.min(chunk, L - start);
    for (let l = 0; l < m; l++) tmp.set(basis[l].subarray(start, start + len), l * chunk);
    for (let i = 0; i < k; i++) {
      const out = basis[i];
      out.fill(0, start, start + len);
      let l = 0;
      // four source vectors per sweep: one read-modify-write of `out` per four products
      for (; l + 4 <= m; l += 4) {
        const y0 = Y[l * ySize + i];
        const y1 = Y[(l + 1) * ySize + i];
        const y2 = Y[(l + 2) * ySize + i];
        const y3 = Y[(l + 3) * ySize + i];
        const o0 = l * chunk;
        const o1 = o0 + chunk;
        const o2 = o1 + chunk;
        const o3 = o2 + chunk;
        for (let r = 0; r < len; r++) {
          out[start + r] += y0 * tmp[o0 + r] + y1 * tmp[o1 + r] + y2 * tmp[o2 + r] + y3 * tmp[o3 + r];
        }
      }
      for (; l < m; l++) {
        const y = Y[l * ySize + i];
        const off = l * chunk;
        for (let r = 0; r < len; r++) out[start + r] += y * tmp[off + r];
      }
    }
  }
}

export function lanczos(op: LinearOperator, opts: LanczosOptions = {}): LanczosResult {
  const levels = opts.levels ?? 2;
  const tol = opts.tol ?? 1e-8;
  const degTol = opts.degeneracyTol ?? 1e-9;
  const maxMatvecs = opts.maxMatvecs ?? 20000;
  const dim = op.dim;
  if (dim < 1) throw new Error('lanczos: empty space');
  const complex = op.complex;
  const L = complex ? 2 * dim : dim;
  // with complex vectors the real Krylov recurrence still spans a complex space of size dim
  const m = Math.max(1, Math.min(opts.krylov ?? 40, dim));

  const basis: Float64Array[] = [];
  const vec = (i: number): Float64Array => {
    while (basis.length <= i) basis.push(new Float64Array(L));
    return basis[i];
  };
  const T = new Float64Array(m * m);
  let seed = opts.seed ?? 1;

  const v0 = vec(0);
  fillRandom(v0, seed++);
  scale(v0, 1 / Math.sqrt(dot(v0, v0)));

  let j = 0; // number of basis vectors with a computed column of T
  let k = 0; // kept Ritz vectors after a restart
  let betaM = 0;
  let matvecs = 0;
  let restarts = 0;
  let exhausted = false;

  for (;;) {
    // extend the basis to m vectors
    while (j < m) {
      const w = vec(j + 1);
      op.apply(basis[j], w);
      matvecs++;
      opts.onProduct?.(matvecs);
      for (let i = 0; i < j; i++) {
        const t = T[i * m + j];
        if (t !== 0) axpy(w, -t, basis[i]);
      }
      const alpha = dot(basis[j], w);
      T[j * m + j] = alpha;
      axpy(w, -alpha, basis[j]);
      let beta = reorthogonalise(w, basis, j + 1, complex);
      const scaleH = Math.max(1, Math.abs(alpha));
      if (beta <= 1e-12 * scaleH) {
        // invariant subspace: the Krylov space is exhausted
        if (j + 1 >= dim) {
          exhausted = true;
          beta = 0;
          j++;
          break;
        }
        // continue with a fresh direction orthogonal to the basis (zero coupling)
        fillRandom(w, seed++);
        reorthogonalise(w, basis, j + 1, complex);
        reorthogonalise(w, basis, j + 1, complex);
        scale(w, 1 / Math.sqrt(dot(w, w)));
        beta = 0;
      } else {
        scale(w, 1 / beta);
      }
      if (j + 1 < m) {
        T[j * m + j + 1] = beta;
        T[(j + 1) * m + j] = beta;
      } else {
        betaM = beta;
      }
      j++;
    }
    const size = j;
    if (exhausted) betaM = 0;
    // Ritz pairs of the projected matrix
    const Tsub = new Float64Array(size * size);
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) Tsub[a * size + b] = T[a * m + b];
    const eig = symmetricEigen(Tsub, size, true);
    const theta = eig.values;
    const Y = eig.vectors!;
    const resid = (i: number): number => Math.abs(betaM * Y[(size - 1) * size + i]);
    const ok = (i: number): boolean => resid(i) <= tol * Math.max(1, Math.abs(theta[i]));
    // index of the e1 Ritz value: the first clearly above θ0
    let i1 = -1;
    if (levels === 2) {
      const thr = degTol * Math.max(1, Math.abs(theta[0]));
      for (let i = 1; i < size; i++) {
        if (theta[i] - theta[0] > thr) {
          i1 = i;
          break;
        }
      }
    }
    let converged = ok(0);
    if (levels === 2) {
      if (i1 < 0) converged = converged && (exhausted || size >= dim);
      else for (let i = 1; i <= i1; i++) converged = converged && ok(i);
    }
    restarts++;
    if (opts.onRestart) {
      const show = Math.min(size, 4);
      opts.onRestart({
        matvecs,
        restarts,
        ritz: Array.from(theta.subarray(0, show)),
        residuals: Array.from({ length: show }, (_, i) => resid(i)),
      });
    }
    if (converged || exhausted || matvecs >= maxMatvecs) {
      const result: LanczosResult = {
        e0: theta[0],
        e1: i1 >= 0 ? theta[i1] : null,
        residuals: i1 >= 0 ? [resid(0), resid(i1)] : [resid(0)],
        converged: converged || exhausted,
        matvecs,
        restarts,
      };
      if (opts.wantVector) {
        rotateBasis(basis, size, Y, size, 1);
        const v = basis[0];
        scale(v, 1 / Math.sqrt(dot(v, v)));
        result.vector = v;
      }
      return result;
    }
    // thick restart: keep the lowest k Ritz vectors, then the residual direction
    const need = levels === 2 ? Math.max(i1, 1) + 1 : 1;
    // Few kept vectors: products are cheap next to re-orthogonalisation and the basis rotation
    // (both O(m·k) per element), so keeping ~m/2 Ritz vectors, the textbook choice, is slower here.
    k = Math.min(m - 2, Math.max(need + 1, Math.min(need + 6, Math.floor((m + need) / 2))));
    if (k < 1) k = 1;
    rotateBasis(basis, m, Y, size, k);
    const tmp = basis[k];
    basis[k] = basis[m];
    basis[m] = tmp;
    T.fill(0);
    for (let i = 0; i < k; i++) {
      T[i * m + i] = theta[i];
      const c = betaM * Y[(size - 1) * size + i];
      T[i * m + k] = c;
      T[k * m + i] = c;
    }
    j = k;
  }
}
