/**
 * Bases for exact diagonalisation: the full 2^N space, or the total-S^z sector with a fixed
 * number of up spins (bits set).
 *
 * A basis state is an N-bit integer (site s is bit s, bit 1 = up, σ^z = +1). The sector basis
 * lists its states in increasing order; `index(state)` ranks a state in O(1) with two half-word
 * lookup tables (H. Q. Lin, Phys. Rev. B 42, 6561 (1990)): with the state split into a high part
 * `hi` and a low part `lo`, rank = offsetHigh[hi] + rankLow[lo], where rankLow[lo] counts the
 * low patterns below `lo` with the same number of bits and offsetHigh[hi] counts all sector
 * states whose high part is below `hi`.
 */

/** Sites a basis state can hold: bit operations are 32-bit, and N > 30 is far beyond exact reach. */
export const MAX_SITES = 30;

export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

export function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Parity (0 or 1) of the number of set bits. */
export function parity(v: number): number {
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  return (0x6996 >>> (v & 0xf)) & 1;
}

/** Dimension of the space of N sites with `nUp` up spins (null: the full space). */
export function sectorDimension(nSites: number, nUp: number | null): number {
  return nUp === null ? 2 ** nSites : binomial(nSites, nUp);
}

export class Basis {
  readonly nSites: number;
  /** number of up spins, or null for the full space */
  readonly nUp: number | null;
  readonly dim: number;
  /** sector states in increasing order (null for the full space, where state = index) */
  readonly states: Uint32Array | null;
  private readonly loBits: number;
  private readonly loMask: number;
  private readonly rankLow: Uint32Array | null;
  private readonly offsetHigh: Uint32Array | null;

  constructor(nSites: number, nUp: number | null = null) {
    if (!Number.isInteger(nSites) || nSites < 1 || nSites > MAX_SITES) {
      throw new Error(`a basis needs 1..${MAX_SITES} sites, got ${nSites}`);
    }
    if (nUp !== null && (!Number.isInteger(nUp) || nUp < 0 || nUp > nSites)) {
      throw new Error(`the number of up spins must be an integer in 0..${nSites}, got ${nUp}`);
    }
    this.nSites = nSites;
    this.nUp = nUp;
    this.dim = sectorDimension(nSites, nUp);
    this.loBits = nSites >> 1;
    this.loMask = this.loBits === 0 ? 0 : (2 ** this.loBits - 1) >>> 0;
    if (nUp === null) {
      this.states = null;
      this.rankLow = null;
      this.offsetHigh = null;
      return;
    }
    const hiBits = nSites - this.loBits;
    const nLo = 2 ** this.loBits;
    const nHi = 2 ** hiBits;
    // rank of each low pattern among low patterns with the same bit count
    const rankLow = new Uint32Array(nLo);
    const countByBits = new Uint32Array(this.loBits + 1);
    for (let lo = 0; lo < nLo; lo++) {
      const b = popcount(lo);
      rankLow[lo] = countByBits[b]++;
    }
    const offsetHigh = new Uint32Array(nHi);
    let acc = 0;
    for (let hi = 0; hi < nHi; hi++) {
      offsetHigh[hi] = acc;
      const need = nUp - popcount(hi);
      if (need >= 0 && need <= this.loBits) acc += binomial(this.loBits, need);
    }
    if (acc !== this.dim) throw new Error(`internal: sector tables count ${acc} states, expected ${this.dim}`);
    // states in increasing order: high part major, low part minor
    const states = new Uint32Array(this.dim);
    const lowByBits: number[][] = Array.from({ length: this.loBits + 1 }, () => []);
    for (let lo = 0; lo < nLo; lo++) lowByBits[popcount(lo)].push(lo);
    let k = 0;
    for (let hi = 0; hi < nHi; hi++) {
      const need = nUp - popcount(hi);
      if (need < 0 || need > this.loBits) continue;
      const base = (hi * nLo) >>> 0;
      for (const lo of lowByBits[need]) states[k++] = base + lo;
    }
    this.states = states;
    this.rankLow = rankLow;
    this.offsetHigh = offsetHigh;
  }

  /** The basis state (bit pattern) at position i. */
  state(i: number): number {
    return this.states === null ? i : this.states[i];
  }

  /** Position of a state; the state must belong to the basis (not checked). */
  index(state: number): number {
    if (this.states === null) return state;
    return this.offsetHigh![state >>> this.loBits] + this.rankLow![state & this.loMask];
  }

  /** True when `state` has the basis's number of up spins (always true for the full space). */
  contains(state: number): boolean {
    return this.nUp === null ? state >= 0 && state < this.dim : popcount(state) === this.nUp;
  }

  /** The lookup tables, for hot loops that inline `index`. */
  tables(): { loBits: number; loMask: number; rankLow: Uint32Array | null; offsetHigh: Uint32Array | null } {
    return { loBits: this.loBits, loMask: this.loMask, rankLow: this.rankLow, offsetHigh: this.offsetHigh };
  }

  /** All basis states as an array (a copy; for the full space 0..2^N−1). */
  allStates(): Uint32Array {
    if (this.states) return this.states.slice();
    const out = new Uint32Array(this.dim);
    for (let i = 0; i < this.dim; i++) out[i] = i;
    return out;
  }

  describe(): string {
    return this.nUp === null
      ? `full space of ${this.nSites} sites`
      : `S^z sector with ${this.nUp} up spins of ${this.nSites} (S^z = ${(2 * this.nUp - this.nSites) / 2})`;
  }
}
