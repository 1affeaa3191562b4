/**
 * Exact references: the ground-state energy (and gap) of a compiled Hamiltonian on a lattice.
 *
 * Methods, chosen automatically (`method: 'auto'`):
 * - `free-fermion`: when the operator is exactly the transverse-field Ising chain
 *   −J Σ Z_i Z_{i+1} − h Σ X_i (open or periodic; detected from the compiled terms, so a user's
 *   copy of tfim.json qualifies) and no vector is asked for. Any N (10,000 sites in about a second).
 * - `dense`: spaces of at most 256 states (Householder + QL); also a purely diagonal (classical)
 *   operator of any allowed size, solved by scanning its diagonal.
 * - `lanczos`: thick-restart Lanczos with matrix-free products (see lanczos.ts).
 *
 * S^z sectors: when `h.conservesSz`, the computation is restricted to the states with `nUp` up
 * spins. `nUp` undefined means the default floor(N/2) (S^z = 0 for even N, −1/2 for odd N),
 * where the ground state of antiferromagnetic models (Heisenberg, J1-J2, XXZ with Δ ≥ −1) lies —
 * except for a purely diagonal operator (e.g. the TFIM at h = 0, which formally conserves S^z),
 * which is solved over the full space;
 * ferromagnetic multiplets also reach S^z = 0, so their energy is right too, but a conserving
 * model with a uniform Z field or a strongly Ising-ferromagnetic XXZ (Δ < −1) can have its ground
 * state elsewhere: pass `nUp: null` for the full space or choose the sector. `nUp` on a model that
 * does not conserve S^z is an error.
 *
 * Gap: E1 − E0 where E1 is the lowest level above E0 by more than 1e-9·max(1, |E0|), within the
 * space used (the S^z sector for conserving models; the full space otherwise, where for the
 * TFIM both fermion-parity sectors count). The multiplicity of the ground level is not resolved:
 * an exactly degenerate ground level gives the gap to the next distinct level.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import { InputError } from '../errors.js';
import { Basis, MAX_SITES, sectorDimension } from './sector.js';
import { SectorOperator } from './operator.js';
import { hermitianEigen } from './dense.js';
import { lanczos } from './lanczos.js';
import { detectTfimChain, tfimChain, DEGENERACY_TOL } from './free-fermion.js';

export { Basis, binomial, popcount, parity, sectorDimension } from './sector.js';
export { SectorOperator } from './operator.js';
export { symmetricEigen, hermitianEigen, tridiagonalQL } from './dense.js';
export { lanczos } from './lanczos.js';
export type { LanczosOptions, LanczosResult, LinearOperator } from './lanczos.js';
export { tfimChain, detectTfimChain, bidiagonalSingularValues } from './free-fermion.js';
export { betheHeisenbergChain, betheGroundEnergy, detectHeisenbergChain, BETHE_MAX_SITES } from './bethe.js';
export type { FreeFermionResult, TfimChainStructure } from './free-fermion.js';

export type ExactMethod = 'lanczos' | 'free-fermion' | 'dense';

export interface ExactResult {
  energy: number;
  energyPerSite: number;
  /** E1 − E0 to the next distinct level in the space used (see module notes); null if none */
  gap: number | null;
  method: ExactMethod;
  nSites: number;
  /** the S^z sector used (number of up spins), null for the full space */
  nUp: number | null;
  /** dimension of the space diagonalised (for free fermions: 2N, the Bogoliubov–de Gennes size; the many-body space is 2^N) */
  dimension: number;
  /** ground-state amplitudes, real part (unit norm; the largest component is real positive) */
  vector?: Float64Array;
  /** imaginary parts, present when the Hamiltonian is complex */
  vectorIm?: Float64Array;
  /** basis states (bit patterns, site s = bit s) of the `vector` entries */
  basis?: Uint32Array;
}

export interface ExactOptions {
  /** restrict to this number of up spins (only when h.conservesSz); null: full space; default floor(N/2) for conserving models */
  nUp?: number | null;
  /** return the ground-state vector (never with free fermions: Lanczos or dense is used) */
  wantVector?: boolean;
  /** largest space allowed (default 2^25 = 33,554,432 states, a few GiB) */
  maxDimension?: number;
  /** Lanczos residual tolerance ‖Hψ − Eψ‖ ≤ tol·max(1, |E|) (default 1e-8; energy errors are ~ residual²/level spacing) */
  tol?: number;
  /** force a method (default 'auto') */
  method?: ExactMethod | 'auto';
  /** progress callback for long Lanczos runs */
  onProgress?: (info: { matvecs: number; restarts: number; ritz: number[]; residuals: number[] }) => void;
}

export const DEFAULT_MAX_DIMENSION = 2 ** 25;
/** automatic choice: dense diagonalisation up to this dimension */
export const DENSE_AUTO_DIMENSION = 256;
/** forced dense diagonalisation: largest real / complex dimension */
export const DENSE_MAX_DIMENSION = 1024;
export const DENSE_MAX_DIMENSION_COMPLEX = 512;
/** memory for the Krylov basis before it is shrunk below 40 vectors */
const KRYLOV_BUDGET_BYTES = 4 * 2 ** 30;
/** memory for storing the sparse matrix (beyond it, products are computed on the fly) */
const SPARSE_BUDGET_BYTES = 4 * 2 ** 30;

interface Plan {
  method: ExactMethod;
  nUp: number | null;
  dimension: number;
  complex: boolean;
}

function isComplex(h: CompiledHamiltonian): boolean {
  return h.groups.some((g) => g.terms.some((t) => (t.coefIm ?? 0) !== 0));
}

function plan(h: CompiledHamiltonian, lattice: Lattice, opts: ExactOptions): Plan {
  const n = h.nSites;
  if (lattice.nSites !== n) {
    throw new InputError(`the Hamiltonian has ${n} sites but the lattice (${lattice.describe()}) has ${lattice.nSites}`);
  }
  const method = opts.method ?? 'auto';
  if (!['auto', 'lanczos', 'dense', 'free-fermion'].includes(method)) {
    throw new InputError(`unknown exact method "${String(method)}" (expected auto, lanczos, dense or free-fermion)`);
  }
  if (opts.nUp !== undefined && opts.nUp !== null) {
    if (!h.conservesSz) {
      throw new InputError(`model "${h.name}" does not conserve S^z, so it has no sector with a fixed number of up spins (nUp = ${opts.nUp})`);
    }
    if (!Number.isInteger(opts.nUp) || opts.nUp < 0 || opts.nUp > n) {
      throw new InputError(`the number of up spins must be an integer in 0..${n}, got ${opts.nUp}`);
    }
  }
  const complex = isComplex(h);
  if (method === 'auto' || method === 'free-fermion') {
    const ff = (opts.nUp === undefined || opts.nUp === null) && !opts.wantVector ? detectTfimChain(h) : null;
    if (ff) return { method: 'free-fermion', nUp: null, dimension: 2 * n, complex: false };
    if (method === 'free-fermion') {
      throw new InputError(
        opts.wantVector
          ? 'the free-fermion solution gives no state vector; use lanczos or dense for wantVector'
          : `model "${h.name}" is not the transverse-field Ising chain −J Σ Z_i Z_{i+1} − h Σ X_i, so free fermions do not apply`,
      );
    }
  }
  const diagonalOnly = h.groups.every((g) => g.terms.length === 0);
  const nUp = opts.nUp === undefined ? (h.conservesSz && !diagonalOnly ? Math.floor(n / 2) : null) : opts.nUp;
  if (n > MAX_SITES) {
    throw new InputError(`${n} sites are beyond exact diagonalisation (at most ${MAX_SITES} sites, and the dimension limit applies)`);
  }
  const dimension = sectorDimension(n, nUp);
  const maxDim = opts.maxDimension ?? DEFAULT_MAX_DIMENSION;
  const space = nUp === null ? `the full space of ${n} sites` : `the sector with ${nUp} of ${n} spins up`;
  if (dimension > maxDim) {
    throw new InputError(
      `${space} has dimension ${dimension.toLocaleString('en-US')}, above the exact-diagonalisation limit of ${maxDim.toLocaleString('en-US')} states`,
    );
  }
  let chosen: ExactMethod;
  if (diagonalOnly && method !== 'lanczos') chosen = 'dense';
  else if (method === 'dense') {
    const lim = complex ? DENSE_MAX_DIMENSION_COMPLEX : DENSE_MAX_DIMENSION;
    if (dimension > lim) {
      throw new InputError(`dense diagonalisation is limited to ${lim} states; ${space} has ${dimension}`);
    }
    chosen = 'dense';
  } else if (method === 'lanczos') chosen = 'lanczos';
  else chosen = dimension <= DENSE_AUTO_DIMENSION ? 'dense' : 'lanczos';
  return { method: chosen, nUp, dimension, complex };
}

/** Whether (and how) the ground state can be computed, without computing it. */
export function canSolveExactly(
  h: CompiledHamiltonian,
  lattice: Lattice,
  opts: ExactOptions = {},
): { ok: boolean; reason?: string; method?: string; dimension?: number; nUp?: number | null } {
  try {
    const p = plan(h, lattice, opts);
    return { ok: true, method: p.method, dimension: p.dimension, nUp: p.nUp };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function gapFrom(levels: ArrayLike<number>, e0: number): number | null {
  const thr = DEGENERACY_TOL * Math.max(1, Math.abs(e0));
  for (let i = 0; i < levels.length; i++) if (levels[i] - e0 > thr) return levels[i] - e0;
  return null;
}

/** Unit norm, and the largest-magnitude component made real and positive. */
function fixPhase(re: Float64Array, im: Float64Array | null): void {
  let best = 0;
  let bestMag = -1;
  let norm2 = 0;
  for (let i = 0; i < re.length; i++) {
    const mag = re[i] * re[i] + (im ? im[i] * im[i] : 0);
    norm2 += mag;
    if (mag > bestMag * (1 + 1e-12)) {
      bestMag = mag;
      best = i;
    }
  }
  const mag = Math.sqrt(bestMag);
  const cr = re[best] / mag / Math.sqrt(norm2);
  const ci = (im ? -im[best] : 0) / mag / Math.sqrt(norm2);
  for (let i = 0; i < re.length; i++) {
    const a = re[i];
    const b = im ? im[i] : 0;
    re[i] = a * cr - b * ci;
    if (im) im[i] = a * ci + b * cr;
  }
}

export function exactGroundState(h: CompiledHamiltonian, lattice: Lattice, opts: ExactOptions = {}): ExactResult {
  const p = plan(h, lattice, opts);
  const n = h.nSites;
  const base = { nSites: n, nUp: p.nUp, dimension: p.dimension, method: p.method };

  if (p.method === 'free-fermion') {
    const s = detectTfimChain(h)!;
    const r = tfimChain(n, s.J, s.h, s.bc);
    const energy = r.energy + s.offset;
    return { ...base, energy, energyPerSite: energy / n, gap: r.gap };
  }

  const basis = new Basis(n, p.nUp);
  const op = new SectorOperator(h, basis);
  let energy: number;
  let gap: number | null;
  let vre: Float64Array | undefined;
  let vim: Float64Array | undefined;

  if (p.method === 'dense' && op.diagonalOnly) {
    // a diagonal operator: its diagonal is the spectrum
    let best = 0;
    for (let i = 1; i < op.dim; i++) if (op.diag[i] < op.diag[best]) best = i;
    energy = op.diag[best];
    const thr = DEGENERACY_TOL * Math.max(1, Math.abs(energy));
    let next = Infinity;
    for (let i = 0; i < op.dim; i++) if (op.diag[i] - energy > thr && op.diag[i] < next) next = op.diag[i];
    gap = next === Infinity ? null : next - energy;
    if (opts.wantVector) {
      vre = new Float64Array(op.dim);
      vre[best] = 1;
      vim = new Float64Array(op.dim);
    }
  } else if (p.method === 'dense') {
    const { re, im } = op.toDense();
    const r = hermitianEigen(re, op.complex ? im : null, op.dim, opts.wantVector ?? false);
    energy = r.values[0];
    gap = gapFrom(r.values, energy);
    if (r.ground) {
      vre = r.ground.re;
      vim = r.ground.im;
    }
  } else {
    op.store(SPARSE_BUDGET_BYTES);
    const bytesPerVector = 8 * op.dim * (op.complex ? 2 : 1);
    // 40 vectors for small spaces; fewer for large ones, where re-orthogonalisation dominates
    const krylovMax = op.dim > 500_000 ? 28 : 40;
    const krylov = Math.max(12, Math.min(krylovMax, Math.floor(KRYLOV_BUDGET_BYTES / bytesPerVector) - 1));
    const r = lanczos(op, {
      levels: 2,
      tol: opts.tol ?? 1e-8,
      degeneracyTol: DEGENERACY_TOL,
      krylov,
      wantVector: opts.wantVector ?? false,
      onRestart: opts.onProgress,
    });
    if (!r.converged) {
      throw new Error(
        `Lanczos did not converge in ${r.matvecs} products (residuals ${r.residuals.map((x) => x.toExponential(2)).join(', ')}); energy so far ${r.e0}`,
      );
    }
    energy = r.e0;
    gap = r.e1 === null ? null : r.e1 - r.e0;
    if (r.vector) {
      if (op.complex) {
        vre = new Float64Array(op.dim);
        vim = new Float64Array(op.dim);
        for (let i = 0; i < op.dim; i++) {
          vre[i] = r.vector[2 * i];
          vim[i] = r.vector[2 * i + 1];
        }
      } else {
        vre = r.vector;
      }
    }
  }
  const result: ExactResult = { ...base, energy, energyPerSite: energy / n, gap };
  if (opts.wantVector && vre) {
    fixPhase(vre, op.complex ? vim! : null);
    result.vector = vre;
    if (op.complex) result.vectorIm = vim;
    result.basis = basis.allStates();
  }
  return result;
}
