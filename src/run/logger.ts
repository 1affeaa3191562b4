/**
 * The run's structured log: pino JSON lines in `<run dir>/log.jsonl`.
 *
 * The destination is synchronous (each log call is one write() to the file), so nothing is lost
 * when the process is interrupted with Ctrl-C or killed. Appends, so a resumed run continues the
 * same log.
 */
import { join } from 'node:path';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export const LOG_FILE = 'log.jsonl';

export interface RunLogger {
  logger: Logger;
  /** Absolute or relative path of the log file. */
  path: string;
  /** Flush and close the file (idempotent). Further log calls are dropped. */
  close(): void;
}

export interface RunLoggerOptions {
  /** Minimum level written (default 'debug'). */
  level?: LevelWithSilent;
  /** Fields added to every line, e.g. { run: 'tfim-rnn' }. */
  base?: Record<string, unknown>;
}

export function createRunLogger(dir: string, options: RunLoggerOptions = {}): RunLogger {
  const path = join(dir, LOG_FILE);
  const destination = pino.destination({ dest: path, sync: true, append: true });
  const logger = pino(
    {
      level: options.level ?? 'debug',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  let closed = false;
  return {
    logger,
    path,
    close() {
      if (closed) return;
      closed = true;
      logger.level = 'silent';
      destination.flushSync();
      destination.end();
    },
  };
}
