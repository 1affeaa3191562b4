#!/usr/bin/env node
/**
 * The `vmc` command. A thin layer over the library: parses flags, prints, sets exit codes.
 * Exit codes: 0 success, 1 failure during a run (e.g. divergence, a file that cannot be
 * written, a worker thread that died), 2 invalid input, 130 / 143 stopped by SIGINT / SIGTERM
 * (checkpoint and summary saved).
 *
 * Every error ends the process: one line on stderr (the stack with VMC_DEBUG=1), then exit.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { InputError } from '../errors.js';
import { packageVersion } from '../paths.js';
import * as compare from './compare.js';
import * as exact from './exact.js';
import * as fit from './fit.js';
import * as measure from './measure.js';
import * as run from './run.js';
import * as sample from './sample.js';
import * as sweep from './sweep.js';


export function reportError(e: unknown): number {
  if (e instanceof InputError) {
    process.stderr.write(`vmc: error: ${e.message}\n`);
    return 2;
  }
  const err = e as Error;
  process.stderr.write(`vmc: failed: ${err?.message ?? String(e)}\n`);
  if (process.env.VMC_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}

/**
 * After an error the process must end even if something (a worker thread, an open handle) would
 * keep the event loop alive: a short grace period for stderr, then exit. Unreferenced, so a
 * process with nothing left to do exits at once, as usual.
 */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
}

// Errors outside the command's promise (an 'error' event nobody listens to, a stray rejection):
// the same one-line report, never Node's stack-trace dump, and the process ends now.
process.on('uncaughtException', (e) => process.exit(reportError(e)));
process.on('unhandledRejection', (e) => process.exit(reportError(e)));

async function main(): Promise<void> {
  const cli = yargs(hideBin(process.argv))
    .scriptName('vmc')
    .usage('$0 <command> [options]\n\nVariational Monte Carlo for quantum spin systems with neural wavefunctions.')
    .command(run)
    .command(exact)
    .command(compare)
    .command(measure)
    .command(sample)
    .command(fit)
    .command(sweep)
    .demandCommand(1, 'name a command: run, exact, compare, measure, sample, fit, sweep')
    .strict()
    .recommendCommands()
    .version(packageVersion())
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue('Energies are in Pauli-matrix units (4× the S·S value for Heisenberg bonds). See README.md.')
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`vmc: error: ${msg}\n(see vmc --help)\n`);
      process.exit(2);
    });
  try {
    await cli.parseAsync();
  } catch (e) {
    exitSoon(reportError(e));
  }
}

await main();
