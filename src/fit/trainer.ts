/**
 * NLL training by mini-batches and epochs: each epoch visits the training rows in a fresh random
 * order (a permutation drawn from the seed and the epoch number, so a run resumed mid-epoch
 * continues with the same batches), one Adam update per mini-batch (vmc/adam.ts, with its
 * lr/(1 + step/decay) schedule over mini-batch steps). After every epoch the NLL of the whole
 * training set and of the held-out set is evaluated with the updated parameters — exact values,
 * not running averages of mini-batch losses taken while the parameters moved.
 *
 * Early stopping (`patience` > 0, with a held-out set): training ends when the held-out NLL has
 * not improved for `patience` epochs; the parameters of the best held-out epoch are restored at
 * the end (also after the last epoch), so the state kept is the one that generalised best.
 *
 * Everything that decides the next update is in `getState()` (epoch, batch, Adam moments, the
 * model term's Markov chains, the best epoch), so a checkpointed trainer resumed on the same
 * backend reproduces the uninterrupted run.
 */
import * as tf from '@tensorflow/tfjs';
import { getParameters, setParameters, type ParameterTensor, type Wavefunction } from '../ansatz/wavefunction.js';
import { Rng } from '../rng.js';
import { Adam, type AdamState } from '../vmc/adam.js';
import { NumericalError } from '../vmc/driver.js';
import { shuffledIndices, takeRows, type DataSplit } from './data.js';
import type { ModelTerm } from './model-term.js';
import { logPartition, meanNll, nllGradient, weighted, type WeightedConfigs } from './nll.js';

export interface NllSettings {
  epochs: number;
  /** rows per mini-batch (the last batch of an epoch may be smaller) */
  batchSize: number;
  lr: number;
  /** Adam schedule lr/(1 + step/decay) over mini-batch steps; 0 = constant */
  lrDecay: number;
  /** epochs without a better held-out NLL before stopping; 0 = never stop early */
  patience: number;
  /** seed of the epoch permutations */
  seed: number | string;
  /** the S^z sector of the ansatz (for the RBM's partition function) */
  nUp: number | null;
}

/** The columns of every epoch's row in metrics.csv / pretrain.csv (KL and fidelity follow on small systems). */
export const FIT_METRICS_COLUMNS = ['step', 'epoch', 'train_nll', 'validation_nll', 'nll_gap', 'lr', 'seconds'] as const;

export interface EpochRecord {
  epoch: number;
  /** mini-batch updates so far */
  step: number;
  /** NLL of the training set (nats per configuration); null when log Z is unknown */
  train_nll: number | null;
  validation_nll: number | null;
  /** held-out minus training NLL (does not need log Z) */
  nll_gap: number | null;
  lr: number;
  /** seconds of this epoch (updates and evaluation) */
  seconds: number;
  /** extra per-epoch values (e.g. the exact KL divergence), from `assess` */
  [extra: string]: number | null;
}

export interface TrainerState {
  kind: 'nll-trainer';
  epoch: number;
  /** next mini-batch of `epoch` */
  batch: number;
  step: number;
  adam: AdamState;
  model: unknown;
  best: { epoch: number; nll: number; variables: ParameterTensor[] } | null;
  badEpochs: number;
  stoppedEarly: boolean;
  history: EpochRecord[];
}

export type NllOutcome = 'completed' | 'early-stopped' | 'interrupted';

export class NllTrainer {
  epoch = 0;
  batch = 0;
  step = 0;
  best: TrainerState['best'] = null;
  badEpochs = 0;
  stoppedEarly = false;
  history: EpochRecord[] = [];
  readonly batchesPerEpoch: number;
  private readonly adam: Adam;
  private readonly trainSet: WeightedConfigs;
  private readonly validationSet: WeightedConfigs | null;
  private order: Int32Array | null = null;
  private epochStarted = performance.now();

  constructor(
    readonly wf: Wavefunction,
    readonly data: DataSplit,
    readonly settings: NllSettings,
    /** the model side of the gradient of an unnormalised ansatz (null for normalised ones) */
    readonly modelTerm: ModelTerm | null,
    /** per-epoch extras (e.g. KL and fidelity against a known state), evaluated after the NLL */
    readonly assess?: () => Record<string, number | null>,
  ) {
    if (data.trainCount < 1) throw new Error('NLL training needs at least one training configuration');
    if (!wf.normalized && !modelTerm) throw new Error(`the ${wf.kind} ansatz is not normalised: NLL training needs a model term`);
    this.batchesPerEpoch = Math.ceil(data.trainCount / settings.batchSize);
    this.adam = new Adam(wf.variables, { lr: settings.lr, decay: settings.lrDecay });
    this.trainSet = weighted(data.train, data.trainCount, wf.nSites);
    this.validationSet = data.validationCount > 0 ? weighted(data.validation, data.validationCount, wf.nSites) : null;
  }

  get finished(): boolean {
    return this.stoppedEarly || this.epoch >= this.settings.epochs;
  }

  learningRate(): number {
    return this.adam.learningRate();
  }

  /** The rows of the epoch's permutation for mini-batch `b`. */
  private batchRows(b: number): Int32Array {
    this.order ??= shuffledIndices(this.data.trainCount, new Rng(`${this.settings.seed}:epoch:${this.epoch}`));
    return this.order.subarray(b * this.settings.batchSize, Math.min((b + 1) * this.settings.batchSize, this.data.trainCount));
  }

  /** One mini-batch update. Returns the epoch's record when this batch ended an epoch, else null. */
  update(): EpochRecord | null {
    if (this.finished) throw new Error('NLL training has finished');
    if (this.batch === 0) this.epochStarted = performance.now();
    const N = this.wf.nSites;
    const rows = this.batchRows(this.batch);
    const batch = weighted(takeRows(this.data.train, N, rows), rows.length, N);
    const model = this.modelTerm ? this.modelTerm.draw() : null;
    const grads = nllGradient(this.wf, batch, model);
    try {
      const size = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.abs(g)))));
      const finite = Number.isFinite(size.dataSync()[0]);
      size.dispose();
      if (!finite) throw new NumericalError(`the NLL gradient is not finite at mini-batch step ${this.step + 1}: training diverged; lower --lr`);
      this.adam.apply(grads);
    } finally {
      tf.dispose(grads);
    }
    this.step++;
    this.batch++;
    if (this.batch < this.batchesPerEpoch) return null;
    return this.endEpoch();
  }

  /** NLL of the training and held-out sets now (nats per configuration; null where log Z is unknown). */
  evaluate(): { train: number | null; validation: number | null; gap: number | null } {
    const logZ = logPartition(this.wf, this.settings.nUp);
    const shifted = (set: WeightedConfigs | null) => (set ? meanNll(this.wf, set, 0) : null);
    const train = shifted(this.trainSet)!;
    const validation = shifted(this.validationSet);
    if (!Number.isFinite(train) || (validation !== null && !Number.isFinite(validation))) {
      throw new NumericalError(`the NLL is not finite after epoch ${this.epoch + 1} (training ${train}, held-out ${validation}): training diverged; lower --lr`);
    }
    return {
      train: logZ === null ? null : train + logZ,
      validation: logZ === null || validation === null ? null : validation + logZ,
      gap: validation === null ? null : validation - train,
    };
  }

  private endEpoch(): EpochRecord {
    const nll = this.evaluate();
    const record: EpochRecord = {
      epoch: this.epoch + 1,
      step: this.step,
      train_nll: nll.train,
      validation_nll: nll.validation,
      nll_gap: nll.gap,
      lr: this.adam.learningRate(),
      seconds: 0,
      ...(this.assess ? this.assess() : {}),
    };
    record.seconds = (performance.now() - this.epochStarted) / 1000;
    this.history.push(record);
    this.epoch++;
    this.batch = 0;
    this.order = null;
    if (nll.validation !== null) {
      if (this.best === null || nll.validation < this.best.nll) {
        this.best = { epoch: record.epoch, nll: nll.validation, variables: getParameters(this.wf) };
        this.badEpochs = 0;
      } else {
        this.badEpochs++;
        if (this.settings.patience > 0 && this.badEpochs >= this.settings.patience) this.stoppedEarly = true;
      }
    }
    return record;
  }

  /** At the end of training: the parameters of the best held-out epoch (when there is one). */
  restoreBest(): void {
    if (this.best) setParameters(this.wf, this.best.variables);
  }

  getState(): TrainerState {
    return {
      kind: 'nll-trainer',
      epoch: this.epoch,
      batch: this.batch,
      step: this.step,
      adam: this.adam.getState(),
      model: this.modelTerm ? this.modelTerm.getState() : null,
      best: this.best,
      badEpochs: this.badEpochs,
      stoppedEarly: this.stoppedEarly,
      history: this.history,
    };
  }

  setState(s: TrainerState): void {
    if (s?.kind !== 'nll-trainer') throw new Error('not the state of an NLL trainer');
    this.adam.setState(s.adam);
    if (this.modelTerm && s.model !== null) this.modelTerm.setState(s.model);
    this.epoch = s.epoch;
    this.batch = s.batch;
    this.step = s.step;
    this.best = s.best;
    this.badEpochs = s.badEpochs;
    this.stoppedEarly = s.stoppedEarly;
    this.history = s.history;
    this.order = null;
  }

  dispose(): void {
    this.adam.dispose();
  }
}

export interface NllLoopHooks {
  /** read before every mini-batch: true ends the loop (interrupted) */
  stop?: () => boolean;
  /** after every mini-batch */
  onStep?: (trainer: NllTrainer) => void;
  onEpoch?: (record: EpochRecord, trainer: NllTrainer) => void;
  /** mini-batch steps between calls of `checkpoint` (also called once at the end) */
  checkpointEvery?: number;
  checkpoint?: (trainer: NllTrainer) => void;
}

/**
 * Runs the trainer to the end (its epochs, or early stopping) unless stopped; yields to the event
 * loop before every mini-batch so that signal handlers run. The best parameters are restored on
 * completion and early stopping, not on interruption (a resume continues from where it was).
 */
export async function trainNll(trainer: NllTrainer, hooks: NllLoopHooks = {}): Promise<NllOutcome> {
  const every = hooks.checkpointEvery ?? Infinity;
  let outcome: NllOutcome = 'completed';
  while (!trainer.finished) {
    await new Promise((resolve) => setImmediate(resolve));
    if (hooks.stop?.()) {
      outcome = 'interrupted';
      break;
    }
    const record = trainer.update();
    hooks.onStep?.(trainer);
    if (record) hooks.onEpoch?.(record, trainer);
    if (trainer.step % every === 0 && !trainer.finished) hooks.checkpoint?.(trainer);
  }
  if (outcome !== 'interrupted') {
    if (trainer.stoppedEarly) outcome = 'early-stopped';
    trainer.restoreBest();
  }
  hooks.checkpoint?.(trainer);
  return outcome;
}
