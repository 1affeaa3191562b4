/**
 * The dense matrix of a compiled operator, for checks on small systems.
 *
 * Basis index b = Σ_s x_s 2^s (site 0 is the lowest bit); entry (row b, column b') is ⟨b|H|b'⟩,
 * stored row-major: re[b·dim + b'], im[b·dim + b'].
 */
import type { CompiledHamiltonian } from './types.js';

/** Largest number of sites denseMatrix accepts (2^14 × 2^14 complex doubles is already 4 GiB). */
export const MAX_DENSE_SITES = 14;

export function denseMatrix(h: CompiledHamiltonian): { re: Float64Array; im: Float64Array; dim: number } {
  const N = h.nSites;
  if (!Number.isInteger(N) || N < 1 || N > MAX_DENSE_SITES) {
    throw new Error(`denseMatrix is for at most ${MAX_DENSE_SITES} sites; this operator has ${N}`);
  }
  const dim = 2 ** N;
  const re = new Float64Array(dim * dim);
  const im = new Float64Array(dim * dim);
  const sigma = new Float64Array(N);
  const masks = h.groups.map((g) => g.flipSites.reduce((m, s) => m | (1 << s), 0));
  for (let b = 0; b < dim; b++) {
    for (let s = 0; s < N; s++) sigma[s] = (b >> s) & 1 ? 1 : -1;
    let d = 0;
    for (const t of h.diagonal) {
      let prod = t.coefRe;
      for (const s of t.signSites) prod *= sigma[s];
      d += prod;
    }
    re[b * dim + b] += d;
    h.groups.forEach((g, gi) => {
      let er = 0;
      let ei = 0;
      for (const t of g.terms) {
        let prod = 1;
        for (const s of t.signSites) prod *= sigma[s];
        er += t.coefRe * prod;
        ei += t.coefIm * prod;
      }
      const col = b ^ masks[gi];
      re[b * dim + col] += er;
      im[b * dim + col] += ei;
    });
  }
  return { re, im, dim };
}
