/**
 * `vmc sweep`: a grid of experiments run by the local pool or as a SLURM job array, resumable,
 * collected into one table and plots. The pieces:
 *
 *   spec.ts      the sweep file and its deterministic expansion into points
 *   manifest.ts  the sweep directory, the manifest sweep.json, per-point status records
 *   point.ts     the vmc run / vmc measure invocations of one point (both executors)
 *   local.ts     the pool of concurrent vmc processes
 *   slurm.ts     the sbatch script, sbatch / squeue / sacct
 *   results.ts   rows, aggregation over seeds, sweep.csv / sweep.md
 *   plots.ts     sweep-*.svg with the exact curve
 *
 * Running a sweep again picks up where it stopped: completed points are skipped, interrupted
 * ones resume from their checkpoints (or start again when they had none), failed ones are
 * retried only with `retryFailed`. Points whose settings cannot make a model (resolveExperiment,
 * buildModel) fail before anything starts, alone; the others run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { packageVersion } from '../paths.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { resolveExperiment } from '../run/experiment.js';
import { makeDirectory, writeFileAtomic, writeJsonAtomic } from '../run/run-dir.js';
import { runLocalPool, type PoolStop } from './local.js';
import {
  acquireLock,
  derivePointState,
  MANIFEST_FORMAT,
  paths,
  processAlive,
  readManifest,
  readRecord,
  runFilesState,
  writeManifest,
  writeRecord,
  type DerivedState,
  type Manifest,
  type ManifestPoint,
  type PointRecord,
} from './manifest.js';
import { plotXKey, sweepPlots } from './plots.js';
import { pointCommands, runPoint, taskCommand, vmcCommand } from './point.js';
import { aggregatedCsv, aggregateSeeds, pointRow, pointsCsv, sweepMarkdown, type AggregatedRow, type PointRow } from './results.js';
import { endedTasks, queueStates, sbatchScript, submit } from './slurm.js';
import { expandSweep, varyingKeys, type Executor, type MeasureSettings, type SlurmSettings, type SweepSpec } from './spec.js';

export interface SweepOptions {
  /** the sweep (from a file); or `dir` alone to continue the sweep recorded there */
  spec?: SweepSpec;
  dir?: string;
  executor?: Executor;
  /** cores of the local pool (default: all) */
  jobs?: number;
  retryFailed?: boolean;
  /** measure every point (with the file's measure settings, else vmc measure's defaults) */
  measure?: boolean;
  /** print what would run (the sbatch script) and change nothing */
  dryRun?: boolean;
  /** SLURM settings that override the file's */
  slurm?: SlurmSettings;
  /** SLURM: follow the job until it ends, then collect (default true) */
  wait?: boolean;
  pollSeconds?: number;
  vmc?: string[];
  stop?: PoolStop;
  onMessage?: (line: string) => void;
}

export interface SweepResult {
  dir: string;
  /** completed: every point completed; failed: some failed; interrupted: stopped early; submitted: a SLURM job runs on; dry-run */
  status: 'completed' | 'failed' | 'interrupted' | 'submitted' | 'dry-run';
  counts: Record<string, number>;
  rows: PointRow[];
  aggregated: AggregatedRow[] | null;
  files: string[];
  /** the sbatch script (SLURM) */
  script?: string;
  job_id?: string;
  /** dry run: the commands that would run */
  plan?: { index: number; name: string; commands: string[] }[];
}

// --- the manifest of a spec -----------------------------------------------------------------------

export function newManifest(spec: SweepSpec): Manifest {
  const now = new Date().toISOString();
  const base = { ...spec.base };
  delete base.out; // the sweep names every run's directory
  return {
    format: MANIFEST_FORMAT,
    vmc_version: packageVersion(),
    source: spec.source,
    ...(spec.description ? { description: spec.description } : {}),
    created_at: now,
    updated_at: now,
    varying: varyingKeys(spec),
    axes: spec.axes,
    base,
    base_file: spec.baseFile,
    measure: spec.measure,
    local: spec.local,
    slurm: spec.slurm,
    plot: spec.plot,
    slurm_jobs: [],
    points: expandSweep({ axes: spec.axes, base }).map((p) => ({ ...p, status: 'pending' })),
  };
}

/** The directory's manifest, checked against the spec (same points, same settings), or a new one. */
export function openManifest(dir: string, spec: SweepSpec | undefined): { manifest: Manifest; fresh: boolean } {
  const exists = existsSync(paths.manifest(dir));
  if (!spec) return { manifest: readManifest(dir), fresh: false };
  const wanted = newManifest(spec);
  if (!exists) {
    if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
      throw new InputError('exists and is not a sweep directory (no sweep.json); choose another --out', dir);
    }
    return { manifest: wanted, fresh: true };
  }
  const old = readManifest(dir);
  const differs = (): string | null => {
    if (old.points.length !== wanted.points.length) return `${old.points.length} points there, ${wanted.points.length} in the file`;
    for (const [i, p] of wanted.points.entries()) {
      const q = old.points[i]!;
      if (q.name !== p.name) return `point ${i} is ${q.name} there, ${p.name} in the file`;
      const a = JSON.stringify(q.settings);
      const b = JSON.stringify(p.settings);
      if (a !== b) return `point ${p.name} has other settings (${settingsDiff(q.settings, p.settings)})`;
    }
    return null;
  };
  const why = differs();
  if (why) throw new InputError(`holds a sweep with other settings: ${why}; give another --out, or remove the directory to start again`, dir);
  // settings of the sweep itself (measuring, executors, plots) may change between runs
  return {
    manifest: { ...old, description: wanted.description, source: wanted.source, measure: wanted.measure, local: wanted.local, slurm: wanted.slurm, plot: wanted.plot },
    fresh: false,
  };
}

function settingsDiff(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const d = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return d.map((k) => `${k}: ${JSON.stringify(a[k]) ?? 'unset'} → ${JSON.stringify(b[k]) ?? 'unset'}`).join('; ');
}

export function defaultSweepDir(spec: SweepSpec): string {
  return resolve(spec.out ?? `runs/${spec.name}`);
}

// --- states ---------------------------------------------------------------------------------------

/** The array tasks of every submission still in the queue (null: squeue cannot tell). */
function queues(m: Manifest): Map<string, Map<number, string> | null> {
  const out = new Map<string, Map<number, string> | null>();
  for (const job of m.slurm_jobs) out.set(job.job_id, queueStates(job.job_id));
  return out;
}

/** SLURM end states that stop a task without it being at fault: it is resumed by the next submission. */
const STOPPED = new Set(['CANCELLED', 'TIMEOUT', 'PREEMPTED']);

const QUEUED = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED']);

/**
 * Every point's state from the files, with SLURM's queue where the sweep was submitted: a task
 * still pending is "queued"; a "running" record is alive while its task is in the queue (or,
 * locally, while its process exists). `persist`: write what SLURM's accounting says about tasks
 * that ended without recording an outcome into their status files.
 */
export function refreshStates(dir: string, m: Manifest, opts: { measure?: boolean; persist?: boolean } = {}): DerivedState[] {
  const measure = opts.measure ?? m.measure !== null;
  const q = m.slurm_jobs.length > 0 ? queues(m) : new Map<string, Map<number, string> | null>();
  const ended = new Map<string, ReturnType<typeof endedTasks>>();
  const endedOf = (job: string) => {
    if (!ended.has(job)) ended.set(job, endedTasks(job));
    return ended.get(job)!;
  };
  // the newest submission holding each point
  const lastJob = new Map<number, string>();
  for (const job of m.slurm_jobs) for (const i of job.indices) lastJob.set(i, job.job_id);
  const inQueue = (job: string, index: number): string | null | undefined => {
    const states = q.get(job);
    if (states === null) return undefined; // cannot tell
    return states?.get(index) ?? null;
  };
  return m.points.map((p) => {
    const rec = readRecord(dir, p.name);
    const alive = (r: PointRecord): boolean => {
      if (r.executor === 'slurm' && r.slurm_job) {
        const [job, idx] = r.slurm_job.split('_');
        const s = inQueue(job!, Number(idx));
        return s === undefined ? true : s !== null && !QUEUED.has(s);
      }
      return processAlive(r.pid, r.host, p.name);
    };
    let state = derivePointState(runFilesState(paths.run(dir, p.name)), rec, measure, alive);
    const job = lastJob.get(p.index);
    if (job && state.status !== 'completed' && state.status !== 'running') {
      const s = inQueue(job, p.index);
      const submittedAfter = !rec || rec.started_at < (m.slurm_jobs.find((j) => j.job_id === job)?.submitted_at ?? '');
      if (s !== undefined && s !== null && submittedAfter) return { ...state, status: QUEUED.has(s) ? 'queued' : 'running' };
      if (s === null && (submittedAfter || rec?.status === 'running')) {
        // the task left the queue without recording an outcome (or never started): what does SLURM say?
        const t = endedOf(job).get(p.index);
        if (t && t.state !== 'COMPLETED') {
          // cancelled, out of time or preempted: resumable (a task that never started: still to run); else a failure
          const stopped = STOPPED.has(t.state);
          if (stopped && !rec) return { ...state, status: 'pending', message: `SLURM job ${job}_${p.index} ended ${t.state} before it started` };
          const failed: PointRecord = {
            status: stopped ? 'interrupted' : 'failed',
            phase: rec?.phase ?? 'run',
            host: rec?.host ?? '',
            pid: rec?.pid ?? 0,
            executor: 'slurm',
            slurm_job: `${job}_${p.index}`,
            started_at: rec?.started_at ?? new Date().toISOString(),
            ended_at: new Date().toISOString(),
            message: `SLURM job ${job}_${p.index} ended ${t.state}${t.exit ? ` (exit ${t.exit})` : ''} without recording an outcome${slurmOutputTail(dir, job, p.index)}`,
          };
          if (opts.persist) writeRecord(dir, p.name, failed);
          state = { ...state, status: failed.status as 'failed' | 'interrupted', message: failed.message, record: failed };
        }
      }
    }
    return state;
  });
}

function slurmOutputTail(dir: string, job: string, index: number): string {
  try {
    const text = readFileSync(`${paths.slurmLogs(dir)}/${job}_${index}.out`, 'utf8').trim();
    const last = text.split('\n').pop()?.trim();
    return last ? `: ${last.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

function applyStates(m: Manifest, states: DerivedState[]): void {
  m.points.forEach((p, i) => {
    const s = states[i]!;
    p.status = s.status;
    if (s.message && s.status !== 'completed') p.message = s.message;
    else delete p.message;
  });
}

// --- preflight ------------------------------------------------------------------------------------

interface Preflight {
  /** per point: the resolved experiment, or null when its settings were refused */
  configs: (ExperimentConfig | null)[];
  /** threads of each point's run */
  threads: number[];
}

/**
 * Checks that every point to run makes a model (the checks `vmc run` does first) and how many
 * threads its run will use. A point that fails is recorded as failed with the reason.
 */
async function preflight(dir: string, m: Manifest, indices: number[], record: boolean, executor: Executor): Promise<Preflight> {
  const { buildModel, samplerKind } = await import('../run/build.js');
  const { defaultWorkers } = await import('../run/step-pool.js');
  const configs: (ExperimentConfig | null)[] = m.points.map(() => null);
  const threads = m.points.map(() => 1);
  const sites = new Map<string, number | InputError>();
  for (const i of indices) {
    const p = m.points[i]!;
    const where = paths.experiment(dir, p.name);
    try {
      const cfg = resolveExperiment({}, p.settings as Partial<ExperimentConfig>, where);
      const modelKey = JSON.stringify([cfg.model, cfg.param, cfg.lattice, cfg.n, cfg.lx, cfg.ly, cfg.bc, cfg.magnetization]);
      if (!sites.has(modelKey)) {
        try {
          sites.set(modelKey, buildModel(cfg).lattice.nSites);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          sites.set(modelKey, e);
        }
      }
      const n = sites.get(modelKey)!;
      if (n instanceof InputError) throw n;
      configs[i] = cfg;
      threads[i] = cfg.workers ?? defaultWorkers(cfg, n, 'wasm', samplerKind(cfg) === 'exact');
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      if (record) {
        const now = new Date().toISOString();
        writeRecord(dir, p.name, { status: 'failed', phase: 'run', host: '', pid: 0, executor, started_at: now, ended_at: now, message: `settings: ${e.message}` });
      }
      p.status = 'failed';
      p.message = `settings: ${e.message}`;
    }
  }
  return { configs, threads };
}

// --- collecting -----------------------------------------------------------------------------------

export interface Collected {
  rows: PointRow[];
  aggregated: AggregatedRow[] | null;
  files: string[];
}

/** Writes sweep.json (with each point's results), sweep.md, sweep.csv, sweep-seeds.csv and the plots. */
export async function collectResults(dir: string, m: Manifest): Promise<Collected> {
  const rows = m.points.map((p) => pointRow(dir, p));
  const aggregated = aggregateSeeds(rows, m.varying);
  const measured = m.measure !== null || rows.some((r) => r.sx !== null || r.renyi2_half !== null);
  m.points.forEach((p, i) => {
    const r = rows[i]!;
    if (r.energy !== null) {
      const { index: _i, name: _n, values: _v, status: _s, message: _m, ...result } = r;
      p.result = result;
    } else delete p.result;
  });
  if (aggregated) m.aggregated = aggregated as unknown as Record<string, unknown>[];
  else delete m.aggregated;
  const files = ['sweep.json', 'sweep.md', 'sweep.csv'];
  writeFileAtomic(`${dir}/sweep.csv`, pointsCsv(rows, m.varying, measured));
  if (aggregated) {
    writeFileAtomic(`${dir}/sweep-seeds.csv`, aggregatedCsv(aggregated, m.varying, measured));
    files.push('sweep-seeds.csv');
  }
  const title = m.description ?? basename(dir);
  const xKey = plotXKey(m.varying, m.points, m.plot.x);
  const plots = await sweepPlots({ title: basename(dir), rows, aggregated, varying: m.varying, axes: m.axes, xKey, base: m.base, measured });
  for (const p of plots) {
    writeFileAtomic(`${dir}/${p.file}`, p.svg);
    files.push(p.file);
  }
  const counts: Record<string, number> = {};
  for (const p of m.points) counts[p.status] = (counts[p.status] ?? 0) + 1;
  const notes: string[] = [];
  if (xKey === null) notes.push('no plots: no varying key has numeric values');
  else notes.push(`plots against ${xKey}${aggregated ? '; the seed is averaged out' : ''}`);
  writeFileAtomic(`${dir}/sweep.md`, sweepMarkdown({ title, description: m.description && m.description !== title ? m.description : undefined, dir, varying: m.varying, rows, aggregated, measured, counts, plots, notes }));
  writeManifest(dir, m);
  return { rows, aggregated, files };
}

// --- running --------------------------------------------------------------------------------------

function sweepStatus(counts: Record<string, number>, stopped: boolean): SweepResult['status'] {
  if (stopped) return 'interrupted';
  if ((counts.failed ?? 0) > 0) return 'failed';
  if ((counts.pending ?? 0) + (counts.interrupted ?? 0) + (counts.queued ?? 0) + (counts.running ?? 0) > 0) return 'interrupted';
  return 'completed';
}

function countOf(m: Manifest): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of m.points) counts[p.status] = (counts[p.status] ?? 0) + 1;
  return counts;
}

export function countsText(counts: Record<string, number>): string {
  const order = ['completed', 'running', 'queued', 'interrupted', 'pending', 'failed'];
  return order.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(', ') || 'no points';
}

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const say = opts.onMessage ?? (() => {});
  const dir = resolve(opts.dir ?? (opts.spec ? defaultSweepDir(opts.spec) : '.'));
  const { manifest: m, fresh } = openManifest(dir, opts.spec);
  if (opts.measure && m.measure === null) m.measure = {};
  const executor: Executor = opts.executor ?? opts.spec?.executor ?? 'local';
  const slurmSettings: SlurmSettings = { ...m.slurm, ...opts.slurm };
  const vmc = opts.vmc ?? vmcCommand();
  const stop = opts.stop ?? { requested: false };

  const nothing = { summary: null, checkpoint: false, measured: false, exists: false };
  const states = fresh ? m.points.map(() => derivePointState(nothing, null, m.measure !== null, () => false)) : refreshStates(dir, m, { persist: !opts.dryRun });
  const busy = m.points.filter((_, i) => states[i]!.status === 'running' || states[i]!.status === 'queued');
  if (busy.length > 0 && !opts.dryRun) {
    const r = states[busy[0]!.index]!.record;
    const who = r?.slurm_job ? `SLURM job ${r.slurm_job}` : r ? `pid ${r.pid} on ${r.host}` : 'a SLURM job of this sweep';
    throw new InputError(`${busy.length} point(s) are still queued or running (${busy[0]!.name}: ${who}); wait for them (vmc sweep --status ${dir}) or stop them`, dir);
  }
  applyStates(m, states);
  const wanted = (s: DerivedState) => s.status === 'pending' || s.status === 'interrupted' || (s.status === 'failed' && opts.retryFailed === true);
  let toRun = m.points.filter((_, i) => wanted(states[i]!)).map((p) => p.index);

  if (opts.dryRun) {
    const pf = await preflight(dir, m, toRun, false, executor);
    toRun = toRun.filter((i) => pf.configs[i] !== null);
    const plan = toRun.map((i) => ({
      index: i,
      name: m.points[i]!.name,
      commands: pointCommands(dir, m.points[i]!, states[i]!, m.measure).map((c) => `vmc ${c.args.join(' ')}`),
    }));
    const result: SweepResult = { dir, status: 'dry-run', counts: countOf(m), rows: [], aggregated: null, files: [], plan };
    if (executor === 'slurm' && toRun.length > 0) result.script = script(dir, m, toRun, slurmSettings, states);
    return result;
  }

  makeDirectory(dir);
  const release = acquireLock(dir);
  try {
    makeDirectory(paths.points(dir));
    for (const p of m.points) {
      const file = paths.experiment(dir, p.name);
      if (!existsSync(file)) writeJsonAtomic(file, p.settings);
    }
    const pf = await preflight(dir, m, toRun, true, executor);
    toRun = toRun.filter((i) => pf.configs[i] !== null);
    writeManifest(dir, m);
    const skipped = m.points.length - toRun.length;
    say(`sweep ${dir}: ${m.points.length} points; ${toRun.length} to run${skipped ? ` (${countsText(countOf(m))} before)` : ''}; executor ${executor}`);

    if (executor === 'local') {
      const cores = opts.jobs ?? m.local.jobs ?? (await import('node:os')).availableParallelism();
      const total = toRun.length;
      let started = 0;
      await runLocalPool({
        dir,
        points: toRun.map((i) => m.points[i]!),
        cores,
        cost: (p) => pf.threads[p.index]!,
        measure: m.measure,
        vmc,
        stop,
        onStart: (p) => {
          started++;
          p.status = 'running';
          delete p.message;
          say(`[${started}/${total}] ${p.name}: started`);
          writeManifest(dir, m);
        },
        onEnd: (p, r) => {
          p.status = r.status;
          if (r.message && r.status !== 'completed') p.message = r.message;
          else delete p.message;
          say(`       ${p.name}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
          writeManifest(dir, m);
        },
      });
      applyStates(m, refreshStates(dir, m));
      const collected = await collectResults(dir, m);
      const counts = countOf(m);
      return { dir, status: sweepStatus(counts, stop.requested), counts, ...collected };
    }

    // SLURM
    if (toRun.length === 0) {
      const collected = await collectResults(dir, m);
      const counts = countOf(m);
      return { dir, status: sweepStatus(counts, false), counts, ...collected };
    }
    makeDirectory(paths.slurmLogs(dir));
    const text = script(dir, m, toRun, slurmSettings, states);
    writeFileAtomic(paths.script(dir), text);
    const jobId = submit(paths.script(dir));
    m.slurm_jobs.push({ job_id: jobId, submitted_at: new Date().toISOString(), indices: toRun, script: paths.script(dir) });
    for (const i of toRun) {
      m.points[i]!.status = 'queued';
      delete m.points[i]!.message;
    }
    writeManifest(dir, m);
    say(`submitted SLURM job ${jobId}: array ${toRun.length} task(s), script ${paths.script(dir)}`);
    if (opts.wait === false) {
      say(`follow it with: vmc sweep --status ${dir}; collect the results with: vmc sweep --collect ${dir}`);
      return { dir, status: 'submitted', counts: countOf(m), rows: [], aggregated: null, files: ['sweep.json', 'sweep.sbatch'], script: text, job_id: jobId };
    }
    const finished = await follow(dir, m, jobId, opts.pollSeconds ?? 30, stop, say);
    if (!finished) {
      say(`stopped following; SLURM job ${jobId} goes on. Check it with: vmc sweep --status ${dir}; collect with: vmc sweep --collect ${dir}`);
      return { dir, status: 'submitted', counts: countOf(m), rows: [], aggregated: null, files: ['sweep.json', 'sweep.sbatch'], script: text, job_id: jobId };
    }
    applyStates(m, refreshStates(dir, m, { persist: true }));
    const collected = await collectResults(dir, m);
    const counts = countOf(m);
    return { dir, status: sweepStatus(counts, false), counts, ...collected, script: text, job_id: jobId };
  } finally {
    release();
  }
}

function script(dir: string, m: Manifest, indices: number[], settings: SlurmSettings, states: DerivedState[]): string {
  // cpus per task: the most threads a point asks for explicitly (workers), else 1
  const explicit = indices.map((i) => (m.points[i]!.settings.workers as number | undefined) ?? 1);
  return sbatchScript({
    dir,
    manifest: m,
    indices,
    settings,
    cpusPerTask: Math.max(1, ...explicit),
    cwd: process.cwd(),
    task: taskCommand(),
    jobName: `vmc-${basename(dir)}`,
    resumes: (i) => states[i]!.checkpoint,
  });
}

/** Polls the queue until the job has left it (true) or a stop is requested (false). */
async function follow(dir: string, m: Manifest, jobId: string, pollSeconds: number, stop: PoolStop, say: (line: string) => void): Promise<boolean> {
  let last = '';
  for (;;) {
    const q = queueStates(jobId);
    if (q !== null && q.size === 0) return true;
    const states = refreshStates(dir, m);
    applyStates(m, states);
    writeManifest(dir, m);
    const text = countsText(countOf(m));
    if (text !== last) say(`SLURM job ${jobId}: ${text}${q === null ? ' (squeue did not answer)' : ''}`);
    last = text;
    for (let waited = 0; waited < pollSeconds * 1000; waited += 100) {
      if (stop.requested) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// --- one point, status, collect -------------------------------------------------------------------

/**
 * Runs one point of the sweep in `dir` in the foreground (what each SLURM array task does, and a
 * way to run a point by hand). Under SLURM the task's ids go into the record.
 */
export async function runOnePoint(dir: string, index: number, opts: { vmc?: string[] } = {}): Promise<PointRecord & { name: string }> {
  const m = readManifest(dir);
  const p = m.points[index];
  if (!Number.isInteger(index) || p === undefined) throw new InputError(`no point ${index} (the sweep has points 0 … ${m.points.length - 1})`, '--point');
  const rec = readRecord(dir, p.name);
  if (rec?.status === 'running' && rec.executor === 'local' && processAlive(rec.pid, rec.host, p.name)) {
    throw new InputError(`point ${p.name} is being run by pid ${rec.pid}`, '--point');
  }
  const job = process.env.SLURM_ARRAY_JOB_ID;
  const task = process.env.SLURM_ARRAY_TASK_ID;
  const slurmJob = job && task ? `${job}_${task}` : undefined;
  const r = await runPoint({ dir, point: p, measure: m.measure, vmc: opts.vmc ?? vmcCommand(), executor: slurmJob ? 'slurm' : 'local', detached: false, ...(slurmJob ? { slurmJob } : {}) });
  return { ...r, name: p.name };
}

export interface StatusReport {
  dir: string;
  counts: Record<string, number>;
  points: { index: number; name: string; status: string; message?: string }[];
  slurm_jobs: Manifest['slurm_jobs'];
}

/** The state of every point, from the files and SLURM's queue; changes nothing. */
export function sweepStatusReport(dir: string): StatusReport {
  const d = resolve(dir);
  const m = readManifest(d);
  applyStates(m, refreshStates(d, m));
  return {
    dir: d,
    counts: countOf(m),
    points: m.points.map((p) => ({ index: p.index, name: p.name, status: p.status, ...(p.message ? { message: p.message } : {}) })),
    slurm_jobs: m.slurm_jobs,
  };
}

/** Collects the sweep in `dir` as it is now (finished points; the others listed with their state). */
export async function collectSweep(dir: string): Promise<SweepResult> {
  const d = resolve(dir);
  const m = readManifest(d);
  const release = acquireLock(d);
  try {
    applyStates(m, refreshStates(d, m, { persist: true }));
    const collected = await collectResults(d, m);
    const counts = countOf(m);
    return { dir: d, status: sweepStatus(counts, false), counts, ...collected };
  } finally {
    release();
  }
}

export type { MeasureSettings };
