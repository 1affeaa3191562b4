/**
 * Exact references: the ground-state energy (and gap) of a compiled Hamiltonian on a lattice.
 *
 * Methods, chosen automatically (`method: 'auto'`):
 * - `free-fermion`: when the operator is exactly the transverse-field Ising chain
 *   −J Σ Z_i Z_{i+1} − h Σ X_i (open or periodic; detected from the compiled terms, so a user's
 *   copy of tfim.json qualifies) and no vector is asked for. Any N (O(N): 100,000 sites in well
 *   under a second).
 * - `dense`: spaces of at most 256 states (Householder + QL); also a purely diagonal (classical)
 *   operator of any allowed size, solved by scanning its diagonal.
 * - `lanczos`: thick-restart Lanczos with matrix-free products (see lanczos.ts).
 *
 * S^z sectors (models with `h.conservesSz`, not purely diagonal). `nUp` a number: only the sector
 * with that many up spins. `nUp: null`: the full 2^N space. `nUp` undefined (the default, also of
 * `vmc exact` and the `vmc run` reference without --magnetization): the ground state over all
 * sectors, found sector by sector (each sector is at most C(N, N/2) states, so it fits where the
 * full space does not), with two reductions read off the compiled operator (symmetry.ts):
 * - H commutes with the total spin S² (Heisenberg, J1-J2, any isotropic exchange; checked as
 *   [H, Σ_j X_j] = 0 on the Pauli strings): every multiplet has a member at S^z = 0 (N even) or
 *   −1/2 (N odd), so that one sector holds every distinct level — one solve (`total-spin`);
 * - otherwise every sector is solved and the lowest taken (`all-sectors`; e.g. XXZ with Δ < −1,
 *   whose ground state is fully polarised, or a field along z); when H is symmetric under the
 *   global spin flip Π X_j, sector S^z and −S^z have the same spectrum and only S^z ≤ 0 is solved.
 * The result reports the sector of the ground state (`nUp`, the first that attains E0), all
 * sectors attaining it (`groundSectors`, mirrors included) and every sector solved (`sectors`).
 * A purely diagonal operator (e.g. the TFIM at h = 0, which formally conserves S^z) is solved by
 * scanning its diagonal over the full space. `nUp` on a model that does not conserve S^z is an
 * error.
 *
 * Gap: E1 − E0, where E1 is the lowest level of H above E0 by more than
 * 1e-9·max(1, |E0|) over the whole Hilbert space — over all S^z sectors by default (with
 * `total-spin` the S^z = 0 sector holds every distinct level; a mirror sector has the same
 * levels as the one solved), over both fermion-parity sectors for the TFIM by free fermions or
 * Lanczos in the full space. With an explicit `nUp` the gap is within that sector. The
 * multiplicity of E0 is not resolved: an exactly degenerate ground level (a multiplet, the two
 * polarised states) gives the gap to the next distinct level.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import { InputError } from '../errors.js';
import { Basis, MAX_SITES, sectorDimension } from './sector.js';
import { SectorOperator } from './operator.js';
import { hermitianEigen } from './dense.js';
import { lanczos } from './lanczos.js';
import { detectTfimChain, tfimChain, DEGENERACY_TOL } from './free-fermion.js';
import { sectorSymmetries } from './symmetry.js';
import { krylovSize, sectorCost, SPARSE_BUDGET_BYTES, type SectorCost } from './estimate.js';

export { Basis, binomial, popcount, parity, sectorDimension } from './sector.js';
export { SectorOperator } from './operator.js';
export { symmetricEigen, hermitianEigen, tridiagonalQL } from './dense.js';
export { lanczos } from './lanczos.js';
export type { LanczosOptions, LanczosResult, LinearOperator } from './lanczos.js';
export { tfimChain, detectTfimChain, bidiagonalSingularValues } from './free-fermion.js';
export { betheHeisenbergChain, betheGroundEnergy, detectHeisenbergChain, BETHE_MAX_SITES } from './bethe.js';
export type { FreeFermionResult, TfimChainStructure } from './free-fermion.js';
export { sectorSymmetries } from './symmetry.js';
export type { SectorSymmetries } from './symmetry.js';
export { sectorCost, offDiagonalBound, krylovSize, formatBytes, formatSeconds } from './estimate.js';
export type { SectorCost } from './estimate.js';

export type ExactMethod = 'lanczos' | 'free-fermion' | 'dense';

/**
 * How the space was chosen: `free-fermion` (the TFIM chain), `full-space` (no S^z conservation,
 * `nUp: null`, or a diagonal operator), `fixed` (the given `nUp`), `total-spin` (one sector,
 * S^z = 0 or −1/2, because [H, S²] = 0), `all-sectors` (every sector, or every S^z ≤ 0 one when
 * H is spin-flip symmetric).
 */
export type SectorChoice = 'free-fermion' | 'full-space' | 'fixed' | 'total-spin' | 'all-sectors';

/** One sector solved (nUp null: the full space). */
export interface SectorSolve {
  nUp: number | null;
  dimension: number;
  method: ExactMethod;
  energy: number;
  /** to the next distinct level within this sector */
  gap: number | null;
  /** the sector with the same spectrum that was not solved (spin flip), or null */
  mirror: number | null;
}

export interface ExactResult {
  energy: number;
  energyPerSite: number;
  /** E1 − E0 to the next distinct level of H (see module notes: global unless `nUp` was given); null if none */
  gap: number | null;
  method: ExactMethod;
  nSites: number;
  /** the S^z sector of the ground state (number of up spins; the first solved that attains E0), null for the full space */
  nUp: number | null;
  /** dimension of the space holding the reported ground state (for free fermions: 2N, the Bogoliubov–de Gennes size; the many-body space is 2^N) */
  dimension: number;
  sectorChoice: SectorChoice;
  /** every sector that attains E0 (within the degeneracy tolerance), mirrors included, ascending; null for the full space */
  groundSectors: number[] | null;
  /** every sector solved, in order (a single entry when one space was solved) */
  sectors: SectorSolve[];
  /** ground-state amplitudes, real part (unit norm; the largest component is real positive) */
  vector?: Float64Array;
  /** imaginary parts, present when the Hamiltonian is complex */
  vectorIm?: Float64Array;
  /** basis states (bit patterns, site s = bit s) of the `vector` entries */
  basis?: Uint32Array;
  /**
   * levels within the degeneracy tolerance of E0 in the ground state's sector, where dense
   * diagonalisation resolved them; null with Lanczos (one Krylov space holds one vector per
   * distinct level) and free fermions
   */
  groundMultiplicity?: number | null;
}

export interface SectorEvent {
  /** 'start': about to solve; 'done': solved (energy set) */
  phase: 'start' | 'done';
  /** position in the plan and number of sectors planned */
  index: number;
  count: number;
  nUp: number | null;
  dimension: number;
  method: ExactMethod;
  energy?: number;
  seconds?: number;
}

export interface ExactOptions {
  /** a number: only that S^z sector; null: the full space; undefined (default): the lowest over all sectors (module notes) */
  nUp?: number | null;
  /** return the ground-state vector (never with free fermions: Lanczos or dense is used) */
  wantVector?: boolean;
  /** largest space (one sector) allowed (default 2^25 = 33,554,432 states) */
  maxDimension?: number;
  /** Lanczos residual tolerance ‖Hψ − Eψ‖ ≤ tol·max(1, |E|) (default 1e-8; energy errors are ~ residual²/level spacing) */
  tol?: number;
  /** force a method (default 'auto') */
  method?: ExactMethod | 'auto';
  /**
   * progress callback for long Lanczos runs (nUp: the sector being solved): after every restart
   * with the lowest Ritz values and residuals, and after every product with `restarts: −1` and
   * empty `ritz`/`residuals`
   */
  onProgress?: (info: { nUp: number | null; matvecs: number; restarts: number; ritz: number[]; residuals: number[] }) => void;
  /** called before and after each sector is solved */
  onSector?: (info: SectorEvent) => void;
  /** seed of the Lanczos start vector (default 1); another seed tells a degenerate ground level by another ground vector */
  lanczosSeed?: number;
}

export const DEFAULT_MAX_DIMENSION = 2 ** 25;
/** automatic choice: dense diagonalisation up to this dimension */
export const DENSE_AUTO_DIMENSION = 256;
/** forced dense diagonalisation: largest real / complex dimension */
export const DENSE_MAX_DIMENSION = 1024;
export const DENSE_MAX_DIMENSION_COMPLEX = 512;

export interface PlannedSector {
  nUp: number | null;
  dimension: number;
  method: ExactMethod;
  /** the sector with the same spectrum that is not solved (spin flip), or null */
  mirror: number | null;
}

/** What an exact solve will do, decided before anything large is allocated. */
export interface ExactPlan {
  sectorChoice: SectorChoice;
  /** one sentence: why these sectors */
  explanation: string;
  sectors: PlannedSector[];
  complex: boolean;
  /** [H, S²] = 0 and spin-flip symmetry (null when not examined: no S^z conservation, free fermions, a fixed sector) */
  symmetries: { totalSpin: boolean; spinFlip: boolean } | null;
  /** the largest sector's dimension */
  dimension: number;
  /** summed dimension of the sectors solved */
  totalDimension: number;
  /** method of the largest sector */
  method: ExactMethod;
  /** cost of each sector (empty for free fermions) */
  costs: SectorCost[];
  /** peak memory: the largest sector's total (sectors are solved one after another) */
  memoryBytes: number;
  /** rough total time (seconds), all sectors */
  seconds: number;
}

function isComplex(h: CompiledHamiltonian): boolean {
  return h.groups.some((g) => g.terms.some((t) => (t.coefIm ?? 0) !== 0));
}

/** "S^z = −4" for 0 of 8 spins up */
export function szLabel(nSites: number, nUp: number): string {
  const twice = 2 * nUp - nSites;
  const v = twice % 2 === 0 ? String(twice / 2) : `${twice}/2`;
  return `S^z = ${v.replace('-', '−')}`;
}

/** Which sectors to solve and how; throws InputError for what cannot be done. */
export function planExact(h: CompiledHamiltonian, lattice: Lattice, opts: ExactOptions = {}): ExactPlan {
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
    if (ff) {
      return {
        sectorChoice: 'free-fermion',
        explanation: 'the transverse-field Ising chain: Jordan–Wigner fermions, both fermion-parity sectors',
        sectors: [{ nUp: null, dimension: 2 * n, method: 'free-fermion', mirror: null }],
        complex: false, symmetries: null, dimension: 2 * n, totalDimension: 2 * n, method: 'free-fermion',
        costs: [], memoryBytes: 80 * n, seconds: 1e-5 * n,
      };
    }
    if (method === 'free-fermion') {
      throw new InputError(
        opts.wantVector
          ? 'the free-fermion solution gives no state vector; use lanczos or dense for wantVector'
          : `model "${h.name}" is not the transverse-field Ising chain −J Σ Z_i Z_{i+1} − h Σ X_i, so free fermions do not apply`,
      );
    }
  }
  if (n > MAX_SITES) {
    throw new InputError(`${n} sites are beyond exact diagonalisation (at most ${MAX_SITES} sites, and the dimension limit applies)`);
  }
  const diagonalOnly = h.groups.every((g) => g.terms.length === 0);
  let choice: SectorChoice;
  let explanation: string;
  let symmetries: ExactPlan['symmetries'] = null;
  let list: { nUp: number | null; mirror: number | null }[];
  if (opts.nUp !== undefined && opts.nUp !== null) {
    choice = 'fixed';
    explanation = `the requested sector ${szLabel(n, opts.nUp)} (${opts.nUp} of ${n} spins up)`;
    list = [{ nUp: opts.nUp, mirror: null }];
  } else if (opts.nUp === null || !h.conservesSz || diagonalOnly) {
    choice = 'full-space';
    explanation = opts.nUp === null
      ? 'the full space (asked for)'
      : !h.conservesSz
        ? 'the full space: the model does not conserve S^z'
        : 'the full space: the operator is diagonal, its diagonal is the spectrum';
    list = [{ nUp: null, mirror: null }];
  } else {
    symmetries = sectorSymmetries(h);
    const half = Math.floor(n / 2);
    if (symmetries.totalSpin) {
      choice = 'total-spin';
      explanation =
        `H commutes with the total spin S² ([H, Σ X_j] = 0 on its Pauli terms), so every multiplet has a member at ` +
        `${szLabel(n, half)}: that one sector holds the ground energy and every distinct level`;
      list = [{ nUp: half, mirror: null }];
    } else {
      choice = 'all-sectors';
      const top = symmetries.spinFlip ? half : n;
      list = [];
      for (let k = 0; k <= top; k++) list.push({ nUp: k, mirror: symmetries.spinFlip && 2 * k !== n ? n - k : null });
      explanation = symmetries.spinFlip
        ? `H does not commute with S², so every sector is solved; it is spin-flip symmetric, so S^z and −S^z have the same spectrum and only the ${list.length} sectors with S^z ≤ 0 are solved`
        : `H does not commute with S² and is not spin-flip symmetric, so all ${list.length} sectors are solved`;
    }
  }
  const maxDim = opts.maxDimension ?? DEFAULT_MAX_DIMENSION;
  const sectors: PlannedSector[] = [];
  for (const { nUp, mirror } of list) {
    const dimension = sectorDimension(n, nUp);
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
      if (dimension > lim) throw new InputError(`dense diagonalisation is limited to ${lim} states; ${space} has ${dimension}`);
      chosen = 'dense';
    } else if (method === 'lanczos') chosen = 'lanczos';
    else chosen = dimension <= DENSE_AUTO_DIMENSION ? 'dense' : 'lanczos';
    sectors.push({ nUp, dimension, method: chosen, mirror });
  }
  const costs = sectors.map((s) =>
    sectorCost(h, s.nUp, diagonalOnly && s.method === 'dense' ? 'diagonal' : s.method === 'dense' ? 'dense' : 'lanczos', complex, opts.wantVector ?? false),
  );
  let largest = 0;
  for (let i = 1; i < sectors.length; i++) if (sectors[i].dimension > sectors[largest].dimension) largest = i;
  return {
    sectorChoice: choice,
    explanation,
    sectors,
    complex,
    symmetries,
    dimension: sectors[largest].dimension,
    totalDimension: sectors.reduce((a, s) => a + s.dimension, 0),
    method: sectors[largest].method,
    costs,
    memoryBytes: Math.max(...costs.map((c) => c.bytes.total)),
    seconds: costs.reduce((a, c) => a + c.seconds, 0),
  };
}

/** Whether (and how) the ground state can be computed, without computing it. */
export function canSolveExactly(
  h: CompiledHamiltonian,
  lattice: Lattice,
  opts: ExactOptions = {},
): { ok: boolean; reason?: string; method?: string; dimension?: number; nUp?: number | null; plan?: ExactPlan } {
  try {
    const p = planExact(h, lattice, opts);
    const nUp = p.sectors.length === 1 ? p.sectors[0].nUp : null;
    return { ok: true, method: p.method, dimension: p.dimension, nUp, plan: p };
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

interface SectorOutcome {
  energy: number;
  gap: number | null;
  /** next distinct level above `energy` in this sector, or null */
  e1: number | null;
  vre?: Float64Array;
  vim?: Float64Array;
  basis?: Basis;
  complex: boolean;
  /** levels at E0 in this sector (dense diagonalisation only) */
  multiplicity: number | null;
}

/** Ground level (and the next distinct one) of one sector. */
function solveSector(h: CompiledHamiltonian, s: PlannedSector, opts: ExactOptions): SectorOutcome {
  const basis = new Basis(h.nSites, s.nUp);
  const op = new SectorOperator(h, basis);
  const want = opts.wantVector ?? false;
  let energy: number;
  let gap: number | null;
  let vre: Float64Array | undefined;
  let vim: Float64Array | undefined;
  let multiplicity: number | null = null;
  if (s.method === 'dense' && op.diagonalOnly) {
    // a diagonal operator: its diagonal is the spectrum
    let best = 0;
    for (let i = 1; i < op.dim; i++) if (op.diag[i] < op.diag[best]) best = i;
    energy = op.diag[best];
    const thr = DEGENERACY_TOL * Math.max(1, Math.abs(energy));
    let next = Infinity;
    multiplicity = 0;
    for (let i = 0; i < op.dim; i++) {
      if (op.diag[i] - energy > thr && op.diag[i] < next) next = op.diag[i];
      else if (op.diag[i] - energy <= thr) multiplicity++;
    }
    gap = next === Infinity ? null : next - energy;
    if (want) {
      vre = new Float64Array(op.dim);
      vre[best] = 1;
      vim = new Float64Array(op.dim);
    }
  } else if (s.method === 'dense') {
    const { re, im } = op.toDense();
    const r = hermitianEigen(re, op.complex ? im : null, op.dim, want);
    energy = r.values[0];
    gap = gapFrom(r.values, energy);
    const thr = DEGENERACY_TOL * Math.max(1, Math.abs(energy));
    multiplicity = 0;
    for (let i = 0; i < r.values.length && r.values[i] - energy <= thr; i++) multiplicity++;
    if (r.ground) {
      vre = r.ground.re;
      vim = r.ground.im;
    }
  } else {
    op.store(SPARSE_BUDGET_BYTES);
    const r = lanczos(op, {
      levels: 2,
      tol: opts.tol ?? 1e-8,
      degeneracyTol: DEGENERACY_TOL,
      krylov: krylovSize(op.dim, op.complex),
      wantVector: want,
      seed: opts.lanczosSeed,
      onRestart: opts.onProgress ? (info) => opts.onProgress!({ nUp: s.nUp, ...info }) : undefined,
      onProduct: opts.onProgress ? (matvecs) => opts.onProgress!({ nUp: s.nUp, matvecs, restarts: -1, ritz: [], residuals: [] }) : undefined,
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
  return { energy, gap, e1: gap === null ? null : energy + gap, vre, vim, basis: want ? basis : undefined, complex: op.complex, multiplicity };
}

export function exactGroundState(h: CompiledHamiltonian, lattice: Lattice, opts: ExactOptions = {}): ExactResult {
  const p = planExact(h, lattice, opts);
  const n = h.nSites;

  if (p.sectorChoice === 'free-fermion') {
    const s = detectTfimChain(h)!;
    const r = tfimChain(n, s.J, s.h, s.bc);
    const energy = r.energy + s.offset;
    return {
      energy, energyPerSite: energy / n, gap: r.gap, method: 'free-fermion', nSites: n, nUp: null, dimension: 2 * n,
      sectorChoice: 'free-fermion', groundSectors: null,
      sectors: [{ nUp: null, dimension: 2 * n, method: 'free-fermion', energy, gap: r.gap, mirror: null }],
    };
  }

  const solved: SectorSolve[] = [];
  const outcomes: SectorOutcome[] = [];
  let best = -1;
  p.sectors.forEach((s, index) => {
    const base = { index, count: p.sectors.length, nUp: s.nUp, dimension: s.dimension, method: s.method };
    opts.onSector?.({ phase: 'start', ...base });
    const t0 = performance.now();
    const o = solveSector(h, s, opts);
    opts.onSector?.({ phase: 'done', ...base, energy: o.energy, seconds: (performance.now() - t0) / 1000 });
    solved.push({ nUp: s.nUp, dimension: s.dimension, method: s.method, energy: o.energy, gap: o.gap, mirror: s.mirror });
    if (best < 0 || o.energy < outcomes[best].energy) {
      if (best >= 0) outcomes[best] = { ...outcomes[best], vre: undefined, vim: undefined, basis: undefined };
      best = index;
      outcomes.push(o);
    } else outcomes.push({ ...o, vre: undefined, vim: undefined, basis: undefined });
  });
  const ground = outcomes[best];
  const energy = ground.energy;
  const thr = DEGENERACY_TOL * Math.max(1, Math.abs(energy));
  // the lowest level above E0 over all sectors: a sector's ground level, or its next level when its ground level is E0
  let e1: number | null = null;
  const groundSectors: number[] = [];
  outcomes.forEach((o, i) => {
    const atGround = o.energy - energy <= thr;
    const candidate = atGround ? o.e1 : o.energy;
    if (candidate !== null && (e1 === null || candidate < e1)) e1 = candidate;
    const s = p.sectors[i];
    if (atGround && s.nUp !== null) {
      groundSectors.push(s.nUp);
      if (s.mirror !== null) groundSectors.push(s.mirror);
    }
  });
  groundSectors.sort((a, b) => a - b);
  const sector = p.sectors[best];
  const result: ExactResult = {
    energy,
    energyPerSite: energy / n,
    gap: e1 === null ? null : e1 - energy,
    method: sector.method,
    nSites: n,
    nUp: sector.nUp,
    dimension: sector.dimension,
    sectorChoice: p.sectorChoice,
    groundSectors: sector.nUp === null ? null : groundSectors,
    sectors: solved,
    groundMultiplicity: ground.multiplicity,
  };
  if (opts.wantVector && ground.vre) {
    fixPhase(ground.vre, ground.complex ? ground.vim! : null);
    result.vector = ground.vre;
    if (ground.complex) result.vectorIm = ground.vim;
    result.basis = ground.basis!.allStates();
  }
  return result;
}
