/**
 * De-duplication of samples. Late in training exact samples repeat heavily (on small chains only
 * 50–170 of 500 were distinct, design notes); every per-configuration cost (local energy,
 * gradient) is paid once per distinct configuration and weighted by its multiplicity.
 */
import { bitsKey } from './connected.js';

export interface UniqueSamples {
  /** distinct configurations, count·N bits, in order of first appearance */
  configs: Uint8Array;
  count: number;
  /** how many times each distinct configuration was drawn */
  multiplicity: Float64Array;
  /** index into the distinct set of every original sample */
  index: Int32Array;
}

export function uniqueSamples(configs: Uint8Array, count: number, nSites: number): UniqueSamples {
  const { keys: _keys, ...unique } = uniqueSamplesKeyed(configs, count, nSites);
  return unique;
}

/** `uniqueSamples` with the key (connected.ts `bitsKey`) of each distinct configuration, in order. */
export function uniqueSamplesKeyed(configs: Uint8Array, count: number, nSites: number): UniqueSamples & { keys: string[] } {
  const seen = new Map<string, number>();
  const index = new Int32Array(count);
  const firsts: number[] = [];
  const keys: string[] = [];
  const mult: number[] = [];
  for (let b = 0; b < count; b++) {
    const key = bitsKey(configs, b * nSites, nSites);
    let u = seen.get(key);
    if (u === undefined) {
      u = firsts.length;
      seen.set(key, u);
      firsts.push(b);
      keys.push(key);
      mult.push(0);
    }
    mult[u] += 1;
    index[b] = u;
  }
  const out = new Uint8Array(firsts.length * nSites);
  firsts.forEach((b, u) => out.set(configs.subarray(b * nSites, (b + 1) * nSites), u * nSites));
  return { configs: out, count: firsts.length, multiplicity: Float64Array.from(mult), index, keys };
}
