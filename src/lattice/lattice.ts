/**
 * Lattices: a chain of N sites or an Lx × Ly square lattice, open or periodic.
 *
 * Site index on the square lattice: s = x + Lx·y (raster order, row y). Bonds are grouped into
 * named families ("nearest", "next-nearest", and per-direction families) that Hamiltonian
 * definition files refer to. Each bond appears once: a periodic direction of length 2 must not
 * give the same pair twice.
 */

export type Boundary = 'open' | 'periodic';
export type LatticeKind = 'chain' | 'square';
export type SiteOrder = 'raster' | 'snake';
export type Bond = readonly [number, number];

export interface LatticeSpec {
  kind: LatticeKind;
  /** chain: [N]; square: [Lx, Ly] */
  size: number[];
  bc: Boundary;
}

/** Bond families each lattice offers, with what they mean. */
export const BOND_FAMILIES: Record<LatticeKind, Record<string, string>> = {
  chain: {
    nearest: 'pairs (i, i+1)',
    'next-nearest': 'pairs (i, i+2)',
  },
  square: {
    nearest: 'horizontal and vertical neighbours',
    'nearest-x': 'horizontal neighbours (x, y)–(x+1, y)',
    'nearest-y': 'vertical neighbours (x, y)–(x, y+1)',
    'next-nearest': 'both diagonals',
    diagonal: 'diagonal neighbours (x, y)–(x+1, y+1)',
    antidiagonal: 'anti-diagonal neighbours (x+1, y)–(x, y+1)',
  },
};

export class Lattice {
  readonly kind: LatticeKind;
  readonly size: readonly number[];
  readonly bc: Boundary;
  readonly nSites: number;
  /** 0 for sublattice A, 1 for sublattice B (checkerboard); meaningful when `bipartite`. */
  readonly sublattice: Uint8Array;
  /** True when nearest-neighbour bonds only join different sublattices. */
  readonly bipartite: boolean;
  private readonly families = new Map<string, Bond[]>();

  constructor(spec: LatticeSpec) {
    this.kind = spec.kind;
    this.bc = spec.bc;
    this.size = [...spec.size];
    const dims = spec.kind === 'chain' ? 1 : 2;
    if (spec.size.length !== dims) {
      throw new Error(`a ${spec.kind} lattice needs ${dims} size(s), got ${spec.size.length}`);
    }
    for (const L of spec.size) {
      if (!Number.isInteger(L) || L < 1) throw new Error(`lattice sizes must be positive integers, got ${L}`);
    }
    if (spec.bc !== 'open' && spec.bc !== 'periodic') {
      throw new Error(`boundary must be "open" or "periodic", got "${String(spec.bc)}"`);
    }
    this.nSites = spec.size.reduce((a, b) => a * b, 1);
    if (this.nSites < 2) throw new Error('a lattice needs at least 2 sites');
    if (spec.bc === 'periodic' && spec.size.some((L) => L < 2)) {
      throw new Error('a periodic direction needs length at least 2');
    }

    this.sublattice = new Uint8Array(this.nSites);
    for (let s = 0; s < this.nSites; s++) {
      const [x, y] = this.coords(s);
      this.sublattice[s] = (x + y) % 2;
    }
    if (spec.kind === 'chain') {
      const N = this.nSites;
      this.families.set('nearest', this.collect((i) => [[i, i + 1]], N));
      this.families.set('next-nearest', this.collect((i) => [[i, i + 2]], N));
    } else {
      const [Lx, Ly] = this.size;
      const at = (x: number, y: number): number | null => this.siteAt(x, y);
      const pairs = (dx: number, dy: number, ox = 0): Bond[] => {
        const out: Bond[] = [];
        for (let y = 0; y < Ly; y++) {
          for (let x = 0; x < Lx; x++) {
            const a = at(x + ox, y);
            const b = at(x + ox + dx, y + dy);
            if (a !== null && b !== null && a !== b) out.push([a, b]);
          }
        }
        return dedupe(out);
      };
      const hx = pairs(1, 0);
      const hy = pairs(0, 1);
      const diag = pairs(1, 1);
      const anti = pairs(-1, 1, 1);
      this.families.set('nearest-x', hx);
      this.families.set('nearest-y', hy);
      this.families.set('nearest', dedupe([...hx, ...hy]));
      this.families.set('diagonal', diag);
      this.families.set('antidiagonal', anti);
      this.families.set('next-nearest', dedupe([...diag, ...anti]));
    }
    this.bipartite = this.bonds('nearest').every(([a, b]) => this.sublattice[a] !== this.sublattice[b]);
  }

  /** Chain coordinates are (i, 0). */
  coords(site: number): [number, number] {
    if (this.kind === 'chain') return [site, 0];
    const Lx = this.size[0];
    return [site % Lx, Math.floor(site / Lx)];
  }

  /** Names of the bond families this lattice has. */
  bondFamilies(): string[] {
    return [...this.families.keys()];
  }

  hasBondFamily(name: string): boolean {
    return this.families.has(name);
  }

  /** Bonds of a family, each unordered pair once. Throws for a family the lattice does not have. */
  bonds(family: string): Bond[] {
    const b = this.families.get(family);
    if (!b) {
      throw new Error(
        `the ${this.kind} lattice has no bond family "${family}" (it has: ${this.bondFamilies().join(', ')})`,
      );
    }
    return b;
  }

  /**
   * A path through all sites for autoregressive ansätze. `raster`: natural order. `snake`: rows
   * of the square lattice alternate direction (even rows left→right, odd rows right→left), so
   * consecutive sites on the path are always neighbours (the 2020 paper's zigzag path).
   */
  order(name: SiteOrder): number[] {
    const idx = Array.from({ length: this.nSites }, (_, i) => i);
    if (name === 'raster' || this.kind === 'chain') return idx;
    if (name !== 'snake') throw new Error(`unknown site order "${String(name)}" (expected raster or snake)`);
    const [Lx, Ly] = this.size;
    const out: number[] = [];
    for (let y = 0; y < Ly; y++) {
      for (let k = 0; k < Lx; k++) out.push(y * Lx + (y % 2 === 0 ? k : Lx - 1 - k));
    }
    return out;
  }

  describe(): string {
    const dims = this.kind === 'chain' ? `N=${this.nSites}` : `${this.size[0]}x${this.size[1]}`;
    return `${this.kind} ${dims} ${this.bc}`;
  }

  spec(): LatticeSpec {
    return { kind: this.kind, size: [...this.size], bc: this.bc };
  }

  private siteAt(x: number, y: number): number | null {
    const Lx = this.kind === 'chain' ? this.nSites : this.size[0];
    const Ly = this.kind === 'chain' ? 1 : this.size[1];
    if (this.bc === 'periodic') {
      x = ((x % Lx) + Lx) % Lx;
      y = ((y % Ly) + Ly) % Ly;
    } else if (x < 0 || x >= Lx || y < 0 || y >= Ly) {
      return null;
    }
    return x + Lx * y;
  }

  private collect(f: (i: number) => Bond[], N: number): Bond[] {
    const out: Bond[] = [];
    for (let i = 0; i < N; i++) {
      for (const [a, b] of f(i)) {
        const sa = this.siteAt(a, 0);
        const sb = this.siteAt(b, 0);
        if (sa !== null && sb !== null && sa !== sb) out.push([sa, sb]);
      }
    }
    return dedupe(out);
  }
}

/** Keeps the first occurrence of each unordered pair. */
function dedupe(bonds: Bond[]): Bond[] {
  const seen = new Set<string>();
  const out: Bond[] = [];
  for (const [a, b] of bonds) {
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push([a, b]);
    }
  }
  return out;
}

/** Convenience constructors. */
export function chain(n: number, bc: Boundary = 'open'): Lattice {
  return new Lattice({ kind: 'chain', size: [n], bc });
}

export function square(lx: number, ly: number, bc: Boundary = 'open'): Lattice {
  return new Lattice({ kind: 'square', size: [lx, ly], bc });
}
