/**
 * The playground's library side, in Node (no browser needed): a playground session gives `vmc
 * run`'s energies step for step on the same backend; the form's settings are checked and refused
 * with the reason and the field at fault; the exported file is one `vmc run` reads back to the
 * same settings; links round-trip; the browser twins serve what the Node modules serve; the
 * bundle builds with no Node built-in in it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { InputError } from '../../src/errors.js';
import * as nodeModelFiles from '../../src/hamiltonian/model-files.js';
import { parseModel } from '../../src/hamiltonian/definition.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';
import { buildPlayground, shippedModelTexts } from '../../playground/build.js';
import { TrainingSession } from '../../playground/src/session.js';
import { configFromForm, defaultValues, experimentFile, fieldOf, formFields, FORM_KEYS, shippedModels } from '../../playground/src/settings.js';
import { fromQuery, toQuery } from '../../playground/src/url.js';
import { testBackend } from '../backend.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-playground-'));

/** The form's values for a small run: the page's defaults with `over` on top. */
function form(over: Record<string, string> = {}): Record<string, string> {
  return { ...defaultValues(shippedModels(), over.model), ...over };
}

const SMALL = { n: '6', hidden: '8', samples: '64', steps: '6', lr: '0.02', seed: '3' };

test('a playground session gives the energies of `vmc run` (runExperiment) step for step, without tensor growth', async () => {
  const backend = await initBackend(testBackend());
  const { config } = configFromForm(form(SMALL));
  const out = tmp();
  try {
    const viaRun: number[] = [];
    await runExperiment({ config: { ...config, backend: testBackend(), out: join(out, 'run'), 'eval-samples': 64, workers: 1 }, silent: true, onStep: (r) => viaRun.push(r.energy) });
    const session = TrainingSession.create(config);
    const viaSession: number[] = [];
    let tensors = 0;
    for (let s = 0; s < config.steps; s++) {
      const { record, samples, sampleCount } = await session.step();
      viaSession.push(record.energy);
      assert.equal(samples.length, sampleCount * 6);
      assert.ok(samples.every((b) => b === 0 || b === 1));
      if (s === 1) tensors = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind by steps');
    // same backend, same seed: the same numbers to the last bit (wasm; tfjs-node too, one thread)
    assert.deepEqual(viaSession, viaRun, `on ${backend}`);
    const exact = session.exact();
    assert.equal(exact.method, 'free-fermion');
    assert.ok(Math.abs(exact.energy! - -7.296229810558) < 1e-9, String(exact.energy));
    const c = session.correlations(400);
    assert.deepEqual(c.distance, [1, 2, 3, 4, 5]);
    assert.equal(c.xx.length, 5, 'xx up to 16 sites');
    for (const e of c.zz) assert.ok(e.mean > 0 && e.mean <= 1, 'ferromagnetic zz on the TFIM chain');
    session.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** The refusal of `values`: the page's check is TrainingSession.create of the form's settings. */
function refusal(over: Record<string, string>): { reason: string; field: string | null } {
  try {
    const { config } = configFromForm(form(over));
    TrainingSession.create(config).dispose();
  } catch (e) {
    assert.ok(e instanceof InputError, `an InputError, not ${String(e)}`);
    return { reason: e.message, field: fieldOf(e.where, e.message) };
  }
  assert.fail(`settings ${JSON.stringify(over)} were accepted`);
}

test('bad settings are refused with a one-line reason naming the field', async () => {
  await initBackend(testBackend());
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ n: '7', magnetization: '0', model: 'heisenberg' }, 'magnetization', /S\^z = 0 is impossible on 7 sites \(needs a half-integer/],
    [{ ansatz: 'rnn2d' }, 'ansatz', /rnn2d ansatz needs --lattice square/],
    [{ n: '100' }, 'n', /100 sites are more than the playground's 64; use `vmc run`/],
    [{ lattice: 'square', lx: '9', ly: '8' }, 'lx', /72 sites are more than the playground's 64/],
    [{ samples: '100000' }, 'samples', /100000 samples per step are more than the playground's 4000/],
    [{ hidden: '1000000000' }, 'hidden', /1000000000 hidden units are more than the playground's 256/],
    [{ n: '64', hidden: '256', samples: '4000' }, 'samples', /needs at least .* GiB of memory, more than the playground's 1\.0 GiB; the largest part is activations kept for the gradient/],
    [{ n: 'abc' }, 'n', /n: expected an integer, got "abc"/],
    [{ lattice: 'square', lx: '' }, 'lx', /a square lattice needs --lx and --ly/],
    [{ lr: '-1' }, 'lr', /lr: expected a value ≥ 0, got -1/],
    [{ 'param.h': 'x' }, 'param.h', /param\.h: expected a number, got "x"/],
    [{ 'param.nope': '1' }, 'param.nope', /unknown parameter "nope" for model "tfim"/],
    [{ sign: 'marshall', lattice: 'square', lx: '3', ly: '3', bc: 'periodic', ansatz: 'rnn2d' }, 'sign', /Marshall sign needs a bipartite lattice/],
  ];
  for (const [over, field, pattern] of cases) {
    const r = refusal(over);
    assert.match(r.reason, pattern, JSON.stringify(over));
    assert.equal(r.field, field, `${JSON.stringify(over)}: ${r.reason}`);
    assert.ok(!r.reason.includes('\n'), 'one line');
  }
});

test('the exported experiment file is one `vmc run` reads back to the same settings', () => {
  const values = form({ ...SMALL, model: 'heisenberg', 'param.J': '1.5', magnetization: '0', sign: 'marshall', bc: 'periodic' });
  const { flags, config } = configFromForm(values);
  const file = experimentFile(flags, 'wasm');
  assert.equal(file.backend, 'wasm', 'the backend on which vmc run gives the page\'s numbers');
  assert.equal(experimentFile(flags, 'webgl').backend, undefined);
  const dir = tmp();
  try {
    const path = join(dir, 'exported.json');
    writeFileSync(path, JSON.stringify(file, null, 2));
    const again = resolveExperiment(readExperimentFile(path), {});
    assert.deepEqual({ ...again, description: undefined, backend: 'auto' }, { ...config, description: undefined, backend: 'auto' });
    assert.equal(again.backend, 'wasm');
    assert.deepEqual(again.param, { J: 1.5 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('links: every setting in the query string, and back; unknown keys are reported', () => {
  const values = form({ ...SMALL, 'param.h': '0.5', backend: 'wasm' });
  const q = toQuery(values, ['model', 'param.J', 'param.h', ...FORM_KEYS.filter((k) => k !== 'model'), 'backend']);
  assert.match(q, /^model=tfim&param\.J=1&param\.h=0\.5&lattice=chain&n=6&/);
  const back = fromQuery(`?${q}&bogus=1`, {}, (k) => k !== 'bogus');
  assert.deepEqual(back.values, values);
  assert.deepEqual(back.unknown, ['bogus']);
  // the form's fields are the option table's, with its descriptions and choices
  const fields = formFields();
  assert.deepEqual(fields.map((f) => f.key), [...FORM_KEYS]);
  assert.deepEqual(fields.find((f) => f.key === 'ansatz')!.choices, ['rnn', 'rnn2d', 'lru', 'rbm', 'flow']);
});

test('browser twins serve what the Node modules serve', async () => {
  (globalThis as { VMC_SHIPPED_MODELS?: unknown }).VMC_SHIPPED_MODELS = shippedModelTexts();
  const twin = await import('../../src/hamiltonian/model-files.browser.js');
  assert.deepEqual(Object.keys(twin).sort(), Object.keys(nodeModelFiles).sort());
  assert.deepEqual(twin.listModels(), nodeModelFiles.listModels());
  for (const name of twin.listModels()) {
    const text = twin.readModelText(twin.shippedModelPath(name), `hamiltonians/${name}.json`, 1 << 20);
    assert.equal(text, readFileSync(nodeModelFiles.shippedModelPath(name), 'utf8'));
  }
  assert.throws(() => twin.readModelText(twin.absolutePath('my/model.json'), 'my/model.json', 1 << 20), /my\/model\.json: the browser build reads only the shipped models \(heisenberg, j1j2, tfim, xxz\)/);
  const mathTwin = await import('../../src/hamiltonian/mathjs-number.browser.js');
  const mathNode = await import('../../src/hamiltonian/mathjs-number.js');
  assert.deepEqual(Object.keys(mathTwin).sort(), Object.keys(mathNode).sort());
  const twinMath = mathTwin.loadMathjsNumber();
  const parse = twinMath.create({ parseDependencies: twinMath.parseDependencies }, { number: 'number' }).parse;
  assert.equal(parse('2 J - h/2').toString(), '2 J - h / 2');
  // a model validated from the bundled text equals the one loaded from its file (path aside)
  const bundled = parseModel(twin.readModelText('hamiltonians/tfim.json', 'hamiltonians/tfim.json', 1 << 20), 'hamiltonians/tfim.json', { h: 0.5 });
  assert.deepEqual(bundled.terms.map((t) => t.value), [-1, -0.5]);
});

test('the bundle builds, with the twins swapped in and no Node built-in left', async () => {
  const out = tmp();
  try {
    const built = await buildPlayground(out, { minify: false });
    assert.deepEqual(built.twins, ['src/hamiltonian/mathjs-number.ts', 'src/hamiltonian/model-files.ts']);
    const names = built.files.map((f) => f.name);
    for (const f of ['index.html', 'main.js', 'worker.js', 'tfjs-backend-wasm-simd.wasm']) assert.ok(names.includes(f), f);
    const worker = readFileSync(join(out, 'worker.js'), 'utf8');
    assert.ok(!/from ["']node:|require\(["']node:/.test(worker), 'no Node built-in in worker.js');
    assert.ok(worker.includes('Transverse-field Ising model'), 'the shipped models are in the bundle');
    // the page's own bundle holds no library code: the physics runs in the worker
    assert.ok(built.files.find((f) => f.name === 'main.js')!.bytes < 100_000);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
