/**
 * Re-opens a finished (or interrupted) run: its resolved configuration, model and the
 * wavefunction with the checkpoint's parameters, for measurements and sampling after training.
 */
import { setParameters, type Wavefunction } from '../ansatz/wavefunction.js';
import { Rng } from '../rng.js';
import type { Sampler } from '../sampler/sampler.js';
import { buildModel, buildSampler, buildWavefunction, type ModelParts } from './build.js';
import { loadCheckpoint } from './checkpoint.js';
import type { ExperimentConfig } from './experiment.js';
import { readRunConfig } from './runner.js';
import { InputError } from '../errors.js';

export interface OpenRun {
  dir: string;
  config: ExperimentConfig;
  parts: ModelParts;
  wf: Wavefunction;
  /** checkpoint step the parameters come from */
  step: number;
  /** a fresh sampler for the trained state (seeded from `seed`, independent of training) */
  sampler(seed: number | string): Sampler;
}

export function openRun(dir: string): OpenRun {
  const config = readRunConfig(dir);
  const parts = buildModel(config);
  const wf = buildWavefunction(config, parts, new Rng(`${config.seed}:init`));
  const ck = loadCheckpoint(dir);
  try {
    setParameters(wf, ck.variables);
  } catch (e) {
    wf.dispose();
    throw new InputError((e as Error).message, dir);
  }
  return {
    dir,
    config,
    parts,
    wf,
    step: ck.step,
    sampler: (seed) => buildSampler(config, wf, parts, new Rng(`${seed}:measure`)),
  };
}
