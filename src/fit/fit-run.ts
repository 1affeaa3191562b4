/**
 * `vmc fit DATA`: trains an ansatz on measured configurations by NLL and keeps everything in a
 * run directory laid out like `vmc run`'s, so that `vmc measure`, `vmc sample` and whatever reads
 * a run's weights accept it:
 *   config.json      the ExperimentConfig of the model and ansatz (as `vmc run` writes it) plus
 *                    `command: "fit"` and the NLL settings under `fit`; `resolved` as in a run;
 *   checkpoint.json  the same format and variables (p0, p1, …) as a VMC run's, Adam's moments
 *                    (the AdamOptimizer state format) in `optimizer`; the NLL trainer's position
 *                    (epoch, batch, best epoch) in `extra`; after training it holds the parameters
 *                    of the best held-out epoch;
 *   log.jsonl        pino lines, one per epoch;
 *   metrics.csv      one row per epoch: step (mini-batch updates), epoch, train_nll,
 *                    validation_nll, nll_gap, lr, seconds (+ kl, fidelity on small systems);
 *   summary.json     final NLL, and against a known state the KL divergence and fidelity;
 *   nll.svg          the NLL curves.
 * Stages as in run/runner.ts: build (every rejection before a file is written) → run directory
 * (new, or resumed from its newest valid checkpoint) → training → summary.
 */
import { join, resolve } from 'node:path';
import { getParameters, parameterCount, setParameters, type Wavefunction } from '../ansatz/wavefunction.js';
import { initBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { Rng } from '../rng.js';
import { buildModel, buildWavefunction, samplerKind, type ModelParts } from '../run/build.js';
import { loadLatestCheckpoint, restoreFromPrevious, saveCheckpoint, type Checkpoint } from '../run/checkpoint.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { createRunLogger, type RunLogger } from '../run/logger.js';
import { checkRunMemory, estimateRunMemory } from '../run/memory.js';
import { memoryLimits } from '../run/memory-limits.js';
import { MetricsWriter } from '../run/metrics.js';
import { createReporter, type ProgressRecord, type Reporter } from '../run/progress.js';
import { exactOptions, type ReferenceEnergy } from '../run/reference.js';
import { createRunDir, readJson, removeTempFiles, writeFileAtomic, writeJsonAtomic, writing } from '../run/run-dir.js';
import { resolvedSettings, runReference, type StopSignal } from '../run/runner.js';
import { NumericalError } from '../vmc/driver.js';
import { readConfigData, type ConfigData } from './data.js';
import { chooseKnownState, distanceToState, type KnownStateChoice, type KnownStateMode } from './known-state.js';
import { plotNll } from './nll-plot.js';
import { createTrainer, type NllTraining } from './setup.js';
import { FIT_METRICS_COLUMNS, trainNll, type EpochRecord, type NllTrainer, type TrainerState } from './trainer.js';

/** The settings of `vmc fit` beyond the model and ansatz. */
export interface FitSettings extends NllTraining {
  /** the data file (stored absolute in config.json) */
  data: string;
  knownState: KnownStateMode;
  /** mini-batch steps between checkpoints (and one at the end, or when stopped) */
  checkpointEvery: number;
}

/** config.json of a fit run. */
export interface FitRunConfig extends ExperimentConfig {
  command: 'fit';
  fit: FitSettings & { dataSha256: string };
}

export type FitStatus = 'completed' | 'early-stopped' | 'interrupted' | 'diverged';

export interface FitSummary {
  status: FitStatus;
  model: string;
  lattice: string;
  n_sites: number;
  ansatz: string;
  data: string;
  data_rows: number;
  train_rows: number;
  validation_rows: number;
  epochs: number;
  steps: number;
  /** the held-out epoch whose parameters were kept (null without a held-out set) */
  best_epoch: number | null;
  /** at the final parameters (nats per configuration; null when log Z is unknown) */
  train_nll: number | null;
  validation_nll: number | null;
  nll_gap: number | null;
  /** the state the data came from (null when unknown), how that is known, and why not */
  known_state: string | null;
  known_state_source: KnownStateChoice['source'];
  known_state_note: string | null;
  /** entropy of the known state: the lowest expected NLL */
  entropy: number | null;
  kl: number | null;
  fidelity: number | null;
  seed: number;
  n_parameters: number;
  backend: string;
  wall_seconds: number;
  message?: string;
}

export interface FitRunOptions {
  config: ExperimentConfig;
  fit: FitSettings;
  /** continue the fit in this directory from its checkpoint */
  resumeDir?: string;
  signal?: StopSignal;
  quiet?: boolean;
  /** nothing on stdout, not even the summary line; implies quiet */
  silent?: boolean;
  tty?: boolean;
  onEpoch?: (record: EpochRecord) => void;
}

/** KL and fidelity are evaluated after every epoch up to this many basis states (else once, at the end). */
const PER_EPOCH_STATES = 4096;

interface FitSession {
  cfg: ExperimentConfig;
  fit: FitSettings;
  started: number;
  backend: string;
  parts: ModelParts;
  data: ConfigData;
  wf: Wavefunction;
  trainer: NllTrainer;
  known: KnownStateChoice;
  reference: ReferenceEnergy;
}

interface FitFiles {
  dir: string;
  runLog: RunLogger;
  metrics: MetricsWriter;
  reporter: Reporter;
  /** seconds of earlier processes of this fit */
  wallBefore: number;
  trainedBefore: number;
}

/** What a fit's checkpoint carries in `extra`. */
interface FitProgress {
  kind: 'fit';
  trainer: Omit<TrainerState, 'adam' | 'model'>;
  wallSeconds: number;
  trainingSeconds: number;
  backend: string;
}

/** The experiment settings `vmc fit` trains with: the RBM is real (ψ = sqrt(P)); a phase head is refused. */
export function fitExperiment(cfg: ExperimentConfig): ExperimentConfig {
  if (cfg.phase) {
    throw new InputError('Z-basis data determine |ψ| only; a phase head would stay untrained (omit --phase; vmc run --pretrain trains the phase by energy afterwards)', '--phase');
  }
  return cfg.ansatz === 'rbm' ? { ...cfg, real: true } : cfg;
}

export async function runFit(opts: FitRunOptions): Promise<{ dir: string; summary: FitSummary }> {
  const holder: { wf?: Wavefunction; trainer?: NllTrainer } = {};
  let files: FitFiles | null = null;
  let failed = true;
  try {
    const s = await build(opts, holder);
    files = openFitFiles(s, opts);
    opts.signal?.watch?.(true);
    const outcome = await train(s, files, opts);
    const summary = await writeSummary(s, files, outcome);
    failed = false;
    return { dir: files.dir, summary };
  } finally {
    opts.signal?.watch?.(false);
    const steps = [() => files?.metrics.close(), () => files?.runLog.close(), () => holder.trainer?.dispose(), () => holder.wf?.dispose()];
    let first: unknown = null;
    for (const step of steps) {
      try {
        step();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== null && !failed) throw first;
  }
}

/** How the flags name the number of sites, for the data file's errors. */
function sitesFlag(cfg: ExperimentConfig): string {
  return cfg.lattice === 'chain' ? `--n ${cfg.n}` : `--lx ${cfg.lx} --ly ${cfg.ly}`;
}

async function build(opts: FitRunOptions, holder: { wf?: Wavefunction; trainer?: NllTrainer }): Promise<FitSession> {
  const started = performance.now();
  const cfg = fitExperiment(opts.config);
  const fit = opts.fit;
  const verbose = !(opts.quiet || opts.silent);
  const backend = await initBackend(cfg.backend, { ansatz: cfg.ansatz, samples: fit.batchSize });
  const parts = buildModel(cfg);
  const N = parts.lattice.nSites;
  const data = readConfigData(fit.data, { nSites: N, nUp: parts.nUp, sitesFlag: sitesFlag(cfg) });
  const batch = Math.max(fit.batchSize, fit.modelSamples ?? 0);
  checkRunMemory(estimateRunMemory({ ...cfg, samples: batch }, N, 'adam'), memoryLimits(backend, 1));
  const wf = (holder.wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`)));
  if (verbose && fit.knownState !== 'none' && N >= 16) process.stderr.write(`vmc fit: computing the exact ground state of ${N} sites to compare with (--known-state none skips it)\n`);
  const known = chooseKnownState(fit.knownState, parts.hamiltonian, parts.lattice, exactOptions(parts), data);
  const small = known.state !== null && known.state.basis.length <= PER_EPOCH_STATES;
  const assess = small ? () => ({ ...(distanceToState(wf, parts.nUp, known.state!) ?? { kl: null, fidelity: null }) }) : undefined;
  const trainer = (holder.trainer = createTrainer(cfg, parts, wf, data, fit, 'fit', assess));
  const reference = runReference(cfg, parts, verbose);
  return { cfg, fit, started, backend, parts, data, wf, trainer, known, reference };
}

/** Reads a fit run's config.json: its experiment and NLL settings (InputError for anything else). */
export function readFitConfig(dir: string): { config: ExperimentConfig; fit: FitSettings & { dataSha256: string } } {
  const raw = readJson(join(dir, 'config.json'), 'run configuration') as Partial<FitRunConfig> & { resolved?: unknown };
  if (raw.command !== 'fit' || typeof raw.fit !== 'object' || raw.fit === null) {
    throw new InputError('not a vmc fit run directory (its config.json has no "command": "fit"); continue a vmc run with vmc run --resume', join(dir, 'config.json'));
  }
  const { command: _command, fit, resolved: _resolved, ...config } = raw;
  return { config: config as ExperimentConfig, fit: fit as FitSettings & { dataSha256: string } };
}

function openFitFiles(s: FitSession, opts: FitRunOptions): FitFiles {
  const { cfg, parts, trainer } = s;
  let dir: string;
  let wallBefore = 0;
  let trainedBefore = 0;
  const warnings: string[] = [];
  if (opts.resumeDir) {
    dir = resolve(opts.resumeDir);
    const stored = readFitConfig(dir);
    if (stored.fit.dataSha256 !== s.data.sha256) {
      throw new InputError('the data file has changed since this fit started (its SHA-256 differs); a resumed fit must see the same data', s.data.path);
    }
    removeTempFiles(dir);
    const latest = loadLatestCheckpoint(dir, (ck, path) => restoreState(s, ck, path));
    if (latest.problem) {
      restoreFromPrevious(dir);
      warnings.push(`${latest.problem}; resumed from the previous checkpoint (step ${latest.checkpoint.step})`);
    }
    const p = latest.checkpoint.extra as FitProgress;
    wallBefore = p.wallSeconds;
    trainedBefore = p.trainingSeconds;
    if (p.backend !== s.backend) warnings.push(`this fit was computed on the ${p.backend} backend and now continues on ${s.backend}: the numbers will not be bit-identical to an uninterrupted fit`);
  } else {
    dir = createRunDir(cfg.out, parts.definition.name, `${cfg.ansatz}-fit`);
  }
  // new, or the settings this process runs with (--epochs, --backend may change on resume)
  const config: FitRunConfig = { ...cfg, command: 'fit', fit: { ...s.fit, data: resolve(s.fit.data), dataSha256: s.data.sha256 } };
  const configPath = join(dir, 'config.json');
  writing(configPath, () => writeJsonAtomic(configPath, { ...config, resolved: fitResolved(s) }));
  const total = s.fit.epochs * trainer.batchesPerEpoch;
  const reporter = createReporter({
    total,
    quiet: (opts.quiet ?? false) || (opts.silent ?? false),
    tty: opts.tty ?? false,
    startStep: trainer.step,
    unit: 'batch',
    describe: (r) => progressText(r, s.fit.epochs),
    ...(opts.silent ? { stream: { write: () => true } } : {}),
  });
  const runLog = createRunLogger(dir);
  const metrics = MetricsWriter.open(join(dir, 'metrics.csv'), { resumeStep: opts.resumeDir ? trainer.step : undefined, fixed: FIT_METRICS_COLUMNS });
  runLog.logger.info(
    {
      dir, backend: s.backend, model: parts.definition.name, lattice: parts.lattice.describe(), ansatz: cfg.ansatz, n_parameters: parameterCount(s.wf),
      data: s.data.path, rows: s.data.count, train_rows: trainer.data.trainCount, validation_rows: trainer.data.validationCount,
      known_state: s.known.state?.label ?? null, known_state_note: s.known.note, resume_from: opts.resumeDir ? trainer.step : null,
    },
    'fit started',
  );
  for (const w of warnings) {
    runLog.logger.warn(w);
    reporter.log(w, undefined, 'warn');
  }
  reporter.log(
    `backend ${s.backend}; ${parts.definition.name} on ${parts.lattice.describe()}; ${cfg.ansatz} with ${parameterCount(s.wf)} parameters; ` +
      `${s.data.count} configurations (${trainer.data.trainCount} training, ${trainer.data.validationCount} held out); run directory ${dir}`,
  );
  return { dir, runLog, metrics, reporter, wallBefore, trainedBefore };
}

/** One progress line: epoch and the latest NLLs. */
function progressText(r: ProgressRecord, epochs: number): string {
  const f = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '--');
  const kl = typeof r.kl === 'number' ? `  KL ${r.kl.toExponential(2)}` : '';
  return `epoch ${String(r.epoch)}/${epochs}  NLL ${f(r.train_nll)} (held-out ${f(r.validation_nll)})${kl}`;
}

/** Puts a checkpoint into the wavefunction and the trainer; a misfit is an InputError naming the file. */
function restoreState(s: FitSession, ck: Checkpoint, path: string): void {
  const extra = ck.extra as Partial<FitProgress> | undefined;
  if (extra?.kind !== 'fit') throw new InputError('checkpoint was not written by vmc fit', path);
  try {
    setParameters(s.wf, ck.variables);
    s.trainer.setState({ ...extra.trainer!, adam: ck.optimizer, model: ck.rng } as TrainerState);
  } catch (e) {
    throw new InputError(`checkpoint does not fit this run: ${(e as Error).message}`, path);
  }
}

function fitResolved(s: FitSession): Record<string, unknown> {
  const nParams = parameterCount(s.wf);
  return {
    ...resolvedSettings({ ...s, nParams, sampler: { kind: samplerKind(s.cfg) } }),
    optimizer: 'adam',
    data: { path: resolve(s.fit.data), rows: s.data.count, format: s.data.format, sha256: s.data.sha256 },
    known_state: s.known.state?.label ?? null,
  };
}

interface FitOutcome {
  status: FitStatus;
  message?: string;
}

async function train(s: FitSession, f: FitFiles, opts: FitRunOptions): Promise<FitOutcome> {
  const { trainer } = s;
  const loopStart = performance.now();
  const checkpoint = (): void => {
    const { adam, model, ...rest } = trainer.getState();
    const extra: FitProgress = {
      kind: 'fit',
      trainer: rest,
      wallSeconds: f.wallBefore + (performance.now() - s.started) / 1000,
      trainingSeconds: f.trainedBefore + (performance.now() - loopStart) / 1000,
      backend: s.backend,
    };
    writing(join(f.dir, 'checkpoint.json'), () => saveCheckpoint(f.dir, { step: trainer.step, variables: getParameters(s.wf), optimizer: adam, rng: model, extra }));
  };
  // the progress line shows the latest epoch's values (its own `step` is the reporter's)
  const shown = (rec: EpochRecord | undefined): ProgressRecord => {
    if (!rec) return {};
    const { step: _step, seconds: _seconds, ...rest } = rec;
    return rest;
  };
  let last: ProgressRecord = shown(trainer.history.at(-1));
  try {
    const outcome = await trainNll(trainer, {
      stop: () => opts.signal?.stop ?? false,
      onStep: (t) => f.reporter.update(t.step, { ...last, epoch: t.epoch + (t.batch > 0 ? 1 : 0) }),
      onEpoch: (rec) => {
        writing(f.metrics.path, () => f.metrics.append({ ...rec }));
        writing(f.runLog.path, () => f.runLog.logger.info({ ...rec }, 'epoch'));
        last = shown(rec);
        f.reporter.update(trainer.step, last);
        opts.onEpoch?.(rec);
      },
      checkpointEvery: s.fit.checkpointEvery,
      checkpoint,
    });
    const message =
      outcome === 'early-stopped'
        ? `early stop: the held-out NLL did not improve for ${s.fit.patience} epochs; kept the parameters of epoch ${trainer.best?.epoch}`
        : undefined;
    if (message) f.runLog.logger.info({ epoch: trainer.epoch }, message);
    return { status: outcome, ...(message ? { message } : {}) };
  } catch (e) {
    if (!(e instanceof NumericalError)) throw e;
    const message = `${e.message}; the last good checkpoint is kept`;
    f.runLog.logger.error({ step: trainer.step }, message);
    return { status: 'diverged', message };
  }
}

async function writeSummary(s: FitSession, f: FitFiles, outcome: FitOutcome): Promise<FitSummary> {
  const { trainer, parts, cfg } = s;
  const finished = outcome.status === 'completed' || outcome.status === 'early-stopped';
  let nll: ReturnType<NllTrainer['evaluate']> = { train: null, validation: null, gap: null };
  try {
    nll = trainer.evaluate();
  } catch (e) {
    if (!(e instanceof NumericalError)) throw e;
  }
  // KL and fidelity at the final parameters (on large systems only after a finished fit: it enumerates up to 2^20 states)
  const lastRecord = trainer.history.at(-1);
  const small = s.known.state !== null && s.known.state.basis.length <= PER_EPOCH_STATES;
  const dist = s.known.state && (finished || small) && outcome.status !== 'diverged' ? distanceToState(s.wf, parts.nUp, s.known.state) : null;
  const summary: FitSummary = {
    status: outcome.status,
    model: parts.definition.name,
    lattice: parts.lattice.describe(),
    n_sites: parts.lattice.nSites,
    ansatz: cfg.ansatz,
    data: s.data.path,
    data_rows: s.data.count,
    train_rows: trainer.data.trainCount,
    validation_rows: trainer.data.validationCount,
    epochs: trainer.epoch,
    steps: trainer.step,
    best_epoch: trainer.best?.epoch ?? null,
    train_nll: nll.train,
    validation_nll: nll.validation,
    nll_gap: nll.gap,
    known_state: s.known.state?.label ?? null,
    known_state_source: s.known.source,
    known_state_note: s.known.note,
    entropy: s.known.state?.entropy ?? null,
    kl: dist?.kl ?? (typeof lastRecord?.kl === 'number' ? lastRecord.kl : null),
    fidelity: dist?.fidelity ?? (typeof lastRecord?.fidelity === 'number' ? lastRecord.fidelity : null),
    seed: cfg.seed,
    n_parameters: parameterCount(s.wf),
    backend: s.backend,
    wall_seconds: f.wallBefore + (performance.now() - s.started) / 1000,
    ...(outcome.message ? { message: outcome.message } : {}),
  };
  const summaryPath = join(f.dir, 'summary.json');
  writing(summaryPath, () => writeJsonAtomic(summaryPath, summary));
  const svg = await plotNll({ title: `NLL — ${parts.definition.name}, ${parts.lattice.describe()}, ${cfg.ansatz}, ${s.data.count} configurations`, history: trainer.history, entropy: summary.entropy });
  const svgPath = join(f.dir, 'nll.svg');
  writing(svgPath, () => writeFileAtomic(svgPath, svg));
  f.runLog.logger.info({ summary }, 'fit finished');
  f.reporter.finish(fitSummaryLine(summary));
  return summary;
}

export function fitSummaryLine(s: FitSummary): string {
  const f = (v: number | null) => (v === null ? '—' : v.toFixed(5));
  const nll = s.train_nll === null ? `NLL unknown (log Z out of reach), held-out − training ${f(s.nll_gap)}` : `NLL ${f(s.train_nll)} training, ${f(s.validation_nll)} held out`;
  const best = s.best_epoch === null ? '' : ` (parameters of epoch ${s.best_epoch})`;
  const known = s.kl === null ? '' : `; KL ${s.kl.toExponential(2)}, fidelity ${s.fidelity!.toFixed(6)} vs the ${s.known_state}${s.entropy === null ? '' : ` (entropy ${s.entropy.toFixed(5)})`}`;
  return `${s.status}: ${nll}${best}${known}; ${s.epochs} epochs, ${s.steps} steps, ${s.wall_seconds.toFixed(1)} s`;
}
