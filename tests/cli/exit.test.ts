/**
 * Every error ends the process: the real CLI is spawned with settings that used to hang (an
 * output directory under /proc made Node's recursive mkdir spin for ever, deaf to SIGTERM;
 * --hidden 1e9 filled an 8 GB array for minutes before failing; --n 1e9 built a billion bonds first) and with a worker thread killed
 * mid-run; each must exit non-zero with one line on stderr. The time bound is a hang guard, not a
 * timing test: generous, because start-up (tsx + tfjs) takes seconds on a shared machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../cli-command.js';

const HANG_GUARD_MS = 60_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

/** Spawns `vmc ARGS`; kills it with SIGKILL (and reports the hang) after HANG_GUARD_MS. */
export function vmcExit(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<Exit> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...cliArgs(nodeArgs), ...args], { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, out, err, ms: performance.now() - t0 });
    });
  });
}

function assertCleanFailure(r: Exit, code: number, message: RegExp): void {
  assert.notEqual(r.signal, 'SIGKILL', `hung: killed after ${HANG_GUARD_MS} ms\n${r.err}`);
  assert.equal(r.code, code, r.err);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.err}`);
  assert.match(lines[0]!, message);
}

const tiny = ['--model', 'tfim', '--n', '6', '--hidden', '8', '--samples', '40', '--eval-samples', '100'];

test('an output directory that cannot be made (/proc/…) is refused, not spun on', async () => {
  const r = await vmcExit(['run', ...tiny, '--steps', '1', '--out', '/proc/forbidden']);
  assertCleanFailure(r, 2, /^vmc: error: \/proc\/forbidden: cannot create directory \(ENOENT/);
});

test('a network that cannot fit (--hidden 1e9) is refused before it is allocated, naming the flag', async () => {
  const r = await vmcExit(['run', '--model', 'tfim', '--n', '10', '--hidden', '1e9', '--steps', '1', '--out', join(mkdtempSync(join(tmpdir(), 'vmc-exit-')), 'run')]);
  assertCleanFailure(r, 2, /^vmc: error: --hidden: the run needs at least .* GiB .*lower --hidden/);
});

test('a lattice that cannot fit (--n 1e9) is refused before its bonds and Hamiltonian are built', async () => {
  const r = await vmcExit(['run', '--model', 'tfim', '--n', '1e9', '--steps', '1', '--out', join(mkdtempSync(join(tmpdir(), 'vmc-exit-')), 'run')]);
  assertCleanFailure(r, 2, /^vmc: error: --samples: the run needs at least .* GiB .*lower .*or --n$/);
});

test('a worker thread killed mid-run is a clear error (exit 1), not a hang; the checkpoint written before stays valid', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'vmc-exit-')), 'run');
  const r = await vmcExit(
    ['run', ...tiny, '--steps', '50', '--workers', '2', '--checkpoint-every', '1', '--out', dir, '--quiet'],
    ['--import', './tests/cli/fixtures/kill-worker.mjs'],
    { VMC_KILL_WORKER_AT: '4' },
  );
  assertCleanFailure(r, 1, /^vmc: failed: .*step worker 0 (exited|was closed)/);
  const ck = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  assert.ok(ck.step >= 1 && ck.step < 50, `checkpoint at step ${ck.step}`);
});
