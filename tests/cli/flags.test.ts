/**
 * The same flags mean the same thing everywhere: --quiet, --json, --backend, --seed and --out
 * are accepted by each command where they apply, with one definition; and the README says one
 * thing about resuming and --workers wherever it mentions them.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESUME_CHANGEABLE } from '../../src/cli/run.js';
import { cliArgs } from '../cli-command.js';

function vmc(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let runDir = '';

before(() => {
  runDir = join(mkdtempSync(join(tmpdir(), 'vmc-flags-')), 'run');
  const r = vmc('run', '--model', 'tfim', '--n', '4', '--hidden', '4', '--samples', '16', '--steps', '2', '--eval-samples', '32', '--out', runDir, '--json', '--backend', 'wasm');
  assert.equal(r.code, 0, r.err);
  // --json: the summary as JSON and nothing else on stdout
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1, r.out);
  assert.equal(JSON.parse(lines[0]!).status, 'completed');
});

test('every command lists the shared flags that apply to it in its --help', () => {
  const expected: Record<string, string[]> = {
    run: ['quiet', 'json', 'backend', 'seed', 'out'],
    compare: ['quiet', 'json', 'backend', 'seed', 'out'],
    measure: ['quiet', 'json', 'backend', 'seed', 'out'],
    sample: ['quiet', 'json', 'backend', 'seed', 'out'],
    exact: ['quiet', 'json', 'seed', 'out'],
    fit: ['quiet', 'json', 'backend', 'seed', 'out'],
  };
  const quietText = 'print only the final result';
  for (const [command, flags] of Object.entries(expected)) {
    const help = vmc(command, '--help').out;
    for (const f of flags) assert.match(help, new RegExp(`--${f}\\b`), `${command} --help lists --${f}`);
    assert.ok(help.replace(/\s+/g, ' ').includes(quietText), `${command}: --quiet has the shared meaning`);
  }
});

test('measure --quiet and sample --quiet/--json are accepted and mean what they mean for run', () => {
  const measured = vmc('measure', runDir, '--samples', '200', '--only', 'energy', '--quiet', '--seed', '3', '--backend', 'wasm');
  assert.equal(measured.code, 0, measured.err);
  assert.match(measured.out, /^.*checkpoint step 2/);
  assert.doesNotMatch(measured.out, /wrote /, '--quiet drops the informational line');
  const noisy = vmc('measure', runDir, '--samples', '200', '--only', 'energy', '--seed', '3');
  assert.match(noisy.out, /wrote measure\.json/);
  const json = vmc('measure', runDir, '--samples', '200', '--only', 'energy', '--json', '--out', join(runDir, 'm'));
  assert.equal(json.code, 0, json.err);
  assert.ok(JSON.parse(json.out).energy);
  assert.ok(readdirSync(join(runDir, 'm')).includes('measure.json'));

  const samples = vmc('sample', runDir, '--count', '5', '--json', '--seed', '2');
  assert.equal(samples.code, 0, samples.err);
  const rows = samples.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 5);
  assert.equal(rows[0].config.length, 4);
  const quiet = vmc('sample', runDir, '--count', '5', '--quiet', '--out', join(runDir, 's.csv'));
  assert.equal(quiet.code, 0, quiet.err);
  assert.equal(quiet.err, '', '--quiet: no line naming the file');
  assert.equal(readFileSync(join(runDir, 's.csv'), 'utf8').trim().split('\n').length, 6);

  // one validation of --seed for every command
  for (const args of [['measure', runDir], ['sample', runDir, '--count', '2'], ['run', '--n', '4']]) {
    const r = vmc(...args, '--seed', '-1');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--seed: expected a value ≥ 0, got -1/);
  }
  // --xx-pairs: a positive integer or "all"; a subset is said in the table
  const badPairs = vmc('measure', runDir, '--xx-pairs', '0');
  assert.equal(badPairs.code, 2, badPairs.err);
  assert.match(badPairs.err, /--xx-pairs: expected a positive integer or "all", got 0/);
  const subset = vmc('measure', runDir, '--samples', '200', '--only', 'correlations', '--xx-pairs', '2', '--out', join(runDir, 'xx'));
  assert.equal(subset.code, 0, subset.err);
  assert.match(subset.out, /⟨σˣσˣ⟩ from at most 2 random pairs per distance per sample/);
  assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'xx', 'measure.json'), 'utf8')).correlations.xx_pairs_per_sample, [2, 2, 1]);
  // compare --json: compare.json and nothing else on stdout (not the runs' summary lines)
  const cmp = vmc('compare', '--model', 'tfim', '--n', '4', '--ansatz', 'rnn', '--hidden', '4', '--samples', '16', '--steps', '2', '--eval-samples', '32', '--json', '--out', join(runDir, 'cmp'));
  assert.equal(cmp.code, 0, cmp.err);
  assert.equal(cmp.out.trim().split('\n').length, 1, cmp.out);
  assert.equal(JSON.parse(cmp.out).rows.length, 1);
  const exact = vmc('exact', '--model', 'tfim', '--n', '6', '--quiet');
  assert.equal(exact.code, 0, exact.err);
  assert.equal(exact.out.trim().split('\n').length, 1);
});

test('the README says the same about resuming and --workers everywhere', () => {
  const readme = readFileSync('README.md', 'utf8');
  const flat = readme.replace(/\s+/g, ' ');
  // the --resume row and the stopping/resuming section list exactly the settings the CLI lets change
  const list = RESUME_CHANGEABLE.map((k) => `\`--${k}\``);
  const listed = `only ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]} may change`;
  const listedRow = `only ${list.join(', ')} may change`;
  assert.ok(flat.toLowerCase().includes(listed.toLowerCase()), `README: "${listed}"`);
  assert.ok(flat.includes(listedRow), `README: "${listedRow}"`);
  // --workers: K may change on resume and does not change the numbers — nowhere "kept"
  assert.doesNotMatch(flat, /kept when resuming/);
  const sentences = flat.split(/(?<=\.) /);
  const workers = sentences.filter((t) => /--workers/.test(t) && /numbers/.test(t));
  assert.ok(workers.length >= 3, `${workers.length} sentences on --workers and the numbers`);
  for (const t of workers) assert.match(t, /numbers do not depend on K|does not change the numbers/, t);
  // bit-identity is promised only on the same backend
  for (const m of flat.matchAll(/[^.]*(bit-identical|bit for bit|reproduces the uninterrupted run)[^.]*\./g)) {
    assert.match(m[0], /same backend|not bit-identically|not be bit-identical/, m[0]);
  }
});
