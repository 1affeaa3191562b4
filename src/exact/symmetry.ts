/**
 * Symmetries of a compiled S^z-conserving Hamiltonian that decide which S^z sectors an exact
 * solve must visit, read off its Pauli-string content (exact algebra, no diagonalisation).
 *
 * A compiled term with coefficient c, sign sites S and flip sites m is the operator c·Z^S X^m
 * (Z^S = Π_{s∈S} Z_s acting after X^m = Π_{s∈m} X_s): ⟨x|Z^S X^m|x ⊕ m⟩ = Π_{s∈S} σ_s(x), the row
 * convention of src/hamiltonian/types.ts. Terms are collected by (S, m) so that cancellations
 * between terms are seen.
 *
 * - Total spin. With [H, S^z] = 0 (the model conserves S^z), [H, S^x] = 0 implies
 *   [H, S^y] = 0 by the Jacobi identity ([S^z, S^x] = iS^y), so H commutes with S² and every
 *   multiplet has a member at S^z = 0 (N even) or S^z = ±1/2 (N odd). Since Z_j X_j = −X_j Z_j,
 *   [Z^S X^m, X_j] = 2·Z^S X^{m⊕j} when j ∈ S and 0 otherwise, so
 *   [H, Σ_j X_j] = 2 Σ_terms c Σ_{j∈S} Z^S X^{m⊕j}, which must vanish string by string.
 *   (Isotropic bonds X_iX_j + Y_iY_j + Z_iZ_j pass; XXZ with Δ ≠ 1 or a field along z fails.)
 * - Spin flip F = Π_j X_j: F Z^S X^m F = (−1)^{|S|} Z^S X^m, so H is flip-symmetric when every
 *   collected string with an odd number of sign sites has coefficient zero. Then F maps the
 *   sector with n up spins onto the one with N − n, with the same spectrum.
 *
 * Coefficients count as zero below 1e-12 × the largest |coefficient|.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { MAX_SITES } from './sector.js';

export interface SectorSymmetries {
  /** H commutes with the total spin S² (checked as [H, Σ X_j] = 0 given S^z conservation) */
  totalSpin: boolean;
  /** H commutes with the global spin flip Π X_j */
  spinFlip: boolean;
}

function mask(sites: readonly number[]): number {
  let m = 0;
  for (const s of sites) m |= 1 << s;
  return m >>> 0;
}

/** The operator as Σ c·Z^S X^m, keyed by "S,m" (bit masks), with complex coefficients. */
function pauliContent(h: CompiledHamiltonian): Map<string, { s: number; m: number; re: number; im: number }> {
  const out = new Map<string, { s: number; m: number; re: number; im: number }>();
  const add = (s: number, m: number, re: number, im: number): void => {
    const key = `${s},${m}`;
    const e = out.get(key);
    if (e) {
      e.re += re;
      e.im += im;
    } else out.set(key, { s, m, re, im });
  };
  for (const t of h.diagonal) add(mask(t.signSites), 0, t.coefRe, t.coefIm ?? 0);
  for (const g of h.groups) {
    const m = mask(g.flipSites);
    for (const t of g.terms) add(mask(t.signSites), m, t.coefRe, t.coefIm ?? 0);
  }
  return out;
}

export function sectorSymmetries(h: CompiledHamiltonian): SectorSymmetries {
  if (h.nSites > MAX_SITES) throw new Error(`sectorSymmetries: at most ${MAX_SITES} sites (bit masks), got ${h.nSites}`);
  const terms = pauliContent(h);
  let scale = 0;
  for (const t of terms.values()) scale = Math.max(scale, Math.hypot(t.re, t.im));
  const tol = 1e-12 * Math.max(scale, 1e-300);
  let spinFlip = true;
  const commutator = new Map<string, { re: number; im: number }>();
  for (const t of terms.values()) {
    if (Math.hypot(t.re, t.im) <= tol) continue;
    let s = t.s;
    let bits = 0;
    while (s !== 0) {
      const j = 31 - Math.clz32(s);
      s &= ~(1 << j);
      bits++;
      const key = `${t.s},${(t.m ^ (1 << j)) >>> 0}`;
      const e = commutator.get(key) ?? { re: 0, im: 0 };
      e.re += 2 * t.re;
      e.im += 2 * t.im;
      commutator.set(key, e);
    }
    if (bits % 2 === 1) spinFlip = false;
  }
  const totalSpin = h.conservesSz && [...commutator.values()].every((e) => Math.hypot(e.re, e.im) <= 2 * tol);
  return { totalSpin, spinFlip };
}
