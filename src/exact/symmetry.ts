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
 * - Site permutations (lattice symmetries): a permutation U_g of the sites (|x⟩ → |g·x⟩) maps
 *   Z^S X^m to Z^{g(S)} X^{g(m)} (the order Z-before-X on a site is kept), so [H, U_g] = 0 exactly
 *   when the collected strings are invariant under relabelling the sites by g.
 *
 * Coefficients count as zero below 1e-12 × the largest |coefficient|. Strings are keyed by their
 * sorted site lists, so any number of sites works.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';

export interface SectorSymmetries {
  /** H commutes with the total spin S² (checked as [H, Σ X_j] = 0 given S^z conservation) */
  totalSpin: boolean;
  /** H commutes with the global spin flip Π X_j */
  spinFlip: boolean;
}

/** One Pauli string c·Z^S X^m of the collected operator (S, m sorted site lists). */
interface PauliString {
  s: number[];
  m: number[];
  re: number;
  im: number;
}

function stringKey(s: readonly number[], m: readonly number[]): string {
  return `${s.join(',')}|${m.join(',')}`;
}

/** The operator as Σ c·Z^S X^m, keyed by "S|m", with complex coefficients (cancellations summed). */
function pauliContent(h: CompiledHamiltonian): Map<string, PauliString> {
  const out = new Map<string, PauliString>();
  const add = (s: number[], m: number[], re: number, im: number): void => {
    const key = stringKey(s, m);
    const e = out.get(key);
    if (e) {
      e.re += re;
      e.im += im;
    } else out.set(key, { s, m, re, im });
  };
  const sorted = (sites: readonly number[]): number[] => [...sites].sort((a, b) => a - b);
  for (const t of h.diagonal) add(sorted(t.signSites), [], t.coefRe, t.coefIm ?? 0);
  for (const g of h.groups) {
    const m = sorted(g.flipSites);
    for (const t of g.terms) add(sorted(t.signSites), m, t.coefRe, t.coefIm ?? 0);
  }
  return out;
}

/** The strings whose coefficient is not zero (relative to the largest), and that tolerance. */
function nonZeroStrings(h: CompiledHamiltonian): { strings: PauliString[]; tol: number } {
  const all = [...pauliContent(h).values()];
  let scale = 0;
  for (const t of all) scale = Math.max(scale, Math.hypot(t.re, t.im));
  const tol = 1e-12 * Math.max(scale, 1e-300);
  return { strings: all.filter((t) => Math.hypot(t.re, t.im) > tol), tol };
}

export function sectorSymmetries(h: CompiledHamiltonian): SectorSymmetries {
  const { strings, tol } = nonZeroStrings(h);
  let spinFlip = true;
  const commutator = new Map<string, { re: number; im: number }>();
  for (const t of strings) {
    for (const j of t.s) {
      // X^{m ⊕ j}: j toggled in the sorted flip list
      const m = t.m.includes(j) ? t.m.filter((v) => v !== j) : [...t.m, j].sort((a, b) => a - b);
      const key = stringKey(t.s, m);
      const e = commutator.get(key) ?? { re: 0, im: 0 };
      e.re += 2 * t.re;
      e.im += 2 * t.im;
      commutator.set(key, e);
    }
    if (t.s.length % 2 === 1) spinFlip = false;
  }
  const totalSpin = h.conservesSz && [...commutator.values()].every((e) => Math.hypot(e.re, e.im) <= 2 * tol);
  return { totalSpin, spinFlip };
}

/**
 * Whether H commutes with the site permutation `perm` (perm[s] = g(s)); when it does not, one
 * Pauli string of H whose image under g is missing from H (or has another coefficient), as text.
 */
export function permutationProblem(h: CompiledHamiltonian, perm: readonly number[]): string | null {
  if (perm.length !== h.nSites) throw new Error(`permutationProblem: a permutation of ${h.nSites} sites expected, got ${perm.length}`);
  const { strings, tol } = nonZeroStrings(h);
  const byKey = new Map(strings.map((t) => [stringKey(t.s, t.m), t]));
  const image = (sites: number[]): number[] => sites.map((s) => perm[s]).sort((a, b) => a - b);
  for (const t of strings) {
    const u = byKey.get(stringKey(image(t.s), image(t.m)));
    if (!u || Math.hypot(u.re - t.re, u.im - t.im) > 2 * tol) {
      const img = pauliText({ ...t, s: image(t.s), m: image(t.m) });
      return `${pauliText(t)} maps to ${img}, but H ${u ? `has ${pauliText(u)}` : 'has no such term'}`;
    }
  }
  return null;
}

function pauliText(t: PauliString): string {
  const ops: string[] = [];
  for (const s of t.s) ops.push(`Z${s}`);
  for (const s of t.m) ops.push(`X${s}`);
  const num = (v: number) => String(Number(v.toPrecision(6)));
  const c = t.im === 0 ? num(t.re) : `(${num(t.re)}${t.im < 0 ? '' : '+'}${num(t.im)}i)`;
  return ops.length === 0 ? c : `${c}·${ops.join('·')}`;
}
