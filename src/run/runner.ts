/**
 * Runs an experiment end to end and keeps everything it produces in a run directory:
 * config.json (fully resolved), log.jsonl, metrics.csv, checkpoint.json (atomic), summary.json
 * and energy.svg. A run can be interrupted (stop flag, e.g. Ctrl-C or SIGTERM) and resumed from
 * its checkpoint; on the same backend the resumed run has the numbers of an uninterrupted run.
 *
 * `runExperiment` is a pipeline of stages: build (everything that can reject the settings, before
 * any file is written) → open the run directory (new, or resumed from its newest valid
 * checkpoint) → train → final energy → summary.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parameterCount, type Wavefunction } from '../ansatz/wavefunction.js';
import { initBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { Rng } from '../rng.js';
import type { Sampler } from '../sampler/sampler.js';
import { estimateEnergy, NumericalError, VmcDriver, type StepRecord } from '../vmc/driver.js';
import { InThread, type StepThreads } from '../vmc/threads.js';
import type { Optimizer } from '../vmc/optimizer.js';
import { annealColumns, annealHistory, annealSchedule, annealPlot, type AnnealHistory } from './anneal.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction, latticeSites, networkSize, optimizerKind, samplerKind, srSpace, type ModelParts } from './build.js';
import { loadLatestCheckpoint, restoreFromPrevious, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ExperimentConfig } from './experiment.js';
import { applyInitOptimizer, applyInitWeights, prepareInitFrom, type InitRecord } from './init-from.js';
import { createRunLogger, type RunLogger } from './logger.js';
import { checkRunMemory, estimateRunMemory, formatBytes } from './memory.js';
import { memoryLimits } from './memory-limits.js';
import { resolveSymmetry } from './symmetry.js';
import { MetricsWriter } from './metrics.js';
import { plotEnergy } from './plot.js';
import { createReporter, type Reporter } from './progress.js';
import { referenceEnergy, type ReferenceEnergy } from './reference.js';
import { createRunDir, readJson, removeTempFiles, writeFileAtomic, writeJsonAtomic, writing } from './run-dir.js';
import { defaultWorkers, StepPool } from './step-pool.js';
import { readPretrainData, runPretraining, type PretrainState } from '../fit/pretrain.js';
import type { ConfigData } from '../fit/data.js';

export type RunStatus = 'completed' | 'interrupted' | 'diverged';

export interface RunSummary {
  status: RunStatus;
  model: string;
  lattice: string;
  n_sites: number;
  ansatz: string;
  energy: number;
  energy_error: number;
  energy_per_site: number;
  variance: number;
  /** how the final energy was estimated */
  energy_estimate: 'eval-samples' | 'last-step';
  exact_energy: number | null;
  exact_method: string | null;
  relative_error: number | null;
  steps: number;
  samples: number;
  eval_samples: number | null;
  seed: number;
  n_parameters: number;
  backend: string;
  wall_seconds: number;
  sampler: string;
  /** Markov chains: acceptance, autocorrelation time τ of E_loc, split-R̂ (final estimate) */
  sampler_diagnostics: Record<string, number>;
  message?: string;
}

/**
 * How a caller asks a run to stop early: `stop` is read between steps (the run then ends after
 * its current step with a checkpoint and a summary). `watch(true)` is called when training
 * starts — from then on stopping early saves work — and `watch(false)` when the run is over,
 * so that a signal handler need only be installed while it is useful (during start-up the
 * default, ending the process at once, is right: there is nothing to save).
 */
export interface StopSignal {
  stop: boolean;
  watch?: (active: boolean) => void;
}

export interface RunOptions {
  config: ExperimentConfig;
  /** continue the run in this directory from its checkpoint */
  resumeDir?: string;
  signal?: StopSignal;
  quiet?: boolean;
  /** nothing at all on stdout, not even the summary line (e.g. the caller prints JSON); implies quiet */
  silent?: boolean;
  /** progress bar (true) or JSON lines (false) on stdout */
  tty?: boolean;
  /** called after every step (e.g. by tests, or to drive a custom display) */
  onStep?: (record: StepRecord) => void;
}

export interface RunResult {
  dir: string;
  summary: RunSummary;
}

/** What a checkpoint carries besides the state of the numbers (its `extra`). */
interface Progress {
  step: number;
  /** per step; annealed runs add temperature and free energy (run/anneal.ts) */
  history: ({ step: number; energy: number; error: number } & Partial<AnnealHistory>)[];
  /** wall-clock seconds of every process of the run so far (start-up, training, evaluation) */
  wallSeconds: number;
  /** seconds spent in the training loop: what --budget-seconds counts */
  trainingSeconds: number;
  /** the backend the checkpointed numbers were computed on */
  backend?: string;
  /** the NLL pre-training phase (--pretrain), done or under way */
  pretrain?: PretrainState;
}

/** Everything built from the settings: no file has been written yet. */
interface Session {
  cfg: ExperimentConfig;
  started: number;
  backend: string;
  parts: ModelParts;
  wf: Wavefunction;
  sampler: Sampler;
  optimizer: Optimizer;
  driver: VmcDriver;
  /** where each step's sampling, local energies and gradient run */
  threads: StepThreads;
  /** their number */
  nThreads: number;
  nParams: number;
  reference: ReferenceEnergy;
  /** where the initial weights came from (--init-from), recorded in config.json */
  init?: InitRecord;
  /** the configurations of --pretrain, read and checked before anything else happens */
  pretrainData: ConfigData | null;
}

/** The open run directory and its writers. */
interface RunFiles {
  dir: string;
  runLog: RunLogger;
  metrics: MetricsWriter;
  reporter: Reporter;
  progress: Progress;
  /** training seconds done by earlier processes of this run */
  trainedBefore: number;
}

interface TrainingOutcome {
  status: RunStatus;
  message?: string;
  last: StepRecord | null;
}

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const session: { current: Session | null } = { current: null };
  let files: RunFiles | null = null;
  let failed = true;
  try {
    const s = (session.current = await build(opts.config, session, !(opts.quiet || opts.silent), opts.resumeDir !== undefined));
    files = openRunFiles(s, opts);
    opts.signal?.watch?.(true);
    const outcome = await train(s, files, opts);
    const final = await finalEnergy(s, outcome);
    const summary = await writeSummary(s, files, outcome, final);
    failed = false;
    return { dir: files.dir, summary };
  } finally {
    opts.signal?.watch?.(false);
    // every exit path (completed, interrupted, diverged, errors) closes the files and ends the
    // worker threads, so nothing keeps the process alive — each step even if another fails
    // (closing a file on a full disk can fail too); the first error of a run wins
    const f = files;
    const s = session.current;
    await cleanUp(failed, [
      () => f && writing(f.metrics.path, () => f.metrics.close()),
      () => f?.runLog.close(),
      () => s?.threads?.close(),
      () => s?.wf?.dispose(),
      () => s?.optimizer?.dispose(),
    ]);
  }
}

/** Runs every step; rethrows the first failure unless the run has already failed. */
async function cleanUp(failed: boolean, steps: (() => unknown)[]): Promise<void> {
  let first: unknown = null;
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== null && !failed) throw first;
}

/**
 * Stage 1: backend, model, memory check, wavefunction, sampler, optimizer, worker threads,
 * exact reference. Everything that can reject the settings happens here, before the run
 * directory exists, so a mistake leaves no half-made run behind. `holder` receives the parts
 * that need disposing as soon as they exist.
 */
async function build(given: ExperimentConfig, holder: { current: Session | null }, verbose: boolean, resuming: boolean): Promise<Session> {
  const started = performance.now();
  // --init-from: read and check the source run first (a resumed run continues from its own checkpoint)
  const init = given['init-from'] && !resuming ? prepareInitFrom(given) : null;
  const cfg = init ? init.config : given;
  const anneal = annealSchedule(cfg);
  const backend = await initBackend(cfg.backend, { ansatz: cfg.ansatz, samples: cfg.samples });
  // a lattice too large to train is refused before its bonds and Hamiltonian are built
  // (--n 1e9 spent a minute building them before the full check below)
  checkRunMemory(estimateRunMemory(cfg, latticeSites(cfg), optimizerKind(cfg)), memoryLimits(backend, 1));
  const parts = buildModel(cfg);
  const pretrainData = cfg.pretrain !== undefined ? readPretrainData(cfg, parts) : null;
  // --workers K: each step's sampling, local energies and gradient on the main thread plus K−1
  // worker threads; not given: as many as pay off (defaultWorkers)
  const threads = cfg.workers ?? defaultWorkers(cfg, parts.lattice.nSites, backend, samplerKind(cfg) === 'exact');
  // refuse what cannot fit before allocating any of it (e.g. --hidden 1e9)
  const groupOrder = resolveSymmetry(cfg, parts)?.ops.length ?? 1;
  checkRunMemory(estimateRunMemory(cfg, parts.lattice.nSites, optimizerKind(cfg), groupOrder), memoryLimits(backend, threads));
  const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
  // filled in below; handed out now so that what is built is disposed even if a later part fails
  const session = { cfg, started, backend, parts, wf, pretrainData } as Session;
  holder.current = session;
  if (init) applyInitWeights(wf, init.source, cfg.seed, networkSize(cfg, parts.lattice.nSites).layers);
  session.sampler = buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:sample`));
  session.optimizer = buildOptimizer(cfg, wf);
  if (init) {
    applyInitOptimizer(wf, session.optimizer, init.source);
    session.init = init.source.record;
  }
  session.nThreads = threads;
  session.threads = threads > 1 ? await StepPool.start(cfg, threads, backend, parts.hamiltonian, wf) : new InThread(parts.hamiltonian, wf);
  session.driver = new VmcDriver(parts.hamiltonian, wf, session.sampler, session.optimizer, cfg.samples, { threads: session.threads, anneal: anneal ?? undefined });
  session.nParams = parameterCount(wf);
  session.reference = runReference(cfg, parts, verbose);
  return session;
}

/** Stands in for the exact reference that would not fit in memory (the run goes on without it). */
class ReferenceTooLarge extends Error {}

/**
 * The exact reference of a run. A solve whose estimate exceeds 3/4 of the machine's memory is
 * skipped (the summary says why); one expected to take more than a few seconds says so on
 * stderr first (unless quiet), since the run waits for it before its first step.
 */
export function runReference(cfg: ExperimentConfig, parts: ModelParts, verbose: boolean): ReferenceEnergy {
  const limit = 0.75 * memoryLimits('cpu').host;
  try {
    return referenceEnergy(cfg, parts, {
      onPlan: (plan) => {
        if (plan.memoryBytes > limit) {
          throw new ReferenceTooLarge(`the exact reference would need about ${formatBytes(plan.memoryBytes)} (more than 3/4 of this machine's memory)`);
        }
        if (verbose && plan.seconds > 2) {
          process.stderr.write(`vmc: computing the exact reference first (${plan.method}, memory ≈ ${formatBytes(plan.memoryBytes)}, about ${Math.ceil(plan.seconds)} s, rough)\n`);
        }
      },
    });
  } catch (e) {
    if (!(e instanceof ReferenceTooLarge)) throw e;
    return cfg.reference
      ? { energy: cfg.reference.energy, method: 'reference', gap: null, source: cfg.reference.source }
      : { energy: null, method: null, gap: null, source: e.message };
  }
}

/** Stage 2: a new run directory with its config.json, or the resumed one restored from its checkpoint. */
function openRunFiles(s: Session, opts: RunOptions): RunFiles {
  const { cfg, parts } = s;
  const reporter = createReporter({
    total: cfg.steps,
    exactEnergy: s.reference.energy,
    quiet: (opts.quiet ?? false) || (opts.silent ?? false),
    tty: opts.tty ?? false,
    ...(opts.silent ? { stream: { write: () => true } } : {}),
  });
  let dir: string;
  let progress: Progress = { step: 0, history: [], wallSeconds: 0, trainingSeconds: 0, backend: s.backend };
  const warnings: string[] = [];
  if (opts.resumeDir) {
    dir = opts.resumeDir;
    ({ progress } = resume(s, dir, warnings));
  } else {
    dir = createRunDir(cfg.out, parts.definition.name, cfg.ansatz);
    writeJsonAtomic(join(dir, 'config.json'), { ...cfg, resolved: resolvedSettings(s) });
  }
  const runLog = createRunLogger(dir);
  const metrics = MetricsWriter.open(join(dir, 'metrics.csv'), { resumeStep: opts.resumeDir ? s.driver.stepsDone : undefined });
  const files: RunFiles = { dir, runLog, metrics, reporter, progress, trainedBefore: progress.trainingSeconds };
  runLog.logger.info(
    { dir, backend: s.backend, workers: s.nThreads, model: parts.definition.name, lattice: parts.lattice.describe(), ansatz: cfg.ansatz, n_parameters: s.nParams, reference: s.reference, resume_from: opts.resumeDir ? s.driver.stepsDone : null, ...(optimizerKind(cfg) === 'sr' ? { sr_space: srSpace(cfg, s.nParams) } : {}) },
    'run started',
  );
  for (const w of warnings) {
    runLog.logger.warn(w);
    reporter.log(w, undefined, 'warn');
  }
  reporter.log(`backend ${s.backend}, ${s.nThreads} thread${s.nThreads > 1 ? 's' : ''}; ${parts.definition.name} on ${parts.lattice.describe()}; ${cfg.ansatz} with ${s.nParams} parameters; run directory ${dir}`);
  return files;
}

/**
 * Restores the driver from the newest valid checkpoint of `dir` (falling back to the previous
 * one when checkpoint.json is damaged) and records the settings this process runs with
 * (--steps, --budget-seconds, --workers, --backend may change on resume) in config.json, so
 * that a later resume continues to the new --steps.
 */
function resume(s: Session, dir: string, warnings: string[]): { progress: Progress } {
  removeTempFiles(dir); // of a process killed mid-write: never complete, never read
  const latest = loadLatestCheckpoint(dir, (ck, path) => restoreState(s, ck, path));
  if (latest.problem) {
    restoreFromPrevious(dir);
    warnings.push(`${latest.problem}; resumed from the previous checkpoint (step ${latest.checkpoint.step}, kept as checkpoint.json; the damaged file is checkpoint.damaged.json)`);
  }
  const saved = latest.checkpoint.extra as Partial<Progress> | undefined;
  // older checkpoints have no trainingSeconds: their wallSeconds is what the budget counted
  const progress: Progress = {
    step: latest.checkpoint.step,
    history: (saved?.history ?? []).filter((h) => h.step <= latest.checkpoint.step),
    wallSeconds: saved?.wallSeconds ?? 0,
    trainingSeconds: saved?.trainingSeconds ?? saved?.wallSeconds ?? 0,
    backend: saved?.backend,
    ...(saved?.pretrain ? { pretrain: saved.pretrain } : {}),
  };
  const config = readJson(join(dir, 'config.json'), 'run configuration') as ExperimentConfig & { resolved?: { backend?: string } };
  const before = progress.backend ?? config.resolved?.backend;
  if (before !== undefined && before !== s.backend) {
    warnings.push(
      `this run was computed on the ${before} backend and now continues on ${s.backend}: their float32 kernels differ, so the numbers will not be bit-identical to an uninterrupted run`,
    );
  }
  writeJsonAtomic(join(dir, 'config.json'), { ...config, ...s.cfg, resolved: config.resolved });
  return { progress: { ...progress, backend: s.backend } };
}

/** Puts a checkpoint's state into the driver; a checkpoint that does not fit is an InputError naming the file. */
function restoreState(s: Session, ck: Checkpoint, path: string): void {
  try {
    s.driver.setParameters(ck.variables);
    s.optimizer.setState(ck.optimizer);
    s.sampler.setState(ck.rng);
  } catch (e) {
    throw new InputError(`checkpoint does not fit this run: ${(e as Error).message}`, path);
  }
  s.driver.stepsDone = ck.step;
}

/**
 * config.json's `resolved` block: versions, backend, model terms, ansatz, reference (of a VMC run,
 * or of anything else that trains a run's wavefunction, e.g. vmc fit).
 */
export function resolvedSettings(s: Pick<Session, 'cfg' | 'backend' | 'parts' | 'wf' | 'nParams' | 'reference' | 'init'> & { sampler: { kind: string } }): Record<string, unknown> {
  return {
    vmc_version: packageVersion(),
    tfjs_version: tf.version.tfjs,
    node_version: process.version,
    backend: s.backend,
    model: s.parts.definition,
    lattice: s.parts.lattice.spec(),
    n_sites: s.parts.lattice.nSites,
    n_up: s.parts.nUp,
    ansatz: s.wf.spec(),
    optimizer: optimizerKind(s.cfg),
    ...(optimizerKind(s.cfg) === 'sr' ? { sr_space: srSpace(s.cfg, s.nParams) } : {}),
    sampler: s.sampler.kind,
    n_parameters: s.nParams,
    reference: s.reference,
    ...(s.init ? { init_from: s.init } : {}),
  };
}

/**
 * Stage 3: the training loop, until --steps, the wall-clock budget (training time, counted
 * across resumes), a stop request, or divergence. Checkpoints every --checkpoint-every steps
 * and at the end (never after divergence: the last good checkpoint is kept).
 */
async function train(s: Session, f: RunFiles, opts: RunOptions): Promise<TrainingOutcome> {
  const { cfg, driver, optimizer, sampler } = s;
  const log = f.runLog.logger;
  const loopStart = performance.now();
  const trained = (): number => f.trainedBefore + (performance.now() - loopStart) / 1000;
  const checkpoint = (): void => {
    const progress: Progress = { ...f.progress, step: driver.stepsDone, wallSeconds: f.progress.wallSeconds + (performance.now() - s.started) / 1000, trainingSeconds: trained() };
    const data = { step: driver.stepsDone, variables: driver.parameters(), optimizer: optimizer.getState(), rng: sampler.getState(), extra: progress };
    writing(join(f.dir, 'checkpoint.json'), () => saveCheckpoint(f.dir, data));
  };
  if (s.pretrainData && !f.progress.pretrain?.done) {
    // NLL pre-training first (fit/pretrain.ts); its state goes into the run's checkpoints
    const state = await runPretraining({
      cfg, parts: s.parts, wf: s.wf, data: s.pretrainData, dir: f.dir, logger: log, output: opts, state: f.progress.pretrain,
      save: (p) => {
        f.progress.pretrain = p;
        checkpoint();
      },
      stop: () => opts.signal?.stop ?? false,
    });
    if (!state.done) return { status: 'interrupted', last: null };
  }
  const budget = cfg['budget-seconds'];
  const outcome: TrainingOutcome = { status: 'completed', last: null };
  try {
    while (driver.stepsDone < cfg.steps) {
      // A step is synchronous; yield to the event loop so that SIGINT/SIGTERM handlers run.
      await new Promise((resolve) => setImmediate(resolve));
      if (opts.signal?.stop) {
        outcome.status = 'interrupted';
        break;
      }
      if (budget !== undefined && trained() >= budget) {
        outcome.message = `time budget of ${budget} s reached after ${driver.stepsDone} steps`;
        log.info({ step: driver.stepsDone, budget_seconds: budget }, outcome.message);
        break;
      }
      const cpuBefore = process.cpuUsage();
      const rec = await driver.step();
      const cpu = process.cpuUsage(cpuBefore);
      outcome.last = rec;
      record(s, f, rec, (cpu.user + cpu.system) / 1e6);
      if (rec.step % cfg['checkpoint-every'] === 0) checkpoint();
      opts.onStep?.(rec);
    }
  } catch (e) {
    if (!(e instanceof NumericalError)) throw e;
    outcome.status = 'diverged';
    outcome.message = `${e.message}; the last good checkpoint is kept`;
    log.error({ step: driver.stepsDone }, outcome.message);
  }
  if (outcome.status !== 'diverged') checkpoint();
  return outcome;
}

/**
 * One step into the history, metrics.csv, log.jsonl and the progress display. `cpuSeconds` is the
 * process's CPU time for the step (all threads, workers included): on a loaded machine it still
 * compares the work of two runs, where wall-clock seconds do not.
 */
function record(s: Session, f: RunFiles, rec: StepRecord, cpuSeconds: number): void {
  const rel = relativeError(rec.energy, s.reference);
  f.progress.history.push({ step: rec.step, energy: rec.energy, error: rec.error, ...annealHistory(rec) });
  writing(f.metrics.path, () =>
    f.metrics.append({
      step: rec.step,
      energy: rec.energy,
      energy_error: rec.error,
      variance: rec.variance,
      energy_per_site: rec.energy / s.parts.lattice.nSites,
      relative_error: rel,
      lr: rec.lr,
      seconds: rec.timings.total,
      ...rec.diagnostics,
      ...annealColumns(rec),
    }),
  );
  writing(f.runLog.path, () =>
    f.runLog.logger.info({ step: rec.step, energy: rec.energy, error: rec.error, variance: rec.variance, relative_error: rel, lr: rec.lr, distinct: rec.distinct, timings: rec.timings, cpu_seconds: cpuSeconds, ...rec.diagnostics, ...annealColumns(rec) }, 'step'),
  );
  f.reporter.update(rec.step, { energy: rec.energy, energy_error: rec.error, relative_error: rel, ...(rec.anneal ? { temperature: rec.anneal.temperature } : {}) });
}

interface FinalEnergy {
  energy: number;
  error: number;
  variance: number;
  estimate: RunSummary['energy_estimate'];
  diagnostics: Record<string, number>;
}

/** Stage 4: a fresh, larger batch of samples after a completed run; otherwise the last step. */
async function finalEnergy(s: Session, outcome: TrainingOutcome): Promise<FinalEnergy> {
  const { cfg, last } = { cfg: s.cfg, last: outcome.last };
  if (outcome.status !== 'completed') {
    return { energy: last?.energy ?? NaN, error: last?.error ?? NaN, variance: last?.variance ?? NaN, estimate: 'last-step', diagnostics: last?.diagnostics ?? {} };
  }
  const evalSlice = Math.min(cfg['eval-samples'], Math.max(cfg.samples, 1000));
  const ev = await estimateEnergy(s.parts.hamiltonian, s.wf, s.sampler, cfg['eval-samples'], evalSlice, s.threads);
  return { energy: ev.mean, error: ev.error, variance: ev.variance, estimate: 'eval-samples', diagnostics: ev.diagnostics };
}

/** Stage 5: summary.json, energy.svg, the last log line and the summary line. */
async function writeSummary(s: Session, f: RunFiles, outcome: TrainingOutcome, final: FinalEnergy): Promise<RunSummary> {
  const { cfg, parts } = s;
  const nSites = parts.lattice.nSites;
  const summary: RunSummary = {
    status: outcome.status,
    model: parts.definition.name,
    lattice: parts.lattice.describe(),
    n_sites: nSites,
    ansatz: cfg.ansatz,
    energy: final.energy,
    energy_error: final.error,
    energy_per_site: final.energy / nSites,
    variance: final.variance,
    energy_estimate: final.estimate,
    exact_energy: s.reference.energy,
    exact_method: s.reference.method,
    relative_error: relativeError(final.energy, s.reference),
    steps: s.driver.stepsDone,
    samples: cfg.samples,
    eval_samples: final.estimate === 'eval-samples' ? cfg['eval-samples'] : null,
    seed: cfg.seed,
    n_parameters: s.nParams,
    backend: s.backend,
    wall_seconds: f.progress.wallSeconds + (performance.now() - s.started) / 1000,
    sampler: s.sampler.kind,
    sampler_diagnostics: final.diagnostics,
    ...(outcome.message ? { message: outcome.message } : {}),
  };
  writing(join(f.dir, 'summary.json'), () => writeJsonAtomic(join(f.dir, 'summary.json'), summary));
  const history = f.progress.history;
  const svg = await plotEnergy({
    title: `${parts.definition.name}, ${parts.lattice.describe()}, ${cfg.ansatz}`,
    step: history.map((r) => r.step),
    energy: history.map((r) => r.energy),
    energyError: history.map((r) => r.error),
    exactEnergy: s.reference.energy ?? undefined,
    name: cfg.ansatz,
  });
  writing(join(f.dir, 'energy.svg'), () => writeFileAtomic(join(f.dir, 'energy.svg'), svg));
  if (s.driver.anneal) {
    const annealSvg = await annealPlot(`${parts.definition.name}, ${parts.lattice.describe()}, ${cfg.ansatz}`, history, s.reference.energy);
    writing(join(f.dir, 'anneal.svg'), () => writeFileAtomic(join(f.dir, 'anneal.svg'), annealSvg));
  }
  f.runLog.logger.info({ summary }, 'run finished');
  f.reporter.finish(summaryLine(summary));
  return summary;
}

function relativeError(energy: number, ref: ReferenceEnergy): number | null {
  return ref.energy === null ? null : Math.abs(energy - ref.energy) / Math.abs(ref.energy);
}

export function summaryLine(s: RunSummary): string {
  const rel = s.relative_error === null ? 'no exact reference' : `relative error ${s.relative_error.toExponential(2)} vs ${s.exact_method} ${s.exact_energy!.toFixed(8)}`;
  return `${s.status}: E = ${s.energy.toFixed(6)} ± ${s.energy_error.toExponential(1)} (E/N = ${s.energy_per_site.toFixed(6)}), ${rel}; ${s.steps} steps, ${s.wall_seconds.toFixed(1)} s`;
}

/** Loads the resolved config of an existing run directory for `--resume`. */
export function readRunConfig(dir: string): ExperimentConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new InputError('not a run directory (no config.json)', dir);
  const cfg = readJson(path, 'run configuration') as ExperimentConfig & { resolved?: unknown };
  delete cfg.resolved;
  return cfg;
}
