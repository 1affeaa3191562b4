/**
 * Fresh samples for measurements, drawn in slices (bounded memory per sampler call) and kept in
 * one layout: independent rows for exact samplers; chain-major rows for Markov chains (the
 * slices of each chain are joined, so chain c's samples are rows c·length … c·length+length−1,
 * consecutive in Markov time) — the layout the binning error bars of ./stats.ts expect.
 *
 * Per-sample quantities are computed once per distinct configuration (`unique`) and expanded
 * back with `perSample`.
 */
import { expandByIndex } from '../sampler/diagnostics.js';
import type { Sampler } from '../sampler/sampler.js';
import { uniqueSamples, type UniqueSamples } from '../vmc/unique.js';
import type { SampleLayout } from './stats.js';

export interface MeasureSamples {
  nSites: number;
  /** count·N bits in `layout` order */
  configs: Uint8Array;
  count: number;
  layout: SampleLayout;
  unique: UniqueSamples;
}

export function drawSamples(sampler: Sampler, count: number, nSites: number, slice = 2000): MeasureSamples {
  const batches = [];
  let drawn = 0;
  while (drawn < count) {
    const b = sampler.sample(Math.min(slice, count - drawn));
    batches.push(b);
    drawn += b.count;
  }
  const chains = batches[0]?.chains;
  let configs: Uint8Array;
  if (chains && batches.every((b) => b.chains === chains && b.count % chains === 0)) {
    configs = new Uint8Array(drawn * nSites);
    let row = 0;
    for (let c = 0; c < chains; c++) {
      for (const b of batches) {
        const len = b.count / chains;
        configs.set(b.configs.subarray(c * len * nSites, (c + 1) * len * nSites), row * nSites);
        row += len;
      }
    }
  } else {
    configs = new Uint8Array(drawn * nSites);
    let row = 0;
    for (const b of batches) {
      configs.set(b.configs.subarray(0, b.count * nSites), row * nSites);
      row += b.count;
    }
  }
  const layout: SampleLayout = chains ? { count: drawn, chains } : { count: drawn };
  return { nSites, configs, count: drawn, layout, unique: uniqueSamples(configs, drawn, nSites) };
}

/** Expands values given per distinct configuration to one value per sample (layout order). */
export function perSample(samples: MeasureSamples, values: ArrayLike<number>): Float64Array {
  return expandByIndex(values, samples.unique.index);
}
