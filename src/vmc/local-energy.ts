/**
 * Local energies E_loc(x) = Σ_x' H_{x x'} ψ(x')/ψ(x) (design notes, "The physics that must be
 * right"): the diagonal plus the connected values of `connectedValues` (vmc/connected.ts).
 *
 * Parents are processed in chunks whose connected set holds at most `maxConnected` entries, so
 * peak memory is bounded whatever N and the batch size are.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { HostLogPsi, Wavefunction } from '../ansatz/wavefunction.js';
import { connectedValues } from './connected.js';

export interface LocalEnergies {
  re: Float64Array;
  im: Float64Array;
  /** log ψ of the parents, reused by callers (e.g. Metropolis, diagnostics) */
  logPsi: HostLogPsi;
}

export interface LocalEnergyOptions {
  /** upper bound on connected configurations evaluated at once (default 50 000) */
  maxConnected?: number;
}

export function localEnergies(
  h: CompiledHamiltonian,
  wf: Wavefunction,
  configs: Uint8Array,
  count: number,
  opts: LocalEnergyOptions = {},
): LocalEnergies {
  const N = h.nSites;
  const maxConnected = opts.maxConnected ?? 50_000;
  // Upper bound of connections per parent: the number of flip groups (each gives ≤ 1 entry).
  const perParent = Math.max(1, h.groups.length);
  const chunk = Math.max(1, Math.floor(maxConnected / perParent));
  const re = new Float64Array(count);
  const im = new Float64Array(count);
  const logAmp = new Float64Array(count);
  const phase = new Float64Array(count);

  for (let start = 0; start < count; start += chunk) {
    const m = Math.min(chunk, count - start);
    const parents = configs.subarray(start * N, (start + m) * N);
    const v = connectedValues(h, wf, parents, m);
    const { offsets, diag } = v.conn;
    for (let p = 0; p < m; p++) {
      let eRe = diag[p];
      let eIm = 0;
      for (let k = offsets[p]; k < offsets[p + 1]; k++) {
        eRe += v.re[k];
        eIm += v.im[k];
      }
      re[start + p] = eRe;
      im[start + p] = eIm;
      logAmp[start + p] = v.own.logAmp[p];
      phase[start + p] = v.own.phase[p];
    }
  }
  return { re, im, logPsi: { logAmp, phase } };
}
