/**
 * metrics.csv: one row per optimisation step, written as it happens.
 *
 * Each row goes to the OS in one write() as soon as it is appended, so a killed run keeps every
 * completed row. On resume the file is cut back to the checkpointed step, so the resumed run
 * appends exactly the rows the uninterrupted run would have written.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { InputError } from '../errors.js';
import { writeFileAtomic } from './run-dir.js';

/** The fixed columns, in file order. Extra columns (e.g. acceptance) follow them. */
export const METRICS_COLUMNS = ['step', 'energy', 'energy_error', 'variance', 'energy_per_site', 'relative_error', 'lr', 'seconds'] as const;

export type MetricsValue = number | null | undefined;

export interface MetricsRow {
  step: number;
  energy: number;
  /** Standard error of the energy mean. */
  energy_error: number;
  /** Variance of the local energy. */
  variance: number;
  energy_per_site: number;
  /** |E − E_exact| / |E_exact|; null when no exact energy is known. */
  relative_error: MetricsValue;
  lr: number;
  /** Wall-clock seconds of this step (sampling, local energies, gradient, update). */
  seconds: number;
  /** Extra columns declared when the writer was created. */
  [extra: string]: MetricsValue;
}

/** Empty for null/undefined; otherwise the shortest round-trip decimal (NaN and Infinity spelled out). */
function cell(v: MetricsValue): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

function parseCell(s: string): number | null {
  if (s === '') return null;
  const v = Number(s);
  return Number.isNaN(v) && s !== 'NaN' ? null : v;
}

export interface MetricsTable {
  columns: string[];
  rows: Record<string, number | null>[];
}

/**
 * Parse metrics.csv. Lines that are incomplete (a torn last line) or whose step does not parse
 * are skipped. Throws InputError naming the file when it is missing or has no valid header.
 */
export function readMetrics(path: string): MetricsTable {
  if (!existsSync(path)) throw new InputError('metrics file not found', path);
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines[0]?.trim() ?? '';
  const columns = header.split(',');
  if (columns[0] !== 'step') throw new InputError(`metrics file has no header line starting with "step" (got "${header.slice(0, 60)}")`, path);
  const rows: Record<string, number | null>[] = [];
  // A line is complete only if followed by '\n': the last element of split() is the unterminated tail.
  for (const line of lines.slice(1, -1)) {
    const cells = line.split(',');
    if (cells.length !== columns.length) continue;
    const row: Record<string, number | null> = {};
    columns.forEach((c, i) => (row[c] = parseCell(cells[i]!)));
    if (row.step === null || !Number.isInteger(row.step)) continue;
    rows.push(row);
  }
  return { columns, rows };
}

/** One column of a metrics table as numbers (null → NaN, which the plots drop). */
export function column(table: MetricsTable, name: string): number[] {
  return table.rows.map((r) => r[name] ?? NaN);
}

export class MetricsWriter {
  private fd: number | null;
  private cols: string[] | null;

  private constructor(
    readonly path: string,
    columns: string[] | null,
    fd: number,
    /** the columns every row has, first in the file (default: a VMC run's) */
    private readonly fixed: readonly string[] = METRICS_COLUMNS,
  ) {
    this.cols = columns;
    this.fd = fd;
  }

  /** The header, or null while it waits for the first row (see `create`). */
  get columns(): readonly string[] | null {
    return this.cols;
  }

  /**
   * Start a new metrics.csv (replacing any existing file).
   * With `extraColumns` the header is written now. Without, it is written with the first row:
   * the fixed columns followed by that row's other keys, in their order (handy when extra
   * diagnostics, e.g. the sampler's acceptance, are only known once a step has run).
   */
  static create(path: string, extraColumns?: readonly string[], fixed: readonly string[] = METRICS_COLUMNS): MetricsWriter {
    writeFileAtomic(path, '');
    const w = new MetricsWriter(path, null, openSync(path, 'a'), fixed);
    if (extraColumns) w.writeHeader(extraColumns);
    return w;
  }

  /**
   * Reopen an existing metrics.csv to continue a run from `lastStep`: keeps rows with
   * step ≤ lastStep (and drops a torn last line), rewrites the file atomically, then appends.
   * The columns are those of the existing header. A missing or empty file (the run was stopped
   * before its first row) starts afresh, as `create(path)`.
   */
  static resume(path: string, lastStep: number, fixed: readonly string[] = METRICS_COLUMNS): MetricsWriter {
    if (!existsSync(path) || readFileSync(path, 'utf8').trim() === '') return MetricsWriter.create(path, undefined, fixed);
    const table = readMetrics(path);
    const kept = table.rows.filter((r) => (r.step as number) <= lastStep);
    const text = [table.columns.join(','), ...kept.map((r) => table.columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
    writeFileAtomic(path, text);
    return new MetricsWriter(path, table.columns, openSync(path, 'a'), fixed);
  }

  /**
   * `resume(path, lastStep)` when lastStep is given, else `create(path, extraColumns)`; `fixed`:
   * the columns every row has (default METRICS_COLUMNS, a VMC run's; the first must be "step").
   */
  static open(path: string, options: { resumeStep?: number; extraColumns?: readonly string[]; fixed?: readonly string[] } = {}): MetricsWriter {
    return options.resumeStep !== undefined
      ? MetricsWriter.resume(path, options.resumeStep, options.fixed)
      : MetricsWriter.create(path, options.extraColumns, options.fixed);
  }

  private writeHeader(extraColumns: readonly string[]): void {
    const columns = [...this.fixed, ...extraColumns];
    const dup = columns.find((c, i) => columns.indexOf(c) !== i);
    if (dup) throw new Error(`metrics column "${dup}" declared twice`);
    const bad = columns.find((c) => !/^[A-Za-z0-9_]+$/.test(c));
    if (bad) throw new Error(`metrics column name "${bad}" must be letters, digits and '_'`);
    writeSync(this.fd!, columns.join(',') + '\n');
    this.cols = columns;
  }

  /** Append one row; it reaches the OS before this returns. Unknown keys are a programming error. */
  append(row: MetricsRow | { step: number; [column: string]: MetricsValue }): void {
    if (this.fd === null) throw new Error(`metrics writer for ${this.path} is closed`);
    if (this.cols === null) {
      this.writeHeader(Object.keys(row).filter((k) => !this.fixed.includes(k)));
    }
    const columns = this.cols!;
    for (const k of Object.keys(row)) {
      if (!columns.includes(k)) throw new Error(`metrics row has column "${k}" not in the header (${columns.join(',')})`);
    }
    const line = columns.map((c) => cell(row[c])).join(',') + '\n';
    writeSync(this.fd, line);
  }

  /** fsync and close (idempotent). */
  close(): void {
    if (this.fd === null) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
