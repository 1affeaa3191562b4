/**
 * Measured configurations to learn from (`vmc fit DATA`, `vmc run --pretrain DATA`).
 *
 * Two formats, told apart by the first line:
 * - the CSV that `vmc sample` and `vmc exact --samples` write: a header naming a `config` column
 *   (`config,log_abs_psi,phase`), then one row a configuration; other columns are ignored except
 *   `log_abs_psi`, kept so that data drawn from a known state can be recognised
 *   (fit/known-state.ts);
 * - plain bit strings, one configuration a line.
 * A configuration is a string of N characters 0/1: character s is the bit x_s of site s
 * (σ^z_s = 2x_s − 1, so `1` is spin up; square lattices: s = x + Lx·y), the convention of the
 * whole project. Blank lines are skipped; a Windows line end (CRLF) is accepted.
 *
 * Every problem is an InputError naming the file and the line (empty file, a character other than
 * 0/1, a row of another length than the first, a length that is not the N of the flags, a row
 * outside the S^z sector of --magnetization).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { InputError, quote, shown } from '../errors.js';
import type { Rng } from '../rng.js';

export interface ConfigData {
  /** the file it was read from (as given) */
  path: string;
  nSites: number;
  /** count·N bits */
  configs: Uint8Array;
  count: number;
  /** log|ψ(x)| per row when the file has a `log_abs_psi` column, else null */
  logAbsPsi: Float64Array | null;
  format: 'csv' | 'bits';
  /** SHA-256 of the file's text (a resumed fit checks that its data did not change) */
  sha256: string;
}

/** What the flags say the configurations must be. */
export interface DataExpectation {
  nSites: number;
  /** fixed number of up spins (--magnetization), or null */
  nUp: number | null;
  /** how the flags are named in the message, e.g. "--n 8" */
  sitesFlag?: string;
}

/** Largest data file read, in bytes (5·10^6 rows of vmc sample's CSV for 20 sites; the text, its lines and the bits are held at once). */
export const MAX_DATA_BYTES = 2 ** 28;

export function readConfigData(path: string, expect: DataExpectation): ConfigData {
  const file = shown(path, 200);
  let text: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError('is a directory, expected a data file', file);
    const size = st.size;
    if (size > MAX_DATA_BYTES) throw new InputError(`file is ${size} bytes; data files are limited to ${MAX_DATA_BYTES}`, file);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'data file not found' : `cannot read data file (${code ?? String(e)})`, file);
  }
  return parseConfigData(text, file, expect);
}

/** Parses the text of a data file; `file` names it in errors. */
export function parseConfigData(text: string, file: string, expect: DataExpectation): ConfigData {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first === lines.length) {
    throw new InputError('the data file is empty; expected configurations as bit strings (e.g. 0110), one a line, or the CSV of vmc sample', file);
  }
  const head = lines[first].trim();
  let column = 0;
  let logColumn = -1;
  let format: ConfigData['format'] = 'bits';
  let start = first;
  const names = head.split(',').map((c) => c.trim());
  if (names.includes('config') || head.includes(',')) {
    column = names.indexOf('config');
    if (column < 0) {
      throw new InputError(`line ${first + 1}: a CSV header needs a "config" column (vmc sample writes config,log_abs_psi,phase), got ${quote(head)}`, file);
    }
    logColumn = names.indexOf('log_abs_psi');
    format = 'csv';
    start = first + 1;
  }
  const N = expect.nSites;
  // at most one configuration a line: filled in place, trimmed at the end
  const bits = new Uint8Array((lines.length - start) * N);
  const logs = new Float64Array(logColumn >= 0 ? lines.length - start : 0);
  let count = 0;
  let firstLength = -1;
  let firstLine = 0;
  for (let k = start; k < lines.length; k++) {
    const line = lines[k].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const at = `line ${k + 1}`;
    const cells = format === 'csv' ? line.split(',') : [line];
    const cell = (cells[column] ?? '').trim();
    const bad = cell.search(/[^01]/);
    if (bad >= 0 || cell === '') {
      const what = cell === '' ? 'an empty configuration' : `character ${bad + 1} is ${quote(cell[bad])}`;
      throw new InputError(`${at}: ${what}; a configuration is a string of 0 and 1 (1 = spin up), one character a site`, file);
    }
    if (firstLength < 0) {
      firstLength = cell.length;
      firstLine = k + 1;
      if (cell.length !== N) {
        throw new InputError(`${at}: ${cell.length} sites, but ${expect.sitesFlag ?? 'the lattice'} has ${N}`, file);
      }
    } else if (cell.length !== firstLength) {
      throw new InputError(`${at}: ${cell.length} sites, but line ${firstLine} has ${firstLength}`, file);
    }
    let ups = 0;
    for (let s = 0; s < N; s++) {
      const b = cell.charCodeAt(s) - 48;
      ups += b;
      bits[count * N + s] = b;
    }
    if (expect.nUp !== null && ups !== expect.nUp) {
      throw new InputError(`${at}: ${ups} of ${N} spins up, but --magnetization fixes ${expect.nUp} up`, file);
    }
    if (logColumn >= 0) {
      const v = Number((cells[logColumn] ?? '').trim());
      if (!Number.isFinite(v)) throw new InputError(`${at}: log_abs_psi ${quote(cells[logColumn] ?? '')} is not a finite number`, file);
      logs[count] = v;
    }
    count++;
  }
  if (count === 0) throw new InputError('no configurations after the header line', file);
  return {
    path: file,
    nSites: N,
    configs: bits.slice(0, count * N),
    count,
    logAbsPsi: logColumn >= 0 ? logs.slice(0, count) : null,
    format,
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
  };
}

/** The rows `rows` of count·N bits, in that order. */
export function takeRows(configs: Uint8Array, nSites: number, rows: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(rows.length * nSites);
  for (let k = 0; k < rows.length; k++) out.set(configs.subarray(rows[k] * nSites, (rows[k] + 1) * nSites), k * nSites);
  return out;
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export interface DataSplit {
  train: Uint8Array;
  trainCount: number;
  validation: Uint8Array;
  validationCount: number;
}

/**
 * A held-out split: a random `fraction` of the rows (rounded, at least one row when the fraction
 * is positive and there are two rows or more) for validation, the rest for training.
 */
export function splitData(configs: Uint8Array, count: number, nSites: number, fraction: number, rng: Rng): DataSplit {
  const held = fraction > 0 && count >= 2 ? Math.min(count - 1, Math.max(1, Math.round(fraction * count))) : 0;
  const p = shuffledIndices(count, rng);
  return {
    validation: takeRows(configs, nSites, p.subarray(0, held)),
    validationCount: held,
    train: takeRows(configs, nSites, p.subarray(held)),
    trainCount: count - held,
  };
}
