/**
 * How close a trained wavefunction is to a known state ψ_e (the exact ground state the data were
 * drawn from), by enumeration of ψ_e's basis (N ≤ 20):
 *   KL(P_e ‖ P) = Σ_x P_e(x) [log P_e(x) − log P(x)]   (nats; ≥ 0, 0 only for P = P_e),
 *   fidelity F = |⟨ψ_e|ψ⟩| = |Σ_x conj ψ_e(x) ψ(x)|    (with ψ normalised over its own space),
 * and the Shannon entropy H(P_e) = −Σ P_e log P_e, the NLL a perfect model reaches on average
 * (E_data NLL = H(P_e) + KL).
 *
 * Whether the data came from that state is read off the data file when it can be: the CSV of
 * `vmc exact --samples` carries log|ψ_e(x)| of every row, which must equal the amplitudes of the
 * ground vector of the flags' model (same solver, same vector) — then the data are known to be
 * exact samples of it.
 */
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { InputError } from '../errors.js';
import { groundVector, uniqueGroundState, type GroundState } from '../exact/ground-samples.js';
import { szLabel, type ExactOptions } from '../exact/index.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import type { ConfigData } from './data.js';
import { logPartition } from './nll.js';

/** Largest N for which KL and fidelity are computed (2^20 evaluations of ψ). */
export const MAX_KNOWN_STATE_SITES = 20;

export interface KnownState {
  /** e.g. "exact ground state (lanczos)" */
  label: string;
  nSites: number;
  /** sorted basis states (site s = bit s), unit-norm amplitudes */
  basis: Uint32Array;
  re: Float64Array;
  im: Float64Array | null;
  /** Shannon entropy of |ψ_e|² (nats) */
  entropy: number;
}

export function knownState(gs: GroundState, label: string): KnownState {
  let entropy = 0;
  for (let k = 0; k < gs.basis.length; k++) {
    const p = gs.re[k] ** 2 + (gs.im ? gs.im[k] ** 2 : 0);
    if (p > 0) entropy -= p * Math.log(p);
  }
  return { label, nSites: gs.result.nSites, basis: gs.basis, re: gs.re, im: gs.im, entropy };
}

/** Position of basis state `b` in the sorted basis, or −1. */
function find(basis: Uint32Array, b: number): number {
  let lo = 0;
  let hi = basis.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (basis[mid] === b) return mid;
    if (basis[mid] < b) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The largest |log|ψ_e(x)| − given| over the rows of a data file (Infinity when a row lies outside
 * ψ_e's support or its basis): ~1e-12 when the data were drawn from this very state.
 */
export function amplitudeMismatch(state: KnownState, configs: Uint8Array, count: number, logAbsPsi: Float64Array): number {
  const N = state.nSites;
  let worst = 0;
  for (let r = 0; r < count; r++) {
    let b = 0;
    for (let s = 0; s < N; s++) b += configs[r * N + s] * 2 ** s;
    const k = find(state.basis, b);
    if (k < 0) return Infinity;
    const a = 0.5 * Math.log(state.re[k] ** 2 + (state.im ? state.im[k] ** 2 : 0));
    worst = Math.max(worst, Math.abs(a - logAbsPsi[r]));
  }
  return worst;
}

export interface StateDistance {
  /** KL(P_e ‖ P) in nats (Infinity where P vanishes on P_e's support) */
  kl: number;
  /** |⟨ψ_e|ψ⟩| */
  fidelity: number;
}

/**
 * KL divergence and fidelity of `wf` (normalised over the sector `nUp` of the ansatz, or all 2^N)
 * to the known state; null when the RBM's partition function is out of reach.
 */
export function distanceToState(wf: Wavefunction, nUp: number | null, state: KnownState): StateDistance | null {
  const logZ = logPartition(wf, nUp);
  if (logZ === null) return null;
  const N = state.nSites;
  const dim = state.basis.length;
  const configs = new Uint8Array(dim * N);
  for (let k = 0; k < dim; k++) for (let s = 0; s < N; s++) configs[k * N + s] = (state.basis[k] >>> s) & 1;
  const { logAmp, phase } = wf.evaluate(configs, dim);
  let kl = 0;
  let re = 0;
  let im = 0;
  for (let k = 0; k < dim; k++) {
    const er = state.re[k];
    const ei = state.im ? state.im[k] : 0;
    const p = er * er + ei * ei;
    const la = logAmp[k] - logZ / 2;
    if (p > 0) kl += p * (Math.log(p) - 2 * la);
    const a = Math.exp(la);
    const mr = a * Math.cos(phase[k]);
    const mi = a * Math.sin(phase[k]);
    // conj(e)·m
    re += er * mr + ei * mi;
    im += er * mi - ei * mr;
  }
  // not clamped: float32 normalisation errors (Σ P = 1 ± ~1e-6) can make a tiny KL slightly negative
  return { kl, fidelity: Math.hypot(re, im) };
}

/** `--known-state`: auto (recognise exact samples by their amplitudes), ground (assert it), none. */
export type KnownStateMode = 'auto' | 'ground' | 'none';
export const KNOWN_STATE_MODES: readonly KnownStateMode[] = ['auto', 'ground', 'none'];

export interface KnownStateChoice {
  state: KnownState | null;
  /** how the data were tied to the state: their log_abs_psi column, or --known-state ground */
  source: 'data-amplitudes' | 'flag' | null;
  /** why there is none */
  note: string | null;
}

/** largest |Δ log|ψ|| between the data's column and the ground vector that still identifies the state */
const SAME_AMPLITUDES = 1e-9;

/**
 * The state the data came from, when it is the exact ground state of the flags' model (in the
 * sector `opts.nUp` chooses, as `vmc exact --samples` does) and N ≤ 20.
 */
export function chooseKnownState(mode: KnownStateMode, h: CompiledHamiltonian, lattice: Lattice, opts: ExactOptions, data: ConfigData): KnownStateChoice {
  const none = (note: string): KnownStateChoice => ({ state: null, source: null, note });
  if (mode === 'none') return none('not asked for (--known-state none)');
  const n = lattice.nSites;
  if (n > MAX_KNOWN_STATE_SITES) {
    if (mode === 'ground') throw new InputError(`KL divergence and fidelity are computed by enumeration, for N ≤ ${MAX_KNOWN_STATE_SITES}; this lattice has ${n} sites`, '--known-state');
    return none(`N = ${n} > ${MAX_KNOWN_STATE_SITES}: no enumeration`);
  }
  const label = (gs: GroundState) => `exact ground state (${gs.result.method}${gs.nUp === null ? '' : `, ${szLabel(n, gs.nUp)}`})`;
  if (mode === 'ground') {
    const gs = uniqueGroundState(h, lattice, opts);
    return { state: knownState(gs, label(gs)), source: 'flag', note: null };
  }
  if (!data.logAbsPsi) return none('the data carry no log_abs_psi column to tell which state they came from (--known-state ground asserts the ground state)');
  let gs: GroundState;
  try {
    gs = groundVector(h, lattice, opts);
  } catch (e) {
    if (e instanceof InputError) return none(`no exact ground state: ${e.message}`);
    throw e;
  }
  const state = knownState(gs, label(gs));
  const mismatch = amplitudeMismatch(state, data.configs, data.count, data.logAbsPsi);
  if (mismatch > SAME_AMPLITUDES) {
    return none(`the data's log_abs_psi differ from the exact ground state of these flags (by up to ${mismatch.toPrecision(3)}): not its exact samples`);
  }
  return { state, source: 'data-amplitudes', note: null };
}
