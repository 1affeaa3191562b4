/**
 * Checkpoints: everything needed to continue a run bit for bit — trainable variables, optimizer
 * state, RNG state, sampler state (Metropolis chains), plus free-form history/extra.
 *
 * Stored as one JSON file, `checkpoint.json`, replaced atomically; the one it replaces is kept as
 * `checkpoint.prev.json`. Float32 parameters are written as JSON numbers: a float32 widened to a
 * double prints as the shortest decimal that parses back to the same double, so
 * `Math.fround(JSON.parse(JSON.stringify(x))) === x` — the round trip is exact (bit for bit,
 * including -0, which is written out explicitly).
 *
 * Crash safety: the new file is written to a temporary file, fsynced and renamed over the old
 * one (writeFileAtomic), after the old one has been copied aside the same way, so at every
 * moment checkpoint.json is a complete checkpoint (a kill -9 at any instant leaves the old or
 * the new one). A SHA-256 checksum of the text (first field) catches damage done later, e.g. by
 * hand or by the disk; `loadLatestCheckpoint` then falls back to checkpoint.prev.json.
 *
 * A run directory may hold `checkpoint.json.gz` (gzip of checkpoint.json) instead: the states
 * committed under results/ are stored so (a GRU's checkpoint with Adam's moments is ~540 KB of
 * text, ~230 KB gzipped). It is read when checkpoint.json is absent; the run's next save writes
 * checkpoint.json beside it, which is read from then on.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readJson, writeFileAtomic } from './run-dir.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const CHECKPOINT_PREV_FILE = 'checkpoint.prev.json';
export const CHECKPOINT_DAMAGED_FILE = 'checkpoint.damaged.json';
/** gzip of checkpoint.json, read when checkpoint.json is absent (see the header) */
export const CHECKPOINT_GZ_FILE = 'checkpoint.json.gz';

/** Whether `dir` holds a checkpoint to resume from (checkpoint.json, its .gz or checkpoint.prev.json). */
export function hasCheckpoint(dir: string): boolean {
  return [CHECKPOINT_FILE, CHECKPOINT_GZ_FILE, CHECKPOINT_PREV_FILE].some((f) => existsSync(join(dir, f)));
}

/** The text of a checkpoint file, gunzipped when its name ends in .gz. */
function readCheckpointText(path: string): string {
  if (!path.endsWith('.gz')) return readFileSync(path, 'utf8');
  try {
    return gunzipSync(readFileSync(path)).toString('utf8');
  } catch (e) {
    throw new InputError(`cannot read the compressed checkpoint: ${(e as Error).message}`, path);
  }
}
const FORMAT = 'vmc-checkpoint';
const VERSION = 1;

export interface CheckpointVariable {
  name: string;
  shape: number[];
  /** Row-major values; length = product of shape. */
  values: number[];
}

export interface CheckpointData {
  /** Number of completed optimisation steps. */
  step: number;
  /** values may be a number[] or a typed array (Float32Array round-trips exactly). */
  variables: { name: string; shape: number[]; values: ArrayLike<number> }[];
  optimizer: unknown;
  rng: unknown;
  sampler?: unknown;
  history?: unknown;
  extra?: unknown;
}

export interface Checkpoint extends Omit<CheckpointData, 'variables'> {
  variables: CheckpointVariable[];
  /** ISO time the checkpoint was written. */
  savedAt: string;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Write `dir/checkpoint.json` atomically (the previous one becomes checkpoint.prev.json).
 * Refuses non-finite parameters, so a diverged run can never overwrite its last good checkpoint.
 * `values` may be a plain array or a typed array (Float32Array is stored exactly).
 */
export function saveCheckpoint(dir: string, data: CheckpointData): string {
  if (!Number.isInteger(data.step) || data.step < 0) throw new Error(`checkpoint step must be a non-negative integer, got ${data.step}`);
  const names = new Set<string>();
  const variables = data.variables.map((v) => {
    if (names.has(v.name)) throw new Error(`checkpoint variable "${v.name}" appears twice`);
    names.add(v.name);
    if (v.values.length !== size(v.shape)) {
      throw new Error(`checkpoint variable "${v.name}": ${v.values.length} values for shape [${v.shape.join(',')}]`);
    }
    const values = Array.from(v.values);
    const bad = values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`checkpoint variable "${v.name}" has a non-finite value (${values[bad]}) at index ${bad}; not saving`);
    return { name: v.name, shape: [...v.shape], values };
  });
  const head = JSON.stringify({
    format: FORMAT,
    version: VERSION,
    saved_at: new Date().toISOString(),
    step: data.step,
    optimizer: data.optimizer ?? null,
    rng: data.rng ?? null,
    sampler: data.sampler ?? null,
    history: data.history ?? null,
    extra: data.extra ?? null,
  });
  // Variables go last, written by hand so that -0 keeps its sign (JSON.stringify prints it as 0;
  // JSON.parse reads "-0" back as -0). Otherwise String(x) is exactly JSON's number format.
  const vars = variables.map(
    (v) => `{"name":${JSON.stringify(v.name)},"shape":${JSON.stringify(v.shape)},"values":[${v.values.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}]}`,
  );
  const body = `${head.slice(0, -1)},"variables":[${vars.join(',')}]}`;
  const text = `{"checksum":"${sha256(body)}",${body.slice(1)}`;
  const path = join(dir, CHECKPOINT_FILE);
  // Copy the current checkpoint aside first (itself atomically), so checkpoint.json is never absent.
  if (existsSync(path)) writeFileAtomic(join(dir, CHECKPOINT_PREV_FILE), readFileSync(path));
  writeFileAtomic(path, text + '\n');
  return path;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const CHECKSUM_PREFIX = /^\{"checksum":"([0-9a-f]{64})",/;

/** Fails when the file carries a checksum and its text does not match it (older files have none). */
function verifyChecksum(path: string, text: string): void {
  text = text.trimEnd();
  const m = CHECKSUM_PREFIX.exec(text);
  if (!m) return;
  if (sha256(`{${text.slice(m[0].length)}`) !== m[1]) {
    throw new InputError('checkpoint is damaged: its contents do not match its checksum', path);
  }
}

function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`checkpoint is not valid JSON: ${(e as Error).message}`, path);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Read and validate a run's checkpoint (`previous: true` reads checkpoint.prev.json).
 * Every problem is an InputError naming the file and the field.
 */
export function loadCheckpoint(dir: string, options: { previous?: boolean } = {}): Checkpoint {
  let path = join(dir, options.previous ? CHECKPOINT_PREV_FILE : CHECKPOINT_FILE);
  if (!options.previous && !existsSync(path) && existsSync(join(dir, CHECKPOINT_GZ_FILE))) path = join(dir, CHECKPOINT_GZ_FILE);
  if (!existsSync(path)) {
    throw new InputError(`no checkpoint here (expected ${options.previous ? CHECKPOINT_PREV_FILE : CHECKPOINT_FILE}); is this a run directory that has completed a step?`, path);
  }
  const text = readCheckpointText(path);
  const raw = path.endsWith('.gz') ? parseJsonText(text, path) : readJson(path, 'checkpoint');
  verifyChecksum(path, text);
  const fail = (field: string, msg: string): never => {
    throw new InputError(`checkpoint field "${field}": ${msg}`, path);
  };
  if (!isRecord(raw)) return fail('(root)', 'expected a JSON object');
  if (raw.format !== FORMAT) fail('format', `expected "${FORMAT}", got ${JSON.stringify(raw.format)}`);
  if (raw.version !== VERSION) fail('version', `this vmc reads version ${VERSION}, the file has ${JSON.stringify(raw.version)}`);
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) return fail('step', `expected a non-negative integer, got ${JSON.stringify(step)}`);
  if (!Array.isArray(raw.variables)) return fail('variables', 'expected an array');
  const names = new Set<string>();
  const variables = raw.variables.map((v: unknown, i: number): CheckpointVariable => {
    const f = `variables[${i}]`;
    if (!isRecord(v)) return fail(f, 'expected an object');
    if (typeof v.name !== 'string' || v.name === '') return fail(`${f}.name`, 'expected a non-empty string');
    if (names.has(v.name)) fail(`${f}.name`, `"${v.name}" appears twice`);
    names.add(v.name);
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
      return fail(`${f}.shape`, 'expected an array of non-negative integers');
    }
    const values = v.values;
    if (!Array.isArray(values)) return fail(`${f}.values`, 'expected an array of numbers');
    const bad = values.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) fail(`${f}.values[${bad}]`, `expected a finite number, got ${JSON.stringify(values[bad])}`);
    if (values.length !== size(shape as number[])) fail(`${f}.values`, `${values.length} values but shape [${shape.join(',')}] needs ${size(shape as number[])} (variable "${v.name}")`);
    return { name: v.name, shape: shape as number[], values: values as number[] };
  });
  if (!('optimizer' in raw)) fail('optimizer', 'missing');
  if (!('rng' in raw)) fail('rng', 'missing');
  return {
    step,
    savedAt: typeof raw.saved_at === 'string' ? raw.saved_at : '',
    variables,
    optimizer: raw.optimizer,
    rng: raw.rng,
    sampler: raw.sampler ?? undefined,
    history: raw.history ?? undefined,
    extra: raw.extra ?? undefined,
  };
}

export interface LatestCheckpoint {
  checkpoint: Checkpoint;
  /** the file it was read from */
  path: string;
  /** why checkpoint.json was not used, when the previous checkpoint was */
  problem: string | null;
}

/**
 * The newest valid checkpoint of a run: checkpoint.json, or — when that is missing, unreadable,
 * damaged or invalid — checkpoint.prev.json. `check` may reject a checkpoint that parses (e.g.
 * variables that do not fit the model) by throwing an InputError. If neither file is usable,
 * an InputError names both files and what is wrong with each.
 */
export function loadLatestCheckpoint(dir: string, check: (ck: Checkpoint, path: string) => void = () => {}): LatestCheckpoint {
  const problems: string[] = [];
  for (const previous of [false, true]) {
    let path = join(dir, previous ? CHECKPOINT_PREV_FILE : CHECKPOINT_FILE);
    if (previous && !existsSync(path)) break;
    if (!previous && !existsSync(path) && existsSync(join(dir, CHECKPOINT_GZ_FILE))) path = join(dir, CHECKPOINT_GZ_FILE);
    try {
      const checkpoint = loadCheckpoint(dir, { previous });
      check(checkpoint, path);
      return { checkpoint, path, problem: problems[0] ?? null };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(e.message);
    }
  }
  throw new InputError(`no usable checkpoint: ${problems.join('; ')}`, dir);
}

/**
 * After resuming from checkpoint.prev.json: keep the bad checkpoint.json (if any) as
 * checkpoint.damaged.json for inspection and make the checkpoint in use checkpoint.json again,
 * so that the next save rotates a valid file into checkpoint.prev.json.
 */
export function restoreFromPrevious(dir: string): void {
  const path = join(dir, CHECKPOINT_FILE);
  if (existsSync(path)) renameSync(path, join(dir, CHECKPOINT_DAMAGED_FILE));
  writeFileAtomic(path, readFileSync(join(dir, CHECKPOINT_PREV_FILE)));
}

/**
 * Match checkpoint variables to the model's by name, checking shapes; returns values in the
 * order of `expected`. A mismatch (different ansatz or sizes) is an InputError naming the file.
 */
export function matchVariables(dir: string, ckpt: Checkpoint, expected: readonly { name: string; shape: readonly number[] }[]): number[][] {
  const path = join(dir, CHECKPOINT_FILE);
  const byName = new Map(ckpt.variables.map((v) => [v.name, v]));
  const out = expected.map((e) => {
    const v = byName.get(e.name);
    if (!v) throw new InputError(`checkpoint has no variable "${e.name}" (it has: ${[...byName.keys()].join(', ')}); was it written by a different ansatz?`, path);
    if (v.shape.length !== e.shape.length || v.shape.some((d, i) => d !== e.shape[i])) {
      throw new InputError(`checkpoint variable "${e.name}" has shape [${v.shape.join(',')}] but the model expects [${e.shape.join(',')}]`, path);
    }
    return v.values;
  });
  if (byName.size !== expected.length) {
    const extra = [...byName.keys()].filter((n) => !expected.some((e) => e.name === n));
    throw new InputError(`checkpoint has variables the model does not: ${extra.join(', ')}`, path);
  }
  return out;
}
