import { popcount } from '../src/exact/index.js';

/**
 * The one enumeration of configurations for the tests: every configuration of N sites, or of the
 * S^z sector with nUp up spins, as count·N bits with x_s = bit s of the basis index
 * b = Σ_s x_s 2^s, in increasing b (the order of the exact solver's Basis).
 */
export function enumerateConfigs(n: number, nUp: number | null = null): { configs: Uint8Array; count: number; states: number[] } {
  const states: number[] = [];
  for (let b = 0; b < 2 ** n; b++) if (nUp === null || popcount(b) === nUp) states.push(b);
  const configs = new Uint8Array(states.length * n);
  states.forEach((b, k) => {
    for (let s = 0; s < n; s++) configs[k * n + s] = (b >>> s) & 1;
  });
  return { configs, count: states.length, states };
}

/** All 2^N configurations as 2^N·N bits (configuration b has x_s = bit s of b). */
export function allConfigs(n: number): Uint8Array {
  return enumerateConfigs(n).configs;
}


/** Basis index b = Σ_s x_s 2^s of configuration `row` of a count·N bit array (inverse of the above). */
export function configIndex(bits: Uint8Array, row: number, n: number): number {
  let b = 0;
  for (let s = 0; s < n; s++) b += bits[row * n + s] * 2 ** s;
  return b;
}
