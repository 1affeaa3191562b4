/**
 * Faults a run must survive:
 * - SIGKILL at random (seeded) moments while checkpoints are being written, many times: what is
 *   left is always a complete, valid checkpoint, never an older one than already seen;
 * - SIGKILL at random moments during a real training run, then resume, several times: the run
 *   always resumes from a valid checkpoint, loses at most the steps since it, and ends with
 *   exactly one metrics row per step;
 * - the run directory filled up (a 1 MiB tmpfs) or made read-only mid-run: a one-line error naming
 *   the file, a non-zero exit, and the files already there stay valid (the run resumes from them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { loadCheckpoint, loadLatestCheckpoint } from '../../src/run/checkpoint.js';
import { readMetrics } from '../../src/run/metrics.js';
import { cliArgs } from '../cli-command.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

interface Proc {
  kill: () => void;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** Spawns node with `args`. `onOut` sees stdout as it comes. */
function start(args: string[], onOut?: (text: string, kill: () => void) => void): Proc {
  const child = spawn(process.execPath, args);
  let out = '';
  let err = '';
  const kill = () => child.kill('SIGKILL');
  child.stdout.on('data', (d) => {
    out += String(d);
    onOut?.(out, kill);
  });
  child.stderr.on('data', (d) => (err += String(d)));
  const guard = setTimeout(kill, 180_000);
  return { kill, done: new Promise((resolve) => child.on('exit', (code, signal) => (clearTimeout(guard), resolve({ code, signal, out, err })))) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL during checkpoint writes, 20 times: checkpoint.json is always complete and never goes back', async (t) => {
  const dir = tmp('vmc-kill-ckpt-');
  const rng = seedrandom('kill-checkpoint');
  let seen = 0;
  let torn = 0;
  let between = 0;
  for (let k = 0; k < 20; k++) {
    // ms after the writer's first save of this round: spread over several saves, so that kills
    // land in every phase (building the text, writing the copy aside, writing, fsync, rename)
    const delay = 20 + rng() * 800; // a save of 20 000 parameters takes ~0.1 s, most of it fsync
    let armed = false;
    const r = await start(['--import', 'tsx', 'tests/run/fixtures/checkpoint-writer.ts', dir, '20000'], (out, kill) => {
      if (!armed && out.includes('step')) {
        armed = true;
        setTimeout(kill, delay);
      }
    }).done;
    assert.equal(r.signal, 'SIGKILL', r.err);
    // a temporary file left behind: the kill landed inside a write
    const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    if (temps.length) torn++;
    for (const f of temps) rmSync(join(dir, f));
    const ck = loadCheckpoint(dir); // throws on a torn or damaged file
    assert.equal(ck.variables[0]!.values.length, 20000);
    assert.equal(ck.variables[0]!.values[7], Math.fround(Math.sin(ck.step * 1e-3 + 7)), 'values belong to the step');
    assert.ok(ck.step > seen, `step ${ck.step} after ${seen}`);
    // the one it replaced is kept (none before the first; the same step if the kill came
    // between copying it aside and renaming the new one into place)
    const prevStep = ck.step > 1 ? loadCheckpoint(dir, { previous: true }).step : ck.step - 1;
    assert.ok([ck.step - 1, ck.step].includes(prevStep));
    if (prevStep === ck.step) between++;
    seen = ck.step;
  }
  t.diagnostic(`20 kills: ${torn} inside a write (temporary file left), ${between} between the copy aside and the rename; last step ${seen}`);
});

const tiny = ['--model', 'tfim', '--n', '4', '--hidden', '4', '--samples', '16', '--eval-samples', '32', '--checkpoint-every', '1', '--quiet'];

test('SIGKILL at random moments of training, then resume, 5 times: always from a valid checkpoint, no step lost or doubled', async (t) => {
  const dir = join(tmp('vmc-kill-run-'), 'run');
  const metrics = join(dir, 'metrics.csv');
  const rng = seedrandom('kill-training');
  const target = 40;
  let last = 0;
  const outcomes: string[] = [];
  for (let k = 0; k < 6; k++) {
    const args = k === 0 ? [...cliArgs(), 'run', ...tiny, '--steps', String(target), '--out', dir] : [...cliArgs(), 'run', '--resume', dir, '--quiet'];
    const p = start(args);
    if (k < 5) {
      // --quiet prints nothing while training: wait until metrics.csv has a new row, then a random delay
      // (metrics.csv is empty until its header comes with the first row)
      const rows = () => (existsSync(metrics) && readFileSync(metrics, 'utf8') !== '' ? readMetrics(metrics).rows.length : 0);
      const before = rows();
      let finished = false;
      void p.done.then(() => (finished = true));
      const ready = () => rows() > before && existsSync(join(dir, 'checkpoint.json'));
      while (!finished && !ready()) await sleep(20);
      await sleep(rng() * 1500);
      p.kill();
    }
    const r = await p.done;
    if (r.signal !== 'SIGKILL') assert.equal(r.code, 0, r.err);
    const { checkpoint, problem } = loadLatestCheckpoint(dir);
    assert.equal(problem, null, 'checkpoint.json itself is valid');
    assert.ok(checkpoint.step >= last, `checkpoint step ${checkpoint.step} went back from ${last}`);
    // --checkpoint-every 1: at most the step in progress is lost
    const done = readMetrics(metrics).rows.length;
    assert.ok(done - checkpoint.step <= 1, `${done} rows, checkpoint at ${checkpoint.step}`);
    outcomes.push(`${r.signal ?? `exit ${r.code}`} at step ${checkpoint.step}`);
    last = checkpoint.step;
  }
  t.diagnostic(outcomes.join('; '));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'completed');
  assert.equal(summary.steps, target);
  assert.deepEqual(readMetrics(metrics).rows.map((r) => r.step), Array.from({ length: target }, (_, i) => i + 1));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'temporary files of killed writes are removed on resume');
});

/** A tmpfs of `size` mounted at a fresh directory (root only), or null where mounting is not allowed. */
function tmpfs(size: string): { path: string; remount: (opts: string) => void; unmount: () => void } | null {
  const path = tmp('vmc-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  if (r.status !== 0) return null;
  return {
    path,
    remount: (opts) => assert.equal(spawnSync('mount', ['-o', `remount,${opts}`, path]).status, 0),
    unmount: () => void spawnSync('umount', [path]),
  };
}

/**
 * Starts a run in `dir`, applies `fault` once its first checkpoint exists, and returns how the
 * run ended; then `repair`s the fault and checks that the files left are valid and that the run
 * resumes from them to the end.
 */
async function faultMidRun(dir: string, fault: () => void, repair: () => void) {
  const p = start([...cliArgs(), 'run', ...tiny, '--steps', '100000', '--out', dir]);
  let finished = false;
  void p.done.then(() => (finished = true));
  while (!finished && !existsSync(join(dir, 'checkpoint.json'))) await sleep(20);
  fault();
  const r = await p.done;
  repair();
  const ck = loadCheckpoint(dir); // valid, with its checksum
  assert.ok(ck.step >= 1);
  JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.ok(readMetrics(join(dir, 'metrics.csv')).rows.length >= ck.step);
  const resumed = await start([...cliArgs(), 'run', '--resume', dir, '--steps', String(ck.step + 2), '--quiet']).done;
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).steps, ck.step + 2);
  return r;
}

function assertOneLineFailure(r: { code: number | null; err: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.err);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0]!, pattern);
}

test('the run directory fills up mid-run: one-line error naming the file, exit 1, the files already there stay valid', async (t) => {
  const fs = tmpfs('1m');
  if (!fs) return t.skip('mounting a tmpfs needs root');
  try {
    const dir = join(fs.path, 'run');
    const filler = join(fs.path, 'filler');
    const r = await faultMidRun(
      dir,
      () => {
        // fill every free byte
        try {
          for (let i = 0; ; i++) writeFileSync(`${filler}-${i}`, Buffer.alloc(16384, 1));
        } catch {
          // ENOSPC: full
        }
      },
      () => {
        for (const f of readdirSync(fs.path).filter((f) => f.startsWith('filler'))) rmSync(join(fs.path, f));
      },
    );
    assertOneLineFailure(r, /^vmc: failed: cannot write .*\/run\/(checkpoint\.json|metrics\.csv|log\.jsonl|summary\.json): ENOSPC/);
    t.diagnostic(r.err.trim());
  } finally {
    fs.unmount();
  }
});

test('the run directory becomes read-only mid-run: one-line error naming the file, exit 1, the files already there stay valid', async () => {
  const dir = join(tmp('vmc-ro-'), 'run');
  // root ignores permission bits; the immutable attribute (ext4) stops root from creating files too
  const root = process.getuid?.() === 0;
  const { fault, repair, code }: { fault: () => void; repair: () => void; code: string } = root
    ? { fault: () => assert.equal(spawnSync('chattr', ['+i', dir]).status, 0), repair: () => void spawnSync('chattr', ['-i', dir]), code: 'EPERM' }
    : { fault: () => chmodSync(dir, 0o555), repair: () => chmodSync(dir, 0o755), code: 'EACCES' };
  const r = await faultMidRun(dir, fault, repair);
  assertOneLineFailure(r, new RegExp(`^vmc: failed: cannot write .*/run/checkpoint\\.json: ${code}`));
});
