/**
 * Off-diagonal observables through wavefunction ratios.
 *
 * An observable is a Pauli-sum operator O = Σ_g O_g, compiled by `compileHamiltonian` from a
 * model definition built in code (e.g. X on every site, or X_i X_j on chosen pairs); its flip
 * groups g are the distinct flip patterns. For a sample x, the local value of one group is
 *   O_g,loc(x) = ⟨x|O_g|x'⟩ ψ(x')/ψ(x),  x' = x with the group's sites flipped,
 * with ψ(x')/ψ(x) = exp(logAmp' − logAmp)·(cos + i sin)(phase' − phase) — the values of
 * `connectedValues` (src/vmc/connected.ts, shared with the local energies) kept per group, so
 * that one pass gives, say, every ⟨σ^x_i σ^x_j⟩ at once. ⟨O_g⟩ = E_{|ψ|²}[O_g,loc].
 *
 * Fixed magnetisation: when the state lives in a sector of `nUp` up spins (a U(1) ansatz, or
 * Metropolis chains restricted to the sector), the variational state is ψ projected on that
 * sector, so a connected configuration outside it has amplitude zero. Such entries are dropped
 * before evaluation: they contribute nothing and cost nothing.
 */
import type { HostLogPsi, Wavefunction } from '../ansatz/wavefunction.js';
import { compileHamiltonian, validateModel } from '../hamiltonian/index.js';
import type { CompiledHamiltonian, Connections } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import { connectedValues } from '../vmc/connected.js';


export interface PauliTerms {
  /** Pauli string, one letter per site of each tuple, e.g. "XX" */
  pauli: string;
  /** site tuples the string acts on */
  sites: number[][];
  /** real coefficient of every tuple (default 1) */
  coupling?: number;
}

/** Compiles Σ coupling·P(tuple) over the given terms into an operator on `lattice`. */
export function pauliOperator(name: string, terms: PauliTerms[], lattice: Lattice): CompiledHamiltonian {
  const def = validateModel(
    {
      name,
      description: `observable ${name}`,
      parameters: {},
      terms: terms.map((t) => ({ pauli: t.pauli, on: t.sites, coupling: t.coupling ?? 1 })),
    },
    `observable ${name}`,
    '',
  );
  return compileHamiltonian(def, lattice);
}

/**
 * log ψ of configurations related to parents: entries offsets[p] .. offsets[p+1]−1 of `related`
 * (rows of N bits) belong to parent p. Uses the ansatz's prefix-sharing path when it has one
 * (an RNN reuses the hidden states a related configuration shares with its parent).
 */
export function evaluateRelated(wf: Wavefunction, parents: Uint8Array, count: number, related: Uint8Array, offsets: Int32Array): HostLogPsi {
  const K = offsets[count];
  if (K === 0) return { logAmp: new Float64Array(0), phase: new Float64Array(0) };
  if (!wf.evaluateConnected) return wf.evaluate(related, K);
  const parent = new Int32Array(K);
  for (let p = 0; p < count; p++) parent.fill(p, offsets[p], offsets[p + 1]);
  const conn: Connections = {
    count,
    nSites: wf.nSites,
    diag: new Float64Array(count),
    offsets,
    configs: related,
    elemRe: new Float64Array(K),
    elemIm: new Float64Array(K),
    parent,
    group: new Int32Array(K),
  };
  return wf.evaluateConnected(parents, conn);
}

export interface GroupValueOptions {
  /** the state's fixed number of up spins, or null */
  nUp?: number | null;
  /** upper bound on connected configurations evaluated at once (default 50 000) */
  maxConnected?: number;
  /** evaluate only the entries of parent p and group g it accepts (default: all) */
  keep?: (p: number, g: number) => boolean;
  /** with `keep`: how many entries it accepts per parent, for the chunk size (default: all groups) */
  perParent?: number;
  /** called before the first chunk (done = 0) and after each chunk with the number of parents done */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Calls `visit(p, g, re, im)` with the local value of flip group g of `op` at parent p, for every
 * non-zero connected entry, and `visit(p, -1, diag, 0)` with the diagonal part of every parent.
 * Groups are indices into `op.groups`.
 */
export function visitGroupValues(
  op: CompiledHamiltonian,
  wf: Wavefunction,
  configs: Uint8Array,
  count: number,
  visit: (p: number, g: number, re: number, im: number) => void,
  opts: GroupValueOptions = {},
): void {
  const N = op.nSites;
  const nUp = opts.nUp ?? null;
  const perParent = Math.max(1, opts.perParent ?? op.groups.length);
  const chunk = Math.max(1, Math.floor((opts.maxConnected ?? 50_000) / perParent));
  opts.onProgress?.(0, count);
  for (let start = 0; start < count; start += chunk) {
    const m = Math.min(chunk, count - start);
    const parents = configs.subarray(start * N, (start + m) * N);
    const keep = opts.keep;
    const v = connectedValues(op, wf, parents, m, nUp, keep ? (p, g) => keep(start + p, g) : undefined);
    const conn = v.conn;
    for (let p = 0; p < m; p++) if (conn.diag[p] !== 0) visit(start + p, -1, conn.diag[p], 0);
    for (let k = 0; k < conn.offsets[m]; k++) visit(start + conn.parent[k], conn.group[k], v.re[k], v.im[k]);
    opts.onProgress?.(start + m, count);
  }
}
