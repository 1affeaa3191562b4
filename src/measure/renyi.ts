/**
 * Second Rényi entropy S₂(A) = −log Tr ρ_A² of every cut, by the swap (replica) estimator of
 * Hastings, González, Kallin and Melko, PRL 104, 157201 (2010).
 *
 * With two independent samples x₁ = (α₁, β₁) and x₂ = (α₂, β₂) of |ψ|² (α: the sites of A,
 * β: the rest),
 *   Tr ρ_A² = ⟨Swap_A⟩ = E[ ψ(α₂β₁) ψ(α₁β₂) / (ψ(α₁β₁) ψ(α₂β₂)) ].
 * The ratio is complex in general (phases, sign rules); its expectation is real and positive, so
 * the real part is averaged (the mean imaginary part is kept as a diagnostic). The error of
 * S₂ = −log⟨Swap⟩ follows by propagation, δS₂ = δ⟨Swap⟩/⟨Swap⟩, with δ⟨Swap⟩ from binning the
 * per-pair values (pairs are in the replicas' common layout, chain-major for Markov chains).
 *
 * Cuts: A = the first ℓ sites in site-index order, ℓ = 1 … N−1 (a chain: the left ℓ sites; a
 * square lattice: whole rows from y = 0, then part of the next row).
 * Swapped configurations reuse the prefix they share with a parent (α₁β₂ with x₁, α₂β₁ with
 * x₂), which an RNN evaluates cheaply. A swap that leaves a fixed-S^z sector contributes 0
 * (the state has no amplitude there); if α₁ = α₂ or β₁ = β₂ the ratio is exactly 1.
 */
import { upCount } from '../vmc/connected.js';
import { evaluateRelated } from './local-values.js';
import type { MeasureSamples } from './samples.js';
import { binnedMean, type Estimate } from './stats.js';
import type { MeasuredState } from './types.js';

export interface RenyiMeasurement {
  /** ℓ = number of sites in A */
  cuts: number[];
  /** ⟨Swap_A⟩ = Tr ρ_A² */
  swap: Estimate[];
  /** S₂ = −log⟨Swap_A⟩ (NaN when the estimate of ⟨Swap⟩ is not positive) */
  s2: Estimate[];
  /** mean imaginary part of the swap ratio at each cut (→ 0; diagnostic) */
  swap_imag: number[];
  pairs: number;
}

/** Rows at offset `o` of a and b agree on sites from … to−1. */
function sameRange(a: Uint8Array, b: Uint8Array, o: number, from: number, to: number): boolean {
  for (let s = from; s < to; s++) if (a[o + s] !== b[o + s]) return false;
  return true;
}

/**
 * @param rep1 samples of the first replica
 * @param rep2 independent samples of the second replica (same count and layout)
 */
export function measureRenyi(state: MeasuredState, rep1: MeasureSamples, rep2: MeasureSamples, opts: { maxConnected?: number } = {}): RenyiMeasurement {
  const N = state.lattice.nSites;
  const P = Math.min(rep1.count, rep2.count);
  const cuts = Array.from({ length: N - 1 }, (_, l) => l + 1);
  const C = cuts.length;
  const re = new Float64Array(C * P); // cut-major [c·P + k]
  const im = new Float64Array(C * P);
  const chunk = Math.max(1, Math.floor((opts.maxConnected ?? 50_000) / (2 * C)));
  const nUp = state.nUp;
  const x1 = rep1.configs;
  const x2 = rep2.configs;

  for (let start = 0; start < P; start += chunk) {
    const m = Math.min(chunk, P - start);
    // parents: x₁ rows then x₂ rows of this chunk
    const parents = new Uint8Array(2 * m * N);
    parents.set(x1.subarray(start * N, (start + m) * N), 0);
    parents.set(x2.subarray(start * N, (start + m) * N), m * N);
    const rows: Uint8Array[] = [];
    const offsets = new Int32Array(2 * m + 1);
    const pending: [number, number][] = [];
    for (let k = 0; k < m; k++) {
      const o = (start + k) * N;
      for (let c = 0; c < C; c++) {
        const l = cuts[c];
        if (sameRange(x1, x2, o, 0, l) || sameRange(x1, x2, o, l, N)) {
          re[c * P + start + k] = 1;
          continue;
        }
        const u = new Uint8Array(N); // α₁β₂
        u.set(x1.subarray(o, o + l), 0);
        u.set(x2.subarray(o + l, o + N), l);
        if (nUp !== null && upCount(u, 0, N) !== nUp) continue; // outside the sector: 0
        rows.push(u);
        pending.push([k, c]);
      }
      offsets[k + 1] = rows.length;
    }
    // entries of parent x₂(k): α₂β₁ for the same pending cuts, in the same order
    const nPending = pending.length;
    for (const [k, c] of pending) {
      const l = cuts[c];
      const o = (start + k) * N;
      const v = new Uint8Array(N); // α₂β₁
      v.set(x2.subarray(o, o + l), 0);
      v.set(x1.subarray(o + l, o + N), l);
      rows.push(v);
    }
    for (let k = 0; k < m; k++) offsets[m + k + 1] = nPending + offsets[k + 1];
    const all = new Uint8Array(rows.length * N);
    rows.forEach((r, i) => all.set(r, i * N));
    const own = state.wf.evaluate(parents, 2 * m);
    const swapped = evaluateRelated(state.wf, parents, 2 * m, all, offsets);
    pending.forEach(([k, c], e) => {
      const f = nPending + e;
      const la = swapped.logAmp[e] + swapped.logAmp[f] - own.logAmp[k] - own.logAmp[m + k];
      const ph = swapped.phase[e] + swapped.phase[f] - own.phase[k] - own.phase[m + k];
      const mag = Math.exp(la);
      re[c * P + start + k] = mag * Math.cos(ph);
      im[c * P + start + k] = mag * Math.sin(ph);
    });
  }

  const layout = { ...rep1.layout, count: P };
  if (layout.chains && P % layout.chains !== 0) delete layout.chains;
  const swap: Estimate[] = [];
  const s2: Estimate[] = [];
  const swapImag: number[] = [];
  for (let c = 0; c < C; c++) {
    const e = binnedMean(re.subarray(c * P, (c + 1) * P), layout);
    swap.push({ mean: e.mean, error: e.error });
    s2.push(e.mean > 0 ? { mean: -Math.log(e.mean), error: e.error / e.mean } : { mean: NaN, error: NaN });
    let si = 0;
    for (let k = 0; k < P; k++) si += im[c * P + k];
    swapImag.push(si / P);
  }
  return { cuts, swap, s2, swap_imag: swapImag, pairs: P };
}
