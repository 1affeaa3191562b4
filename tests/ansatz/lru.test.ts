import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { Rng } from '../../src/rng.js';
import { createLru, type LruOptions } from '../../src/ansatz/lru.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import {
  assertConnectedConsistent, assertFiniteDifferences, assertNoLeaks, assertNormalised, chi2, chi2Critical, distinctRows,
  enumerate as allConfigs, flipConnections, lossGradients, permutation, probabilities, randomize,
} from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

/** An LRU with weights re-drawn at a larger scale, so that the distribution is far from uniform. */
function makeLru(opts: LruOptions, seed: number, scale = 0.8): Wavefunction {
  const rng = new Rng(seed);
  const wf = createLru(opts, rng);
  randomize(wf, rng, scale);
  return wf;
}

const normCases: (LruOptions & { label: string })[] = [
  { label: 'N=8 positive 1 layer', nSites: 8, hidden: 10, layers: 1, complex: false, nUp: null },
  { label: 'N=8 complex 2 layers nUp=4', nSites: 8, hidden: 10, layers: 2, complex: true, nUp: 4 },
  { label: 'N=10 complex 3 layers custom order', nSites: 10, hidden: 8, layers: 3, complex: true, nUp: null, order: permutation(10, new Rng(5)) },
  { label: 'N=10 positive nUp=5 custom order', nSites: 10, hidden: 10, layers: 1, complex: false, nUp: 5, order: permutation(10, new Rng(6)) },
];

for (const [ci, c] of normCases.entries()) {
  test(`Σ_x P(x) = 1 by enumeration: ${c.label}`, () => {
    const wf = makeLru(c, 100 + ci);
    assertNormalised(wf, c.nSites, c.nUp ?? null, c.complex ?? false);
    wf.dispose();
  });
}

for (const c of [
  { label: '1 layer, positive', opts: { nSites: 9, hidden: 7, layers: 1, complex: false, nUp: null } as LruOptions },
  { label: '2 layers, complex, nUp=4, custom order', opts: { nSites: 9, hidden: 7, layers: 2, complex: true, nUp: 4, order: permutation(9, new Rng(8)) } as LruOptions },
  { label: '3 layers, complex, N=13 (longer segments)', opts: { nSites: 13, hidden: 6, layers: 3, complex: true, nUp: null } as LruOptions },
]) {
  test(`parallel evaluation equals the site-by-site recurrence (${c.label})`, () => {
    const par = makeLru(c.opts, 61, 0.5);
    const seq = makeLru({ ...c.opts, evaluation: 'sequential' }, 61, 0.5);
    const N = c.opts.nSites;
    const count = N <= 9 ? 1 << N : 600;
    const configs = N <= 9 ? allConfigs(N) : par.sample!(count, new Rng(3));
    const a = par.evaluate(configs, count);
    const b = seq.evaluate(configs, count);
    for (let i = 0; i < count; i++) {
      // float32: closed form / scan and recurrence sum in different orders
      assert.ok(Math.abs(a.logAmp[i] - b.logAmp[i]) <= 5e-5 * Math.max(1, Math.abs(a.logAmp[i])), `logAmp[${i}] ${a.logAmp[i]} vs ${b.logAmp[i]}`);
      assert.ok(Math.abs(a.phase[i] - b.phase[i]) <= 5e-5 * Math.max(1, Math.abs(a.phase[i])), `phase[${i}] ${a.phase[i]} vs ${b.phase[i]}`);
    }
    par.dispose();
    seq.dispose();
  });
}

for (const nUp of [null, 3]) {
  test(`χ² test of sample histogram against |ψ|² (N=6, nUp=${nUp})`, () => {
    const N = 6;
    const wf = makeLru({ nSites: N, hidden: 8, layers: 2, complex: true, nUp, order: [2, 0, 5, 1, 4, 3] }, 7, 0.4);
    const M = 1 << N;
    const probs = probabilities(wf);
    const S = 20000;
    const samples = wf.sample!(S, new Rng(11));
    const hist = new Float64Array(M);
    for (let s = 0; s < S; s++) {
      let c = 0;
      for (let i = 0; i < N; i++) c |= samples[s * N + i] << i;
      assert.ok(probs[c] > 0, `sample outside the sector: ${c}`);
      hist[c]++;
    }
    const { stat, df } = chi2(hist, probs, S);
    assert.ok(df >= 10, `too few bins (${df + 1})`);
    assert.ok(stat < chi2Critical(df), `χ² = ${stat.toFixed(1)} with ${df} dof (critical ${chi2Critical(df).toFixed(1)})`);
    assert.deepEqual(wf.sample!(50, new Rng(3)), wf.sample!(50, new Rng(3)));
    wf.dispose();
  });
}

for (const c of [
  { label: 'complex, 2 layers, nUp', opts: { nSites: 6, hidden: 5, layers: 2, complex: true, nUp: 3 } as LruOptions },
  { label: 'positive, 1 layer, N=7', opts: { nSites: 7, hidden: 6, layers: 1, complex: false, nUp: null } as LruOptions },
]) {
  test(`logPsi gradients agree with central finite differences (${c.label})`, () => {
    const wf = makeLru(c.opts, 21, 0.5);
    const N = c.opts.nSites;
    const rng = new Rng(4);
    const B = 5;
    const bits = new Float32Array(B * N);
    for (let b = 0; b < B; b++) {
      const perm = permutation(N, rng);
      const ups = c.opts.nUp ?? rng.int(N + 1);
      for (let i = 0; i < ups; i++) bits[b * N + perm[i]] = 1;
    }
    const x = tf.tensor2d(bits, [B, N]);
    const ca = tf.tensor1d(Array.from({ length: B }, () => rng.normal()));
    const cp = tf.tensor1d(Array.from({ length: B }, () => rng.normal()));
    assertFiniteDifferences(wf, x, ca, cp, lossGradients(wf, x, ca, cp), rng);
    tf.dispose([x, ca, cp]);
    wf.dispose();
  });
}

for (const c of [
  { label: 'positive, 1 layer, natural order', opts: { nSites: 10, hidden: 12, layers: 1, complex: false, nUp: null } as LruOptions, exch: false },
  { label: 'complex, 2 layers, custom order, small chunks', opts: { nSites: 10, hidden: 8, layers: 2, complex: true, nUp: null, order: permutation(10, new Rng(9)), chunk: 16 } as LruOptions, exch: false },
  { label: 'complex, 3 layers, nUp=5, leaving flips', opts: { nSites: 10, hidden: 8, layers: 3, complex: true, nUp: 5, chunk: 37 } as LruOptions, exch: false },
  { label: 'positive, 2 layers, nUp=5, exchange moves', opts: { nSites: 10, hidden: 8, layers: 2, complex: false, nUp: 5 } as LruOptions, exch: true },
]) {
  test(`evaluate == logPsi == evaluateConnected (${c.label})`, () => {
    const wf = makeLru(c.opts, 31);
    const N = c.opts.nSites;
    const P = 9;
    const par = distinctRows(wf.sample!(P, new Rng(2)), P, N);
    assertConnectedConsistent(wf, par, flipConnections(par, par.length / N, N, c.exch), 2e-5);
    wf.dispose();
  });
}

test('no tensors leak across sample, evaluate, evaluateConnected and gradients', () => {
  const N = 8;
  const start = tf.memory().numTensors;
  const wf = makeLru({ nSites: N, hidden: 8, layers: 2, complex: true, nUp: 4, chunk: 20 }, 41);
  assertNoLeaks(wf, new Rng(1), (p, n) => flipConnections(p, n, N));
  wf.dispose();
  assert.equal(tf.memory().numTensors, start);
});

test('tiny chains (N = 1, 2): normalised, and the gradient runs', () => {
  for (const N of [1, 2]) {
    const wf = makeLru({ nSites: N, hidden: 3, layers: 2, complex: true, nUp: null }, 50 + N);
    const M = 1 << N;
    const { logAmp } = wf.evaluate(allConfigs(N), M);
    const sum = Array.from(logAmp).reduce((a, l) => a + Math.exp(2 * l), 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `N=${N}: Σ P = ${sum}`);
    const x = tf.tensor2d(Float32Array.from(allConfigs(N)), [M, N]);
    const { grads, value } = tf.variableGrads(() => {
      const { logAmp: a, phase } = wf.logPsi(x);
      return tf.add(tf.sum(a), tf.sum(phase)) as tf.Scalar;
    }, wf.variables);
    for (const g of Object.values(grads)) assert.ok(g.dataSync().every(Number.isFinite));
    tf.dispose([x, value]);
    tf.dispose(grads);
    wf.dispose();
  }
});

test('spec and validation', () => {
  const wf = createLru({ nSites: 6, hidden: 4, layers: 2, complex: true, nUp: 3, order: [5, 4, 3, 2, 1, 0] }, new Rng(0));
  assert.equal(wf.kind, 'lru');
  assert.equal(wf.normalized, true);
  assert.deepEqual(wf.spec(), { kind: 'lru', nSites: 6, hidden: 4, layers: 2, complex: true, nUp: 3, order: [5, 4, 3, 2, 1, 0] });
  // embedding + 11 per layer + Dense(2) output + Dense(2) phase
  assert.equal(wf.variables.length, 1 + 2 * 11 + 4);
  wf.dispose();
  assert.throws(() => createLru({ nSites: 6, nUp: 7 }, new Rng(0)), /nUp/);
  assert.throws(() => createLru({ nSites: 4, order: [0, 1, 1, 2] }, new Rng(0)), /permutation/);
  assert.throws(() => createLru({ nSites: 4, layers: 0 }, new Rng(0)), /layers/);
});
