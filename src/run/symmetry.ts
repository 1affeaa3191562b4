/**
 * `--symmetry` and `--symmetry-sector`: from the experiment's settings to the group of operations
 * (with the network's character) that ansatz/symmetric.ts averages over, and every reason to
 * refuse them, as InputErrors that say which symmetry and why.
 *
 * Validity. Each generator must be a symmetry of the lattice (translations need periodic
 * boundaries, c4v a square lx = ly: lattice/symmetries.ts) and of the compiled Hamiltonian
 * (site permutations: the Pauli strings are permuted and compared; the spin flip: no string with
 * an odd number of Z factors; src/exact/symmetry.ts). The spin flip maps S^z to −S^z, so with a
 * fixed magnetisation it needs S^z = 0. Checking the generators suffices: products of symmetries
 * are symmetries.
 *
 * The sector is the character χ of the whole state, ψ(g x) = χ(g) ψ(x), given on the generators:
 * `k=q` (chain translation, χ = e^{2πi q/N}), `kx=q`, `ky=q` (square, e^{2πi q/Lx}, e^{2πi q/Ly}),
 * `reflection=±1` (chain), `mx=±1`, `my=±1` (square mirrors), `c4=±1` (rotation), `c4v=A1|A2|B1|B2`
 * (c4, mx) = (+,+), (+,−), (−,+), (−,−), and `flip=±1`. Keys left out take their default (below).
 *
 * The Marshall sign and the order of composition. The sign wraps the symmetrised network:
 * ψ = M · Sym_χ'(network), so a positive network keeps a positive phase sum. M itself transforms
 * under a lattice operation g by a sign: M(g x) = χ_M(g) M(x) with
 *   χ_M(g) = 1 when g maps sublattice A onto A,
 *   χ_M(g) = (−1)^{N_up} when it maps A onto B (N_up = number of up spins; fixed only with
 *            --magnetization, otherwise a constant on each S^z sector),
 *   χ_M(flip) = (−1)^{|A|}.
 * On a periodic chain (N even, S^z = 0) the translation and the reflection i → N−1−i swap the
 * sublattices: χ_M = (−1)^{N/2}, i.e. the Marshall-signed state has momentum π and odd parity
 * when N/2 is odd (N = 6, 10, 14, …) — which is where the Heisenberg ground state lies — and
 * is invariant when N/2 is even. On an L × L torus (L even) every translation, rotation and mirror
 * gives χ_M = (−1)^{L²/2} = 1. The network's character is therefore χ' = χ · χ_M, and the default
 * sector is χ = χ_M (χ' trivial: what a positive network can represent, and by Marshall's theorem
 * the Heisenberg ground state's sector); without a sign rule the default is the trivial χ = 1.
 * A non-trivial χ' needs a phase head (--phase): for a positive network the unit-weight phase sum
 * Σ_g χ'(g)* vanishes identically.
 */
import type { SymmetryOperation } from '../ansatz/symmetric.js';
import { InputError, quote } from '../errors.js';
import { permutationProblem, sectorSymmetries } from '../exact/symmetry.js';
import { CharacterError, complexText, generateGroup, MAX_GROUP_ORDER, type GroupGenerator } from '../lattice/group.js';
import type { Lattice } from '../lattice/lattice.js';
import { LATTICE_SYMMETRIES, latticeGenerators, latticeSymmetryProblem, type LatticeSymmetry } from '../lattice/symmetries.js';
import type { ModelParts } from './build.js';
import type { ExperimentConfig } from './experiment.js';

export const SYMMETRY_NAMES = [...LATTICE_SYMMETRIES, 'flip'] as const;
export type SymmetryName = (typeof SYMMETRY_NAMES)[number];

export interface ResolvedSymmetry {
  /** the symmetries asked for, in the order given */
  names: SymmetryName[];
  /** the group's operations with the network's character χ' (identity first) */
  ops: SymmetryOperation[];
  /** for spec(): names, order, the sector (character of the whole state on each generator) */
  describe: Record<string, unknown>;
}

/** The names in `--symmetry` (empty for "none"); throws an InputError for anything else. */
export function parseSymmetryNames(text: string): SymmetryName[] {
  const names = text.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  const out: SymmetryName[] = [];
  for (const n of names) {
    if (!(SYMMETRY_NAMES as readonly string[]).includes(n)) {
      throw new InputError(`expected none or a comma-separated subset of ${SYMMETRY_NAMES.join(', ')}, got ${quote(text)}`, 'symmetry');
    }
    if (!out.includes(n as SymmetryName)) out.push(n as SymmetryName);
  }
  if (out.length === 0) throw new InputError(`expected none or a comma-separated subset of ${SYMMETRY_NAMES.join(', ')}, got ${quote(text)}`, 'symmetry');
  return out;
}

interface NamedGenerator {
  key: string;
  describe: string;
  symmetry: SymmetryName;
  perm: number[] | null;
  flip: boolean;
  /** number of distinct momenta (translations), else 0 */
  period: number;
}

/** χ_M(g) of the Marshall sign: 1, −1, or 'sector' for (−1)^{N_up} without a fixed N_up. */
type MarshallCharacter = 1 | -1 | 'sector';

function marshallCharacter(g: NamedGenerator, lattice: Lattice, nUp: number | null): MarshallCharacter {
  const A = lattice.sublattice;
  if (g.perm === null) {
    let sizeA = 0;
    for (const b of A) if (b === 0) sizeA++;
    return sizeA % 2 === 0 ? 1 : -1;
  }
  let same = 0;
  let swapped = 0;
  for (let s = 0; s < A.length; s++) if (A[s] === 0) (A[g.perm[s]] === 0 ? same++ : swapped++);
  if (same > 0 && swapped > 0) {
    throw new InputError(
      `the Marshall sign is not compatible with the ${g.describe} on ${lattice.describe()}: it maps part of sublattice A onto A and part onto B`,
      'symmetry',
    );
  }
  if (swapped === 0) return 1;
  return nUp === null ? 'sector' : nUp % 2 === 0 ? 1 : -1;
}

/** The generators of the chosen symmetries (lattice geometry checked). */
function generatorsOf(names: SymmetryName[], lattice: Lattice): NamedGenerator[] {
  const out: NamedGenerator[] = [];
  for (const name of names) {
    if (name === 'flip') {
      out.push({ key: 'flip', describe: 'global spin flip', symmetry: 'flip', perm: null, flip: true, period: 0 });
      continue;
    }
    const problem = latticeSymmetryProblem(lattice, name as LatticeSymmetry);
    if (problem) throw new InputError(problem, 'symmetry');
    for (const g of latticeGenerators(lattice, name as LatticeSymmetry)) {
      // c4v and reflection share the mirror M_x: keep one
      if (out.some((o) => o.key === g.key)) continue;
      const period = g.key === 'k' ? lattice.nSites : g.key === 'kx' ? lattice.size[0] : g.key === 'ky' ? lattice.size[1] : 0;
      out.push({ key: g.key, describe: g.describe, symmetry: name, perm: g.perm, flip: false, period });
    }
  }
  return out;
}

/** Refuses generators that are not symmetries of the model (and flips outside S^z = 0). */
function checkHamiltonian(gens: NamedGenerator[], parts: ModelParts, cfg: ExperimentConfig): void {
  const { hamiltonian: h, lattice, definition, nUp } = parts;
  const model = `model "${definition.name}" on ${lattice.describe()}`;
  for (const g of gens) {
    if (g.perm === null) {
      if (!sectorSymmetries(h).spinFlip) {
        throw new InputError(`flip: ${model} is not symmetric under the global spin flip (a term has an odd number of Z factors, e.g. a field along z)`, 'symmetry');
      }
      if (nUp !== null && 2 * nUp !== lattice.nSites) {
        throw new InputError(`flip maps S^z to −S^z, so it needs --magnetization 0 (or none), not ${cfg.magnetization}`, 'symmetry');
      }
      continue;
    }
    const problem = permutationProblem(h, g.perm);
    if (problem) throw new InputError(`${g.symmetry}: the ${g.describe} is not a symmetry of ${model}: ${problem}`, 'symmetry');
  }
}

const C4V_REPS: Record<string, [number, number]> = { A1: [1, 1], A2: [1, -1], B1: [-1, 1], B2: [-1, -1] };

/** `--symmetry-sector` as the character of the whole state on each generator it names. */
function parseSector(text: string | undefined, gens: NamedGenerator[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  if (text === undefined || text.trim() === '' || text.trim() === 'auto') return out;
  const where = 'symmetry-sector';
  const has = (key: string) => gens.find((g) => g.key === key);
  const known = () => [...gens.map((g) => g.key), ...(has('c4') ? ['c4v'] : [])].join(', ');
  const parity = (key: string, v: string): [number, number] => {
    if (v === '1' || v === '+1') return [1, 0];
    if (v === '-1' || v === '−1') return [-1, 0];
    throw new InputError(`${key} must be +1 or -1, got ${quote(v)}`, where);
  };
  for (const item of text.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const m = /^([a-z0-9]+)\s*=\s*(\S+)$/i.exec(item);
    if (!m) throw new InputError(`expected KEY=VALUE items separated by commas (keys: ${known()}), got ${quote(item)}`, where);
    const key = m[1].toLowerCase();
    const value = m[2];
    const set = (k: string, chi: [number, number]) => {
      if (out.has(k)) throw new InputError(`${k} is given twice`, where);
      out.set(k, chi);
    };
    if (key === 'c4v' && has('c4')) {
      const rep = C4V_REPS[value.toUpperCase()];
      if (!rep) throw new InputError(`c4v must be one of A1, A2, B1, B2, got ${quote(value)}`, where);
      set('c4', [rep[0], 0]);
      set('mx', [rep[1], 0]);
      continue;
    }
    const g = has(key);
    if (!g) throw new InputError(`${quote(key)} is not a generator of the chosen symmetries (keys: ${known() || 'none'})`, where);
    if (g.period > 0) {
      if (!/^-?\d+$/.test(value)) throw new InputError(`${key} is the momentum index q of k = 2π·q/${g.period}, an integer; got ${quote(value)}`, where);
      const q = Number(value);
      set(key, [Math.cos((2 * Math.PI * q) / g.period), Math.sin((2 * Math.PI * q) / g.period)]);
    } else set(key, parity(key, value));
  }
  return out;
}

/** The resolved symmetry of an experiment, or null for `--symmetry none`. */
export function resolveSymmetry(cfg: ExperimentConfig, parts: ModelParts): ResolvedSymmetry | null {
  const names = parseSymmetryNames(cfg.symmetry ?? 'none');
  if (names.length === 0) {
    if (cfg['symmetry-sector'] !== undefined) throw new InputError('a sector needs --symmetry', 'symmetry-sector');
    return null;
  }
  if (cfg.ansatz === 'rbm') {
    throw new InputError('symmetry averaging needs an exactly sampled ansatz (rnn, rnn2d, lru, flow); for the RBM use --symmetric', 'symmetry');
  }
  const { lattice, nUp, hamiltonian } = parts;
  const gens = generatorsOf(names, lattice);
  checkHamiltonian(gens, parts, cfg);
  const given = parseSector(cfg['symmetry-sector'], gens);
  const marshall = cfg.sign === 'marshall';
  const sector: Record<string, string> = {};
  const generators: GroupGenerator[] = gens.map((g) => {
    const chiM = marshall ? marshallCharacter(g, lattice, nUp) : 1;
    if (chiM === 'sector' && !hamiltonian.conservesSz) {
      throw new InputError(
        `with the Marshall sign, the ${g.describe} changes ψ by (−1)^N_up, which varies between the configurations of a model that does not conserve S^z`,
        'symmetry',
      );
    }
    const chi = given.get(g.key);
    if (chi && chiM === 'sector') {
      throw new InputError(
        `with the Marshall sign the ${g.describe} multiplies ψ by (−1)^N_up; fix --magnetization to choose a sector for ${g.key}, or leave it out`,
        'symmetry-sector',
      );
    }
    // whole state χ; network χ' = χ·χ_M (default χ = χ_M, i.e. χ' = 1)
    const full: [number, number] = chi ?? (chiM === 'sector' ? [1, 0] : [chiM, 0]);
    const m = chiM === 'sector' ? 1 : chiM;
    sector[g.key] = chiM === 'sector' && !chi ? '(−1)^N_up' : complexText(full[0], full[1]);
    return { key: g.key, perm: g.perm, flip: g.flip, chi: chi ? [chi[0] * m, chi[1] * m] : [1, 0] };
  });
  let elements;
  try {
    elements = generateGroup(lattice.nSites, generators);
  } catch (e) {
    if (e instanceof CharacterError) {
      const hint = gens.some((g) => g.period > 0) && gens.some((g) => g.period === 0 && g.perm !== null)
        ? ' (mirrors and rotations map a momentum k to another one: together with them only k = 0 or π is one-dimensional)'
        : '';
      throw new InputError(`${e.message}${hint}`, 'symmetry-sector');
    }
    throw new InputError(`${(e as Error).message}; choose fewer symmetries (at most ${MAX_GROUP_ORDER} operations)`, 'symmetry');
  }
  const nonTrivial = elements.some((g) => Math.hypot(g.chiRe - 1, g.chiIm) > 1e-9);
  if (nonTrivial && !cfg.phase) {
    const which = marshall ? ' (the sector given times the Marshall sign\'s own character)' : '';
    throw new InputError(
      `the sector ${cfg['symmetry-sector']} gives the network a non-trivial character${which}, which a positive network cannot carry (its symmetrised phase sum Σ_g χ(g)* is zero); add --phase or choose the default sector`,
      'symmetry-sector',
    );
  }
  return {
    names,
    ops: elements.map((g) => ({ perm: g.perm, flip: g.flip, chiRe: g.chiRe, chiIm: g.chiIm })),
    describe: { names, order: elements.length, sector },
  };
}
