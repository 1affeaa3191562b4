/**
 * Exact Z-basis measurements of a ground state: configurations drawn independently from
 * |ψ₀(x)|², ψ₀ the Lanczos (or dense) ground vector of the chosen sector — the data of
 * quantum-state tomography (Torlai et al., Nature Physics 14, 447 (2018)) and of NLL
 * pre-training (`vmc exact --samples K`, `vmc fit`, `vmc run --pretrain`).
 *
 * The state must be unique: |ψ₀|² of a degenerate level depends on which vector of the level the
 * solver returns. Two checks:
 * - across sectors: without --magnetization, a ground level attained in several S^z sectors (the
 *   two polarised states of a ferromagnet, say) is refused — fix one with --magnetization;
 * - within the sector: dense diagonalisation counts the levels at E0; Lanczos cannot (one Krylov
 *   space holds one vector per distinct level), so it is run again from another start vector:
 *   a non-degenerate level gives the same vector (overlap 1 to ~1e-12 at the tolerance used
 *   here), a degenerate one another mixture of its eigenvectors. Overlaps below 1 − 1e-9 are
 *   refused (a random pair of directions in a 2-dimensional level is that close with probability
 *   ~3e-5). A level split by less than about 1e-5 may be refused as degenerate too: the vectors
 *   then converge too slowly for the test, and the samples would be as ill-defined.
 *
 * Sampling: the cumulative distribution of |ψ₀|² over the basis (float64), one uniform draw and a
 * binary search per sample.
 */
import { InputError } from '../errors.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import type { Rng } from '../rng.js';
import { exactGroundState, szLabel, type ExactOptions, type ExactResult } from './index.js';

/** Largest system `vmc exact --samples` draws from (2^24 amplitudes; Lanczos takes minutes). */
export const MAX_SAMPLED_SITES = 24;

/** Lanczos tolerance of the vectors compared (stricter than the energy default 1e-8). */
const VECTOR_TOL = 1e-10;
/** overlaps of the two ground vectors below this are a degenerate level */
const SAME_VECTOR = 1 - 1e-9;

export interface GroundState {
  result: ExactResult;
  /** basis states (site s = bit s) and amplitudes, unit norm */
  basis: Uint32Array;
  re: Float64Array;
  im: Float64Array | null;
  /** number of up spins of the sector, or null for the full space */
  nUp: number | null;
}

/**
 * The unique ground state of `h` in the sector `opts.nUp` (undefined: the sector the exact
 * solver picks, see exact/index.ts); an InputError when it is degenerate or too large.
 */
export function uniqueGroundState(h: CompiledHamiltonian, lattice: Lattice, opts: Omit<ExactOptions, 'wantVector'> = {}): GroundState {
  const state = groundVector(h, lattice, opts);
  const { result } = state;
  const n = lattice.nSites;
  const ground = result.groundSectors ?? [];
  if (ground.length > 1) {
    throw new InputError(
      `the ground level E0 = ${result.energy.toPrecision(10)} is degenerate across the sectors ${ground.map((k) => szLabel(n, k)).join(', ')}: ` +
        'its Z-basis distribution is not defined; choose one with --magnetization',
      '--magnetization',
    );
  }
  const where = result.nUp === null ? 'the full space' : `the sector ${szLabel(n, result.nUp)}`;
  if (result.groundMultiplicity !== null && result.groundMultiplicity !== undefined && result.groundMultiplicity > 1) {
    throw new InputError(
      `the ground level E0 = ${result.energy.toPrecision(10)} is ${result.groundMultiplicity}-fold degenerate in ${where}: ` +
        'its Z-basis distribution is not defined (choose another sector with --magnetization, or break the symmetry)',
      '--magnetization',
    );
  }
  if (result.method === 'lanczos') {
    const again = exactGroundState(h, lattice, { tol: VECTOR_TOL, ...opts, nUp: result.nUp, wantVector: true, lanczosSeed: 7 });
    const overlap = vectorOverlap(result, again);
    if (overlap < SAME_VECTOR) {
      throw new InputError(
        `the ground level E0 = ${result.energy.toPrecision(10)} in ${where} is degenerate or nearly so (two Lanczos starts gave ground vectors with overlap ${overlap.toPrecision(6)}): ` +
          'its Z-basis distribution is not defined (choose another sector with --magnetization, or break the symmetry)',
        '--magnetization',
      );
    }
  }
  return state;
}

/**
 * The ground vector the solver returns for `opts` (deterministic: the same vector on every call),
 * without the uniqueness checks of `uniqueGroundState`.
 */
export function groundVector(h: CompiledHamiltonian, lattice: Lattice, opts: Omit<ExactOptions, 'wantVector'> = {}): GroundState {
  const n = lattice.nSites;
  if (n > MAX_SAMPLED_SITES) throw new InputError(`exact ground-state vectors are limited to ${MAX_SAMPLED_SITES} sites, got ${n}`, 'lattice');
  const result = exactGroundState(h, lattice, { tol: VECTOR_TOL, ...opts, wantVector: true });
  return { result, basis: result.basis!, re: result.vector!, im: result.vectorIm ?? null, nUp: result.nUp };
}

/** |⟨a|b⟩| of two unit ground vectors on the same basis. */
function vectorOverlap(a: ExactResult, b: ExactResult): number {
  const ar = a.vector!;
  const br = b.vector!;
  const ai = a.vectorIm;
  const bi = b.vectorIm;
  let re = 0;
  let im = 0;
  for (let k = 0; k < ar.length; k++) {
    re += ar[k] * br[k] + (ai && bi ? ai[k] * bi[k] : 0);
    im += ai && bi ? ar[k] * bi[k] - ai[k] * br[k] : 0;
  }
  return Math.hypot(re, im);
}

export interface GroundSamples {
  /** count·N bits */
  configs: Uint8Array;
  count: number;
  /** log|ψ₀(x)| and arg ψ₀(x) of each sample */
  logAbsPsi: Float64Array;
  phase: Float64Array;
}

/** `count` independent configurations from |ψ₀|² (rng: the caller's seeded generator). */
export function sampleGroundState(state: GroundState, count: number, rng: Rng): GroundSamples {
  const { basis, re, im } = state;
  const dim = basis.length;
  const n = state.result.nSites;
  const cdf = new Float64Array(dim);
  let total = 0;
  for (let k = 0; k < dim; k++) {
    total += re[k] * re[k] + (im ? im[k] * im[k] : 0);
    cdf[k] = total;
  }
  const configs = new Uint8Array(count * n);
  const logAbsPsi = new Float64Array(count);
  const phase = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const u = rng.uniform() * total;
    // first k with cdf[k] > u
    let lo = 0;
    let hi = dim - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    const b = basis[lo];
    for (let i = 0; i < n; i++) configs[s * n + i] = (b >>> i) & 1;
    const a = re[lo];
    const c = im ? im[lo] : 0;
    logAbsPsi[s] = 0.5 * Math.log(a * a + c * c);
    phase[s] = Math.atan2(c, a);
  }
  return { configs, count, logAbsPsi, phase };
}
