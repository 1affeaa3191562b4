/**
 * Variational neural annealing, the physics: the temperature schedule, the gradient of the free
 * energy F = ⟨H⟩ − T·S (S = −Σ P log P from the normalised state) against finite differences of
 * F computed by enumeration for every autoregressive ansatz (and a symmetrised one), and the
 * driver's annealed step against the exact gradient.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { initBackend } from '../../src/backend.js';
import { denseMatrix } from '../../src/hamiltonian/index.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { buildModel, buildSampler, buildWavefunction } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { Rng } from '../../src/rng.js';
import { annealLength, annealTemperature } from '../../src/vmc/anneal.js';
import { VmcDriver } from '../../src/vmc/driver.js';
import { energyStats } from '../../src/vmc/estimator.js';
import { objectiveValues } from '../../src/vmc/free-energy.js';
import { energyGradient } from '../../src/vmc/gradient.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import type { Optimizer, StepContext } from '../../src/vmc/optimizer.js';
import { testBackend } from '../backend.js';
import { enumerateConfigs } from '../configurations.js';
import { exactEnergy } from './table-wavefunction.js';

before(async () => {
  await initBackend(testBackend());
});

test('schedule: W steps at T0, N levels T0(1 − k/N) of K steps (the first at T0), then T = 0', () => {
  const s = { t0: 2, warmup: 3, levels: 4, stepsPerT: 2 };
  const temps = Array.from({ length: 14 }, (_, done) => annealTemperature(s, done));
  assert.deepEqual(temps, [2, 2, 2, 2, 2, 1.5, 1.5, 1, 1, 0.5, 0.5, 0, 0, 0]);
  assert.equal(annealLength(s), 11);
  assert.equal(annealTemperature({ ...s, warmup: 0 }, 0), 2);
  assert.equal(annealTemperature({ t0: 1, warmup: 0, levels: 1, stepsPerT: 1 }, 1), 0);
});

/** A small wavefunction of each autoregressive ansatz with its model, and the sector's configurations. */
function system(over: Partial<ExperimentConfig>) {
  const cfg = resolveExperiment({}, { backend: 'wasm', model: 'j1j2', param: { J2: 0.5 }, bc: 'periodic', phase: true, hidden: 4, ...over });
  const parts = buildModel(cfg);
  const wf = buildWavefunction(cfg, parts, new Rng('anneal-fd'));
  // a generic point: the initial biases are 0, where the phase's softsign has a kink in its
  // second derivative that makes central differences inaccurate at O(ε)
  const rng = new Rng('anneal-fd-shift');
  for (const v of wf.variables) {
    const x = v.dataSync().map((a) => a + 0.2 * rng.normal());
    tf.tidy(() => v.assign(tf.tensor(x, v.shape)));
  }
  const n = parts.lattice.nSites;
  const { configs, count, states } = enumerateConfigs(n, parts.nUp);
  return { cfg, parts, wf, n, configs, count, states };
}

/** F = ⟨ψ|H|ψ⟩ + T Σ_x P log P by enumeration (dense H; amplitudes outside the sector are zero). */
function exactFreeEnergy(
  wf: Wavefunction, H: ReturnType<typeof denseMatrix>, configs: Uint8Array, count: number, states: number[], T: number,
): number {
  const psi = wf.evaluate(configs, count);
  const amp = new Float64Array(H.dim).fill(-Infinity);
  const ph = new Float64Array(H.dim);
  states.forEach((b, k) => {
    amp[b] = psi.logAmp[k];
    ph[b] = psi.phase[k];
  });
  let plogp = 0;
  for (const a of psi.logAmp) plogp += Math.exp(2 * a) * 2 * a;
  return exactEnergy(H, amp, ph) + T * plogp;
}

/** ∂F/∂θ through the code path of the driver (objectiveValues → the surrogate gradient) with exact weights P. */
function fullSumGradient(h: CompiledHamiltonian, wf: Wavefunction, configs: Uint8Array, count: number, T: number): Float32Array[] {
  const e = localEnergies(h, wf, configs, count);
  const p = Float64Array.from(e.logPsi.logAmp, (a) => Math.exp(2 * a));
  const { local, stats } = objectiveValues(e, energyStats(e.re, e.im, p), p, T);
  const g = energyGradient(wf, { configs, count, weights: p, eRe: local.re, eIm: local.im, meanRe: stats.mean, meanIm: stats.meanIm });
  const out = g.map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose(g);
  return out;
}

const ansatze: [string, Partial<ExperimentConfig>][] = [
  ['rnn, complex, S^z = 0', { ansatz: 'rnn', n: 6, magnetization: 0 }],
  ['lru, complex', { ansatz: 'lru', n: 5 }],
  ['flow, complex', { ansatz: 'flow', n: 5, hidden: 8 }],
  ['rnn2d, complex, 2x2', { ansatz: 'rnn2d', lattice: 'square', lx: 2, ly: 2, bc: 'open', hidden: 4 }],
  ['rnn, complex, averaged over translations and reflection', { ansatz: 'rnn', n: 5, symmetry: 'translation,reflection' }],
];

for (const [name, over] of ansatze) {
  test(`∂F/∂θ equals finite differences of the exact F = ⟨H⟩ − T·S by enumeration (${name})`, () => {
    const { parts, wf, configs, count, states } = system(over);
    const H = denseMatrix(parts.hamiltonian);
    const T = 0.7;
    const p = wf.evaluate(configs, count).logAmp.reduce((a, la) => a + Math.exp(2 * la), 0);
    assert.ok(Math.abs(p - 1) < 1e-5, `normalised: Σ P = ${p}`);
    const g = fullSumGradient(parts.hamiltonian, wf, configs, count, T);
    const g0 = fullSumGradient(parts.hamiltonian, wf, configs, count, 0);
    const eps = 4e-3;
    let checked = 0;
    let tempTerm = 0;
    wf.variables.forEach((v, k) => {
      const base = v.dataSync().slice() as Float32Array;
      for (const i of new Set([0, Math.floor(base.length / 2), base.length - 1])) {
        const at = (d: number): number => {
          const x = base.slice();
          x[i] += d;
          tf.tidy(() => v.assign(tf.tensor(x, v.shape)));
          return exactFreeEnergy(wf, H, configs, count, states, T);
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        assert.ok(Math.abs(g[k][i] - fd) < 5e-4 + 2e-3 * Math.abs(fd), `variable ${k} [${i}]: surrogate ${g[k][i]} vs finite difference ${fd}`);
        tempTerm = Math.max(tempTerm, Math.abs(g[k][i] - g0[k][i]));
        checked++;
      }
    });
    assert.ok(checked >= 6, `${checked} parameters checked`);
    // the entropy term moves derivatives by 20× the tolerance, so the test would catch it missing
    assert.ok(tempTerm > 0.01, `largest change of a derivative by the T·S term: ${tempTerm}`);
    wf.dispose();
  });
}

/** An optimizer that keeps the gradient the driver hands it and changes nothing. */
class Recorder implements Optimizer {
  readonly kind = 'recorder';
  readonly usesEnergyGradient = true;
  gradient: Float32Array[] = [];
  step(ctx: StepContext) {
    this.gradient = ctx.gradient!.map((t) => t.dataSync().slice() as Float32Array);
    return { gradient: 0, update: 0 };
  }
  learningRate() {
    return 0;
  }
  getState() {
    return null;
  }
  setState() {}
  dispose() {}
}

test('the driver\'s annealed step: its gradient is ∂F at the schedule\'s T (Monte Carlo, within errors), no tensor left behind', async () => {
  const { cfg, parts, wf, configs, count } = system({ ansatz: 'rnn', n: 6, magnetization: 0, hidden: 6 });
  const schedule = { t0: 0.7, warmup: 1, levels: 2, stepsPerT: 1 }; // T = 0.7, 0.7, 0.35, then 0
  const exact = [0.7, 0.35, 0].map((T) => fullSumGradient(parts.hamiltonian, wf, configs, count, T).flatMap((a) => Array.from(a)));
  const rec = new Recorder();
  const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng('anneal-mc')), rec, 40000, { anneal: schedule });
  const seen: number[] = [];
  let tensors = 0;
  for (let s = 0; s < 4; s++) {
    const r = await driver.step();
    if (s === 1) tensors = tf.memory().numTensors;
    seen.push(r.anneal!.temperature);
    assert.ok(Math.abs(r.anneal!.freeEnergy - (r.energy - r.anneal!.temperature * r.anneal!.entropy)) < 1e-9, 'F = ⟨H⟩ − T·S');
    if (s === 0) continue;
    const want = exact[s - 1];
    const got = rec.gradient.flatMap((a) => Array.from(a));
    const dist = Math.hypot(...got.map((v, i) => v - want[i]));
    const norm = Math.hypot(...want);
    // the other temperatures' gradients are much farther away than the sampling noise
    const others = exact.filter((_, j) => j !== s - 1).map((o) => Math.hypot(...got.map((v, i) => v - o[i])));
    assert.ok(dist < 0.1 * norm, `T = ${seen[s]}: |g_MC − g_exact| = ${dist} vs |g_exact| = ${norm}`);
    for (const d of others) assert.ok(d > 3 * dist, `T = ${seen[s]}: distance to another temperature's gradient ${d} vs ${dist}`);
  }
  assert.deepEqual(seen, [0.7, 0.7, 0.35, 0]);
  assert.equal(tf.memory().numTensors, tensors, 'tensors across annealed steps');
  wf.dispose();
});
