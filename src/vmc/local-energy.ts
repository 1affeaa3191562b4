/**
 * Local energies E_loc(x) = Σ_x' H_{x x'} ψ(x')/ψ(x) (design notes, "The physics that must be
 * right"), with ψ(x')/ψ(x) = exp(logAmp' − logAmp)·(cos + i sin)(phase' − phase).
 *
 * Parents are processed in chunks whose connected set holds at most `maxConnected` entries, so
 * peak memory is bounded whatever N and the batch size are.
 */
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { HostLogPsi, Wavefunction } from '../ansatz/wavefunction.js';

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
    const own = wf.evaluate(parents, m);
    const conn = h.connections(parents, m);
    const K = conn.offsets[m];
    const other: HostLogPsi =
      K === 0
        ? { logAmp: new Float64Array(0), phase: new Float64Array(0) }
        : wf.evaluateConnected
          ? wf.evaluateConnected(parents, conn)
          : wf.evaluate(conn.configs, K);
    for (let p = 0; p < m; p++) {
      let eRe = conn.diag[p];
      let eIm = 0;
      for (let k = conn.offsets[p]; k < conn.offsets[p + 1]; k++) {
        const mag = Math.exp(other.logAmp[k] - own.logAmp[p]);
        const dphi = other.phase[k] - own.phase[p];
        const rRe = mag * Math.cos(dphi);
        const rIm = mag * Math.sin(dphi);
        eRe += conn.elemRe[k] * rRe - conn.elemIm[k] * rIm;
        eIm += conn.elemRe[k] * rIm + conn.elemIm[k] * rRe;
      }
      re[start + p] = eRe;
      im[start + p] = eIm;
      logAmp[start + p] = own.logAmp[p];
      phase[start + p] = own.phase[p];
    }
  }
  return { re, im, logPsi: { logAmp, phase } };
}
