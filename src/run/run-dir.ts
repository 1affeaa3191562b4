/**
 * Run directories and crash-safe file writes.
 *
 * Every file a run writes whole (config, summary, checkpoint, plots) goes through
 * `writeFileAtomic`: written to a temporary file in the same directory, fsynced, then renamed
 * over the target. A reader therefore sees either the old complete file or the new complete
 * file, never a torn one, even if the process is killed mid-write.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';

export interface CreateRunDirOptions {
  /** Continue an existing run: the directory must exist (and may be non-empty). */
  resume?: boolean;
  /** Parent of default run directories (default "runs" under the working directory). */
  root?: string;
  /** Clock for the default name (tests). */
  now?: Date;
}

/** `YYYYMMDD-HHMMSS` in local time. */
export function timestamp(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Keep names safe as one path component: letters, digits, '.', '_', '-'. */
function slug(s: string): string {
  const t = s.trim().replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return t.length > 0 ? t : 'x';
}

function isNonEmptyDir(path: string): boolean {
  return statSync(path).isDirectory() && readdirSync(path).length > 0;
}

/**
 * Create (or, with `resume`, reopen) a run directory and return its absolute path.
 *
 * - `out` given: used as is. It may not exist yet or be empty; an existing non-empty directory
 *   is refused (so a run never mixes its files with another's) unless resuming.
 * - `out` undefined: `runs/<YYYYMMDD-HHMMSS>-<model>-<ansatz>`; if that name is taken (two runs
 *   in the same second) a numeric suffix is added.
 */
export function createRunDir(out: string | undefined, model: string, ansatz: string, options: CreateRunDirOptions = {}): string {
  if (options.resume) {
    if (out === undefined) throw new InputError('resuming needs the run directory to resume');
    const dir = resolve(out);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError('run directory to resume does not exist', dir);
    return dir;
  }
  if (out !== undefined) {
    const dir = resolve(out);
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new InputError('output path exists and is not a directory', dir);
      if (isNonEmptyDir(dir)) {
        throw new InputError('output directory exists and is not empty; choose another --out, or use --resume to continue that run', dir);
      }
    }
    makeDirectory(dir);
    return dir;
  }
  const base = join(resolve(options.root ?? 'runs'), `${timestamp(options.now)}-${slug(model)}-${slug(ansatz)}`);
  makeDirectory(dirname(base));
  for (let k = 1; ; k++) {
    const dir = k === 1 ? base : `${base}-${k}`;
    try {
      mkdirSync(dir); // not recursive: fails if it exists, so two concurrent runs cannot share it
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(dir, e);
    }
  }
}

function cannotCreate(dir: string, e: unknown): InputError {
  const err = e as NodeJS.ErrnoException;
  // "ENOENT: no such file or directory, mkdir '/proc/x'" → "ENOENT: no such file or directory"
  return new InputError(`cannot create directory (${err.message.split(',')[0]})`, dir);
}

/**
 * `mkdir -p` that always ends: creates the missing components of `path` one at a time, below
 * its deepest existing ancestor, and stops at the first failure (an InputError naming the path).
 *
 * Not `mkdirSync(path, { recursive: true })`: Node 20's recursive mkdir treats ENOENT as "the
 * parent is missing", creates the parent (EEXIST: fine) and retries — for ever, inside C++, at
 * 100% CPU and deaf to signals, when the parent exists but cannot hold children (procfs answers
 * mkdir('/proc/x') with ENOENT). `vmc run --out /proc/forbidden` hung that way.
 */
export function makeDirectory(path: string): void {
  const dir = resolve(path);
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new InputError('exists and is not a directory', at);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      // EEXIST: made meanwhile (fine), or a dangling symbolic link (not fine)
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && existsSync(d) && statSync(d).isDirectory()) continue;
      throw cannotCreate(d, e);
    }
  }
}

/** Best-effort fsync of a directory, so a rename inside it survives a power cut. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported on every platform/filesystem; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let tmpCounter = 0;

/**
 * Atomically replace `path` with `data`: temp file in the same directory, fsync, rename.
 * Synchronous on purpose, so it can run to completion inside a Ctrl-C handler.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(resolve(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** Temporary files of `writeFileAtomic` (".<name>.<pid>.<n>.tmp") left in `dir` by a process that was killed mid-write. */
export function removeTempFiles(dir: string): string[] {
  const stale = readdirSync(dir).filter((f) => /^\..+\.\d+\.\d+\.tmp$/.test(f));
  for (const f of stale) rmSync(join(dir, f), { force: true });
  return stale;
}

/** Atomically write `obj` as pretty JSON (2-space indent, trailing newline). */
export function writeJsonAtomic(path: string, obj: unknown): void {
  const text = JSON.stringify(obj, null, 2);
  if (text === undefined) throw new Error(`writeJsonAtomic(${path}): value is not JSON-serialisable`);
  writeFileAtomic(path, text + '\n');
}

/**
 * Read and parse a JSON file. `what` says what the file is ("checkpoint", "experiment file") so
 * the error reads e.g. "runs/x/summary.json: summary file not found". Errors are InputErrors
 * naming the file.
 */
export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${what} not found`, path);
    if (code === 'EISDIR') throw new InputError(`${what} is a directory, expected a JSON file`, path);
    throw new InputError(`cannot read ${what}: ${(e as Error).message}`, path);
  }
  if (text.trim().length === 0) throw new InputError(`${what} is empty`, path);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${what} is not valid JSON (${(e as Error).message})`, path);
  }
}

/** A failed write names the file (e.g. "cannot write runs/x/checkpoint.json: ENOSPC: no space left on device"). */
export function writing<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}
