/**
 * `vmc compare` on a tiny budget: every ansatz trains in its own run directory with the same
 * seed and steps; the table, compare.json, compare.md and compare.svg come out; the "ansatze"
 * experiment key is validated like the other keys; --budget-seconds ends training by wall clock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import {
  checkAnsatzEntries,
  compareMarkdown,
  compareText,
  entriesFromList,
  entryLabels,
  runComparison,
  TABLE_HEADER,
  vScore,
} from '../../src/compare/compare.js';
import { InputError } from '../../src/errors.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmc-compare-'));

before(async () => {
  await initBackend(testBackend());
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = { model: 'tfim', n: 6, param: { h: 1 }, steps: 4, samples: 64, 'eval-samples': 200, seed: 7, backend: 'wasm' as const, chains: 8, 'burn-in': 10 };

test('three ansätze on a tiny budget: run directories, table, compare.json/md/svg', async () => {
  const out = join(tmp, 'cmp');
  const messages: string[] = [];
  const r = await runComparison({
    base: tiny,
    flags: {},
    entries: entriesFromList('rnn,rbm,flow'),
    out,
    quiet: true,
    onMessage: (m) => messages.push(m),
  });
  assert.equal(r.status, 'completed');
  assert.deepEqual(r.rows.map((row) => row.label), ['rnn', 'rbm', 'flow']);
  assert.equal(messages.length, 3);
  for (const row of r.rows) {
    assert.equal(row.steps, 4);
    assert.equal(row.status, 'completed');
    assert.ok(existsSync(join(out, row.label, 'summary.json')), row.label);
    assert.ok(row.n_parameters > 0 && row.samples_per_second > 0 && row.train_seconds > 0);
    // the row's V-score is that of the run's own summary.json (the formula: the worked example below)
    const summary = JSON.parse(readFileSync(join(out, row.label, 'summary.json'), 'utf8'));
    assert.equal(summary.n_sites, 6);
    assert.equal(row.variance, summary.variance);
    assert.equal(row.v_score, vScore(6, summary.variance, summary.energy));
    assert.ok(row.relative_error !== null && row.relative_error >= 0);
    assert.equal(r.configs[row.label]!.seed, 7);
  }
  assert.equal(r.rows[1]!.sampler, 'metropolis');
  assert.equal(r.rows[1]!.samples_per_step, 64);
  assert.ok(r.exact_energy !== null && r.exact_method === 'free-fermion');
  for (const f of ['compare.json', 'compare.md', 'compare.svg']) assert.ok(existsSync(join(out, f)), f);
  const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
  assert.equal(json.rows.length, 3);
  const md = readFileSync(join(out, 'compare.md'), 'utf8');
  assert.ok(md.includes(`| ${TABLE_HEADER.join(' | ')} |`));
  assert.ok(md.includes('![relative error vs step](compare.svg)'));
  assert.equal(md, compareMarkdown(r));
  const svg = readFileSync(join(out, 'compare.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg') && svg.includes('relative error') && svg.includes('flow') && svg.includes('exact'));
  const text = compareText(r).split('\n');
  assert.ok(text[1]!.startsWith('ansatz') && text[2]!.startsWith('rnn') && text[4]!.startsWith('flow'));
  // each column lines up: rows have the header's width
  assert.equal(new Set(text.slice(1, 5).map((l) => l.length)).size, 1);
});

test('V-score, worked by hand: N = 16, Var(E_loc) = 0.32, E = −20 gives 16·0.32/400 = 0.0128; invariant under H → 2H', () => {
  assert.ok(Math.abs(vScore(16, 0.32, -20) - 0.0128) < 1e-15);
  // H → 2H: E → −40, Var → 1.28 (variance scales with the square)
  assert.ok(Math.abs(vScore(16, 1.28, -40) - 0.0128) < 1e-15);
  // an eigenstate has zero variance, hence zero V-score; the sign of E does not matter
  assert.equal(vScore(16, 0, -20), 0);
  assert.ok(Math.abs(vScore(8, 0.5, 4) - 0.25) < 1e-15);
});

test('the "ansatze" key: entries with their own settings, labels, and errors naming the field', () => {
  const file = join(tmp, 'cmp.json');
  writeFileSync(file, JSON.stringify({ ...tiny, ansatze: [{ ansatz: 'rnn', hidden: 8 }, { ansatz: 'rnn', hidden: 16, label: 'rnn-wide' }, { ansatz: 'rbm', alpha: 1 }] }));
  const read = readExperimentFile(file, { ansatze: checkAnsatzEntries });
  const entries = read.ansatze as ReturnType<typeof checkAnsatzEntries>;
  assert.deepEqual(entryLabels(entries), ['rnn', 'rnn-wide', 'rbm']);
  assert.equal(entries[0]!.settings.hidden, 8);
  // --ansatz picks entries (and their settings) from the file by label or ansatz
  assert.deepEqual(entriesFromList('rnn-wide,flow', entries).map((e) => [e.ansatz, e.settings.hidden]), [['rnn', 16], ['flow', undefined]]);
  assert.deepEqual(entryLabels([{ ansatz: 'rnn', settings: {} }, { ansatz: 'rnn', settings: {} }]), ['rnn', 'rnn-2']);
  const bad = (ansatze: unknown, pattern: RegExp) =>
    assert.throws(() => checkAnsatzEntries(ansatze, 'f.json: ansatze'), (e: Error) => e instanceof InputError && pattern.test(e.message));
  bad([], /non-empty list/);
  bad([{ hidden: 3 }], /ansatze\[0\]: missing "ansatz"/);
  bad([{ ansatz: 'mps' }], /ansatze\[0\]\.ansatz: expected one of/);
  bad([{ ansatz: 'rnn', hidden: -1 }], /ansatze\[0\]\.hidden: expected a value ≥ 1/);
  bad([{ ansatz: 'rnn', n: 8 }], /"n" cannot differ between ansätze/);
  bad([{ ansatz: 'rnn', label: 'a b' }], /label/);
  assert.throws(() => entriesFromList('rnn,mps'), /--ansatz: expected one of/);
  // without the extra key the file is refused by plain experiment reading
  assert.throws(() => readExperimentFile(file), /unknown setting "ansatze"/);
});

test('the shipped comparison experiments are valid', () => {
  for (const f of ['experiments/compare-tfim-chain.json', 'experiments/compare-heisenberg-chain.json']) {
    const read = readExperimentFile(f, { ansatze: checkAnsatzEntries });
    const entries = read.ansatze as ReturnType<typeof checkAnsatzEntries>;
    assert.deepEqual(entries.map((e) => e.ansatz), ['rnn', 'rbm', 'flow']);
    const { ansatze, ...base } = read;
    void ansatze;
    for (const e of entries) resolveExperiment({ ...base, ...e.settings, ansatz: e.ansatz }, {}, f);
  }
});

test('--budget-seconds ends training by wall clock with status completed', async () => {
  const config = resolveExperiment({}, { ...tiny, steps: 100000, 'budget-seconds': 1.5, out: join(tmp, 'budget') });
  const { summary } = await runExperiment({ config, quiet: true });
  assert.equal(summary.status, 'completed');
  assert.ok(summary.steps > 0 && summary.steps < 100000, `${summary.steps} steps`);
  assert.match(summary.message ?? '', /time budget of 1.5 s reached/);
  assert.equal(summary.energy_estimate, 'eval-samples');
});
