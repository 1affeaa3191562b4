/**
 * The transverse-field Ising chain H = −J Σ Z_i Z_{i+1} − h Σ X_i (Pauli units) solved exactly
 * by Jordan–Wigner fermions and a Bogoliubov transformation.
 *
 * After exchanging X ↔ Z (a basis rotation, same spectrum) and the Jordan–Wigner map
 * Z_i = 1 − 2 c_i†c_i, X_i X_{i+1} = (c_i† − c_i)(c_{i+1}† + c_{i+1}), the Hamiltonian is a
 * quadratic form in fermions; its eigenstates are quasiparticle occupations over a vacuum.
 *
 * Open chain (Lieb–Schultz–Mattis / Pfeuty): quasiparticle energies are 2σ_k, where σ_k are the
 * singular values of the N×N upper bidiagonal matrix with diagonal h and super-diagonal J, i.e.
 * the positive eigenvalues of the 2N×2N zero-diagonal tridiagonal Golub–Kahan matrix with
 * off-diagonal (h, J, h, J, …, h). See bidiagonalSingularValues for how they are computed in
 * O(N) from the modes' quantisation condition, with the edge mode (exponentially small for
 * |h| < |J|) kept accurate.
 * E0 = −Σ σ_k; every subset of quasiparticles is a state.
 *
 * Periodic chain: the boundary bond becomes −J·(−P)(c_N† − c_N)(c_1† + c_1) with the parity
 * P = Π Z_i = (−1)^{N_f}. Each parity sector is a translation-invariant quadratic form:
 *   P = +1 (N_f even): antiperiodic fermions, k = π(2m+1)/N;
 *   P = −1 (N_f odd):  periodic fermions,     k = 2πm/N, m = 0..N−1.
 * Per momentum, H = Σ_k (h − J cos k)(2n_k − 1) + pairing between k and −k, giving quasiparticle
 * energies ε_k = 2√(h² + J² − 2hJ cos k) and a vacuum energy −Σ_k ε_k/2. Paired modes (k ≠ −k)
 * keep the vacuum's fermion parity even; an unpaired mode (k = 0 or π) is occupied in the vacuum
 * when h − J cos k < 0. A sector whose vacuum has the wrong parity starts one (cheapest)
 * quasiparticle higher. The ground state is the lower of the two sector minima; the gap is
 * measured to the next level distinct from it, over both sectors.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';

export type ChainBoundary = 'open' | 'periodic';

export interface FreeFermionResult {
  energy: number;
  /** distance to the lowest level above E0 by more than the degeneracy tolerance (null if none) */
  gap: number | null;
  /** single-quasiparticle energies, ascending (open: 2σ_k; periodic: those of the ground sector) */
  quasiparticles: Float64Array;
}

/** Levels closer than this (relative to max(1, |E0|)) count as one, as in the Lanczos solver. */
export const DEGENERACY_TOL = 1e-9;

/**
 * The lowest excitation energy above DEGENERACY_TOL × `scale` (null if none). Excitations are
 * differences computed directly (quasiparticle energies, sums of a few), never E − E0 of two
 * O(N) totals, which would lose ~ε·|E0| (5e-7 of the gap of the critical chain at N = 10^5).
 * Their absolute errors are ~ ε·max(|J|, |h|), not ~ ε·|E0| as for a Lanczos eigenvalue, so the
 * tolerance is relative to the single-particle scale: relative to max(1, |E0|), the critical
 * chain's gap ~ π/N fell below it from N ≈ 10^5 on and the reported gap was a higher level's.
 */
function lowestExcitation(excitations: number[], scale: number): number | null {
  const thr = DEGENERACY_TOL * scale;
  let best: number | null = null;
  for (const e of excitations) if (e > thr && (best === null || e < best)) best = e;
  return best;
}

/** Σ values with Neumaier's compensated summation (error ~ ε·Σ|v|, independent of the count). */
function compensatedSum(values: ArrayLike<number>): number {
  let sum = 0;
  let c = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = sum + v;
    c += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + c;
}

/** Number of eigenvalues below x of the symmetric tridiagonal with zero diagonal and off-diagonal e. */
function sturmCountZeroDiagonal(e: Float64Array, size: number, x: number): number {
  let count = 0;
  let q = -x;
  if (q < 0) count++;
  for (let i = 1; i < size; i++) {
    if (q === 0) q = -1e-300;
    q = -x - (e[i - 1] * e[i - 1]) / q;
    if (q < 0) count++;
  }
  return count;
}

/**
 * The smallest singular value of the bidiagonal (a, b) below `hi` (the next one), by bisection
 * with Sturm counts on the Golub–Kahan matrix: geometric bisection while the bracket spans more
 * than a factor 2 (σ ~ (a/b)^N can be 1e-300), then arithmetic bisection to the last bits.
 * O(N) per step, about 60 + 52 steps.
 */
function edgeMode(n: number, a: number, b: number, hi: number): number {
  const size = 2 * n;
  const gk = new Float64Array(size);
  for (let i = 0; i < size - 1; i++) gk[i] = i % 2 === 0 ? a : b;
  const below = (x: number): number => sturmCountZeroDiagonal(gk, size, x) - n; // #(σ < x), x > 0
  let lo = 1e-300;
  if (below(lo) > 0) return 0; // zero for every purpose
  for (let it = 0; it < 400 && hi - lo > 2e-16 * hi; it++) {
    const mid = hi > 2 * lo ? Math.sqrt(lo * hi) : 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (below(mid) > 0) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Singular values (ascending) of the upper bidiagonal N×N matrix B with diagonal h and
 * super-diagonal J, in O(N) (plus O(N) per bisection step for one edge mode).
 *
 * Signs drop out (B → D₁BD₂ with diagonal ±1), so take a = |h|, b = |J|. BᵀB is tridiagonal with
 * diagonal (a², a² + b², …, a² + b²) and off-diagonal ab: a uniform chain except for its first
 * entry. The bulk ansatz v_n = sin(k(N+1−n)) satisfies the last row; the first row requires
 * a·sin((N+1)k) + b·sin(Nk) = 0 (Lieb, Schultz & Mattis, Ann. Phys. 16, 407 (1961); Pfeuty,
 * Ann. Phys. 57, 79 (1970)). With q = π − k the condition is
 *
 *     g(q) = a·sin((N+1)q) − b·sin(Nq) = 0,   σ(q)² = (a − b)² + 4ab·sin²(q/2),
 *
 * a sum of two non-negative terms, so small σ (the bottom of a critical band) keep full relative
 * accuracy. g has opposite signs at q = mπ/N and (m+1)π/(N+1) (m = 1 … N−1): one root in each,
 * found by bisection to the last bit. The N-th mode lies in (0, π/(N+1)) when a(N+1) > bN;
 * otherwise (the ordered side, a < b·N/(N+1)) q is imaginary: the edge mode, σ ~ (a/b)^N, found by
 * bisection with Sturm counts on the 2N×2N Golub–Kahan matrix [[0, B], [Bᵀ, 0]] (zero diagonal,
 * off-diagonal a, b, a, …, a; eigenvalues ±σ), accurate for tiny σ. σ(q) increases with q, so
 * the roots come out sorted. (Replaces an O(N²) QL on BᵀB: N = 100,000 took minutes.)
 */
export function bidiagonalSingularValues(n: number, J: number, h: number): Float64Array {
  const s = new Float64Array(n);
  const scaleB = Math.max(Math.abs(J), Math.abs(h));
  if (scaleB === 0) return s;
  const a = Math.abs(h) / scaleB;
  const b = Math.abs(J) / scaleB;
  if (b === 0 || n === 1) {
    s.fill(a * scaleB);
    return s;
  }
  if (a === 0) {
    // zero diagonal: B has rank N − 1
    for (let i = 1; i < n; i++) s[i] = b * scaleB;
    return s;
  }
  const g = (q: number): number => a * Math.sin((n + 1) * q) - b * Math.sin(n * q);
  const dg = (q: number): number => a * (n + 1) * Math.cos((n + 1) * q) - b * n * Math.cos(n * q);
  const sigma = (q: number): number => {
    const t = Math.sin(q / 2);
    return Math.sqrt((a - b) * (a - b) + 4 * a * b * t * t);
  };
  // The root of g in (lo, hi), where g has the sign `up` (true: positive) just above lo and the
  // opposite sign at hi: Newton steps, bisection whenever a step leaves the bracket.
  const root = (lo: number, hi: number, up: boolean): number => {
    let x = 0.5 * (lo + hi);
    for (let it = 0; it < 200; it++) {
      const gx = g(x);
      if (gx === 0) return x;
      if (gx > 0 === up) lo = x;
      else hi = x;
      let next = x - gx / dg(x);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - x) <= 2e-16 * x || next <= lo || next >= hi) return next;
      x = next;
    }
    return x;
  };
  let k = 0;
  const bulkFirst = a * (n + 1) > b * n;
  // g(0) = 0 trivially (v = 0); g > 0 just above 0 when g'(0) = a(N+1) − bN > 0
  if (bulkFirst) s[k++] = sigma(root(0, Math.PI / (n + 1), true));
  else k = 1; // the edge mode goes in s[0], below
  // g(mπ/N) has the sign (−1)^m
  for (let m = 1; m < n; m++) s[k++] = sigma(root((m * Math.PI) / n, ((m + 1) * Math.PI) / (n + 1), m % 2 === 0));
  if (!bulkFirst) s[0] = edgeMode(n, a, b, s[1]);
  for (let i = 0; i < n; i++) s[i] *= scaleB;
  return s;
}

/** The three smallest values (ascending; fewer if there are fewer), in one pass. */
function smallestThree(v: number[]): number[] {
  const out: number[] = [];
  for (const x of v) {
    if (out.length < 3) out.push(x);
    else if (x < out[2]) out[2] = x;
    else continue;
    out.sort((p, q) => p - q);
  }
  return out;
}

/**
 * Lowest few levels of one parity sector of the periodic chain, relative to its vacuum energy:
 * the vacuum and two-quasiparticle states when the vacuum has the sector's parity, else the
 * one-quasiparticle states.
 */
function sectorLevels(eps: number[], vacuumParity: number, parity: number): number[] {
  const s = smallestThree(eps);
  const out: number[] = [];
  if (vacuumParity === parity) {
    out.push(0);
    if (s.length >= 2) out.push(s[0] + s[1]);
    if (s.length >= 3) out.push(s[0] + s[2]);
  } else {
    for (const e of s) out.push(e);
  }
  return out;
}

/** Ground energy (and gap) of H = −J Σ Z_i Z_{i+1} − h Σ X_i on an N-site chain. */
export function tfimChain(n: number, J: number, h: number, bc: ChainBoundary): FreeFermionResult {
  if (!Number.isInteger(n) || n < 1) throw new Error(`tfimChain: N must be a positive integer, got ${n}`);
  const scale = Math.max(Math.abs(J), Math.abs(h), Number.MIN_VALUE);
  if (bc === 'open' || n < 3) {
    // N = 2 periodic has a single bond (the lattice does not double-count it): the open chain
    const sigma = bidiagonalSingularValues(n, J, h);
    const e0 = -compensatedSum(sigma);
    const qp = Float64Array.from(sigma, (x) => 2 * x);
    return { energy: e0, gap: lowestExcitation(Array.from(qp.subarray(0, 4)), scale), quasiparticles: qp };
  }
  const eps: number[][] = [];
  const vac: number[] = [];
  for (const parity of [0, 1]) {
    // parity 0: N_f even, antiperiodic momenta; parity 1: N_f odd, periodic momenta
    const e: number[] = [];
    let v = 0;
    for (let m = 0; m < n; m++) {
      const k = parity === 0 ? (Math.PI * (2 * m + 1)) / n : (2 * Math.PI * m) / n;
      const unpaired = parity === 0 ? 2 * m + 1 === n : m === 0 || 2 * m === n;
      if (unpaired) {
        const a = h - J * (m === 0 ? 1 : -1);
        e.push(2 * Math.abs(a));
        if (a < 0) v ^= 1;
      } else {
        // h² + J² − 2hJ cos k as a sum of two non-negative terms (no cancellation near a
        // critical point): (h − J)² + 4hJ sin²(k/2) when hJ ≥ 0, (h + J)² − 4hJ cos²(k/2) otherwise
        const t = h * J >= 0 ? Math.sin(k / 2) : Math.cos(k / 2);
        e.push(2 * Math.sqrt(h * J >= 0 ? (h - J) * (h - J) + 4 * h * J * t * t : (h + J) * (h + J) - 4 * h * J * t * t));
      }
    }
    eps.push(e);
    vac.push(v);
  }
  // vacuum energies −Σε/2; their difference summed term by term (terms ~ 1/N), so that the
  // parity splitting keeps its accuracy when it is tiny
  const vacuum0 = -0.5 * compensatedSum(eps[0]);
  const split = -0.5 * compensatedSum(eps[1].map((x, m) => x - eps[0][m]));
  const even = sectorLevels(eps[0], vac[0], 0);
  const odd = sectorLevels(eps[1], vac[1], 1).map((x) => x + split);
  const levels = [...even, ...odd];
  const low = Math.min(...levels);
  const groundSector = even[0] <= odd[0] ? 0 : 1;
  return {
    energy: vacuum0 + low,
    gap: lowestExcitation(levels.map((x) => x - low), scale),
    quasiparticles: Float64Array.from(eps[groundSector]).sort(),
  };
}

export interface TfimChainStructure {
  nSites: number;
  J: number;
  h: number;
  bc: ChainBoundary;
  /** constant energy offset (diagonal terms without sites) */
  offset: number;
}

/**
 * Recognises a compiled operator that is exactly −J Σ Z_i Z_{i+1} − h Σ X_i on the chain
 * 0–1–…–(N−1) (open) or the ring (periodic), plus an optional constant: diagonal terms only
 * uniform nearest-neighbour ZZ, flip groups only single-site X with a uniform real coefficient.
 * Returns null for anything else (fields along Z or Y, other bonds, non-uniform couplings).
 */
export function detectTfimChain(op: CompiledHamiltonian): TfimChainStructure | null {
  const n = op.nSites;
  let offset = 0;
  const bond = new Map<string, number>();
  for (const t of op.diagonal) {
    if ((t.coefIm ?? 0) !== 0) return null;
    if (t.signSites.length === 0) offset += t.coefRe;
    else if (t.signSites.length === 2) {
      const [a, b] = [...t.signSites].sort((x, y) => x - y);
      const key = `${a},${b}`;
      bond.set(key, (bond.get(key) ?? 0) + t.coefRe);
    } else if (t.coefRe !== 0) return null;
  }
  for (const [key, c] of bond) if (c === 0) bond.delete(key);
  const coefs = [...bond.values()];
  const J = coefs.length > 0 ? -coefs[0] : 0;
  const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-14 * Math.max(1, Math.abs(a), Math.abs(b));
  if (!coefs.every((c) => same(c, -J))) return null;
  let bc: ChainBoundary = 'open';
  if (bond.size > 0) {
    for (let i = 0; i + 1 < n; i++) if (!bond.has(`${i},${i + 1}`)) return null;
    if (bond.size === n && n >= 3 && bond.has(`0,${n - 1}`)) bc = 'periodic';
    else if (bond.size !== n - 1) return null;
  }
  const field = new Float64Array(n);
  const seen = new Uint8Array(n);
  for (const g of op.groups) {
    if (g.flipSites.length !== 1) return null;
    const s = g.flipSites[0];
    for (const t of g.terms) {
      if ((t.coefIm ?? 0) !== 0 || t.signSites.length !== 0) return null;
      field[s] += t.coefRe;
    }
    seen[s] = 1;
  }
  const h = op.groups.length > 0 ? -field[op.groups[0].flipSites[0]] : 0;
  if (op.groups.length > 0) {
    for (let s = 0; s < n; s++) if (!seen[s] || !same(field[s], -h)) return null;
  }
  return { nSites: n, J, h, bc, offset };
}
