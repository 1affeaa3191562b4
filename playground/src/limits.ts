/**
 * What the playground refuses as too large for a browser tab, before anything is allocated.
 *
 * A page shares one tab's memory and one core with everything else the user does, so the bounds
 * are tighter than `vmc run`'s: at most 64 sites (a GRU step on the 64-site chain with 200 samples
 * takes seconds on wasm; beyond that `vmc run` with its worker threads is the tool), 4000 samples
 * and 256 hidden units per step, and 1 GiB for the run's largest objects as estimated by
 * src/run/memory.ts (the estimate `vmc run` refuses settings with). The exact reference is solved
 * in the page only when its plan (src/exact) needs at most 512 MiB and about 20 s; otherwise the
 * page trains without the exact line and says why.
 */
import { InputError } from '../../src/errors.js';
import { optimizerKind } from '../../src/run/build.js';
import type { ExperimentConfig } from '../../src/run/experiment.js';
import { checkRunMemory, estimateRunMemory, formatBytes, type MemoryLimits } from '../../src/run/memory.js';

export const BROWSER_LIMITS = {
  sites: 64,
  samples: 4000,
  hidden: 256,
  memoryBytes: 2 ** 30,
  exactMemoryBytes: 2 ** 29,
  exactSeconds: 20,
  /** xx correlations (after training) up to this many sites; zz always */
  xxSites: 16,
} as const;

export const BROWSER_MEMORY: MemoryLimits = {
  host: BROWSER_LIMITS.memoryBytes,
  hostName: "the playground's",
  tensorsPerThread: null,
  threads: 1,
  // the page writes no checkpoint
  maxString: Number.POSITIVE_INFINITY,
};

const USE_CLI = 'use `vmc run` (export the settings) for larger runs';

/** Throws an InputError naming the form field when `cfg` is beyond what a browser tab should run. */
export function checkBrowserLimits(cfg: ExperimentConfig, nSites: number): void {
  const L = BROWSER_LIMITS;
  if (nSites > L.sites) {
    const where = cfg.lattice === 'chain' ? 'n' : 'lx';
    throw new InputError(`${nSites} sites are more than the playground's ${L.sites}; ${USE_CLI}`, where);
  }
  if (cfg.samples > L.samples) {
    throw new InputError(`${cfg.samples} samples per step are more than the playground's ${L.samples}; ${USE_CLI}`, 'samples');
  }
  if (cfg.hidden !== undefined && cfg.hidden > L.hidden) {
    throw new InputError(`${cfg.hidden} hidden units are more than the playground's ${L.hidden}; ${USE_CLI}`, 'hidden');
  }
  checkRunMemory(estimateRunMemory(cfg, nSites, optimizerKind(cfg)), BROWSER_MEMORY);
}

/** Why the page does not solve this exact reference (null: it does). */
export function exactTooLarge(plan: { memoryBytes: number; seconds: number; method: string }): string | null {
  if (plan.memoryBytes > BROWSER_LIMITS.exactMemoryBytes) {
    return `no exact line: ${plan.method} would need about ${formatBytes(plan.memoryBytes)} in the page (the playground solves up to ${formatBytes(BROWSER_LIMITS.exactMemoryBytes)}); \`vmc exact\` can`;
  }
  if (plan.seconds > BROWSER_LIMITS.exactSeconds) {
    return `no exact line: ${plan.method} would take about ${Math.ceil(plan.seconds)} s in the page (the playground waits up to ${BROWSER_LIMITS.exactSeconds} s); \`vmc exact\` can`;
  }
  return null;
}
