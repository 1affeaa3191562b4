/**
 * Test fixtures for src/exact: compiled Hamiltonians built by hand from Pauli strings (following
 * the CompiledHamiltonian contract in src/hamiltonian/types.ts), and an independent dense matrix
 * built term by term from 2×2 Pauli matrices, for checking the exact solvers.
 */
import type { CompiledHamiltonian, CompiledTerm, Connections, FlipGroup } from '../../src/hamiltonian/types.js';
import type { Lattice } from '../../src/lattice/lattice.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';

export type Pauli = 'X' | 'Y' | 'Z';
/** coefficient c (real) times a Pauli string given as [site, letter] pairs on distinct sites */
export interface PauliTerm {
  c: number;
  ops: [number, Pauli][];
}

/**
 * Compiles Σ c·P into the row convention: P|x⟩ = i^{nY} Π_{Z∪Y} σ |x ⊕ m⟩, so
 * ⟨x|P|x⊕m⟩ = c·(−i)^{nY}·Π_{Z∪Y} σ_s(x).
 */
export function compileTerms(name: string, nSites: number, terms: PauliTerm[], conservesSz: boolean, params: Record<string, number> = {}): CompiledHamiltonian {
  const diagonal: CompiledTerm[] = [];
  const groups = new Map<string, FlipGroup>();
  for (const t of terms) {
    if (t.c === 0) continue;
    const flip: number[] = [];
    const sign: number[] = [];
    let nY = 0;
    for (const [s, p] of t.ops) {
      if (p === 'X' || p === 'Y') flip.push(s);
      if (p === 'Z' || p === 'Y') sign.push(s);
      if (p === 'Y') nY++;
    }
    flip.sort((a, b) => a - b);
    sign.sort((a, b) => a - b);
    // (−i)^nY
    const phase: [number, number][] = [
      [1, 0],
      [0, -1],
      [-1, 0],
      [0, 1],
    ];
    const [pr, pi] = phase[nY % 4];
    const term: CompiledTerm = { coefRe: t.c * pr, coefIm: t.c * pi, signSites: sign };
    if (flip.length === 0) diagonal.push(term);
    else {
      const key = flip.join(',');
      if (!groups.has(key)) groups.set(key, { flipSites: flip, terms: [] });
      groups.get(key)!.terms.push(term);
    }
  }
  const groupList = [...groups.values()];
  const h: CompiledHamiltonian = {
    name,
    nSites,
    params,
    diagonal,
    groups: groupList,
    conservesSz,
    connections(configs: Uint8Array, count: number): Connections {
      return simpleConnections(h, configs, count);
    },
  };
  return h;
}

function sigmaProduct(cfg: Uint8Array, off: number, sites: readonly number[]): number {
  let p = 1;
  for (const s of sites) p *= 2 * cfg[off + s] - 1;
  return p;
}

/** A plain implementation of `connections`, good enough for tests. */
export function simpleConnections(h: CompiledHamiltonian, configs: Uint8Array, count: number): Connections {
  const N = h.nSites;
  const diag = new Float64Array(count);
  const offsets = new Int32Array(count + 1);
  const cfgs: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  const parent: number[] = [];
  const group: number[] = [];
  for (let p = 0; p < count; p++) {
    const off = p * N;
    let d = 0;
    for (const t of h.diagonal) d += t.coefRe * sigmaProduct(configs, off, t.signSites);
    diag[p] = d;
    h.groups.forEach((g, gi) => {
      let er = 0;
      let ei = 0;
      for (const t of g.terms) {
        const s = sigmaProduct(configs, off, t.signSites);
        er += t.coefRe * s;
        ei += t.coefIm * s;
      }
      if (er === 0 && ei === 0) return;
      const c = Array.from(configs.subarray(off, off + N));
      for (const s of g.flipSites) c[s] ^= 1;
      cfgs.push(...c);
      re.push(er);
      im.push(ei);
      parent.push(p);
      group.push(gi);
    });
    offsets[p + 1] = re.length;
  }
  return {
    count,
    nSites: N,
    diag,
    offsets,
    configs: Uint8Array.from(cfgs),
    elemRe: Float64Array.from(re),
    elemIm: Float64Array.from(im),
    parent: Int32Array.from(parent),
    group: Int32Array.from(group),
  };
}

export function tfimTerms(lattice: Lattice, J: number, h: number): PauliTerm[] {
  const terms: PauliTerm[] = [];
  for (const [a, b] of lattice.bonds('nearest')) terms.push({ c: -J, ops: [[a, 'Z'], [b, 'Z']] });
  for (let s = 0; s < lattice.nSites; s++) terms.push({ c: -h, ops: [[s, 'X']] });
  return terms;
}

function heisenbergBonds(bonds: readonly (readonly [number, number])[], J: number): PauliTerm[] {
  const terms: PauliTerm[] = [];
  for (const [a, b] of bonds) {
    for (const p of ['X', 'Y', 'Z'] as Pauli[]) terms.push({ c: J, ops: [[a, p], [b, p]] });
  }
  return terms;
}

/** H = −J Σ⟨ij⟩ Z_i Z_j − h Σ X_i */
export function tfim(lattice: Lattice, J = 1, h = 1): CompiledHamiltonian {
  return compileTerms('tfim', lattice.nSites, tfimTerms(lattice, J, h), false, { J, h });
}

/** H = J Σ⟨ij⟩ (XX + YY + ZZ) */
export function heisenberg(lattice: Lattice, J = 1): CompiledHamiltonian {
  return compileTerms('heisenberg', lattice.nSites, heisenbergBonds(lattice.bonds('nearest'), J), true, { J });
}

/** H = J1 Σ_nn (XX+YY+ZZ) + J2 Σ_nnn (XX+YY+ZZ) */
export function j1j2(lattice: Lattice, J1 = 1, J2 = 0.5): CompiledHamiltonian {
  const terms = [...heisenbergBonds(lattice.bonds('nearest'), J1), ...heisenbergBonds(lattice.bonds('next-nearest'), J2)];
  return compileTerms('j1j2', lattice.nSites, terms, true, { J1, J2 });
}

/** A complex, S^z-conserving model: Heisenberg plus a Dzyaloshinskii–Moriya term D Σ (X_i Y_j − Y_i X_j). */
export function heisenbergDM(lattice: Lattice, J = 1, D = 0.7): CompiledHamiltonian {
  const terms = heisenbergBonds(lattice.bonds('nearest'), J);
  for (const [a, b] of lattice.bonds('nearest')) {
    terms.push({ c: D, ops: [[a, 'X'], [b, 'Y']] });
    terms.push({ c: -D, ops: [[a, 'Y'], [b, 'X']] });
  }
  return compileTerms('heisenberg-dm', lattice.nSites, terms, true, { J, D });
}

/** A complex, non-conserving model: Ising with fields along Y and Z: −J Σ ZZ − hy Σ Y − hz Σ Z. */
export function isingYField(lattice: Lattice, J = 1, hy = 0.8, hz = 0.3): CompiledHamiltonian {
  const terms: PauliTerm[] = [];
  for (const [a, b] of lattice.bonds('nearest')) terms.push({ c: -J, ops: [[a, 'Z'], [b, 'Z']] });
  for (let s = 0; s < lattice.nSites; s++) {
    terms.push({ c: -hy, ops: [[s, 'Y']] });
    terms.push({ c: -hz, ops: [[s, 'Z']] });
  }
  return compileTerms('ising-y', lattice.nSites, terms, false, { J, hy, hz });
}

// 2×2 Pauli matrices in the local basis (row/column 0 = up = bit 1, 1 = down = bit 0), as (re, im)
const PAULI: Record<Pauli | 'I', [number, number][][]> = {
  I: [
    [[1, 0], [0, 0]],
    [[0, 0], [1, 0]],
  ],
  X: [
    [[0, 0], [1, 0]],
    [[1, 0], [0, 0]],
  ],
  Y: [
    [[0, 0], [0, -1]],
    [[0, 1], [0, 0]],
  ],
  Z: [
    [[1, 0], [0, 0]],
    [[0, 0], [-1, 0]],
  ],
};

/**
 * Dense 2^N matrix of Σ c·P, built term by term from the 2×2 matrices (independent of the
 * compiled form): ⟨y|P|x⟩ = Π_s P_s[loc(y_s)][loc(x_s)], loc(bit) = 1 − bit.
 */
export function kroneckerDense(nSites: number, terms: PauliTerm[]): { re: Float64Array; im: Float64Array } {
  const D = 2 ** nSites;
  const re = new Float64Array(D * D);
  const im = new Float64Array(D * D);
  for (const t of terms) {
    const letters: (Pauli | 'I')[] = Array(nSites).fill('I');
    for (const [s, p] of t.ops) letters[s] = p;
    for (let y = 0; y < D; y++) {
      for (let x = 0; x < D; x++) {
        let ar = t.c;
        let ai = 0;
        for (let s = 0; s < nSites && (ar !== 0 || ai !== 0); s++) {
          const [mr, mi] = PAULI[letters[s]][1 - ((y >> s) & 1)][1 - ((x >> s) & 1)];
          const nr = ar * mr - ai * mi;
          const ni = ar * mi + ai * mr;
          ar = nr;
          ai = ni;
        }
        re[y * D + x] += ar;
        im[y * D + x] += ai;
      }
    }
  }
  return { re, im };
}

/** A shipped model file compiled on a lattice through the real loader (hamiltonians/*.json). */
export function model(name: string, lattice: Lattice, params: Record<string, number> = {}): CompiledHamiltonian {
  return compileHamiltonian(loadModel(name, params), lattice);
}
