/**
 * Dense symmetric eigensolvers for small matrices: Householder reduction to tridiagonal form
 * followed by the implicit QL algorithm with Wilkinson-type shifts (the classic EISPACK
 * tred2/tql2 pair). A complex Hermitian matrix A + iB is handled through its real symmetric
 * embedding [[A, −B], [B, A]], whose spectrum is that of A + iB with every level doubled; an
 * eigenvector (u, w) of the embedding gives the eigenvector u + iw.
 *
 * Used for small spaces (the fallback below the Lanczos threshold, tests) and for the small
 * projected matrices inside Lanczos. Cost O(n³): n ≈ 1000 takes about a second.
 */

export interface SymmetricEigen {
  /** eigenvalues in ascending order */
  values: Float64Array;
  /** eigenvectors as columns, row-major n×n (vectors[i*n + k] = component i of vector k) */
  vectors: Float64Array | null;
}

/**
 * Eigenvalues (and optionally eigenvectors) of the real symmetric n×n matrix `a` (row-major; only
 * read, never modified).
 */
export function symmetricEigen(a: Float64Array, n: number, wantVectors = false): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} entries, got ${a.length}`);
  const V = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: wantVectors ? V : null };
  tred2(V, d, e, n, wantVectors);
  tql2(V, d, e, n, wantVectors);
  // V now holds the eigenvectors as rows; sort ascending (selection sort: n is small)
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      if (wantVectors) {
        for (let r = 0; r < n; r++) {
          const t = V[i * n + r];
          V[i * n + r] = V[k * n + r];
          V[k * n + r] = t;
        }
      }
    }
  }
  if (!wantVectors) return { values: d, vectors: null };
  // columns = vectors in the returned layout
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const t = V[i * n + j];
      V[i * n + j] = V[j * n + i];
      V[j * n + i] = t;
    }
  }
  return { values: d, vectors: V };
}

/**
 * Householder tridiagonalisation in place: d = diagonal, e[1..] = sub-diagonal. EISPACK's tred2
 * with the storage transposed (V[b·n + a] holds its V(a, b)), so that the O(n³) inner loops run
 * along rows; on return the rows of V are the transformation's columns.
 */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, accumulate: boolean): void {
  for (let j = 0; j < n; j++) d[j] = V[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[j * n + i - 1];
        V[j * n + i] = 0;
        V[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[i * n + j] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = V[j * n + k];
          g += vkj * d[k];
          e[k] += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[j * n + k] -= f * e[k] + g * d[k];
        d[j] = V[j * n + i - 1];
        V[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  if (!accumulate) {
    for (let i = 0; i < n; i++) d[i] = V[i * n + i];
    e[0] = 0;
    return;
  }
  for (let i = 0; i < n - 1; i++) {
    V[i * n + n - 1] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[(i + 1) * n + k] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[(i + 1) * n + k] * V[j * n + k];
        for (let k = 0; k <= i; k++) V[j * n + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[j * n + n - 1];
    V[j * n + n - 1] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e[1..]); rotations are applied to V when `vectors`. */
function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, vectors: boolean): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  tridiagonalQL(d, e, n, vectors ? V : null);
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix with diagonal d[0..n) and off-diagonal
 * e[0..n−1) (e[i] couples i and i+1; e[n−1] is ignored), by implicit QL. Overwrites d with the
 * eigenvalues (unsorted) and destroys e. When V (n×n, row-major, one vector per row) is given,
 * the rotations are accumulated into its rows (contiguous in memory). O(n²) without vectors.
 */
export function tridiagonalQL(d: Float64Array, e: Float64Array, n: number, V: Float64Array | null = null): void {
  if (n === 0) return;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 200) throw new Error('tridiagonal QL did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.sqrt(p * p + e[i] * e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (V !== null) {
            const r0 = i * n;
            const r1 = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              const hk = V[r1 + k];
              V[r1 + k] = s * V[r0 + k] + c * hk;
              V[r0 + k] = c * V[r0 + k] - s * hk;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
}

export interface HermitianEigen {
  /** eigenvalues ascending, each level once (the embedding's doubling removed) */
  values: Float64Array;
  /** ground-state vector (re, im) when asked for */
  ground: { re: Float64Array; im: Float64Array } | null;
}

/**
 * Eigenvalues of the Hermitian matrix re + i·im (row-major n×n) via the 2n real embedding; when
 * `im` is null or all zero the real solver is used directly. Optionally the ground-state vector.
 */
export function hermitianEigen(re: Float64Array, im: Float64Array | null, n: number, wantGround = false): HermitianEigen {
  const isComplex = im !== null && im.some((v) => v !== 0);
  if (!isComplex) {
    const r = symmetricEigen(re, n, wantGround);
    let ground: HermitianEigen['ground'] = null;
    if (wantGround && r.vectors) {
      const g = new Float64Array(n);
      for (let i = 0; i < n; i++) g[i] = r.vectors[i * n];
      ground = { re: g, im: new Float64Array(n) };
    }
    return { values: r.values, ground };
  }
  const n2 = 2 * n;
  const big = new Float64Array(n2 * n2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = re[i * n + j];
      const b = im![i * n + j];
      big[i * n2 + j] = a;
      big[(i + n) * n2 + j + n] = a;
      big[i * n2 + j + n] = -b;
      big[(i + n) * n2 + j] = b;
    }
  }
  const r = symmetricEigen(big, n2, wantGround);
  // every level appears twice (u, w) and (−w, u): keep every other one
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) values[k] = r.values[2 * k];
  let ground: HermitianEigen['ground'] = null;
  if (wantGround && r.vectors) {
    const gr = new Float64Array(n);
    const gi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      gr[i] = r.vectors[i * n2];
      gi[i] = r.vectors[(i + n) * n2];
    }
    ground = { re: gr, im: gi };
  }
  return { values, ground };
}
