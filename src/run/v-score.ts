/**
 * V-score N·Var(E_loc)/E² (Wu et al., "Variational benchmarks for quantum many-body problems",
 * 2023): zero for an exact eigenstate, dimensionless, comparable across system sizes and models.
 * Kept apart from the comparison code so that tables built without TensorFlow (sweeps) share it.
 */
export function vScore(nSites: number, variance: number, energy: number): number {
  return (nSites * variance) / (energy * energy);
}
