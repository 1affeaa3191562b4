/**
 * --init-from: the weights of a source run start another run. Same size and width: ψ is the
 * source's, bit for bit, for every autoregressive ansatz. A wider network (--hidden above the
 * source's) with init-noise 0: the amplitudes are unchanged (within float32) on the source's size
 * and — against the same-width copy — on another size, so the top-left embedding puts every
 * weight where the cell reads it. With noise: the old block is exact, the new entries are within
 * ±noise (the LRU's ν, θ keep their fresh values). Incompatible settings are refused naming the
 * source directory and the option; Adam's moments carry over with init-adam carry; the runner
 * records the source in config.json and a resumed run reads only its own checkpoint.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getParameters, type Wavefunction } from '../../src/ansatz/wavefunction.js';
import { initBackend } from '../../src/backend.js';
import { Rng } from '../../src/rng.js';
import { buildModel, buildOptimizer, buildWavefunction } from '../../src/run/build.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/run/checkpoint.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { applyInitOptimizer, applyInitWeights, embedTopLeft, prepareInitFrom } from '../../src/run/init-from.js';
import { writeJsonAtomic } from '../../src/run/run-dir.js';
import { readRunConfig, runExperiment, type StopSignal } from '../../src/run/runner.js';
import type { AdamState } from '../../src/vmc/adam.js';
import { enumerate, randomize } from '../ansatz/helpers.js';
import { testBackend } from '../backend.js';
import { expectInputError } from '../input-error.js';

before(async () => {
  await initBackend(testBackend());
});

const root = mkdtempSync(join(tmpdir(), 'vmc-init-from-'));
let counter = 0;

const settings = (over: Partial<ExperimentConfig>): ExperimentConfig =>
  resolveExperiment({}, { model: 'tfim', n: 4, hidden: 4, samples: 16, 'eval-samples': 32, workers: 1, backend: testBackend(), ...over });

/**
 * A source run directory without training: config.json and a checkpoint holding random weights
 * (every entry, biases included, so a misplaced one shows) and a random Adam state.
 */
function sourceRun(over: Partial<ExperimentConfig>): { dir: string; cfg: ExperimentConfig } {
  const dir = join(root, `source-${++counter}`);
  mkdirSync(dir);
  const cfg = { ...settings(over), out: dir };
  const wf = buildWavefunction(cfg, buildModel(cfg), new Rng('source'));
  const rng = new Rng(`weights-${counter}`);
  randomize(wf, rng, 0.6);
  const params = getParameters(wf);
  const moments = () => params.map((p) => Array.from(p.values, () => rng.uniform()));
  const optimizer: AdamState = { t: 17, m: moments(), v: moments() };
  writeJsonAtomic(join(dir, 'config.json'), cfg);
  saveCheckpoint(dir, { step: 17, variables: params, optimizer, rng: null });
  wf.dispose();
  return { dir, cfg };
}

/** The network a run with `cfg` starts from (what the runner builds and assigns). */
function started(cfg: ExperimentConfig): Wavefunction {
  const { config, source } = prepareInitFrom(cfg);
  const wf = buildWavefunction(config, buildModel(config), new Rng(`${config.seed}:init`));
  applyInitWeights(wf, source, config.seed, config.layers ?? 1);
  return wf;
}

function logPsiAll(wf: Wavefunction): { logAmp: Float64Array; phase: Float64Array } {
  return wf.evaluate(enumerate(wf.nSites), 2 ** wf.nSites);
}

function sourceWavefunction(dir: string): Wavefunction {
  const cfg = readRunConfig(dir);
  const wf = buildWavefunction(cfg, buildModel(cfg), new Rng('other'));
  const ck = loadCheckpoint(dir);
  tf.tidy(() => wf.variables.forEach((v, k) => v.assign(tf.tensor(ck.variables[k].values, v.shape, 'float32'))));
  return wf;
}

/** max |Δ log|ψ|| and max |Δ phase| (mod 2π) of two networks on all configurations. */
function maxDifference(a: Wavefunction, b: Wavefunction): number {
  const x = logPsiAll(a);
  const y = logPsiAll(b);
  let d = 0;
  for (let i = 0; i < x.logAmp.length; i++) {
    // configurations outside a U(1) sector have logAmp ≈ −BIG/2 in both
    if (x.logAmp[i] < -100 && y.logAmp[i] < -100) continue;
    const dp = Math.abs(Math.atan2(Math.sin(x.phase[i] - y.phase[i]), Math.cos(x.phase[i] - y.phase[i])));
    d = Math.max(d, Math.abs(x.logAmp[i] - y.logAmp[i]), dp);
  }
  return d;
}

const ANSATZE: [string, Partial<ExperimentConfig>][] = [
  ['rnn, 2 layers, complex', { ansatz: 'rnn', layers: 2, phase: true }],
  ['rnn, S^z = 0, Marshall sign', { ansatz: 'rnn', model: 'heisenberg', magnetization: 0, sign: 'marshall' }],
  ['rnn2d gated, complex', { ansatz: 'rnn2d', lattice: 'square', lx: 2, ly: 2, phase: true }],
  ['rnn2d plain', { ansatz: 'rnn2d', lattice: 'square', lx: 2, ly: 2, cell: 'plain' }],
  ['lru, 2 blocks, complex', { ansatz: 'lru', layers: 2, phase: true }],
  ['flow, complex, S^z = 0', { ansatz: 'flow', model: 'heisenberg', magnetization: 0, phase: true }],
];

test('same size and width: ψ is the source\'s, bit for bit (every autoregressive ansatz); no tensor left behind', () => {
  const tensors = tf.memory().numTensors;
  for (const [name, over] of ANSATZE) {
    const src = sourceRun(over);
    const a = sourceWavefunction(src.dir);
    // hidden and layers not given: the source's
    const b = started(settings({ ...over, hidden: undefined, layers: undefined, 'init-from': src.dir, seed: 9 }));
    assert.equal(maxDifference(a, b), 0, name);
    a.dispose();
    b.dispose();
  }
  assert.equal(tf.memory().numTensors, tensors);
});

test('a wider network with init-noise 0 has the source\'s amplitudes; on another size those of the same-width copy', () => {
  for (const [name, over] of ANSATZE) {
    const src = sourceRun(over);
    const a = sourceWavefunction(src.dir);
    const grown = started(settings({ ...over, hidden: 9, 'init-from': src.dir, 'init-noise': 0 }));
    assert.ok(maxDifference(a, grown) < 1e-5, `${name}: grown network differs by ${maxDifference(a, grown)}`);
    a.dispose();
    grown.dispose();
    if (over.ansatz === 'flow') continue; // the flow keeps its lattice (refusal tested below)
    const larger = over.lattice === 'square' ? { lx: 3, ly: 2 } : { n: 6 };
    const copy = started(settings({ ...over, ...larger, 'init-from': src.dir }));
    const wide = started(settings({ ...over, ...larger, hidden: 7, 'init-from': src.dir, 'init-noise': 0 }));
    assert.ok(maxDifference(copy, wide) < 1e-5, `${name}, larger lattice: ${maxDifference(copy, wide)}`);
    copy.dispose();
    wide.dispose();
  }
});

test('with noise: the old block is exact, new entries lie within ±noise, the LRU\'s ν and θ keep their fresh values', () => {
  const src = sourceRun({ ansatz: 'lru' });
  const cfg = settings({ ansatz: 'lru', n: 6, hidden: 6, 'init-from': src.dir, 'init-noise': 0.05, seed: 3 });
  const grown = started(cfg);
  const fresh = buildWavefunction(cfg, buildModel(cfg), new Rng(`${cfg.seed}:init`));
  const old = loadCheckpoint(src.dir).variables;
  grown.variables.forEach((v, k) => {
    const got = v.dataSync();
    const init = fresh.variables[k].dataSync();
    const [r0, c0] = old[k].shape.length === 2 ? old[k].shape : [1, old[k].shape[0]];
    const cols = v.shape.length === 2 ? v.shape[1] : v.shape[0];
    for (let i = 0; i < got.length; i++) {
      const r = Math.floor(i / cols);
      const c = i % cols;
      if (r < r0 && c < c0) assert.equal(got[i], Math.fround(old[k].values[r * c0 + c]), `variable ${k} [${r},${c}] copied`);
      else if (k === 1 || k === 2) assert.equal(got[i], init[i], `ν/θ entry ${i} keeps its fresh value`);
      else assert.ok(Math.abs(got[i]) <= 0.05, `variable ${k} new entry ${got[i]}`);
    }
  });
  // the noise is seeded: the same settings give the same network
  const again = started(cfg);
  assert.equal(maxDifference(grown, again), 0);
  for (const w of [grown, fresh, again]) w.dispose();
});

test('embedTopLeft: block copy, fill elsewhere, and only dimensions equal or grown from H', () => {
  const out = embedTopLeft([1, 2, 3, 4, 5, 6], [2, 3], [3, 3], 2, 3, () => -1);
  assert.deepEqual(Array.from(out), [1, 2, 3, 4, 5, 6, -1, -1, -1]);
  assert.deepEqual(Array.from(embedTopLeft([1, 2], [2], [4], 2, 4, (i) => 10 * i)), [1, 2, 20, 30]);
  assert.throws(() => embedTopLeft([1, 2, 3, 4], [2, 2], [2, 3], 4, 5, () => 0), /shape \[2,2\] does not fit \[2,3\]/);
  assert.throws(() => embedTopLeft([1, 2], [2], [2, 1], 2, 2, () => 0), /does not fit/);
});

test('incompatible settings are refused, naming the source directory and the option', () => {
  const rnn = sourceRun({ ansatz: 'rnn', hidden: 5 }).dir;
  const refuse = (over: Partial<ExperimentConfig>, dir: string, pattern: RegExp) =>
    expectInputError(() => prepareInitFrom(settings({ hidden: undefined, ...over, 'init-from': dir })), dir, pattern);
  refuse({ ansatz: 'lru' }, rnn, /--ansatz is rnn there and lru here/);
  refuse({ ansatz: 'rbm' }, rnn, /--ansatz rbm: only rnn, rnn2d, lru, flow/);
  refuse({ layers: 2 }, rnn, /--layers is 1 there and 2 here/);
  refuse({ hidden: 4 }, rnn, /--hidden is 5 there and 4 here \(a network can grow, not shrink\)/);
  refuse({ phase: true }, rnn, /--phase is false there and true here/);
  refuse({ model: 'heisenberg', sign: 'marshall' }, rnn, /--sign is none there and marshall here/);
  refuse({ order: '0,2,1,3' }, rnn, /--order is raster there and 0,2,1,3 here/);
  refuse({ optimizer: 'sr', 'init-adam': 'carry' }, rnn, /--init-adam carry needs Adam in both runs/);
  const square = sourceRun({ ansatz: 'rnn2d', lattice: 'square', lx: 2, ly: 2 }).dir;
  refuse({ ansatz: 'rnn2d', lattice: 'square', lx: 2, ly: 2, cell: 'plain' }, square, /--cell is gated there and plain here/);
  refuse({ ansatz: 'rnn' }, square, /--ansatz is rnn2d there and rnn here/);
  const chainRnn2d = sourceRun({ ansatz: 'rnn', lattice: 'chain' }).dir;
  refuse({ ansatz: 'rnn', lattice: 'square', lx: 2, ly: 2 }, chainRnn2d, /--lattice is chain there and square here/);
  const flow = sourceRun({ ansatz: 'flow' }).dir;
  refuse({ ansatz: 'flow', n: 6 }, flow, /--n is 4 there and 6 here: the flow's MADE weights are indexed by site/);
  // not a run directory, and a run without a checkpoint
  const empty = join(root, 'empty');
  mkdirSync(empty);
  expectInputError(() => prepareInitFrom(settings({ 'init-from': empty })), empty, /not a run directory/);
  const noCheckpoint = join(root, 'no-checkpoint');
  mkdirSync(noCheckpoint);
  writeJsonAtomic(join(noCheckpoint, 'config.json'), settings({}));
  expectInputError(() => prepareInitFrom(settings({ 'init-from': noCheckpoint })), noCheckpoint, /no usable checkpoint/);
  expectInputError(() => prepareInitFrom(settings({ 'init-from': join(root, 'missing') })), join(root, 'missing'), /no such run directory/);
});

test('init-adam carry: the source\'s moments (embedded, new entries 0) and step count; reset: a fresh Adam', () => {
  const src = sourceRun({ ansatz: 'rnn' });
  const state = loadCheckpoint(src.dir).optimizer as AdamState;
  for (const adam of ['carry', 'reset'] as const) {
    const cfg = settings({ 'init-from': src.dir, hidden: 6, 'init-adam': adam });
    const { config, source } = prepareInitFrom(cfg);
    const wf = buildWavefunction(config, buildModel(config), new Rng('x'));
    const opt = buildOptimizer(config, wf);
    applyInitOptimizer(wf, opt, source);
    const got = opt.getState() as AdamState;
    if (adam === 'reset') {
      assert.equal(got.t, 0);
      assert.ok(got.m.every((m) => m.every((x) => x === 0)));
    } else {
      assert.equal(got.t, 17);
      // Wz of layer 0: [2,4] → [2,6]
      assert.deepEqual(got.m[0].slice(0, 4), state.m[0].slice(0, 4).map(Math.fround));
      assert.deepEqual(got.m[0].slice(4, 6), [0, 0]);
      assert.deepEqual(got.v[0].slice(6, 10), state.v[0].slice(4, 8).map(Math.fround));
    }
    wf.dispose();
    opt.dispose();
  }
});

test('the runner: config.json records the source; a resumed run continues from its own checkpoint without reading the source', async () => {
  const src = sourceRun({ ansatz: 'rnn', hidden: 3 });
  const out = join(root, 'target');
  const signal: StopSignal = { stop: false };
  const first = await runExperiment({
    config: settings({ n: 6, hidden: undefined, steps: 4, 'init-from': src.dir, 'checkpoint-every': 1, out }),
    quiet: true,
    signal,
    onStep: (r) => (signal.stop = r.step >= 2),
  });
  assert.equal(first.summary.status, 'interrupted');
  const recorded = JSON.parse(readFileSync(join(first.dir, 'config.json'), 'utf8'));
  assert.equal(recorded['init-from'], src.dir);
  assert.equal(recorded.hidden, 3, 'hidden taken from the source');
  assert.deepEqual(
    { dir: recorded.resolved.init_from.run_dir, step: recorded.resolved.init_from.checkpoint_step, n: recorded.resolved.init_from.source_n_sites, status: recorded.resolved.init_from.source_status },
    { dir: src.dir, step: 17, n: 4, status: null },
  );
  rmSync(src.dir, { recursive: true }); // a resume must not need the source any more
  const resumed = await runExperiment({ config: readRunConfig(first.dir), resumeDir: first.dir, quiet: true });
  assert.equal(resumed.summary.status, 'completed');
  assert.equal(resumed.summary.steps, 4);
});
