/**
 * Property-based fuzzing of the two loaders users feed files to: model files (loadModel, then
 * compileHamiltonian on small lattices) and experiment files (readExperimentFile, resolveExperiment,
 * then buildModel on the file's lattice shrunk to a few sites). Each case is a shipped file with up
 * to three mutations (tests/fuzz/mutate.ts: wrong types, missing and extra fields, huge numbers,
 * 1e999 = Infinity, NaN, deep nesting, long strings, unicode, damaged text). The contract
 * (tests/fuzz/property.ts): a valid model — a finite Hermitian operator whose connections() agree
 * with its dense matrix — or an InputError with a one-line message naming the file and field;
 * never another exception, never a hang: every case runs in a worker thread that is terminated
 * if it has not answered within CASE_TIMEOUT_MS.
 *
 * Below the properties: one regression test per defect the fuzzer found, on the minimal input.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadModel, parseModel } from '../../src/hamiltonian/definition.js';
import { buildModel, sitePath } from '../../src/run/build.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment } from '../../src/run/experiment.js';
import { mutation, mutatedText, textDamage } from './mutate.js';
import { expectInputError } from '../input-error.js';
import { loaderProblem } from './property.js';
import { FuzzClient } from './worker-client.js';

/** A case that has not answered by then is a hang (a case takes milliseconds; the first loads mathjs). */
const CASE_TIMEOUT_MS = 10_000;
const RUNS = 200;
const SEED = 20261201;

function shipped(dir: string): { name: string; json: any }[] {
  return readdirSync(dir)
    // sweep files (experiments/sweep-*.json) are not experiment files: tests/sweep/spec.test.ts checks their reader
    .filter((f) => f.endsWith('.json') && !f.startsWith('sweep-'))
    .sort()
    .map((f) => ({ name: f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

const client = new FuzzClient();
before(async () => {
  // warm-up (starts the worker, loads mathjs), so that the timeout measures the case alone
  await client.run({ kind: 'model', name: 'warm-up.json', text: readFileSync('hamiltonians/tfim.json', 'utf8') }, 60_000);
});
after(() => client.close());

for (const [kind, dir] of [['model', 'hamiltonians'], ['experiment', 'experiments']] as const) {
  test(`fuzz: mutated ${dir}/*.json give a valid model or an InputError naming file and field, within ${CASE_TIMEOUT_MS / 1000} s`, async () => {
    const originals = shipped(dir);
    let valid = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...originals),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        textDamage,
        async (original, mutations, damage) => {
          const job = { kind, name: `fuzz-${original.name}`, text: mutatedText(original.json, mutations, damage) };
          const outcome = await client.run(job, CASE_TIMEOUT_MS);
          if (outcome.status === 'ok') valid++;
          else rejected++;
          const problem = loaderProblem(job, outcome);
          if (problem) throw new Error(`${problem}\n--- input ---\n${job.text.slice(0, 2000)}`);
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    // the mutations must exercise both outcomes, else the property says little
    assert.ok(valid >= 10 && rejected >= 100, `valid ${valid}, rejected ${rejected}`);
  });
}

// --- regression tests: the defects the fuzzer found, on minimal inputs --------------------------

const dir = mkdtempSync(join(tmpdir(), 'vmc-fuzz-regress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const quickstart = (): Record<string, unknown> => JSON.parse(readFileSync('experiments/quickstart.json', 'utf8'));

test('regression: an experiment value nested 20 000 deep is an InputError (was RangeError from JSON.stringify)', () => {
  const path = writeFile('deep.json', `{"n": ${'['.repeat(20000)}${']'.repeat(20000)}}`);
  expectInputError(() => readExperimentFile(path), path, /invalid JSON at line 1, column \d+: nesting too deep/);
  const shallow = writeFile('shallow.json', `{"n": ${'['.repeat(150)}${']'.repeat(150)}}`);
  expectInputError(() => readExperimentFile(shallow), `${shallow}: n`, /expected an integer, got \[\[\[/);
});

test('regression: a 100 000-character key or value gives a short message (was the whole string, 100 kB)', () => {
  const key = 'k'.repeat(100_000);
  const exp = writeFile('long-key.json', JSON.stringify({ ...quickstart(), [key]: 1 }));
  expectInputError(() => readExperimentFile(exp), exp, /unknown setting "kkkk.*…" \(100000 characters\)/);
  const val = writeFile('long-value.json', JSON.stringify({ ...quickstart(), seed: 'x'.repeat(100_000) }));
  expectInputError(() => readExperimentFile(val), `${val}: seed`, /expected an integer, got "xxx.*…" \(100000 characters\)/);
  const order = writeFile('long-order.json', JSON.stringify({ ...quickstart(), n: 4, order: 'x'.repeat(100_000) }));
  const cfg = resolveExperiment(readExperimentFile(order), {}, order);
  expectInputError(() => sitePath(cfg, buildModel(cfg).lattice), 'order', /permutation of the 4 sites .*, got "xxx.*…" \(100000 characters\)/);
  const model = JSON.parse(readFileSync('hamiltonians/tfim.json', 'utf8'));
  model.terms[0][key] = 1;
  expectInputError(() => parseModel(JSON.stringify(model), 'm.json'), 'm.json: terms[0]', /unknown field "kkk.*…" \(100000 characters\)/);
  const param = JSON.parse(readFileSync('hamiltonians/tfim.json', 'utf8'));
  param.parameters[key] = 1;
  expectInputError(() => parseModel(JSON.stringify(param), 'p.json'), `p.json: parameters."${'k'.repeat(60)}…" (100000 characters)`, /too long \(at most 64 characters\)/);
});

test('regression: malformed experiment JSON gives line and column on one line (was Node\'s multi-line excerpt)', () => {
  const text = JSON.stringify(quickstart(), null, 2);
  const path = writeFile('truncated.json', text.slice(0, text.indexOf('"n"') + 5));
  expectInputError(() => readExperimentFile(path), path, /^.*: invalid JSON at line 9, column 8: expected a value, found end of input$/);
  const dup = writeFile('dup.json', '{"n": 4, "n": 6}');
  expectInputError(() => readExperimentFile(dup), dup, /duplicate key "n"/);
});

test('regression: couplings that overflow float64 in a matrix element are refused (was Infinity in H)', () => {
  // Heisenberg bond: XX and YY add to 2J on the flip element, so J = 1e308 gave Infinity
  const m = JSON.parse(readFileSync('hamiltonians/heisenberg.json', 'utf8'));
  m.parameters.J.default = 1.9974368165136842e307; // the fuzzer's shrunk case
  expectInputError(() => parseModel(JSON.stringify(m), 'big.json'), 'big.json: terms[0].coupling', /evaluates to 1\.997\d*e\+307; couplings are limited to \|c\| ≤ 1e\+100/);
  m.parameters.J.default = 1e100;
  assert.equal(parseModel(JSON.stringify(m), 'ok.json').terms[0].value, 1e100);
  expectInputError(() => loadModel('heisenberg', { J: 2e100 }), 'hamiltonians/heisenberg.json: terms[0].coupling', /evaluates to 2e\+100/);
});

test('regression: inherited names are not settings ("toString", "__proto__" were accepted or set the prototype)', () => {
  for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    const path = writeFile(`proto-${key}.json`, `{"n": 4, ${JSON.stringify(key)}: {"polluted": 1}}`);
    expectInputError(() => readExperimentFile(path), path, new RegExp(`unknown setting "${key}"`));
  }
  // and parameter names are checked where the file gives them
  const param = writeFile('proto-param.json', '{"n": 4, "param": {"__proto__": 1}}');
  expectInputError(() => readExperimentFile(param), `${param}: param.__proto__`, /must start with a letter/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('regression: an unknown model name in an experiment names the file and "model" (was "--model")', () => {
  const path = writeFile('model.json', JSON.stringify({ ...quickstart(), model: 'sr' }));
  expectInputError(() => readExperimentFile(path), `${path}: model`, /a shipped model \(heisenberg, j1j2, tfim, xxz\) or a path/);
  const byPath = writeFile('model-path.json', JSON.stringify({ ...quickstart(), model: 'hamiltonians/tfim.json' }));
  assert.equal(readExperimentFile(byPath).model, 'hamiltonians/tfim.json');
});

test('regression: a reference with an unknown field is refused (was silently dropped)', () => {
  const path = writeFile('ref.json', JSON.stringify({ n: 4, reference: { energy: -1, source: 'x', units: 'S.S' } }));
  expectInputError(() => readExperimentFile(path), `${path}: reference`, /unknown field "units"/);
  const arr = writeFile('ref-array.json', JSON.stringify({ n: 4, reference: [-1, 'x'] }));
  expectInputError(() => readExperimentFile(arr), `${arr}: reference`, /expected \{ "energy": number, "source": string \}/);
});
