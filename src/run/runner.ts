/**
 * Runs an experiment end to end and keeps everything it produces in a run directory:
 * config.json (fully resolved), log.jsonl, metrics.csv, checkpoint.json (atomic), summary.json
 * and energy.svg. A run can be interrupted (stop flag, e.g. Ctrl-C) and resumed from its
 * checkpoint with the same numbers as an uninterrupted run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parameterCount } from '../ansatz/wavefunction.js';
import { initBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { Rng } from '../rng.js';
import { estimateEnergy, NumericalError, VmcDriver, type StepRecord } from '../vmc/driver.js';
import { LocalEnergyPool } from '../vmc/local-energy-pool.js';
import { buildModel, buildOptimizer, buildSampler, buildWavefunction, optimizerKind } from './build.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { ExperimentConfig } from './experiment.js';
import { createRunLogger } from './logger.js';
import { MetricsWriter } from './metrics.js';
import { plotEnergy } from './plot.js';
import { createReporter } from './progress.js';
import { referenceEnergy, type ReferenceEnergy } from './reference.js';
import { createRunDir, readJson, writeFileAtomic, writeJsonAtomic } from './run-dir.js';

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

export interface RunOptions {
  config: ExperimentConfig;
  /** continue the run in this directory from its checkpoint */
  resumeDir?: string;
  /** set `stop = true` to end the run after the current step with a checkpoint */
  signal?: { stop: boolean };
  quiet?: boolean;
  /** progress bar (true) or JSON lines (false) on stdout */
  tty?: boolean;
  /** called after every step (e.g. by tests, or to drive a custom display) */
  onStep?: (record: StepRecord) => void;
}

export interface RunResult {
  dir: string;
  summary: RunSummary;
}

interface Progress {
  step: number;
  history: { step: number; energy: number; error: number }[];
  wallSeconds: number;
}

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const workers: { pool: LocalEnergyPool | null } = { pool: null };
  try {
    return await runWithWorkers(opts, workers);
  } finally {
    // every exit path (completed, interrupted, diverged, errors) ends the worker threads
    await workers.pool?.close();
  }
}

async function runWithWorkers(opts: RunOptions, workers: { pool: LocalEnergyPool | null }): Promise<RunResult> {
  const cfg = opts.config;
  const started = performance.now();
  const backend = await initBackend(cfg.backend, { ansatz: cfg.ansatz, samples: cfg.samples });
  const parts = buildModel(cfg);
  const nSites = parts.lattice.nSites;
  // Everything that can reject the settings is built before the run directory exists, so a
  // mistake leaves no half-made run behind.
  const initRng = new Rng(`${cfg.seed}:init`);
  const wf = buildWavefunction(cfg, parts, initRng);
  const sampler = buildSampler(cfg, wf, parts, new Rng(`${cfg.seed}:sample`));
  const optimizer = buildOptimizer(cfg, wf);
  // --workers K: local energies on the main thread plus K−1 worker threads (older run configs
  // have no `workers` and ran on one thread)
  const threads = cfg.workers ?? 1;
  const pool = threads > 1 ? (workers.pool = await LocalEnergyPool.start(cfg, threads, backend)) : null;
  const pooledEnergies = pool ? (configs: Uint8Array, count: number) => pool.evaluate(parts.hamiltonian, wf, configs, count) : undefined;
  const driver = new VmcDriver(parts.hamiltonian, wf, sampler, optimizer, cfg.samples, pooledEnergies);
  const nParams = parameterCount(wf);
  const reference = referenceEnergy(cfg, parts);

  const dir = opts.resumeDir ?? createRunDir(cfg.out, parts.definition.name, cfg.ansatz);
  const runLog = createRunLogger(dir);
  const log = runLog.logger;

  let progress: Progress = { step: 0, history: [], wallSeconds: 0 };
  if (opts.resumeDir) {
    const ck = loadCheckpoint(dir);
    driver.setParameters(ck.variables);
    optimizer.setState(ck.optimizer);
    sampler.setState(ck.rng);
    driver.stepsDone = ck.step;
    progress = ck.extra as Progress;
  } else {
    writeJsonAtomic(join(dir, 'config.json'), {
      ...cfg,
      resolved: {
        vmc_version: packageVersion(),
        tfjs_version: tf.version.tfjs,
        node_version: process.version,
        backend,
        model: parts.definition,
        lattice: parts.lattice.spec(),
        n_sites: nSites,
        n_up: parts.nUp,
        ansatz: wf.spec(),
        optimizer: optimizerKind(cfg),
        sampler: sampler.kind,
        n_parameters: nParams,
        reference,
      },
    });
  }
  const metrics = MetricsWriter.open(join(dir, 'metrics.csv'), { resumeStep: opts.resumeDir ? driver.stepsDone : undefined });
  const reporter = createReporter({
    total: cfg.steps,
    exactEnergy: reference.energy,
    quiet: opts.quiet ?? false,
    tty: opts.tty ?? false,
  });
  log.info({ dir, backend, model: parts.definition.name, lattice: parts.lattice.describe(), ansatz: cfg.ansatz, n_parameters: nParams, reference, resume_from: opts.resumeDir ? driver.stepsDone : null }, 'run started');
  reporter.log(`backend ${backend}; ${parts.definition.name} on ${parts.lattice.describe()}; ${cfg.ansatz} with ${nParams} parameters; run directory ${dir}`);

  const checkpoint = (): void => {
    saveCheckpoint(dir, {
      step: driver.stepsDone,
      variables: driver.parameters(),
      optimizer: optimizer.getState(),
      rng: sampler.getState(),
      extra: { ...progress, step: driver.stepsDone, wallSeconds: progress.wallSeconds + (performance.now() - started) / 1000 },
    });
  };

  let status: RunStatus = 'completed';
  let message: string | undefined;
  let last: StepRecord | null = null;
  // Wall-clock budget: training time, counted across resumes; checked between steps.
  const budget = cfg['budget-seconds'];
  const loopStart = performance.now();
  const budgetLeft = budget === undefined ? Infinity : budget - progress.wallSeconds;
  try {
    while (driver.stepsDone < cfg.steps) {
      // A step is synchronous; yield to the event loop so that SIGINT/SIGTERM handlers run.
      await new Promise((resolve) => setImmediate(resolve));
      if (opts.signal?.stop) {
        status = 'interrupted';
        break;
      }
      if ((performance.now() - loopStart) / 1000 >= budgetLeft) {
        message = `time budget of ${budget} s reached after ${driver.stepsDone} steps`;
        log.info({ step: driver.stepsDone, budget_seconds: budget }, message);
        break;
      }
      const rec = await driver.stepAsync(); // in-thread local energies unless a pool is given
      last = rec;
      const rel = relativeError(rec.energy, reference);
      progress.history.push({ step: rec.step, energy: rec.energy, error: rec.error });
      metrics.append({
        step: rec.step,
        energy: rec.energy,
        energy_error: rec.error,
        variance: rec.variance,
        energy_per_site: rec.energy / nSites,
        relative_error: rel,
        lr: rec.lr,
        seconds: rec.timings.total,
        ...rec.diagnostics,
      });
      log.info({ step: rec.step, energy: rec.energy, error: rec.error, variance: rec.variance, relative_error: rel, lr: rec.lr, distinct: rec.distinct, timings: rec.timings, ...rec.diagnostics }, 'step');
      reporter.update(rec.step, { energy: rec.energy, energy_error: rec.error, relative_error: rel });
      if (rec.step % cfg['checkpoint-every'] === 0) checkpoint();
      opts.onStep?.(rec);
    }
  } catch (e) {
    if (!(e instanceof NumericalError)) {
      metrics.close();
      throw e;
    }
    status = 'diverged';
    message = `${e.message}; the last good checkpoint is kept`;
    log.error({ step: driver.stepsDone }, message);
  }
  if (status !== 'diverged') checkpoint();
  metrics.close();

  // Final energy: a fresh, larger batch of samples after a completed run; otherwise the last step.
  let energy = last?.energy ?? NaN;
  let energyError = last?.error ?? NaN;
  let variance = last?.variance ?? NaN;
  let estimate: RunSummary['energy_estimate'] = 'last-step';
  let samplerDiagnostics: Record<string, number> = last?.diagnostics ?? {};
  if (status === 'completed') {
    const evalSlice = Math.min(cfg['eval-samples'], Math.max(cfg.samples, 1000));
    const ev = await estimateEnergy(parts.hamiltonian, wf, sampler, cfg['eval-samples'], evalSlice, pooledEnergies);
    energy = ev.mean;
    energyError = ev.error;
    variance = ev.variance;
    estimate = 'eval-samples';
    samplerDiagnostics = ev.diagnostics;
  }
  const wall = progress.wallSeconds + (performance.now() - started) / 1000;
  const summary: RunSummary = {
    status,
    model: parts.definition.name,
    lattice: parts.lattice.describe(),
    n_sites: nSites,
    ansatz: cfg.ansatz,
    energy,
    energy_error: energyError,
    energy_per_site: energy / nSites,
    variance,
    energy_estimate: estimate,
    exact_energy: reference.energy,
    exact_method: reference.method,
    relative_error: relativeError(energy, reference),
    steps: driver.stepsDone,
    samples: cfg.samples,
    eval_samples: estimate === 'eval-samples' ? cfg['eval-samples'] : null,
    seed: cfg.seed,
    n_parameters: nParams,
    backend,
    wall_seconds: wall,
    sampler: sampler.kind,
    sampler_diagnostics: samplerDiagnostics,
    ...(message ? { message } : {}),
  };
  writeJsonAtomic(join(dir, 'summary.json'), summary);
  const svg = await plotEnergy({
    title: `${parts.definition.name}, ${parts.lattice.describe()}, ${cfg.ansatz}`,
    step: progress.history.map((r) => r.step),
    energy: progress.history.map((r) => r.energy),
    energyError: progress.history.map((r) => r.error),
    exactEnergy: reference.energy ?? undefined,
    name: cfg.ansatz,
  });
  writeFileAtomic(join(dir, 'energy.svg'), svg);
  log.info({ summary }, 'run finished');
  runLog.close();
  reporter.finish(summaryLine(summary));
  wf.dispose();
  optimizer.dispose();
  return { dir, summary };
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
