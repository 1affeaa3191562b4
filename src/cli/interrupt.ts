/**
 * Ctrl-C (SIGINT) and SIGTERM for long commands, both the same way: the first signal sets
 * `signal.stop`, so the work ends after its current step and saves what it has (the command then
 * exits 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM); a second one exits at once.
 *
 * The handlers are installed only while stopping early saves something: a run installs them
 * when its training starts (`signal.watch`); `always: true` (compare) for the whole command.
 * Outside that window the signals keep their default action and end the process at once — so a
 * signal during start-up (building the model, an exact reference, a slow synchronous call) is
 * never swallowed by a handler that cannot run until the call returns.
 */
import { constants } from 'node:os';
import type { StopSignal } from '../run/runner.js';

export interface Interrupt extends StopSignal {
  /** the first signal received, if any */
  received: NodeJS.Signals | null;
}

/** 128 + the signal number, the shell's convention (SIGINT 130, SIGTERM 143). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (constants.signals[sig] ?? 0);
}

export async function withInterrupt<T>(
  onFirst: string,
  work: (signal: Interrupt) => Promise<T>,
  options: { always?: boolean } = {},
): Promise<T> {
  let installed = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signal.received) {
      process.stderr.write(`\nvmc: ${sig} again, exiting without saving\n`);
      process.exit(signalExitCode(sig));
    }
    signal.received = sig;
    signal.stop = true;
    process.stderr.write(`\nvmc: ${sig}: ${onFirst} (Ctrl-C or SIGTERM again to abort)\n`);
  };
  const install = (on: boolean): void => {
    if (on === installed) return;
    installed = on;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      if (on) process.on(sig, onSignal);
      else process.off(sig, onSignal);
    }
  };
  const signal: Interrupt = { stop: false, received: null, watch: options.always ? undefined : install };
  if (options.always) install(true);
  try {
    return await work(signal);
  } finally {
    install(false);
  }
}

/**
 * The exit of a long command whose work ended with `status`: diverged → exit code 1 and the
 * message; interrupted → 130 / 143 and how to resume (`resume`, e.g. "vmc run --resume DIR").
 */
export function reportOutcome(status: string, message: string | undefined, resume: string, signal: Interrupt): void {
  if (status === 'diverged') {
    process.stderr.write(`vmc: ${message}\n`);
    process.exitCode = 1;
  } else if (status === 'interrupted') {
    process.stderr.write(`vmc: interrupted; resume with: ${resume}\n`);
    process.exitCode = signalExitCode(signal.received ?? 'SIGINT');
  }
}

/** How a long command reports progress, from its --quiet and --json flags (see runner.ts RunOptions). */
export function outputModes(argv: Record<string, unknown>): { quiet: boolean; silent: boolean; tty: boolean } {
  return { quiet: Boolean(argv.quiet), silent: Boolean(argv.json), tty: Boolean(process.stdout.isTTY) && !argv.json };
}
