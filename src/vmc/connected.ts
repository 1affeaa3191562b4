/**
 * The one implementation of ⟨x|O|x'⟩ ψ(x')/ψ(x) over the connected configurations x' of a batch
 * of parents x, for any Pauli-sum operator O (the Hamiltonian in local energies, observables in
 * `vmc measure`), with ψ(x')/ψ(x) = exp(logAmp' − logAmp)·(cos + i sin)(phase' − phase).
 *
 * Work saved before any wavefunction evaluation (none changes a number: log ψ of a row does not
 * depend on the other rows of its batch):
 * - sector: with a fixed number of up spins `nUp`, entries outside the sector have ψ = 0 and are
 *   dropped (they contribute nothing);
 * - duplicates: an entry equal to one of the parents reuses the parent's log ψ, and an entry
 *   equal to an earlier entry (of any parent) is evaluated once. Late in training, when the
 *   samples concentrate on few configurations, many connected configurations are themselves
 *   samples or neighbours of several samples;
 * - parents: an ansatz whose `evaluateConnected` runs the parents as the roots of its
 *   prefix-sharing pass returns their log ψ too, so they are not evaluated a second time.
 * Reusing a value computed from another parent (or by `evaluate`) is done only for ansätze whose
 * `evaluateConnected` is bitwise `evaluate` (`connectedExact`: the RNNs); for the others (RBM θ
 * tables, LRU corrections) a value's last bits depend on the parent it came from, so reuse would
 * make the numbers depend on how the parents are split over threads. (Without evaluateConnected
 * everything goes through `evaluate`, and reuse is exact.)
 */
import type { ConnectedLogPsi, HostLogPsi, Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian, Connections } from '../hamiltonian/types.js';

export interface ConnectedValues {
  /** the connected entries kept (sector-restricted) */
  conn: Connections;
  /** log ψ of the parents */
  own: HostLogPsi;
  /** ⟨x|O|x'⟩ ψ(x')/ψ(x) of every kept entry */
  re: Float64Array;
  im: Float64Array;
}

/** Number of up spins of row `r` of `configs`. */
export function upCount(configs: Uint8Array, r: number, nSites: number): number {
  let u = 0;
  for (let s = 0; s < nSites; s++) u += configs[r * nSites + s];
  return u;
}

/** The entries `keep` of `conn` (ascending), as a Connections of the same parents. */
function selectEntries(conn: Connections, keep: ArrayLike<number>, n: number): Connections {
  const N = conn.nSites;
  const offsets = new Int32Array(conn.count + 1);
  const configs = new Uint8Array(n * N);
  const elemRe = new Float64Array(n);
  const elemIm = new Float64Array(n);
  const parent = new Int32Array(n);
  const group = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const k = keep[j];
    configs.set(conn.configs.subarray(k * N, (k + 1) * N), j * N);
    elemRe[j] = conn.elemRe[k];
    elemIm[j] = conn.elemIm[k];
    parent[j] = conn.parent[k];
    group[j] = conn.group[k];
    offsets[conn.parent[k] + 1] += 1;
  }
  for (let p = 0; p < conn.count; p++) offsets[p + 1] += offsets[p];
  return { ...conn, offsets, configs, elemRe, elemIm, parent, group };
}

/** Keeps the entries k with `keep(parent, group)` true. */
function filterEntries(conn: Connections, keep: (p: number, g: number) => boolean): Connections {
  const K = conn.offsets[conn.count];
  const kept = new Int32Array(K);
  let n = 0;
  for (let k = 0; k < K; k++) if (keep(conn.parent[k], conn.group[k])) kept[n++] = k;
  return n === K ? conn : selectEntries(conn, kept, n);
}

/** Keeps the connected entries whose up count is `nUp` (all when nUp is null). */
export function restrictToSector(conn: Connections, nUp: number | null): Connections {
  if (nUp === null) return conn;
  const N = conn.nSites;
  const K = conn.offsets[conn.count];
  const keep = new Int32Array(K);
  let n = 0;
  for (let k = 0; k < K; k++) if (upCount(conn.configs, k, N) === nUp) keep[n++] = k;
  return n === K ? conn : selectEntries(conn, keep, n);
}

/** A compact string key of N bits: 16 bits per character. */
export function bitsKey(bits: Uint8Array, at: number, N: number): string {
  let key = '';
  for (let i = 0; i < N; i += 16) {
    let v = 0;
    const end = Math.min(i + 16, N);
    for (let j = i; j < end; j++) v = (v << 1) | bits[at + j];
    key += String.fromCharCode(v);
  }
  return key;
}

/**
 * Where each entry's log ψ comes from: `source[k] = −1 − q` for an entry equal to parent q,
 * otherwise the index of its first occurrence among the entries to evaluate (`distinct`).
 */
function dedupe(parents: Uint8Array, conn: Connections): { source: Int32Array; distinct: Connections } {
  const N = conn.nSites;
  const K = conn.offsets[conn.count];
  const seen = new Map<string, number>();
  for (let p = 0; p < conn.count; p++) {
    const key = bitsKey(parents, p * N, N);
    if (!seen.has(key)) seen.set(key, -1 - p);
  }
  const source = new Int32Array(K);
  const keep = new Int32Array(K);
  let n = 0;
  for (let k = 0; k < K; k++) {
    const key = bitsKey(conn.configs, k * N, N);
    const s = seen.get(key);
    if (s !== undefined) {
      source[k] = s;
    } else {
      seen.set(key, n);
      source[k] = n;
      keep[n++] = k;
    }
  }
  return { source, distinct: n === K ? conn : selectEntries(conn, keep, n) };
}

/** log ψ of the parents, reusing what the connected pass computed for them. */
function parentLogPsi(wf: Wavefunction, parents: Uint8Array, m: number, from?: HostLogPsi): HostLogPsi {
  if (!from) return wf.evaluate(parents, m);
  const N = wf.nSites;
  const missing: number[] = [];
  for (let p = 0; p < m; p++) if (Number.isNaN(from.logAmp[p])) missing.push(p);
  if (missing.length === 0) return from;
  const rows = new Uint8Array(missing.length * N);
  missing.forEach((p, i) => rows.set(parents.subarray(p * N, (p + 1) * N), i * N));
  const ev = wf.evaluate(rows, missing.length);
  const logAmp = Float64Array.from(from.logAmp);
  const phase = Float64Array.from(from.phase);
  missing.forEach((p, i) => {
    logAmp[p] = ev.logAmp[i];
    phase[p] = ev.phase[i];
  });
  return { logAmp, phase };
}

/**
 * Connected entries of `m` parents (m·N bits) under `op`, with their values
 * ⟨x|O|x'⟩ ψ(x')/ψ(x). `nUp`: the state's fixed number of up spins (entries outside are dropped).
 * `keep(p, g)`: when given, only the entries of parent p and flip group g it accepts are kept and
 * evaluated (an observable estimated from a random subset of its terms per sample).
 */
export function connectedValues(
  op: CompiledHamiltonian, wf: Wavefunction, parents: Uint8Array, m: number, nUp: number | null = null,
  keep?: (p: number, g: number) => boolean,
): ConnectedValues {
  const all = op.connections(parents, m);
  const conn = restrictToSector(keep ? filterEntries(all, keep) : all, nUp);
  const K = conn.offsets[m];
  // reuse across parents only where it cannot change a bit (Wavefunction.connectedExact)
  const reuse = wf.connectedExact === true || !wf.evaluateConnected;
  const { source, distinct } = reuse ? dedupe(parents, conn) : { source: Int32Array.from({ length: K }, (_, k) => k), distinct: conn };
  const D = distinct.offsets[m];
  let other: ConnectedLogPsi = { logAmp: new Float64Array(0), phase: new Float64Array(0) };
  if (D > 0) other = wf.evaluateConnected ? wf.evaluateConnected(parents, distinct) : wf.evaluate(distinct.configs, D);
  const own = parentLogPsi(wf, parents, m, reuse ? other.parents : undefined);
  const re = new Float64Array(K);
  const im = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const p = conn.parent[k];
    const s = source[k];
    const la = s < 0 ? own.logAmp[-1 - s] : other.logAmp[s];
    const ph = s < 0 ? own.phase[-1 - s] : other.phase[s];
    const mag = Math.exp(la - own.logAmp[p]);
    const dphi = ph - own.phase[p];
    const rRe = mag * Math.cos(dphi);
    const rIm = mag * Math.sin(dphi);
    re[k] = conn.elemRe[k] * rRe - conn.elemIm[k] * rIm;
    im[k] = conn.elemRe[k] * rIm + conn.elemIm[k] * rRe;
  }
  return { conn, own, re, im };
}
