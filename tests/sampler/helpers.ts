/**
 * Test helpers for the RBM / Metropolis / SR tests: small hand-built Hamiltonians in the
 * CompiledHamiltonian form, dense matrices, enumeration, a plain local-energy loop and a dense
 * symmetric eigen-solver (Jacobi). Self-contained so these tests do not depend on files still
 * being written by others.
 */
import type { CompiledHamiltonian, CompiledTerm, Connections, FlipGroup } from '../../src/hamiltonian/types.js';
import type { HostLogPsi, Wavefunction } from '../../src/ansatz/wavefunction.js';

type Bond = readonly [number, number];

function chainBonds(n: number, periodic: boolean): Bond[] {
  const out: Bond[] = [];
  for (let i = 0; i + 1 < n; i++) out.push([i, i + 1]);
  if (periodic && n > 2) out.push([n - 1, 0]);
  return out;
}

function prodSigma(x: Uint8Array, off: number, sites: number[]): number {
  let p = 1;
  for (const s of sites) if (!x[off + s]) p = -p;
  return p;
}

export function compile(
  name: string,
  nSites: number,
  params: Record<string, number>,
  diagonal: CompiledTerm[],
  groups: FlipGroup[],
  conservesSz: boolean,
): CompiledHamiltonian {
  const N = nSites;
  return {
    name,
    nSites,
    params,
    diagonal,
    groups,
    conservesSz,
    stoquastic: false,
    connections(configs: Uint8Array, count: number): Connections {
      const diag = new Float64Array(count);
      const offsets = new Int32Array(count + 1);
      const cf: number[] = [];
      const er: number[] = [];
      const ei: number[] = [];
      const par: number[] = [];
      const grp: number[] = [];
      const tmp = new Uint8Array(N);
      for (let p = 0; p < count; p++) {
        const off = p * N;
        let d = 0;
        for (const t of diagonal) d += t.coefRe * prodSigma(configs, off, t.signSites);
        diag[p] = d;
        groups.forEach((g, gi) => {
          let re = 0;
          let im = 0;
          for (const t of g.terms) {
            const s = prodSigma(configs, off, t.signSites);
            re += t.coefRe * s;
            im += t.coefIm * s;
          }
          if (re === 0 && im === 0) return;
          tmp.set(configs.subarray(off, off + N));
          for (const s of g.flipSites) tmp[s] ^= 1;
          for (let i = 0; i < N; i++) cf.push(tmp[i]);
          er.push(re);
          ei.push(im);
          par.push(p);
          grp.push(gi);
        });
        offsets[p + 1] = er.length;
      }
      return {
        count,
        nSites: N,
        diag,
        offsets,
        configs: Uint8Array.from(cf),
        elemRe: Float64Array.from(er),
        elemIm: Float64Array.from(ei),
        parent: Int32Array.from(par),
        group: Int32Array.from(grp),
      };
    },
  };
}

/** H = −J Σ Z_i Z_j − h Σ X_i on a chain. */
export function tfimChain(n: number, h: number, J = 1, periodic = true): CompiledHamiltonian {
  const diagonal = chainBonds(n, periodic).map(([a, b]) => ({ coefRe: -J, coefIm: 0, signSites: [Math.min(a, b), Math.max(a, b)] }));
  const groups = Array.from({ length: n }, (_, i) => ({ flipSites: [i], terms: [{ coefRe: -h, coefIm: 0, signSites: [] }] }));
  return compile('tfim', n, { J, h }, diagonal, groups, false);
}

/** H = J Σ (X X + Y Y + Z Z) on a chain (Pauli units). */
export function heisenbergChain(n: number, J = 1, periodic = true): CompiledHamiltonian {
  const bonds = chainBonds(n, periodic).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
  const diagonal = bonds.map((s) => ({ coefRe: J, coefIm: 0, signSites: s }));
  const groups = bonds.map((s) => ({
    flipSites: s,
    terms: [
      { coefRe: J, coefIm: 0, signSites: [] },
      { coefRe: -J, coefIm: 0, signSites: s },
    ],
  }));
  return compile('heisenberg', n, { J }, diagonal, groups, true);
}

/** All 2^N configurations (or those with nUp up spins), bit i of the index = site i. */
export function enumerate(n: number, nUp: number | null = null): { configs: Uint8Array; count: number; index: number[] } {
  const idx: number[] = [];
  for (let k = 0; k < 1 << n; k++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += (k >> i) & 1;
    if (nUp === null || c === nUp) idx.push(k);
  }
  const configs = new Uint8Array(idx.length * n);
  idx.forEach((k, b) => {
    for (let i = 0; i < n; i++) configs[b * n + i] = (k >> i) & 1;
  });
  return { configs, count: idx.length, index: idx };
}

export function configIndex(x: Uint8Array, off: number, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) k |= x[off + i] << i;
  return k;
}

/** Dense real symmetric H (the models here are real) over all 2^N states. */
export function denseMatrix(h: CompiledHamiltonian): Float64Array {
  const n = h.nSites;
  const dim = 1 << n;
  const { configs } = enumerate(n);
  const conn = h.connections(configs, dim);
  const H = new Float64Array(dim * dim);
  for (let p = 0; p < dim; p++) {
    H[p * dim + p] += conn.diag[p];
    for (let k = conn.offsets[p]; k < conn.offsets[p + 1]; k++) {
      H[p * dim + configIndex(conn.configs, k * n, n)] += conn.elemRe[k];
    }
  }
  return H;
}

/** Lowest eigenvalue of a dense symmetric matrix (cyclic Jacobi). */
export function lowestEigenvalue(A0: Float64Array, dim: number): number {
  const A = Float64Array.from(A0);
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += A[p * dim + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < dim; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = A[p * dim + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * dim + q] - A[p * dim + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < dim; k++) {
          const akp = A[k * dim + p];
          const akq = A[k * dim + q];
          A[k * dim + p] = c * akp - s * akq;
          A[k * dim + q] = s * akp + c * akq;
        }
        for (let k = 0; k < dim; k++) {
          const apk = A[p * dim + k];
          const aqk = A[q * dim + k];
          A[p * dim + k] = c * apk - s * aqk;
          A[q * dim + k] = s * apk + c * aqk;
        }
      }
    }
  }
  let m = Infinity;
  for (let k = 0; k < dim; k++) m = Math.min(m, A[k * dim + k]);
  return m;
}

/** Ground-state energy restricted to a sector (nUp) or the full space, by Jacobi. */
export function exactGroundEnergy(h: CompiledHamiltonian, nUp: number | null = null): number {
  const n = h.nSites;
  const full = denseMatrix(h);
  const dimFull = 1 << n;
  const { index } = enumerate(n, nUp);
  const d = index.length;
  const A = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) A[a * d + b] = full[index[a] * dimFull + index[b]];
  return lowestEigenvalue(A, d);
}

/** Local energies E_loc(x) = Σ_x' H_xx' ψ(x')/ψ(x), plain loop. */
export function localEnergies(h: CompiledHamiltonian, wf: Wavefunction, configs: Uint8Array, count: number): { re: Float64Array; im: Float64Array } {
  const own = wf.evaluate(configs, count);
  const conn = h.connections(configs, count);
  const K = conn.offsets[count];
  const other: HostLogPsi = wf.evaluateConnected ? wf.evaluateConnected(configs, conn) : wf.evaluate(conn.configs, K);
  const re = new Float64Array(count);
  const im = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    let eRe = conn.diag[p];
    let eIm = 0;
    for (let k = conn.offsets[p]; k < conn.offsets[p + 1]; k++) {
      const mag = Math.exp(other.logAmp[k] - own.logAmp[p]);
      const dphi = other.phase[k] - own.phase[p];
      const rRe = mag * Math.cos(dphi);
      const rIm = mag * Math.sin(dphi);
      eRe += conn.elemRe[k] * rRe - conn.elemIm[k] * rIm;
      eIm += conn.elemRe[k] * rIm + conn.elemIm[k] * rRe;
    }
    re[p] = eRe;
    im[p] = eIm;
  }
  return { re, im };
}

/** |ψ|² normalised over the enumerated configurations. */
export function exactProbabilities(wf: Wavefunction, configs: Uint8Array, count: number): Float64Array {
  const { logAmp } = wf.evaluate(configs, count);
  let mx = -Infinity;
  for (const v of logAmp) mx = Math.max(mx, v);
  const p = new Float64Array(count);
  let Z = 0;
  for (let b = 0; b < count; b++) {
    p[b] = Math.exp(2 * (logAmp[b] - mx));
    Z += p[b];
  }
  for (let b = 0; b < count; b++) p[b] /= Z;
  return p;
}

/** ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩ by enumeration (sector nUp when the Hamiltonian conserves it). */
export function exactEnergy(h: CompiledHamiltonian, wf: Wavefunction, nUp: number | null = null): number {
  const n = h.nSites;
  const { configs, count } = enumerate(n, nUp);
  const p = exactProbabilities(wf, configs, count);
  const e = localEnergies(h, wf, configs, count);
  let E = 0;
  for (let b = 0; b < count; b++) E += p[b] * e.re[b];
  return E;
}

/** Upper quantile of χ²_k by the Wilson–Hilferty approximation (z = standard normal quantile). */
export function chi2Quantile(k: number, z: number): number {
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}
