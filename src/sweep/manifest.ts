/**
 * The sweep directory and what it records.
 *
 *   <sweep>/sweep.json                 the manifest: settings, every point with its settings and status (+ results once collected)
 *   <sweep>/points/<name>.json         the point's experiment file (what `vmc run` reads)
 *   <sweep>/points/<name>.status.json  the outcome of its last attempt (written by whoever ran it)
 *   <sweep>/points/<name>.log          stdout and stderr of its vmc processes, every attempt
 *   <sweep>/<name>/                    its run directory
 *   <sweep>/sweep.lock                 held by the vmc sweep process working on the directory
 *
 * A point's status is derived from files only (its run directory, its status record), so the
 * manifest can always be rebuilt from the directory — by the local pool as runs end, by the
 * SLURM follower, or by `vmc sweep --status` in another shell — and concurrent array tasks never
 * write the same file: each writes only its own point's record.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { hasCheckpoint } from '../run/checkpoint.js';
import { readJson, writeJsonAtomic } from '../run/run-dir.js';
import type { MeasureSettings, SlurmSettings, SweepAxis } from './spec.js';

export const MANIFEST_FORMAT = 'vmc-sweep/1';

export type PointStatus = 'pending' | 'queued' | 'running' | 'completed' | 'interrupted' | 'failed';

export interface ManifestPoint {
  index: number;
  name: string;
  values: Record<string, unknown>;
  settings: Record<string, unknown>;
  status: PointStatus;
  message?: string;
  /** the results of a completed point (filled in when the sweep is collected) */
  result?: Record<string, unknown>;
}

export interface SlurmSubmission {
  job_id: string;
  submitted_at: string;
  /** array indices (= point indices) of the submission */
  indices: number[];
  script: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  vmc_version: string;
  /** the sweep file it was made from (absolute), if any */
  source: string | null;
  description?: string;
  created_at: string;
  updated_at: string;
  /** the varying keys in axis order, and the axes */
  varying: string[];
  axes: SweepAxis[];
  base: Record<string, unknown>;
  base_file: string | null;
  measure: MeasureSettings | null;
  local: { jobs?: number };
  slurm: SlurmSettings;
  plot: { x?: string };
  /** every SLURM submission, oldest first */
  slurm_jobs: SlurmSubmission[];
  points: ManifestPoint[];
  /** status counts */
  counts?: Record<string, number>;
  /** rows aggregated over seeds, once collected */
  aggregated?: Record<string, unknown>[];
}

/** The record of a point's last attempt, `points/<name>.status.json`. */
export interface PointRecord {
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  /** which of the point's commands: training or measuring */
  phase: 'run' | 'measure';
  host: string;
  /** the vmc process (local pool) or the task's process (SLURM) */
  pid: number;
  executor: 'local' | 'slurm';
  /** "<array job id>_<index>" under SLURM */
  slurm_job?: string;
  started_at: string;
  ended_at?: string;
  exit_code?: number | null;
  signal?: string | null;
  message?: string;
  command?: string[];
}

export const paths = {
  manifest: (dir: string) => join(dir, 'sweep.json'),
  lock: (dir: string) => join(dir, 'sweep.lock'),
  points: (dir: string) => join(dir, 'points'),
  experiment: (dir: string, name: string) => join(dir, 'points', `${name}.json`),
  record: (dir: string, name: string) => join(dir, 'points', `${name}.status.json`),
  log: (dir: string, name: string) => join(dir, 'points', `${name}.log`),
  run: (dir: string, name: string) => join(dir, name),
  script: (dir: string) => join(dir, 'sweep.sbatch'),
  slurmLogs: (dir: string) => join(dir, 'slurm'),
};

export function readManifest(dir: string): Manifest {
  const path = paths.manifest(dir);
  if (!existsSync(path)) throw new InputError('not a sweep directory (no sweep.json)', dir);
  const m = readJson(path, 'sweep manifest') as Manifest;
  if (m?.format !== MANIFEST_FORMAT || !Array.isArray(m.points)) throw new InputError(`not a sweep manifest (expected format "${MANIFEST_FORMAT}")`, path);
  return m;
}

export function writeManifest(dir: string, m: Manifest): void {
  m.updated_at = new Date().toISOString();
  const counts: Record<string, number> = {};
  for (const p of m.points) counts[p.status] = (counts[p.status] ?? 0) + 1;
  m.counts = counts;
  writeJsonAtomic(paths.manifest(dir), m);
}

export function readRecord(dir: string, name: string): PointRecord | null {
  const path = paths.record(dir, name);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PointRecord;
  } catch {
    return null; // written atomically, so only a hand-edited file is unreadable: as if absent
  }
}

export function writeRecord(dir: string, name: string, rec: PointRecord): void {
  writeJsonAtomic(paths.record(dir, name), rec);
}

/** What the run directory of a point holds. */
export interface RunFilesState {
  /** summary.json's status, if it exists */
  summary: string | null;
  summaryMessage?: string;
  checkpoint: boolean;
  measured: boolean;
  exists: boolean;
}

export function runFilesState(runDir: string): RunFilesState {
  let summary: string | null = null;
  let summaryMessage: string | undefined;
  const sp = join(runDir, 'summary.json');
  if (existsSync(sp)) {
    try {
      const s = JSON.parse(readFileSync(sp, 'utf8')) as { status?: string; message?: string };
      summary = s.status ?? null;
      summaryMessage = s.message;
    } catch {
      summary = null;
    }
  }
  return {
    summary,
    ...(summaryMessage ? { summaryMessage } : {}),
    checkpoint: hasCheckpoint(runDir),
    measured: existsSync(join(runDir, 'measure.json')),
    exists: existsSync(runDir),
  };
}

export interface DerivedState {
  status: PointStatus;
  message?: string;
  /** training finished (summary completed) */
  trained: boolean;
  /** measure.json present */
  measured: boolean;
  /** a checkpoint to resume from */
  checkpoint: boolean;
  record: PointRecord | null;
}

/**
 * A point's status from its files. `measure`: whether the sweep measures (then a point is
 * completed only with measure.json). `alive(record)` says whether the process of a "running"
 * record still exists (a record left "running" by a process that was killed is stale).
 */
export function derivePointState(files: RunFilesState, record: PointRecord | null, measure: boolean, alive: (r: PointRecord) => boolean): DerivedState {
  const trained = files.summary === 'completed';
  const base = { trained, measured: files.measured, checkpoint: files.checkpoint, record };
  if (record?.status === 'running' && alive(record)) return { ...base, status: 'running' };
  if (trained && (!measure || files.measured)) return { ...base, status: 'completed' };
  if (record?.status === 'failed') return { ...base, status: 'failed', message: record.message };
  if (files.summary === 'diverged') return { ...base, status: 'failed', message: files.summaryMessage ?? 'diverged' };
  if (trained) return { ...base, status: 'pending' }; // measuring remains
  if (record?.status === 'running') {
    return { ...base, status: 'interrupted', message: `its ${record.executor === 'slurm' ? 'job' : 'process'} ended without recording an outcome (killed?)` };
  }
  if (record?.status === 'interrupted' || files.checkpoint || files.summary === 'interrupted') {
    return { ...base, status: 'interrupted', ...(record?.message ? { message: record.message } : {}) };
  }
  return { ...base, status: 'pending' };
}

/** Whether process `pid` on this host exists and runs something that mentions `needle` (guards against a reused pid). */
export function processAlive(pid: number, host: string, needle: string): boolean {
  if (host !== hostname()) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return true; // no /proc: trust the signal test
  }
}

// --- the lock -------------------------------------------------------------------------------------

interface LockInfo {
  pid: number;
  host: string;
  started_at: string;
}

/**
 * Takes the directory's lock for this process; refuses when another live vmc sweep holds it.
 * A lock left by a process that no longer exists is taken over. Returns the release function.
 */
export function acquireLock(dir: string): () => void {
  const path = paths.lock(dir);
  const mine: LockInfo = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine) + '\n', { flag: 'wx' });
      return () => {
        try {
          const held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
          if (held.pid === mine.pid && held.host === mine.host) rmSync(path, { force: true });
        } catch {
          /* gone already */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`cannot create the lock file (${(e as Error).message})`, path);
    }
    let held: LockInfo | null = null;
    try {
      held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      held = null;
    }
    if (held && held.host !== mine.host) {
      throw new InputError(`a vmc sweep on host ${held.host} (pid ${held.pid}) works on this directory; if it is gone, delete ${path}`, dir);
    }
    if (held && processAlive(held.pid, held.host, '')) {
      throw new InputError(`another vmc sweep (pid ${held.pid}, started ${held.started_at}) works on this directory; wait for it or stop it`, dir);
    }
    rmSync(path, { force: true }); // stale
  }
  throw new InputError('cannot take the lock', path);
}
