/**
 * Test helpers: a small state as an explicit vector over all 2^N basis states (index
 * b = Σ_s x_s 2^s), and its observables by enumeration — the exact values the Monte Carlo
 * estimators of src/measure must reproduce within their error bars.
 */
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import type { Lattice } from '../../src/lattice/lattice.js';
import { Rng } from '../../src/rng.js';
import { ExactSampler } from '../../src/sampler/sampler.js';
import type { MeasuredState } from '../../src/measure/types.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { popcount } from '../../src/exact/index.js';
import { allConfigs } from '../configurations.js';

export interface StateVector {
  n: number;
  re: Float64Array;
  im: Float64Array;
}

export { allConfigs };

/** ψ of a wavefunction by enumeration, projected on the nUp sector if given, normalised. */
export function stateVector(wf: Wavefunction, nUp: number | null = null): StateVector {
  const n = wf.nSites;
  const dim = 2 ** n;
  const { logAmp, phase } = wf.evaluate(allConfigs(n), dim);
  let maxLa = -Infinity;
  for (let b = 0; b < dim; b++) if (nUp === null || popcount(b) === nUp) maxLa = Math.max(maxLa, logAmp[b]);
  const re = new Float64Array(dim);
  const im = new Float64Array(dim);
  let norm = 0;
  for (let b = 0; b < dim; b++) {
    if (nUp !== null && popcount(b) !== nUp) continue;
    const a = Math.exp(logAmp[b] - maxLa);
    re[b] = a * Math.cos(phase[b]);
    im[b] = a * Math.sin(phase[b]);
    norm += a * a;
  }
  const s = 1 / Math.sqrt(norm);
  for (let b = 0; b < dim; b++) {
    re[b] *= s;
    im[b] *= s;
  }
  return { n, re, im };
}

/** A normalised state from explicit amplitudes on a list of basis states (e.g. a Lanczos vector). */
export function vectorFromBasis(n: number, basis: ArrayLike<number>, re: ArrayLike<number>, im?: ArrayLike<number>): StateVector {
  const v = { n, re: new Float64Array(2 ** n), im: new Float64Array(2 ** n) };
  let norm = 0;
  for (let k = 0; k < basis.length; k++) {
    v.re[basis[k]] = re[k];
    v.im[basis[k]] = im ? im[k] : 0;
    norm += re[k] ** 2 + (im ? im[k] ** 2 : 0);
  }
  const s = 1 / Math.sqrt(norm);
  v.re.forEach((x, b) => (v.re[b] = x * s));
  v.im.forEach((x, b) => (v.im[b] = x * s));
  return v;
}

const sigma = (b: number, s: number): number => (((b >> s) & 1) === 1 ? 1 : -1);

/** Re ⟨ψ| Π_{s ∈ flips} X_s |ψ⟩ */
export function exactX(v: StateVector, flips: number[]): number {
  let mask = 0;
  for (const s of flips) mask |= 1 << s;
  let acc = 0;
  for (let b = 0; b < v.re.length; b++) acc += v.re[b] * v.re[b ^ mask] + v.im[b] * v.im[b ^ mask];
  return acc;
}

/** ⟨ψ| f(x) |ψ⟩ for a diagonal observable f of the basis index */
export function exactDiagonal(v: StateVector, f: (b: number) => number): number {
  let acc = 0;
  for (let b = 0; b < v.re.length; b++) acc += (v.re[b] ** 2 + v.im[b] ** 2) * f(b);
  return acc;
}

export const exactZ = (v: StateVector, i: number): number => exactDiagonal(v, (b) => sigma(b, i));
export const exactZZ = (v: StateVector, i: number, j: number): number => exactDiagonal(v, (b) => sigma(b, i) * sigma(b, j));

/** S₂ = −log Tr ρ_A² for A = the first ℓ sites (the low ℓ bits) */
export function exactRenyi2(v: StateVector, l: number): number {
  const dA = 2 ** l;
  const dB = 2 ** (v.n - l);
  // ρ_A[a][a'] = Σ_β ψ(a, β) conj ψ(a', β)
  let tr = 0;
  for (let a = 0; a < dA; a++) {
    for (let a2 = 0; a2 < dA; a2++) {
      let rr = 0;
      let ri = 0;
      for (let beta = 0; beta < dB; beta++) {
        const i = a + beta * dA;
        const j = a2 + beta * dA;
        rr += v.re[i] * v.re[j] + v.im[i] * v.im[j];
        ri += v.im[i] * v.re[j] - v.re[i] * v.im[j];
      }
      tr += rr * rr + ri * ri;
    }
  }
  return -Math.log(tr);
}

/** ⟨ψ|H|ψ⟩ through the compiled operator's rows */
export function exactEnergyOf(v: StateVector, h: CompiledHamiltonian): number {
  const n = v.n;
  const dim = 2 ** n;
  const conn = h.connections(allConfigs(n), dim);
  let e = 0;
  for (let b = 0; b < dim; b++) {
    const p = v.re[b] ** 2 + v.im[b] ** 2;
    e += p * conn.diag[b];
    for (let k = conn.offsets[b]; k < conn.offsets[b + 1]; k++) {
      let c = 0;
      for (let s = 0; s < n; s++) c |= conn.configs[k * n + s] << s;
      // Re conj(ψ_b) H_bc ψ_c
      const hr = conn.elemRe[k];
      const hi = conn.elemIm[k];
      const tr = hr * v.re[c] - hi * v.im[c];
      const ti = hr * v.im[c] + hi * v.re[c];
      e += v.re[b] * tr + v.im[b] * ti;
    }
  }
  return e;
}

/** A MeasuredState over a wavefunction with an exact sampler. */
export function exactlySampled(wf: Wavefunction, lattice: Lattice, hamiltonian: CompiledHamiltonian, nUp: number | null = null): MeasuredState {
  return { wf, lattice, hamiltonian, nUp, sampler: (seed) => new ExactSampler(wf, new Rng(`${seed}:test`)) };
}

/** |value − exact| within k error bars (plus a tiny absolute slack for exact zeros) */
export function withinErrors(value: { mean: number; error: number }, exact: number, k = 4): boolean {
  return Math.abs(value.mean - exact) <= k * value.error + 1e-9;
}
