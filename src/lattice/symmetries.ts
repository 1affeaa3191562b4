/**
 * Site permutations of a lattice's symmetry operations, as generators of a group (the group
 * itself is closed in lattice/group.ts). A permutation `perm` maps site s to site perm[s] = g(s);
 * a configuration moves with it: (g·x)_{g(s)} = x_s.
 *
 * - translation: periodic lattices only. Chain: T (i → i+1 mod N). Square: T_x ((x,y) → (x+1,y))
 *   and T_y ((x,y) → (x,y+1)), both directions periodic.
 * - reflection: chain: R (i → N−1−i), on open and periodic chains. Square: the mirrors
 *   M_x ((x,y) → (Lx−1−x, y)) and M_y ((x,y) → (x, Ly−1−y)), i.e. the point group C2v of an
 *   Lx × Ly rectangle.
 * - c4v: squares with Lx = Ly = L only: the rotation C4 ((x,y) → (L−1−y, x), 90° about the centre)
 *   and the mirror M_x, which generate the 8 operations of C4v (4 rotations, 4 mirrors).
 *
 * With translations as well, these generate the lattice's space group (e.g. 8·L² operations for
 * c4v and translations on an L × L torus). Whether an operation is also a symmetry of a
 * Hamiltonian is checked on the compiled operator (src/exact/symmetry.ts), not here.
 */
import type { Lattice } from './lattice.js';

export const LATTICE_SYMMETRIES = ['translation', 'reflection', 'c4v'] as const;
export type LatticeSymmetry = (typeof LATTICE_SYMMETRIES)[number];

export interface PermutationGenerator {
  /** short name of the operation, also the key of its character in a symmetry sector: k, kx, ky, reflection, mx, my, c4 */
  key: string;
  /** what it does, for messages */
  describe: string;
  /** perm[s] = g(s) */
  perm: number[];
}

/** Why `name` is not a symmetry of this lattice's geometry, or null when it is. */
export function latticeSymmetryProblem(lattice: Lattice, name: LatticeSymmetry): string | null {
  if (name === 'translation' && lattice.bc !== 'periodic') {
    return `translations need periodic boundaries (${lattice.describe()} has open ones)`;
  }
  if (name === 'c4v') {
    if (lattice.kind !== 'square') return `c4v needs a square lattice (${lattice.describe()} is a chain; use reflection)`;
    if (lattice.size[0] !== lattice.size[1]) {
      return `c4v needs lx = ly (${lattice.describe()} is not square; use reflection for its two mirrors)`;
    }
  }
  return null;
}

/** The generators of one lattice symmetry; throws an Error saying why when the lattice lacks it. */
export function latticeGenerators(lattice: Lattice, name: LatticeSymmetry): PermutationGenerator[] {
  const problem = latticeSymmetryProblem(lattice, name);
  if (problem) throw new Error(problem);
  const [Lx, Ly] = lattice.kind === 'chain' ? [lattice.nSites, 1] : lattice.size;
  const site = (x: number, y: number): number => (((x % Lx) + Lx) % Lx) + Lx * (((y % Ly) + Ly) % Ly);
  const map = (f: (x: number, y: number) => [number, number]): number[] =>
    Array.from({ length: lattice.nSites }, (_, s) => site(...f(...lattice.coords(s))));
  const chain = lattice.kind === 'chain';
  switch (name) {
    case 'translation':
      return chain
        ? [{ key: 'k', describe: 'translation by one site', perm: map((x, y) => [x + 1, y]) }]
        : [
            { key: 'kx', describe: 'translation by one site along x', perm: map((x, y) => [x + 1, y]) },
            { key: 'ky', describe: 'translation by one site along y', perm: map((x, y) => [x, y + 1]) },
          ];
    case 'reflection':
      return chain
        ? [{ key: 'reflection', describe: 'reflection i → N−1−i', perm: map((x, y) => [Lx - 1 - x, y]) }]
        : [
            { key: 'mx', describe: 'mirror x → lx−1−x', perm: map((x, y) => [Lx - 1 - x, y]) },
            { key: 'my', describe: 'mirror y → ly−1−y', perm: map((x, y) => [x, Ly - 1 - y]) },
          ];
    case 'c4v':
      return [
        { key: 'c4', describe: 'rotation by 90° about the centre', perm: map((x, y) => [Lx - 1 - y, x]) },
        { key: 'mx', describe: 'mirror x → lx−1−x', perm: map((x, y) => [Lx - 1 - x, y]) },
      ];
  }
}
