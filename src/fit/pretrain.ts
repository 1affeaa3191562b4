/**
 * Data-enhanced VMC (`vmc run --pretrain DATA --pretrain-epochs K`): K epochs of NLL training on
 * measured configurations, then the run's energy minimisation from the pre-trained parameters
 * (Czischek, Moss, Radzihovsky, Merali, Melko, arXiv 2203.04988 (2022)). Both phases live in the
 * one run directory: the pre-training writes pretrain.csv (one row per epoch, the columns of a
 * fit's metrics.csv), its epochs into log.jsonl ("phase": "pretrain") and nll.svg; the VMC steps
 * follow in metrics.csv and energy.svg as usual.
 *
 * The pre-training has its own Adam (its moments are not carried into the VMC optimizer, whose
 * scale of gradients differs) and its own random streams; all of it (epoch, batch, moments,
 * Markov chains of an RBM's model term) is part of the run's checkpoint, so an interrupted run
 * resumes inside the pre-training or after it. There is no held-out split: the phase is a warm
 * start of fixed length, not a fit to be stopped early.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import type { ModelParts } from '../run/build.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { MetricsWriter } from '../run/metrics.js';
import { createReporter } from '../run/progress.js';
import { writeFileAtomic, writing } from '../run/run-dir.js';
import { readConfigData, type ConfigData } from './data.js';
import { plotNll } from './nll-plot.js';
import { createTrainer } from './setup.js';
import { FIT_METRICS_COLUMNS, trainNll, type TrainerState } from './trainer.js';

export const PRETRAIN_METRICS_FILE = 'pretrain.csv';

export interface PretrainState {
  done: boolean;
  trainer: TrainerState;
  /** seconds of the phase so far (all processes) */
  seconds: number;
}

export interface PretrainContext {
  cfg: ExperimentConfig;
  parts: ModelParts;
  wf: Wavefunction;
  data: ConfigData;
  dir: string;
  logger: Logger;
  output: { quiet?: boolean; silent?: boolean; tty?: boolean };
  /** the state saved by an earlier process of the run, if any */
  state: PretrainState | undefined;
  /** writes the run's checkpoint with this pre-training state */
  save: (state: PretrainState) => void;
  stop: () => boolean;
}

/** The data of --pretrain, checked against the run's lattice and sector (InputError naming file and line). */
export function readPretrainData(cfg: ExperimentConfig, parts: ModelParts): ConfigData {
  const flag = cfg.lattice === 'chain' ? `--n ${cfg.n}` : `--lx ${cfg.lx} --ly ${cfg.ly}`;
  return readConfigData(cfg.pretrain!, { nSites: parts.lattice.nSites, nUp: parts.nUp, sitesFlag: flag });
}

/** Runs (or finishes) the pre-training; the returned state has `done: false` when it was stopped. */
export async function runPretraining(ctx: PretrainContext): Promise<PretrainState> {
  const { cfg, parts, wf } = ctx;
  const trainer = createTrainer(
    cfg,
    parts,
    wf,
    ctx.data,
    { epochs: cfg['pretrain-epochs'], batchSize: cfg['pretrain-batch-size'], validation: 0, patience: 0, lr: cfg['pretrain-lr'], lrDecay: 0 },
    'pretrain',
  );
  const started = performance.now();
  const before = ctx.state?.seconds ?? 0;
  let metrics: MetricsWriter | null = null;
  try {
    if (ctx.state) trainer.setState(ctx.state.trainer);
    metrics = MetricsWriter.open(join(ctx.dir, PRETRAIN_METRICS_FILE), { resumeStep: ctx.state ? trainer.step : undefined, fixed: FIT_METRICS_COLUMNS });
    const reporter = createReporter({
      total: cfg['pretrain-epochs'] * trainer.batchesPerEpoch,
      quiet: (ctx.output.quiet ?? false) || (ctx.output.silent ?? false),
      tty: ctx.output.tty ?? false,
      startStep: trainer.step,
      unit: 'batch',
      describe: (r) => `pre-training epoch ${String(r.epoch)}/${cfg['pretrain-epochs']}  NLL ${typeof r.train_nll === 'number' ? r.train_nll.toFixed(4) : '--'}`,
      ...(ctx.output.silent ? { stream: { write: () => true } } : {}),
    });
    reporter.log(`pre-training on ${ctx.data.count} configurations of ${ctx.data.path}: ${cfg['pretrain-epochs']} epochs of ${trainer.batchesPerEpoch} mini-batches`);
    const state = (done: boolean): PretrainState => ({ done, trainer: trainer.getState(), seconds: before + (performance.now() - started) / 1000 });
    let last: Record<string, unknown> = {};
    const outcome = await trainNll(trainer, {
      stop: ctx.stop,
      onStep: (t) => reporter.update(t.step, { ...last, epoch: t.epoch + (t.batch > 0 ? 1 : 0) }),
      onEpoch: (rec) => {
        writing(metrics!.path, () => metrics!.append({ ...rec }));
        ctx.logger.info({ phase: 'pretrain', ...rec }, 'pre-training epoch');
        last = { epoch: rec.epoch, train_nll: rec.train_nll };
      },
      checkpointEvery: cfg['checkpoint-every'],
      checkpoint: () => ctx.save(state(false)),
    });
    const final = state(outcome !== 'interrupted');
    if (final.done) {
      const svg = await plotNll({ title: `Pre-training NLL — ${parts.definition.name}, ${parts.lattice.describe()}, ${cfg.ansatz}, ${ctx.data.count} configurations`, history: trainer.history });
      const svgPath = join(ctx.dir, 'nll.svg');
      writing(svgPath, () => writeFileAtomic(svgPath, svg));
      const nll = trainer.history.at(-1)?.train_nll;
      const msg = `pre-training done: ${trainer.epoch} epochs, ${trainer.step} mini-batches, NLL ${typeof nll === 'number' ? nll.toFixed(5) : 'unknown'}, ${final.seconds.toFixed(1)} s; energy minimisation follows`;
      ctx.logger.info({ phase: 'pretrain', epochs: trainer.epoch, steps: trainer.step, train_nll: nll ?? null, seconds: final.seconds }, msg);
      reporter.log(msg);
      ctx.save(final);
    }
    return final;
  } finally {
    metrics?.close();
    trainer.dispose();
  }
}
