/**
 * Building an NLL trainer for a run's wavefunction and data: the held-out split, the epoch
 * permutations and (for the RBM) the Metropolis chains of the model term, each from a named
 * random stream of the run's seed, so that `vmc fit` and the pre-training phase of `vmc run`
 * draw from streams of their own and never disturb the VMC sampler's.
 */
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { Rng } from '../rng.js';
import { buildSampler, type ModelParts } from '../run/build.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { splitData, type ConfigData } from './data.js';
import { MetropolisModelTerm } from './model-term.js';
import { NllTrainer } from './trainer.js';

export interface NllTraining {
  epochs: number;
  batchSize: number;
  /** held-out fraction of the rows (0: none) */
  validation: number;
  patience: number;
  lr: number;
  lrDecay: number;
  /** RBM: model samples per mini-batch (default: the batch size) */
  modelSamples?: number;
}

/**
 * A trainer of `wf` on `data`. `stream` names the random streams (e.g. "fit", "pretrain");
 * `assess` adds per-epoch values (KL, fidelity).
 */
export function createTrainer(
  cfg: ExperimentConfig,
  parts: ModelParts,
  wf: Wavefunction,
  data: ConfigData,
  t: NllTraining,
  stream: string,
  assess?: () => Record<string, number | null>,
): NllTrainer {
  const N = parts.lattice.nSites;
  const split = splitData(data.configs, data.count, N, t.validation, new Rng(`${cfg.seed}:${stream}:split`));
  // the RBM's model term: its own persistent Metropolis chains (cfg.chains, cfg['burn-in'])
  const modelTerm = wf.normalized
    ? null
    : new MetropolisModelTerm(buildSampler({ ...cfg, sampler: 'metropolis' }, wf, parts, new Rng(`${cfg.seed}:${stream}:model`)), N, t.modelSamples ?? t.batchSize);
  return new NllTrainer(
    wf,
    split,
    { epochs: t.epochs, batchSize: t.batchSize, lr: t.lr, lrDecay: t.lrDecay, patience: t.patience, seed: `${cfg.seed}:${stream}`, nUp: parts.nUp },
    modelTerm,
    assess,
  );
}
