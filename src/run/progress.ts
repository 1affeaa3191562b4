/**
 * What a run prints while it works.
 *
 * - On a terminal: one progress line redrawn in place — bar, step/total, energy ± error, relative
 *   error to the exact energy when known, steps/s and ETA — with human-readable log lines
 *   printed above it.
 * - Not on a terminal (piped, CI, a file): plain JSON lines, one per reported step (every
 *   `every`-th step, plus the first and last), one per log message. Easy to grep and to parse.
 * - Quiet: nothing but the final summary line (warnings and errors still go to stderr).
 */

export interface ProgressRecord {
  /** a VMC step's energy; other work (NLL training) passes its own fields and a `describe` */
  energy?: number;
  energy_error?: number;
  /** If absent, computed from `exactEnergy` when that is known. */
  relative_error?: number | null;
  [field: string]: unknown;
}

export interface Reporter {
  /** Report that `step` (1-based; `step === total` is the last) has completed. */
  update(step: number, record: ProgressRecord): void;
  log(msg: string, fields?: Record<string, unknown>, level?: 'info' | 'warn' | 'error'): void;
  /** Clear the progress line and print the final summary line (also in quiet mode). */
  finish(summaryLine: string): void;
}

/** Where output goes; `process.stdout` fits. `columns` is read on every redraw. */
export interface OutStream {
  write(s: string): unknown;
  columns?: number;
}

export interface ReporterOptions {
  total: number;
  exactEnergy?: number | null;
  quiet?: boolean;
  /** Default: `stream.isTTY` of process.stdout. */
  tty?: boolean;
  /** Steps already done when this process started (resume); rates count only new steps. */
  startStep?: number;
  /** JSON mode: emit every n-th step (default: about 100 lines over the run). */
  every?: number;
  /** TTY mode: minimum milliseconds between redraws (default 100). */
  minIntervalMs?: number;
  stream?: OutStream;
  errStream?: OutStream;
  /** Milliseconds clock (tests). */
  now?: () => number;
  /** TTY mode: the values shown for a record (default: energy ± error and the relative error) */
  describe?: (record: ProgressRecord) => string;
  /** TTY mode: what a step is called in the rate (default "step") */
  unit?: string;
}

/** 1.2e-5, 0.0123, -25.10779 — compact but enough digits to watch convergence. */
function num(v: number, digits = 6): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e7)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}

/** 95s → "1m35s", 7300s → "2h01m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function relativeError(record: ProgressRecord, exact: number | null | undefined): number | null {
  if (record.relative_error !== undefined && record.relative_error !== null) return record.relative_error;
  if (exact === undefined || exact === null || exact === 0 || record.energy === undefined) return null;
  return Math.abs(record.energy - exact) / Math.abs(exact);
}

function fieldsText(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => ` ${k}=${typeof v === 'number' ? num(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');
}

function clock(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

export function createReporter(options: ReporterOptions): Reporter {
  const out: OutStream = options.stream ?? process.stdout;
  const err: OutStream = options.errStream ?? process.stderr;
  const tty = options.tty ?? (options.stream === undefined && process.stdout.isTTY === true);
  const quiet = options.quiet ?? false;
  const now = options.now ?? (() => performance.now());
  const total = options.total;
  const every = Math.max(1, Math.floor(options.every ?? Math.ceil(total / 100)));
  const minInterval = options.minIntervalMs ?? 100;
  const startStep = options.startStep ?? 0;

  const t0 = now();
  // Rate from the first update on (the first step includes warm-up: graph building, JIT).
  let first: { step: number; t: number } | null = null;
  let lastDraw = -Infinity;
  let line = ''; // the progress line currently on screen ('' when none)
  let finished = false;

  function rate(step: number, t: number): number {
    if (!first || step <= first.step || t <= first.t) return NaN;
    return ((step - first.step) * 1000) / (t - first.t);
  }

  function progressLine(step: number, record: ProgressRecord, stepsPerS: number): string {
    const rel = relativeError(record, options.exactEnergy);
    const eta = (total - step) / stepsPerS;
    const values = options.describe
      ? [options.describe(record)]
      : [
          `E = ${num(record.energy ?? NaN, 8)} ± ${num(record.energy_error ?? NaN, 2)}`,
          ...(rel !== null ? [`rel ${Number.isFinite(rel) ? rel.toExponential(2) : String(rel)}`] : []),
        ];
    const parts = [
      `${String(step).padStart(String(total).length)}/${total}`,
      ...values,
      `${Number.isFinite(stepsPerS) ? num(stepsPerS, 3) : '--'} ${options.unit ?? 'step'}/s`,
      `ETA ${step >= total ? '0s' : formatDuration(eta)}`,
    ];
    const text = parts.join('  ');
    const columns = out.columns || 100; // 0 when the terminal size is unknown (e.g. under `script`)
    const barWidth = Math.max(0, Math.min(30, columns - text.length - 4));
    const full = total > 0 ? Math.round((Math.min(step, total) / total) * barWidth) : barWidth;
    const bar = barWidth >= 5 ? `[${'█'.repeat(full)}${'░'.repeat(barWidth - full)}] ` : '';
    const s = bar + text;
    return s.length > columns - 1 ? s.slice(0, Math.max(0, columns - 1)) : s;
  }

  function clearLine(): void {
    if (line) out.write('\r\x1b[2K');
  }

  function draw(s: string): void {
    out.write(`\r\x1b[2K${s}`);
    line = s;
  }

  return {
    update(step, record) {
      if (finished || quiet) return;
      const t = now();
      if (!first) first = { step, t };
      const stepsPerS = rate(step, t);
      if (tty) {
        if (step >= total || t - lastDraw >= minInterval) {
          lastDraw = t;
          draw(progressLine(step, record, stepsPerS));
        }
        return;
      }
      if (step === startStep + 1 || step >= total || step % every === 0) {
        const rel = relativeError(record, options.exactEnergy);
        out.write(
          JSON.stringify({
            type: 'step',
            step,
            total,
            ...record,
            relative_error: rel,
            steps_per_s: Number.isFinite(stepsPerS) ? stepsPerS : null,
            eta_s: Number.isFinite(stepsPerS) ? (total - step) / stepsPerS : null,
            elapsed_s: (t - t0) / 1000,
          }) + '\n',
        );
      }
    },

    log(msg, fields, level = 'info') {
      if (finished) return;
      if (quiet) {
        if (level !== 'info') err.write(`${level}: ${msg}${fieldsText(fields)}\n`);
        return;
      }
      if (tty) {
        const text = `${clock(new Date())} ${level === 'info' ? '' : `${level}: `}${msg}${fieldsText(fields)}`;
        clearLine();
        (level === 'info' ? out : err).write(text + '\n');
        if (line) draw(line);
        return;
      }
      const obj = JSON.stringify({ type: 'log', level, time: new Date().toISOString(), msg, ...fields });
      (level === 'info' ? out : err).write(obj + '\n');
    },

    finish(summaryLine) {
      if (finished) return;
      finished = true;
      if (tty && line) {
        out.write('\n'); // leave the final bar on screen
        line = '';
      }
      out.write(summaryLine.endsWith('\n') ? summaryLine : summaryLine + '\n');
    },
  };
}
