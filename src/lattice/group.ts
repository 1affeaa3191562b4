/**
 * A finite symmetry group of spin configurations, generated from a few generators: each element
 * is a site permutation (perm[s] = g(s), see lattice/symmetries.ts) optionally followed by the
 * global spin flip x → 1 − x (which commutes with every permutation), together with the value
 * χ(g) of a one-dimensional representation (a character, |χ| = 1).
 *
 * The character is given on the generators and propagated by χ(h g) = χ(h) χ(g) while the group
 * is closed breadth-first; when two products reach the same element with different values, the
 * generators' values are not a representation (e.g. a momentum k ∉ {0, π} together with a
 * reflection, which maps k to −k), and `generateGroup` throws a CharacterError naming both words.
 */

export interface GroupGenerator {
  /** name used in words and messages (k, reflection, c4, flip, …) */
  key: string;
  /** perm[s] = g(s); null for the identity on the sites (the spin flip) */
  perm: readonly number[] | null;
  flip: boolean;
  /** χ(generator) = re + i·im, |χ| = 1 */
  chi: readonly [number, number];
}

export interface GroupElement {
  /** perm[s] = g(s) */
  perm: Int32Array;
  flip: boolean;
  chiRe: number;
  chiIm: number;
  /** generators whose product (rightmost first) gives this element; [] for the identity */
  word: string[];
}

/** Largest group accepted (each element costs one evaluation of the network per configuration). */
export const MAX_GROUP_ORDER = 4096;

/** Characters within this distance are equal (products of a few thousand unit complex numbers). */
const CHI_TOL = 1e-7;

export class CharacterError extends Error {
  constructor(
    message: string,
    /** the two words that reach the same element with different characters */
    readonly words: [string[], string[]],
  ) {
    super(message);
    this.name = 'CharacterError';
  }
}

export function wordText(word: readonly string[]): string {
  return word.length === 0 ? 'the identity' : word.join('·');
}

function elementKey(perm: Int32Array, flip: boolean): string {
  return `${flip ? 1 : 0}:${perm.join(',')}`;
}

/** The closure of `generators` on `nSites` sites, identity first, in breadth-first order. */
export function generateGroup(nSites: number, generators: readonly GroupGenerator[], maxOrder = MAX_GROUP_ORDER): GroupElement[] {
  for (const g of generators) {
    if (g.perm && (g.perm.length !== nSites || new Set(g.perm).size !== nSites || g.perm.some((s) => !Number.isInteger(s) || s < 0 || s >= nSites))) {
      throw new Error(`group generator ${g.key}: not a permutation of ${nSites} sites`);
    }
    if (Math.abs(Math.hypot(g.chi[0], g.chi[1]) - 1) > CHI_TOL) throw new Error(`group generator ${g.key}: |χ| must be 1`);
  }
  const identity: GroupElement = { perm: Int32Array.from({ length: nSites }, (_, s) => s), flip: false, chiRe: 1, chiIm: 0, word: [] };
  const out: GroupElement[] = [identity];
  const index = new Map<string, number>([[elementKey(identity.perm, false), 0]]);
  for (let at = 0; at < out.length; at++) {
    const e = out[at];
    for (const g of generators) {
      const perm = g.perm ? Int32Array.from(e.perm, (s) => g.perm![s]) : Int32Array.from(e.perm);
      const flip = e.flip !== g.flip;
      const chiRe = g.chi[0] * e.chiRe - g.chi[1] * e.chiIm;
      const chiIm = g.chi[0] * e.chiIm + g.chi[1] * e.chiRe;
      const word = [g.key, ...e.word];
      const key = elementKey(perm, flip);
      const seen = index.get(key);
      if (seen !== undefined) {
        const f = out[seen];
        if (Math.hypot(f.chiRe - chiRe, f.chiIm - chiIm) > CHI_TOL) {
          throw new CharacterError(
            `the characters given to the generators are not a one-dimensional representation: ${wordText(f.word)} and ${wordText(word)} ` +
              `are the same operation but get χ = ${complexText(f.chiRe, f.chiIm)} and ${complexText(chiRe, chiIm)}`,
            [f.word, word],
          );
        }
        continue;
      }
      if (out.length >= maxOrder) throw new Error(`the symmetry group has more than ${maxOrder} elements`);
      index.set(key, out.length);
      out.push({ perm, flip, chiRe, chiIm, word });
    }
  }
  return out;
}

/** 1, −1, i, 0.5+0.866i: a character value for messages. */
export function complexText(re: number, im: number): string {
  const r = (v: number) => String(Number(v.toFixed(4)) + 0);
  if (Math.abs(im) < 1e-9) return r(re);
  if (Math.abs(re) < 1e-9) return `${r(im)}i`.replace(/^1i$/, 'i').replace(/^-1i$/, '−i');
  return `${r(re)}${im < 0 ? '−' : '+'}${r(Math.abs(im))}i`;
}
