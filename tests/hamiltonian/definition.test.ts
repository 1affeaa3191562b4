/**
 * Model files: loading, parameters, and validation. Every problem must be an InputError whose
 * message names the file and the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  listModels,
  loadModel,
  modelsDir,
  parseModel,
  parseParamFlags,
  MAX_MODEL_FILE_BYTES,
} from '../../src/hamiltonian/definition.js';
import { compileHamiltonian } from '../../src/hamiltonian/compile.js';
import { chain, square } from '../../src/lattice/lattice.js';
import { expectInputError } from '../input-error.js';

const F = 'bad.json';

/** A valid model object to break in one place. */
function base(): Record<string, any> {
  return {
    name: 'base',
    description: 'a valid model',
    parameters: { J: 1, h: { default: 0.5, description: 'field' } },
    terms: [
      { pauli: 'ZZ', on: 'nearest', coupling: '-J' },
      { pauli: 'X', on: 'sites', coupling: '-h' },
    ],
  };
}

function broken(edit: (m: Record<string, any>) => void): string {
  const m = base();
  edit(m);
  return JSON.stringify(m, null, 2);
}

test('shipped models load by name, their name matches the file, and load by path too', () => {
  const models = listModels();
  assert.ok(models.length >= 4);
  for (const name of models) {
    const def = loadModel(name);
    assert.equal(def.name, name);
    assert.equal(def.file, `hamiltonians/${name}.json`);
    assert.ok(def.description.length > 10);
    assert.ok(def.terms.length > 0);
    const byPath = loadModel(relative(process.cwd(), join(modelsDir(), `${name}.json`)));
    assert.deepEqual(byPath.terms.map((t) => t.value), def.terms.map((t) => t.value));
  }
  const tfim = loadModel('tfim', { h: 0.25 });
  assert.deepEqual(tfim.parameters, { J: 1, h: 0.25 });
  assert.deepEqual(tfim.terms.map((t) => [t.pauli, t.on, t.coupling, t.value]), [
    ['ZZ', 'nearest', '-J', -1],
    ['X', 'sites', '-h', -0.25],
  ]);
  assert.equal(tfim.parameterInfo.h.default, 1);
  // undefined overrides are absent options, not errors
  assert.deepEqual(loadModel('tfim', { h: undefined }).parameters, { J: 1, h: 1 });
});

test('a model file from a path: valid custom model, explicit sites and numeric couplings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-ham-'));
  try {
    const path = join(dir, 'mine.json');
    const m = base();
    m.terms.push({ pauli: 'XYZ', on: [[0, 1, 2]], coupling: 0.5, description: 'three-site' });
    m.terms.push({ pauli: 'Z', on: [3, 1], coupling: 'J/2' });
    m.notes = 'units: Pauli';
    writeFileSync(path, JSON.stringify(m));
    const def = loadModel(path, { J: 2 });
    assert.equal(def.file, path);
    assert.deepEqual(def.terms[2].on, [[0, 1, 2]]);
    assert.equal(def.terms[2].coupling, '0.5');
    assert.deepEqual(def.terms[3].on, [[3], [1]]);
    assert.equal(def.terms[3].value, 1);
    assert.deepEqual(def.notes, ['units: Pauli']);
    // a BOM is fine
    writeFileSync(path, '\uFEFF' + JSON.stringify(base()));
    assert.equal(loadModel(path).name, 'base');
    // missing file
    expectInputError(() => loadModel(join(dir, 'nope.json')), join(dir, 'nope.json'), /no such file \(shipped models are chosen by name: heisenberg/);
    // oversized file
    writeFileSync(path, ' '.repeat(MAX_MODEL_FILE_BYTES + 1));
    expectInputError(() => loadModel(path), path, /limited/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown model names list the shipped ones', () => {
  expectInputError(() => loadModel('tfmi'), '--model', /unknown model "tfmi"; shipped models: heisenberg, j1j2, tfim, xxz/);
});

test('malformed JSON is reported with line and column', () => {
  const cases: [string, RegExp][] = [
    ['{\n  "name": "x",\n  "description": "d",\n}', /line 4, column 1: trailing comma/],
    ['{\n  "name" "x"\n}', /line 2, column 10: expected ':'/],
    ['{\n  "name": "x"\n  "description": "d"\n}', /line 3, column 3: expected ',' or '}'/],
    ["{\n  'name': 'x'\n}", /line 2, column 3: expected a double-quoted property name/],
    ['{\n  "name": x\n}', /line 2, column 11: expected a value/],
    ['{\n  "terms": [1, 2,]\n}', /line 2, column 18: trailing comma before \]/],
    ['{\n  "name": "a",\n  "name": "b"\n}', /line 3, column 3: duplicate key "name"/],
    ['{\n  "name": "a', /line 2, column 11: unterminated string/],
    ['{ "a": 1 }\n}', /line 2, column 1: unexpected character "}" after the end/],
    ['', /line 1, column 1: expected a value, found end of input/],
    ['{ "a": 01 }', /line 1, column 8: invalid number/],
    ['{ "a": "x\ny" }', /line 1, column 10: control character/],
  ];
  for (const [text, pattern] of cases) {
    expectInputError(() => parseModel(text, F), F, pattern);
  }
});

test('missing fields and wrong types name the field', () => {
  for (const k of ['name', 'description', 'parameters', 'terms']) {
    expectInputError(() => parseModel(broken((m) => delete m[k]), F), `${F}: ${k}`, new RegExp(`missing field "${k}"`));
  }
  for (const k of ['pauli', 'on', 'coupling']) {
    expectInputError(() => parseModel(broken((m) => delete m.terms[1][k]), F), `${F}: terms[1].${k}`, new RegExp(`missing field "${k}"`));
  }
  expectInputError(() => parseModel('[1]', F), F, /must hold a JSON object, not an array/);
  expectInputError(() => parseModel(broken((m) => (m.name = 3)), F), `${F}: name`, /must be a string, not a number/);
  expectInputError(() => parseModel(broken((m) => (m.name = 'my model')), F), `${F}: name`, /not a valid model name/);
  expectInputError(() => parseModel(broken((m) => (m.description = null)), F), `${F}: description`, /must be a string, not null/);
  expectInputError(() => parseModel(broken((m) => (m.parameters = [1])), F), `${F}: parameters`, /must be an object/);
  expectInputError(() => parseModel(broken((m) => (m.parameters.J = '1')), F), `${F}: parameters.J`, /must be a number/);
  expectInputError(() => parseModel(broken((m) => (m.parameters.h = { description: 'x' })), F), `${F}: parameters.h.default`, /missing field "default"/);
  expectInputError(() => parseModel(broken((m) => (m.parameters.h.unit = 'T')), F), `${F}: parameters.h`, /unknown field "unit"/);
  expectInputError(() => parseModel(broken((m) => (m.terms = {})), F), `${F}: terms`, /must be an array/);
  expectInputError(() => parseModel(broken((m) => (m.terms = [])), F), `${F}: terms`, /at least one term/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0] = 'ZZ')), F), `${F}: terms[0]`, /must be an object/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].pauli = 2)), F), `${F}: terms[0].pauli`, /must be a string/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = true)), F), `${F}: terms[1].coupling`, /must be a number or an expression/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].on = 3)), F), `${F}: terms[1].on`, /must be "sites", a bond family/);
  expectInputError(() => parseModel(broken((m) => (m.notes = 3)), F), `${F}: notes`, /string or an array of strings/);
  expectInputError(() => parseModel(broken((m) => (m.term = [])), F), F, /unknown field "term" \(allowed: name, description, parameters, terms, notes\)/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].couplng = 1)), F), `${F}: terms[0]`, /unknown field "couplng"/);
});

test('parameter names are checked', () => {
  expectInputError(() => parseModel(broken((m) => (m.parameters.pi = 1)), F), `${F}: parameters.pi`, /reserved/);
  expectInputError(() => parseModel(broken((m) => (m.parameters.i = 1)), F), `${F}: parameters.i`, /reserved/);
  expectInputError(() => parseModel(broken((m) => (m.parameters.sqrt = 1)), F), `${F}: parameters.sqrt`, /reserved/);
  expectInputError(() => parseModel(broken((m) => (m.parameters['2J'] = 1)), F), `${F}: parameters.2J`, /must start with a letter/);
  expectInputError(() => parseModel(broken((m) => (m.parameters.constructor = 1)), F), `${F}: parameters.constructor`, /reserved/);
});

test('Pauli strings: unknown letters with their position, and length against the target', () => {
  expectInputError(() => parseModel(broken((m) => (m.terms[0].pauli = 'ZQ')), F), `${F}: terms[0].pauli`, /unknown Pauli letter "Q" at position 2 of "ZQ"/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].pauli = 'zz')), F), `${F}: terms[0].pauli`, /"z" at position 1.*upper case/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].pauli = '')), F), `${F}: terms[0].pauli`, /empty/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].pauli = 'XX')), F), `${F}: terms[1].pauli`, /"sites".*needs 1 letter; "XX" has 2/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].pauli = 'Z')), F), `${F}: terms[0].pauli`, /bond family \("nearest"\) needs a 2-letter Pauli string; "Z" has 1/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].pauli = 'ZZZ')), F), `${F}: terms[0].pauli`, /2-letter/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].on = [[0, 1, 2]])), F), `${F}: terms[0].on[0]`, /3 site\(s\) but the Pauli string "ZZ" has 2/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].on = [[0, 0]])), F), `${F}: terms[0].on[0]`, /appears twice/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].on = [[0, -1]])), F), `${F}: terms[0].on[0]`, /non-negative integers/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].on = [])), F), `${F}: terms[0].on`, /empty list/);
  expectInputError(() => parseModel(broken((m) => (m.terms[0].on = 'nearst')), F), `${F}: terms[0].on`, /unknown target "nearst".*nearest, next-nearest/);
});

test('couplings: unknown parameters, non-finite and complex (non-Hermitian) values', () => {
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = '-g')), F), `${F}: terms[1].coupling`, /unknown parameter "g"; the model's parameters are: J, h/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = 'h/0')), F), `${F}: terms[1].coupling`, /Infinity/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = 'sqrt(-h)')), F), `${F}: terms[1].coupling`, /complex.*non-Hermitian/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = 'h*i')), F), `${F}: terms[1].coupling`, /imaginary unit.*non-Hermitian/);
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = 'cos.constructor("return process")()')), F), `${F}: terms[1].coupling`, /./);
  // the value of an override can make an expression complex
  expectInputError(() => parseModel(broken((m) => (m.terms[1].coupling = 'sqrt(h)')), F, { h: -1 }), `${F}: terms[1].coupling`, /complex/);
});

test('--param overrides: unknown names are errors that name the model file and list known parameters', () => {
  const e = expectInputError(() => loadModel('tfim', { K: 1 }), '--param K', /unknown parameter "K" for model "tfim" \(hamiltonians\/tfim.json\); its parameters are: J, h/);
  assert.ok(e.message.includes('hamiltonians/tfim.json'));
  expectInputError(() => loadModel('tfim', { h: Number.NaN }), '--param h', /finite/);
});

test('parseParamFlags', () => {
  assert.deepEqual(parseParamFlags(['h=0.5', 'J=1']), { h: 0.5, J: 1 });
  assert.deepEqual(parseParamFlags([' Delta = -1e-3 ']), { Delta: -0.001 });
  assert.deepEqual(parseParamFlags(['J2=1/2']), { J2: 0.5 });
  assert.ok(Math.abs(parseParamFlags(['h=pi/4']).h - Math.PI / 4) < 1e-15);
  assert.deepEqual(parseParamFlags([]), {});
  expectInputError(() => parseParamFlags(['h']), '--param h', /expected NAME=VALUE/);
  expectInputError(() => parseParamFlags(['=1']), '--param =1', /missing parameter name/);
  expectInputError(() => parseParamFlags(['h=']), '--param h=', /missing value/);
  expectInputError(() => parseParamFlags(['h=abc']), '--param h=abc', /not a finite number or constant expression.*unknown parameter "abc"/);
  expectInputError(() => parseParamFlags(['h=1/0']), '--param h=1/0', /not a finite number/);
  expectInputError(() => parseParamFlags(['h=Infinity']), '--param h=Infinity', /./);
  expectInputError(() => parseParamFlags(['h=evaluate("1")']), '--param h=evaluate("1")', /not allowed/);
  expectInputError(() => parseParamFlags(['h=1', 'h=2']), '--param h=2', /more than once/);
  expectInputError(() => parseParamFlags(['2h=1']), '--param 2h=1', /must start with a letter/);
});

test('compile-time checks: bond families the lattice lacks, sites outside the lattice', () => {
  const def = parseModel(broken((m) => (m.terms[0].on = 'nearest-x')), F);
  expectInputError(
    () => compileHamiltonian(def, chain(4, 'open')),
    `${F}: terms[0].on`,
    /the chain N=4 open lattice has no bond family "nearest-x" \(it has: nearest, next-nearest\)/,
  );
  compileHamiltonian(def, square(2, 2, 'open')); // fine on a square lattice
  const diag = parseModel(broken((m) => (m.terms[0].on = 'diagonal')), F);
  expectInputError(() => compileHamiltonian(diag, chain(4, 'periodic')), `${F}: terms[0].on`, /no bond family "diagonal"/);
  const far = parseModel(broken((m) => (m.terms[0].on = [[0, 1], [2, 7]])), F);
  expectInputError(() => compileHamiltonian(far, chain(5, 'open')), `${F}: terms[0].on[1]`, /site 7 is outside the chain N=5 open lattice \(sites 0\.\.4\)/);
  compileHamiltonian(far, chain(8, 'open'));
});

test('the shipped files are documented in hamiltonians/README.md', () => {
  const readme = readFileSync(join(modelsDir(), 'README.md'), 'utf8');
  for (const name of listModels()) assert.ok(readme.includes(`${name}.json`), `README mentions ${name}.json`);
});
