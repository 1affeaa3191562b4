/**
 * The command line: help, version, and one-line rejections of bad input with exit code 2
 * (no stack traces), run through the real entry point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../cli-command.js';

function vmc(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function rejects(args: string[], pattern: RegExp): void {
  const r = vmc(...args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.code}\n${r.err}`);
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

test('--help shows commands and examples; --version prints the version', () => {
  const help = vmc('--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /vmc run/);
  assert.match(help.out, /vmc exact/);
  const runHelp = vmc('run', '--help');
  assert.match(runHelp.out, /Examples:/);
  assert.match(runHelp.out, /--magnetization/);
  const v = vmc('--version');
  assert.equal(v.code, 0);
  assert.match(v.out.trim(), /^\d+\.\d+\.\d+$/);
});

test('vmc exact prints the free-fermion energy and JSON', () => {
  const r = vmc('exact', '--model', 'tfim', '--n', '20', '--param', 'h=1', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.ok(Math.abs(j.energy - -25.10779711162) < 1e-9);
  assert.equal(j.method, 'free-fermion');
  assert.equal(j.n_sites, 20);
  assert.ok(Math.abs(j.energy_per_site * 20 - j.energy) < 1e-9);
  assert.ok(j.gap > 0);
});

test('bad input is rejected with a one-line reason and exit code 2', () => {
  rejects(['exact', '--model', 'tfim', '--n', '8', '--bogus', '1'], /Unknown argument/i);
  rejects(['exact', '--model', 'tfim', '--n', '-4'], /--n.*≥ 2/);
  rejects(['exact', '--model', 'tfim', '--n', 'abc'], /--n/);
  rejects(['exact', '--model', 'tfim', '--lattice', 'square', '--lx', '4'], /--lx and --ly/);
  rejects(['exact', '--model', 'heisenberg', '--n', '7', '--magnetization', '0'], /impossible on 7 sites/);
  rejects(['exact', '--model', 'tfim', '--n', '8', '--magnetization', '0'], /does not conserve S\^z/);
  rejects(['exact', '--model', 'nosuchmodel', '--n', '8'], /nosuchmodel/);
  rejects(['exact', '--model', 'tfim', '--n', '8', '--param', 'q=1'], /q/);
  rejects(['run', '--model', 'heisenberg', '--n', '5', '--bc', 'periodic', '--sign', 'marshall'], /bipartite/);
  rejects(['run', '--ansatz', 'nope', '--n', '8'], /Invalid values|Choices/i);
  rejects(['run', '--ansatz', 'flow', '--n', '4', '--order', '0,1,1,2'], /permutation of the 4 sites/);
  rejects(['run', '--n', '4', '--init-from', '/nonexistent/run'], /\/nonexistent\/run: no such run directory \(--init-from\)/);
});

test('experiment files are validated with the file and field named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-cli-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{\n  "model": "tfim",\n  "n": 8,\n  "samples": "many"\n}\n');
  rejects(['run', bad], /bad\.json: samples: expected an integer/);
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, '{ "model": "tfim", "n": 8, "stpes": 10 }');
  rejects(['run', typo], /typo\.json.*unknown setting "stpes"/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{\n  "model": "tfim",\n  "n": 8,\n}\n');
  rejects(['run', broken], /broken\.json.*line 4/);
  rejects(['run', join(dir, 'missing.json')], /missing\.json.*cannot read/);
});

test('Ctrl-C (SIGINT) stops a run with a checkpoint and summary; --resume finishes it', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'vmc-sigint-')), 'run');
  const child = spawn(process.execPath, [...cliArgs(), 'run', '--model', 'tfim', '--n', '6', '--hidden', '8', '--samples', '50', '--steps', '100000', '--eval-samples', '200', '--checkpoint-every', '1000', '--out', dir]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const code = await new Promise<number | null>((resolve) => {
    let sent = false;
    child.stdout.on('data', (d) => {
      if (!sent && String(d).includes('"type":"step"')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /resume with: vmc run --resume/);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'interrupted');
  assert.ok(summary.steps >= 1 && summary.steps < 100000);
  const ck = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  assert.equal(ck.step, summary.steps);
  const resumed = vmc('run', '--resume', dir, '--steps', String(summary.steps + 2), '--quiet');
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /^completed:/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).steps, summary.steps + 2);
});
