/**
 * The variational free energy of neural annealing (Hibat-Allah, Ganahl, Hayward, Melko,
 * Carrasquilla, "Variational neural annealing", Nature Machine Intelligence 3, 952 (2021)):
 *
 *   F = ⟨H⟩ − T·S,   S = −⟨log |ψ(x)|²⟩,   F_loc(x) = E_loc(x) + T log |ψ(x)|²,   ⟨F_loc⟩ = F,
 *
 * with P(x) = |ψ(x)|² exactly normalised (autoregressive ansätze), so that S is the Shannon
 * entropy of the samples' distribution, estimated without bias from exact samples.
 *
 * Gradient. With O_k = ∂_k log ψ (so ∂_k log P = 2 Re O_k) and ⟨·⟩ the average over P:
 *   ∂_k ⟨H⟩ = 2 Re⟨(E_loc − ⟨E⟩)* O_k⟩                                   (design notes);
 *   ∂_k Σ_x P log P = Σ_x (∂_k P) log P + Σ_x P ∂_k log P
 *                   = ⟨log P · ∂_k log P⟩ + ∂_k Σ_x P.
 * The last term — the one that differentiating log|ψ|² inside F_loc adds — is ∂_k 1 = 0 because
 * Σ_x P(x) = 1 for every θ. For the same reason ⟨∂_k log P⟩ = 0, so the baseline can be
 * subtracted: ⟨log P ∂_k log P⟩ = ⟨(log P − ⟨log P⟩) ∂_k log P⟩ = 2 Re⟨(log P − ⟨log P⟩)* O_k⟩
 * (log P is real). Adding T times this to ∂_k ⟨H⟩:
 *   ∂_k F = 2 Re⟨(F_loc − ⟨F_loc⟩)* O_k⟩,
 * the energy gradient with E_loc replaced by F_loc (the paper's Eq. (3); its code uses the same
 * surrogate). So annealing needs no gradient of its own: the driver hands F_loc to the one
 * gradient (vmc/gradient.ts) and to the optimizer in place of E_loc. For an unnormalised ψ (the
 * RBM) Σ_x P depends on θ and S would need log Z, so annealing refuses it (vmc/anneal.ts).
 * tests/vmc/anneal.test.ts checks ∂F against finite differences of F computed by enumeration.
 */
import { energyStats, type EnergyStats } from './estimator.js';
import type { LocalEnergies } from './local-energy.js';

/** F_loc = E_loc + T log|ψ|² = E_loc + 2T·logAmp (imaginary part unchanged); E_loc itself at T = 0. */
export function freeEnergyLocal(eloc: LocalEnergies, temperature: number): LocalEnergies {
  if (temperature === 0) return eloc;
  const la = eloc.logPsi.logAmp;
  const re = Float64Array.from(eloc.re, (e, i) => e + 2 * temperature * la[i]);
  return { re, im: eloc.im, logPsi: eloc.logPsi };
}

/**
 * The local values a step minimises and their statistics: E_loc itself without a temperature
 * (or at T = 0), else F_loc with the statistics of F (same weights, same τ).
 */
export function objectiveValues(
  eloc: LocalEnergies, stats: EnergyStats, weights: Float64Array, temperature: number | undefined, tauInt = 0.5,
): { local: LocalEnergies; stats: EnergyStats } {
  const local = temperature === undefined ? eloc : freeEnergyLocal(eloc, temperature);
  return { local, stats: local === eloc ? stats : energyStats(local.re, local.im, weights, tauInt) };
}

/** Entropy estimate S = −⟨log |ψ|²⟩ over weighted distinct samples, with its standard error. */
export function entropyEstimate(eloc: LocalEnergies, weights: Float64Array): { entropy: number; error: number } {
  const la = eloc.logPsi.logAmp;
  const s = energyStats(
    Float64Array.from(la, (a) => -2 * a),
    new Float64Array(la.length),
    weights,
  );
  return { entropy: s.mean, error: s.error };
}

/** What an annealed step records besides the energy. */
export interface FreeEnergyRecord {
  temperature: number;
  /** ⟨F_loc⟩ = ⟨H⟩ − T·S */
  freeEnergy: number;
  freeEnergyError: number;
  /** S = −⟨log |ψ|²⟩ (nats) */
  entropy: number;
}

export function freeEnergyRecord(temperature: number, fStats: EnergyStats, eloc: LocalEnergies, weights: Float64Array): FreeEnergyRecord {
  return { temperature, freeEnergy: fStats.mean, freeEnergyError: fStats.error, entropy: entropyEstimate(eloc, weights).entropy };
}
