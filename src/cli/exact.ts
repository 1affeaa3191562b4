/** `vmc exact`: the exact ground-state energy of a model on a lattice. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { buildModel } from '../run/build.js';
import { resolveExperiment } from '../run/experiment.js';
import { referenceEnergy } from '../run/reference.js';
import { InputError } from '../errors.js';
import { flagsToSettings, MODEL_KEYS, sharedOptions, yargsOptions } from './options.js';

export const command = 'exact';
export const describe = 'exact ground-state energy (free fermions or Lanczos)';

export function builder(y: Argv): Argv {
  return y
    .options(yargsOptions(MODEL_KEYS))
    // --backend and --seed do not apply: no tfjs, and the Lanczos start vector does not change E0
    .options(sharedOptions(['quiet', 'json'], { quiet: 'here: the result line only', json: 'here: one JSON object' }))
    .example('$0 exact --model tfim --n 20 --param h=1', 'open TFIM chain by free fermions')
    .example('$0 exact --model heisenberg --lattice square --lx 4 --ly 4 --bc periodic --magnetization 0', 'Lanczos in the S^z = 0 sector')
    .example('$0 exact --model j1j2 --n 16 --bc periodic --param J2=0.5 --json', 'Majumdar–Ghosh point');
}

export function handler(argv: ArgumentsCamelCase): void {
  const cfg = resolveExperiment({}, flagsToSettings(argv, MODEL_KEYS));
  const parts = buildModel(cfg);
  const t0 = performance.now();
  const ref = referenceEnergy(cfg, parts);
  if (ref.energy === null) throw new InputError(ref.source ?? 'the system is too large for an exact solution');
  const n = parts.lattice.nSites;
  const result = {
    energy: ref.energy,
    energy_per_site: ref.energy / n,
    gap: ref.gap,
    method: ref.method,
    n_sites: n,
    sector_n_up: parts.nUp,
    seconds: (performance.now() - t0) / 1000,
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const gap = ref.gap === null ? '' : `  gap ${ref.gap.toPrecision(10)}`;
    process.stdout.write(
      `${parts.definition.name} on ${parts.lattice.describe()}: E0 = ${ref.energy.toPrecision(14)}  ` +
        `E0/N = ${(ref.energy / n).toPrecision(12)}${gap}  (${ref.method}, ${result.seconds.toFixed(2)} s)\n`,
    );
  }
}
