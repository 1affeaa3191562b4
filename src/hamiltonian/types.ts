/**
 * The compiled form of a Hamiltonian H = Σ_t c_t P_t (real couplings c_t, Pauli strings P_t).
 *
 * Row convention: for a configuration x (bits, σ_s = 2x_s − 1), the non-zero matrix elements of
 * row x are the diagonal ⟨x|H|x⟩ and, for each flip group g, ⟨x|H|x ⊕ m_g⟩ where m_g flips the
 * sites `flipSites`. Each matrix element is a sum of terms `coef · Π_{s ∈ signSites} σ_s(x)`
 * with a complex coefficient (re, im).
 *
 * Derivation: a Pauli string acts as P|x⟩ = i^{nY} Π_{s∈Z∪Y} σ_s |x ⊕ m⟩ (X flips, Z multiplies
 * by σ, Y = iσ times a flip). P is Hermitian, so ⟨x|P|x⊕m⟩ = conj of that phase at x:
 * coef = c·(−i)^{nY}, signSites = the Z and Y sites.
 */

export interface CompiledTerm {
  coefRe: number;
  coefIm: number;
  /** sites whose σ_s(x) multiplies the coefficient (sorted, distinct) */
  signSites: number[];
}

export interface FlipGroup {
  /** sites flipped between x and the connected configuration (sorted, distinct, non-empty) */
  flipSites: number[];
  terms: CompiledTerm[];
}

/**
 * Connected configurations of a batch of M parent configurations, flat and allocation-light.
 * Only non-zero off-diagonal elements are listed.
 */
export interface Connections {
  /** number of parent configurations M */
  count: number;
  nSites: number;
  /** ⟨x|H|x⟩ per parent, length M (always real for Hermitian H) */
  diag: Float64Array;
  /** connected entries of parent p are offsets[p] .. offsets[p+1]-1; length M+1 */
  offsets: Int32Array;
  /** connected configurations, K·N bits */
  configs: Uint8Array;
  /** ⟨x|H|x'⟩, real and imaginary parts, length K */
  elemRe: Float64Array;
  elemIm: Float64Array;
  /** parent index of each connected entry, length K */
  parent: Int32Array;
  /** index into `groups` of each connected entry (its flipped sites), length K */
  group: Int32Array;
}

export interface CompiledHamiltonian {
  /** model name, e.g. "tfim" */
  readonly name: string;
  readonly nSites: number;
  /** resolved parameter values, e.g. { J: 1, h: 1 } */
  readonly params: Readonly<Record<string, number>>;
  /** diagonal terms: ⟨x|H|x⟩ = Σ coef·Π σ (coefIm is 0) */
  readonly diagonal: readonly CompiledTerm[];
  /** off-diagonal flip groups (one per distinct flip pattern, zero groups removed) */
  readonly groups: readonly FlipGroup[];
  /** true when every off-diagonal element conserves the number of up spins */
  readonly conservesSz: boolean;
  /** diagonal energies and connected configurations of `count` parents stored as count·N bits */
  connections(configs: Uint8Array, count: number): Connections;
}
