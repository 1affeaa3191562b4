/**
 * SIGTERM behaves like Ctrl-C: the run finishes its step, writes a checkpoint and the summary
 * and exits 143 (SIGINT: 130, tests/cli/cli.test.ts); a second signal aborts at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../cli-command.js';

/** Starts a long tiny run and sends `signals` (one after another) once its first step is reported. */
function signalledRun(dir: string, signals: NodeJS.Signals[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  const child = spawn(process.execPath, [
    ...cliArgs(), 'run', '--model', 'tfim', '--n', '6', '--hidden', '8', '--samples', '50',
    '--steps', '100000', '--eval-samples', '200', '--checkpoint-every', '1000', '--out', dir,
  ]);
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => {
    let sent = false;
    child.stdout.on('data', (d) => {
      if (!sent && String(d).includes('"type":"step"')) {
        sent = true;
        for (const s of signals) child.kill(s);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, err });
    });
  });
}

test('SIGTERM: finish the step, checkpoint, summary, exit 143', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'vmc-sigterm-')), 'run');
  const r = await signalledRun(dir, ['SIGTERM']);
  assert.equal(r.code, 143, r.err);
  assert.match(r.err, /SIGTERM: stopping after this step/);
  assert.match(r.err, /resume with: vmc run --resume/);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'interrupted');
  const ck = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  assert.equal(ck.step, summary.steps);
  assert.ok(ck.step >= 1);
});

test('a second signal aborts at once, without a summary', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'vmc-sigterm2-')), 'run');
  // two different signals (two of the same kind sent at once may merge into one delivery)
  const r = await signalledRun(dir, ['SIGTERM', 'SIGINT']);
  assert.ok(r.code === 130 || r.code === 143, `exit code ${r.code}\n${r.err}`);
  assert.match(r.err, /SIG(TERM|INT) again, exiting without saving/);
  assert.ok(!existsSync(join(dir, 'summary.json')));
});
