/**
 * What an exact solve of one S^z sector will cost, before anything is allocated: the memory of
 * the basis, the diagonal, the Lanczos vectors and the stored sparse matrix, and a rough time.
 * The same sizing rules (Krylov basis size, when the sparse matrix is stored) are used by the
 * solver itself (index.ts), so the estimate describes what will actually be allocated.
 *
 * Time model: seconds ≈ products × dim × (SPARSE_NS·(entries per row + 1) + ORTHO_NS·(Krylov
 * size)) · 1e-9, plus the matrix build (~ 2 products); products ≈ 20 + 4N. Re-orthogonalisation
 * dominates (a stored-matrix product costs ~65 ns per state, a Lanczos step with 30–40 vectors
 * ~500 ns). Calibrated on the shared 2-core EPYC at load average ~10 (so pessimistic for a quiet
 * machine): open Heisenberg chains N = 20 (184,756 states, 72 products, 9.9 s measured vs 12 s
 * estimated) and N = 22 (705,432 states, 88 products, 40 s vs 37 s); XXZ sectors took ~170
 * products. Open Heisenberg chain N = 26 (10,400,600 states, `vmc exact --model heisenberg --n 26`):
 * 108 products, 229 s of CPU (31 min wall: the process got 12% of a core on the shared machine),
 * peak RSS 4.09 GiB against the 3.91 GiB estimated for the arrays, 6.3 min estimated.
 * It is meant to tell "seconds" from "minutes" from "hours", not more.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { binomial, sectorDimension } from './sector.js';

/** memory for the Krylov basis before it is shrunk below 40 vectors */
export const KRYLOV_BUDGET_BYTES = 4 * 2 ** 30;
/** memory for storing the sparse matrix (beyond it, products are computed on the fly) */
export const SPARSE_BUDGET_BYTES = 4 * 2 ** 30;

/** ns per stored matrix element in a product (gather, random access into v) */
const SPARSE_NS = 5;
/** ns per flip group and row when products are computed on the fly */
const ON_THE_FLY_NS = 12;
/** ns per Krylov vector and vector element (re-orthogonalisation, restarts) */
const ORTHO_NS = 8;

/** Krylov basis size of the Lanczos solver for a space of `dim` states. */
export function krylovSize(dim: number, complex: boolean): number {
  const bytesPerVector = 8 * dim * (complex ? 2 : 1);
  // 40 vectors for small spaces; fewer for large ones, where re-orthogonalisation dominates
  const krylovMax = dim > 500_000 ? 28 : 40;
  return Math.max(12, Math.min(krylovMax, Math.floor(KRYLOV_BUDGET_BYTES / bytesPerVector) - 1));
}

/**
 * Off-diagonal elements the sector can have (the first pass of SectorOperator.store, counted
 * combinatorially): a flip of k sites stays in the sector when k/2 of them are up, in
 * C(k, k/2)·C(N − k, nUp − k/2) of its states.
 */
export function offDiagonalBound(h: CompiledHamiltonian, nUp: number | null): number {
  const n = h.nSites;
  let bound = 0;
  for (const g of h.groups) {
    if (g.terms.length === 0) continue;
    const k = g.flipSites.length;
    if (nUp === null) bound += 2 ** n;
    else if (k % 2 === 0) bound += binomial(k, k / 2) * binomial(n - k, nUp - k / 2);
  }
  return bound;
}

export interface SectorCost {
  nUp: number | null;
  dimension: number;
  /** 'diagonal': a diagonal operator, scanned */
  method: 'dense' | 'lanczos' | 'diagonal';
  /** Krylov vectors held (Lanczos) */
  krylov: number;
  /** whether the sparse matrix will be stored (else products are computed on the fly) */
  storedMatrix: boolean;
  bytes: { basis: number; diagonal: number; vectors: number; matrix: number; dense: number; total: number };
  seconds: number;
}

export function sectorCost(
  h: CompiledHamiltonian,
  nUp: number | null,
  method: 'dense' | 'lanczos' | 'diagonal',
  complex: boolean,
  wantVector: boolean,
): SectorCost {
  const n = h.nSites;
  const dim = sectorDimension(n, nUp);
  const lo = n >> 1;
  const basis = nUp === null ? 0 : 4 * dim + 4 * (2 ** lo + 2 ** (n - lo));
  const diagonal = 8 * dim;
  const width = complex ? 2 : 1;
  if (method === 'diagonal') {
    const total = basis + diagonal + (wantVector ? 20 * dim : 0);
    return {
      nUp, dimension: dim, method, krylov: 0, storedMatrix: false,
      bytes: { basis, diagonal, vectors: 0, matrix: 0, dense: 0, total },
      seconds: 2e-8 * dim * (h.diagonal.length + 1),
    };
  }
  if (method === 'dense') {
    // toDense (re, im), then symmetricEigen's copy; complex: the 2n real embedding and its copy
    const dense = 16 * dim * dim + (complex ? 2 * 8 * 4 * dim * dim : 8 * dim * dim) + (wantVector ? 16 * dim : 0);
    const secs = (complex ? 8 : 1) * 3e-9 * dim ** 3;
    return {
      nUp, dimension: dim, method, krylov: 0, storedMatrix: false,
      bytes: { basis, diagonal, vectors: 0, matrix: 0, dense, total: basis + diagonal + dense },
      seconds: secs,
    };
  }
  const krylov = krylovSize(dim, complex);
  // the basis grows to krylov + 1 vectors (+ the returned ground vector and its basis copy)
  const vectors = (krylov + 1) * 8 * dim * width + (wantVector ? 8 * dim * 2 + 4 * dim : 0);
  const bound = offDiagonalBound(h, nUp);
  const perEntry = 4 + 8 * width;
  const matrixBytes = 4 * (dim + 1) + bound * perEntry;
  const storedMatrix = bound <= 0xffffffff && matrixBytes <= SPARSE_BUDGET_BYTES;
  const matrix = storedMatrix ? matrixBytes : 0;
  const perRow = dim > 0 ? bound / dim : 0;
  const groups = h.groups.filter((g) => g.terms.length > 0).length;
  const productNs = storedMatrix ? SPARSE_NS * (perRow + 1) * width : ON_THE_FLY_NS * (groups + 1) * width;
  const products = 20 + 4 * n;
  const seconds = 1e-9 * dim * ((products + (storedMatrix ? 2 : 0)) * productNs + products * ORTHO_NS * krylov * width);
  const total = basis + diagonal + vectors + matrix;
  return { nUp, dimension: dim, method, krylov, storedMatrix, bytes: { basis, diagonal, vectors, matrix, dense: 0, total }, seconds };
}

/** "1.23 GiB", "456 MiB", "12 KiB" */
export function formatBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(0)} MiB`;
  return `${Math.max(1, Math.round(b / 2 ** 10))} KiB`;
}

/** "0.4 s", "3 min", "2.1 h" */
export function formatSeconds(s: number): string {
  if (s < 90) return `${s < 10 ? s.toFixed(1) : s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
