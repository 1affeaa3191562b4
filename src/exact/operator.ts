/**
 * A compiled Hamiltonian restricted to a basis, as a matrix-free operator for exact
 * diagonalisation.
 *
 * Row convention (src/hamiltonian/types.ts): ⟨x|H|x⟩ = Σ_diag c·Π σ and
 * ⟨x|H|x ⊕ m_g⟩ = Σ_{t ∈ g} c_t·Π_{s ∈ S_t} σ_s(x), with σ_s = 2x_s − 1. With integer masks,
 * Π_{s∈S} σ_s(x) = (−1)^{|S|}·(−1)^{popcount(x & S)}; the (−1)^{|S|} is folded into the stored
 * coefficient, so each term costs one AND and one parity.
 *
 * Products are computed row by row (gather): (Hv)[x] = Σ_y ⟨x|H|y⟩ v[y], which touches each
 * output once and needs no atomics. Complex vectors are interleaved (re, im) pairs.
 */
import type { CompiledHamiltonian, CompiledTerm } from '../hamiltonian/types.js';
import { Basis, parity, popcount } from './sector.js';

function maskOf(sites: readonly number[]): number {
  let m = 0;
  for (const s of sites) m |= 1 << s;
  return m >>> 0;
}

/** Coefficient with the (−1)^{|S|} of σ = 2x − 1 folded in. */
function foldedCoef(t: CompiledTerm): [number, number] {
  const sgn = t.signSites.length % 2 === 0 ? 1 : -1;
  return [sgn * t.coefRe, sgn * (t.coefIm ?? 0)];
}

export class SectorOperator {
  readonly basis: Basis;
  readonly dim: number;
  /** true when some off-diagonal element has a non-zero imaginary part */
  readonly complex: boolean;
  /** ⟨x|H|x⟩ for every basis state */
  readonly diag: Float64Array;
  private readonly gMask: Int32Array;
  /** popcount(m)/2 (the up spins a conserving flip must find under the mask), −1 if odd */
  private readonly gHalf: Int32Array;
  private readonly tStart: Int32Array;
  private readonly tMask: Int32Array;
  private readonly tRe: Float64Array;
  private readonly tIm: Float64Array;

  constructor(h: CompiledHamiltonian, basis: Basis) {
    if (h.nSites !== basis.nSites) {
      throw new Error(`the Hamiltonian has ${h.nSites} sites but the basis ${basis.nSites}`);
    }
    this.basis = basis;
    this.dim = basis.dim;
    const groups = h.groups.filter((g) => g.terms.length > 0);
    const G = groups.length;
    this.gMask = new Int32Array(G);
    this.gHalf = new Int32Array(G);
    this.tStart = new Int32Array(G + 1);
    const nTerms = groups.reduce((a, g) => a + g.terms.length, 0);
    this.tMask = new Int32Array(nTerms);
    this.tRe = new Float64Array(nTerms);
    this.tIm = new Float64Array(nTerms);
    let k = 0;
    let complex = false;
    groups.forEach((g, gi) => {
      const m = maskOf(g.flipSites);
      this.gMask[gi] = m | 0;
      const pc = popcount(m);
      this.gHalf[gi] = pc % 2 === 0 ? pc / 2 : -1;
      this.tStart[gi] = k;
      for (const t of g.terms) {
        const [re, im] = foldedCoef(t);
        this.tMask[k] = maskOf(t.signSites) | 0;
        this.tRe[k] = re;
        this.tIm[k] = im;
        if (im !== 0) complex = true;
        k++;
      }
    });
    this.tStart[G] = k;
    this.complex = complex;

    // diagonal energies
    const dMask = h.diagonal.map((t) => maskOf(t.signSites));
    const dCoef = h.diagonal.map((t) => foldedCoef(t)[0]);
    const nd = dMask.length;
    const diag = new Float64Array(this.dim);
    for (let i = 0; i < this.dim; i++) {
      const x = basis.state(i);
      let e = 0;
      for (let t = 0; t < nd; t++) e += parity(x & dMask[t]) ? -dCoef[t] : dCoef[t];
      diag[i] = e;
    }
    this.diag = diag;
  }

  /** true when the operator has no off-diagonal elements */
  get diagonalOnly(): boolean {
    return this.gMask.length === 0;
  }

  /** Length of a vector in this operator's space (2·dim when complex: interleaved re, im). */
  get vectorLength(): number {
    return this.complex ? 2 * this.dim : this.dim;
  }

  /** out = H·v over rows [r0, r1) (whole space by default). */
  apply(v: Float64Array, out: Float64Array, r0 = 0, r1 = this.dim): void {
    if (this.csr) this.applySparse(v, out, r0, r1);
    else if (this.complex) this.applyComplex(v, out, r0, r1);
    else this.applyReal(v, out, r0, r1);
  }

  private csr: { rowStart: Uint32Array; col: Uint32Array; re: Float64Array; im: Float64Array | null } | null = null;

  /** Bytes the stored sparse matrix takes (0 when products are computed on the fly). */
  get storedBytes(): number {
    if (!this.csr) return 0;
    const c = this.csr;
    return c.rowStart.byteLength + c.col.byteLength + c.re.byteLength + (c.im ? c.im.byteLength : 0);
  }

  /**
   * Stores the off-diagonal elements as a compressed sparse row matrix when that takes at most
   * `maxBytes`; products then cost a few nanoseconds per element instead of re-deriving every
   * element (masks, parities, index lookup) on each product. Costs about two on-the-fly
   * products to build. Returns whether the matrix is now stored.
   */
  store(maxBytes: number): boolean {
    if (this.csr) return true;
    const dim = this.dim;
    const { gMask, gHalf, tStart, tMask, tRe, tIm } = this;
    const G = gMask.length;
    const states = this.basis.states;
    const { loBits, loMask, rankLow, offsetHigh } = this.basis.tables();
    const perEntry = 4 + (this.complex ? 16 : 8);
    if (4 * (dim + 1) > maxBytes) return false;
    // pass 1: an upper bound on the stored elements (flips that stay in the basis)
    let bound = 0;
    if (states === null) bound = dim * G;
    else {
      for (let i = 0; i < dim; i++) {
        const x = states[i];
        for (let g = 0; g < G; g++) if (popcount(x & gMask[g]) === gHalf[g]) bound++;
      }
    }
    if (bound > 0xffffffff || 4 * (dim + 1) + bound * perEntry > maxBytes) return false;
    // pass 2: the elements (zeros skipped)
    const rowStart = new Uint32Array(dim + 1);
    let col = new Uint32Array(bound);
    let re = new Float64Array(bound);
    let im = this.complex ? new Float64Array(bound) : null;
    let p = 0;
    for (let i = 0; i < dim; i++) {
      const x = states === null ? i : states[i];
      for (let g = 0; g < G; g++) {
        const m = gMask[g];
        if (states !== null && popcount(x & m) !== gHalf[g]) continue;
        let eRe = 0;
        let eIm = 0;
        for (let t = tStart[g]; t < tStart[g + 1]; t++) {
          if (parity(x & tMask[t])) {
            eRe -= tRe[t];
            eIm -= tIm[t];
          } else {
            eRe += tRe[t];
            eIm += tIm[t];
          }
        }
        if (eRe === 0 && eIm === 0) continue;
        const y = x ^ m;
        col[p] = states === null ? y : offsetHigh![y >>> loBits] + rankLow![y & loMask];
        re[p] = eRe;
        if (im) im[p] = eIm;
        p++;
      }
      rowStart[i + 1] = p;
    }
    if (p < 0.9 * bound) {
      col = col.slice(0, p);
      re = re.slice(0, p);
      if (im) im = im.slice(0, p);
    }
    this.csr = { rowStart, col, re, im };
    return true;
  }

  private applySparse(v: Float64Array, out: Float64Array, r0: number, r1: number): void {
    const { rowStart, col, re, im } = this.csr!;
    const diag = this.diag;
    if (im === null) {
      for (let i = r0; i < r1; i++) {
        let acc = diag[i] * v[i];
        const p1 = rowStart[i + 1];
        for (let p = rowStart[i]; p < p1; p++) acc += re[p] * v[col[p]];
        out[i] = acc;
      }
      return;
    }
    for (let i = r0; i < r1; i++) {
      let accRe = diag[i] * v[2 * i];
      let accIm = diag[i] * v[2 * i + 1];
      const p1 = rowStart[i + 1];
      for (let p = rowStart[i]; p < p1; p++) {
        const j = col[p];
        const vr = v[2 * j];
        const vi = v[2 * j + 1];
        accRe += re[p] * vr - im[p] * vi;
        accIm += re[p] * vi + im[p] * vr;
      }
      out[2 * i] = accRe;
      out[2 * i + 1] = accIm;
    }
  }

  private applyReal(v: Float64Array, out: Float64Array, r0: number, r1: number): void {
    const { gMask, gHalf, tStart, tMask, tRe, diag } = this;
    const G = gMask.length;
    const states = this.basis.states;
    const { loBits, loMask, rankLow, offsetHigh } = this.basis.tables();
    for (let i = r0; i < r1; i++) {
      const x = states === null ? i : states[i];
      let acc = diag[i] * v[i];
      for (let g = 0; g < G; g++) {
        const m = gMask[g];
        if (states !== null && popcount(x & m) !== gHalf[g]) continue;
        let e = 0;
        const t1 = tStart[g + 1];
        for (let t = tStart[g]; t < t1; t++) {
          let p = x & tMask[t];
          p ^= p >>> 16;
          p ^= p >>> 8;
          p ^= p >>> 4;
          e += (0x6996 >>> (p & 0xf)) & 1 ? -tRe[t] : tRe[t];
        }
        if (e === 0) continue;
        const y = x ^ m;
        const j = states === null ? y : offsetHigh![y >>> loBits] + rankLow![y & loMask];
        acc += e * v[j];
      }
      out[i] = acc;
    }
  }

  private applyComplex(v: Float64Array, out: Float64Array, r0: number, r1: number): void {
    const { gMask, gHalf, tStart, tMask, tRe, tIm, diag } = this;
    const G = gMask.length;
    const states = this.basis.states;
    const { loBits, loMask, rankLow, offsetHigh } = this.basis.tables();
    for (let i = r0; i < r1; i++) {
      const x = states === null ? i : states[i];
      let accRe = diag[i] * v[2 * i];
      let accIm = diag[i] * v[2 * i + 1];
      for (let g = 0; g < G; g++) {
        const m = gMask[g];
        if (states !== null && popcount(x & m) !== gHalf[g]) continue;
        let eRe = 0;
        let eIm = 0;
        const t1 = tStart[g + 1];
        for (let t = tStart[g]; t < t1; t++) {
          if (parity(x & tMask[t])) {
            eRe -= tRe[t];
            eIm -= tIm[t];
          } else {
            eRe += tRe[t];
            eIm += tIm[t];
          }
        }
        if (eRe === 0 && eIm === 0) continue;
        const y = x ^ m;
        const j = states === null ? y : offsetHigh![y >>> loBits] + rankLow![y & loMask];
        const vr = v[2 * j];
        const vi = v[2 * j + 1];
        accRe += eRe * vr - eIm * vi;
        accIm += eRe * vi + eIm * vr;
      }
      out[2 * i] = accRe;
      out[2 * i + 1] = accIm;
    }
  }

  /**
   * The dense matrix in this basis, row-major: `re` (and `im`, all zero for a real operator).
   * For small spaces only (tests and the dense fallback).
   */
  toDense(): { re: Float64Array; im: Float64Array } {
    const n = this.dim;
    const re = new Float64Array(n * n);
    const im = new Float64Array(n * n);
    const { gMask, gHalf, tStart, tMask, tRe, tIm } = this;
    const sector = this.basis.states !== null;
    for (let i = 0; i < n; i++) {
      const x = this.basis.state(i);
      re[i * n + i] += this.diag[i];
      for (let g = 0; g < gMask.length; g++) {
        if (sector && popcount(x & gMask[g]) !== gHalf[g]) continue;
        let eRe = 0;
        let eIm = 0;
        for (let t = tStart[g]; t < tStart[g + 1]; t++) {
          const s = parity(x & tMask[t]) ? -1 : 1;
          eRe += s * tRe[t];
          eIm += s * tIm[t];
        }
        if (eRe === 0 && eIm === 0) continue;
        const j = this.basis.index((x ^ gMask[g]) >>> 0);
        re[i * n + j] += eRe;
        im[i * n + j] += eIm;
      }
    }
    return { re, im };
  }
}
