import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { layoutTolerance, testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { createRnn, type RnnOptions } from '../../src/ansatz/rnn.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import type { Connections } from '../../src/hamiltonian/types.js';
import { planShared, TRIE_MAX_FRACTION } from '../../src/ansatz/rnn/common.js';
import {
  assertConnectedConsistent, assertFiniteDifferences, assertNoLeaks, assertNormalised, distinctRows, enumerate as allConfigs,
  flipConnections, lossGradients, permutation,
} from './helpers.js';

before(async () => {
  await initBackend(testBackend());
});

/** An RNN with weights re-drawn at a larger scale, so that the distribution is far from uniform. */
function makeRnn(opts: RnnOptions, seed: number, scale = 0.8): Wavefunction {
  const rng = new Rng(seed);
  const wf = createRnn(opts, rng);
  for (const v of wf.variables) {
    const d = new Float32Array(v.size);
    for (let i = 0; i < d.length; i++) d[i] = scale * rng.normal();
    const t = tf.tensor(d, v.shape);
    v.assign(t);
    t.dispose();
  }
  return wf;
}

const normCases: (RnnOptions & { label: string })[] = [
  { label: 'N=8 positive 1 layer', nSites: 8, hidden: 10, layers: 1, complex: false, nUp: null },
  { label: 'N=8 complex 2 layers nUp=4', nSites: 8, hidden: 10, layers: 2, complex: true, nUp: 4 },
  { label: 'N=8 positive 2 layers', nSites: 8, hidden: 10, layers: 2, complex: false, nUp: null },
  { label: 'N=10 complex custom order', nSites: 10, hidden: 10, layers: 1, complex: true, nUp: null, order: permutation(10, new Rng(5)) },
  { label: 'N=10 positive nUp=5 custom order', nSites: 10, hidden: 10, layers: 1, complex: false, nUp: 5, order: permutation(10, new Rng(6)) },
  { label: 'N=10 complex 2 layers nUp=5', nSites: 10, hidden: 8, layers: 2, complex: true, nUp: 5 },
];

for (const [ci, c] of normCases.entries()) {
  test(`Σ_x P(x) = 1 by enumeration: ${c.label}`, () => {
    const wf = makeRnn(c, 100 + ci);
    assertNormalised(wf, c.nSites, c.nUp ?? null, c.complex ?? false);
    wf.dispose();
  });
}


/** Upper χ² quantile (Wilson–Hilferty) for tail probability 1e-3. */
function chi2Critical(k: number): number {
  const z = 3.0902;
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

for (const nUp of [null, 3]) {
  test(`χ² test of sample histogram against |ψ|² (N=6, nUp=${nUp})`, () => {
    const N = 6;
    const wf = makeRnn({ nSites: N, hidden: 12, layers: 2, complex: true, nUp, order: [2, 0, 5, 1, 4, 3] }, 7);
    const M = 1 << N;
    const exact = wf.evaluate(allConfigs(N), M).logAmp.map((l) => Math.exp(2 * l));
    const S = 20000;
    const samples = wf.sample!(S, new Rng(11));
    const hist = new Float64Array(M);
    for (let s = 0; s < S; s++) {
      let c = 0;
      for (let i = 0; i < N; i++) c |= samples[s * N + i] << i;
      hist[c]++;
    }
    // bins sorted by expectation; low-expectation bins merged until each has ≥ 5 expected
    const idx = Array.from({ length: M }, (_, i) => i).sort((a, b) => exact[a] - exact[b]);
    let chi2 = 0;
    let bins = 0;
    let eAcc = 0;
    let oAcc = 0;
    for (const i of idx) {
      if (exact[i] === 0) {
        assert.equal(hist[i], 0, `sample outside the sector: ${i}`);
        continue;
      }
      eAcc += exact[i] * S;
      oAcc += hist[i];
      if (eAcc >= 5) {
        chi2 += (oAcc - eAcc) ** 2 / eAcc;
        bins++;
        eAcc = 0;
        oAcc = 0;
      }
    }
    if (eAcc > 0) {
      chi2 += (oAcc - eAcc) ** 2 / eAcc;
      bins++;
    }
    const dof = bins - 1;
    assert.ok(dof >= 10, `too few bins (${bins})`);
    assert.ok(chi2 < chi2Critical(dof), `χ² = ${chi2.toFixed(1)} with ${dof} dof (critical ${chi2Critical(dof).toFixed(1)})`);
    // same seed, same samples
    assert.deepEqual(wf.sample!(50, new Rng(3)), wf.sample!(50, new Rng(3)));
    wf.dispose();
  });
}

for (const c of [
  { label: 'complex, 2 layers, nUp', opts: { nSites: 6, hidden: 6, layers: 2, complex: true, nUp: 3 } },
  { label: 'positive, 1 layer', opts: { nSites: 7, hidden: 8, layers: 1, complex: false, nUp: null } },
]) {
  test(`logPsi gradients agree with central finite differences and between formulations (${c.label})`, () => {
    const wf = makeRnn(c.opts, 21, 0.5);
    const N = c.opts.nSites;
    const rng = new Rng(4);
    // a few configurations in the sector
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
    const g = lossGradients(wf, x, ca, cp);
    // the op-by-op tape formulations give the same gradients
    for (const mode of ['tape', 'builtin'] as const) {
      const other = makeRnn({ ...c.opts, gradient: mode }, 21, 0.5);
      const go = lossGradients(other, x, ca, cp);
      g.forEach((gv, vi) => gv.forEach((val, i) =>
        assert.ok(Math.abs(val - go[vi][i]) <= 1e-4 * Math.max(1, Math.abs(val)), `${mode}: variable ${vi}[${i}] ${val} vs ${go[vi][i]}`)));
      other.dispose();
    }
    assertFiniteDifferences(wf, x, ca, cp, g, rng);
    tf.dispose([x, ca, cp]);
    wf.dispose();
  });
}

for (const c of [
  { label: 'positive, natural order', opts: { nSites: 10, hidden: 12, layers: 1, complex: false, nUp: null } as RnnOptions, exch: false },
  { label: 'complex, 2 layers, custom order, small chunks', opts: { nSites: 10, hidden: 12, layers: 2, complex: true, nUp: null, order: permutation(10, new Rng(9)), chunk: 16 } as RnnOptions, exch: false },
  { label: 'complex, nUp=5, exchange moves and leaving flips', opts: { nSites: 10, hidden: 12, layers: 1, complex: true, nUp: 5, chunk: 37 } as RnnOptions, exch: false },
  { label: 'positive, nUp=5, exchange moves', opts: { nSites: 10, hidden: 12, layers: 2, complex: false, nUp: 5 } as RnnOptions, exch: true },
]) {
  test(`evaluate == logPsi == evaluateConnected (${c.label})`, () => {
    const wf = makeRnn(c.opts, 31);
    const N = c.opts.nSites;
    const P = 9;
    const par = distinctRows(wf.sample!(P, new Rng(2)), P, N);
    assertConnectedConsistent(wf, par, flipConnections(par, par.length / N, N, c.exch), layoutTolerance(1e-5));
    wf.dispose();
  });
}

test('evaluateConnected: the trie plan (shared prefixes across parents) and the grouped plan give the bits of evaluate; each is chosen where it saves', () => {
  const N = 10;
  // samples of a peaked state share long prefixes: the trie plan; two far-apart parents whose
  // entries differ only near the end share nothing across parents: the grouped plan
  const peaked = makeRnn({ nSites: N, hidden: 12, layers: 2, complex: true, nUp: null, chunk: 23 }, 77, 2.5);
  const many = peaked.sample!(60, new Rng(4));
  const far = new Uint8Array(2 * N);
  far.fill(1, N);
  const lateFlips = (parents: Uint8Array, count: number): Connections => {
    const conn = flipConnections(parents, count, N);
    const keep = Array.from({ length: conn.offsets[count] }, (_, k) => k).filter((k) => conn.group[k] >= N - 2 && conn.group[k] < N);
    const configs = new Uint8Array(keep.length * N);
    keep.forEach((k, i) => configs.set(conn.configs.subarray(k * N, (k + 1) * N), i * N));
    const offsets = new Int32Array(count + 1);
    keep.forEach((k) => offsets[conn.parent[k] + 1]++);
    for (let p = 0; p < count; p++) offsets[p + 1] += offsets[p];
    return { ...conn, configs, offsets, parent: Int32Array.from(keep, (k) => conn.parent[k]), group: Int32Array.from(keep, (k) => conn.group[k]), elemRe: new Float64Array(keep.length), elemIm: new Float64Array(keep.length) };
  };
  const cases: [string, Uint8Array, number, Connections, boolean][] = [
    ['60 samples, single and pair flips, chunk 23', many, 60, flipConnections(many, 60, N), true],
    ['two opposite parents, flips of the last two sites', far, 2, lateFlips(far, 2), false],
  ];
  const order = Array.from({ length: N }, (_, i) => i);
  for (const [what, parents, count, conn, trie] of cases) {
    const plan = planShared(parents, conn, order, 23);
    assert.equal(plan.trieUpdates <= TRIE_MAX_FRACTION * plan.groupedUpdates, trie, `${what}: ${plan.trieUpdates} trie vs ${plan.groupedUpdates} grouped updates`);
    const K = conn.offsets[count];
    const ec = peaked.evaluateConnected!(parents, conn);
    const ev = peaked.evaluate(conn.configs, K);
    const tol = layoutTolerance(0);
    for (let k = 0; k < K; k++) {
      assert.ok(Math.abs(ec.logAmp[k] - ev.logAmp[k]) <= tol * Math.max(1, Math.abs(ev.logAmp[k])), `${what} logAmp [${k}]`);
      assert.ok(Math.abs(ec.phase[k] - ev.phase[k]) <= tol * Math.max(1, Math.abs(ev.phase[k])), `${what} phase [${k}]`);
    }
    const own = peaked.evaluate(parents, count);
    for (let p = 0; p < count; p++) if (!Number.isNaN(ec.parents!.logAmp[p])) assert.ok(Math.abs(ec.parents!.logAmp[p] - own.logAmp[p]) <= tol * Math.max(1, Math.abs(own.logAmp[p])), `${what} parent ${p}`);
    if (trie) assert.ok(Array.from(ec.parents!.logAmp).every((x) => !Number.isNaN(x)), 'the trie plan evaluates every parent');
  }
  peaked.dispose();
});

test('no tensors leak across sample, evaluate, evaluateConnected and gradients', () => {
  const N = 8;
  const start = tf.memory().numTensors;
  const wf = makeRnn({ nSites: N, hidden: 8, layers: 2, complex: true, nUp: 4, chunk: 20 }, 41);
  assertNoLeaks(wf, new Rng(1), (p, n) => flipConnections(p, n, N));
  const before = tf.memory().numTensors;
  const nVars = wf.variables.length;
  wf.dispose();
  assert.equal(tf.memory().numTensors, before - nVars - 5);
  assert.equal(tf.memory().numTensors, start);
});

test('tiny chains (N = 1, 2): normalised, and the gradient runs', () => {
  for (const N of [1, 2]) {
    const wf = makeRnn({ nSites: N, hidden: 3, layers: 2, complex: true, nUp: null }, 50 + N);
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
  const wf = createRnn({ nSites: 6, hidden: 4, complex: true, nUp: 3, order: [5, 4, 3, 2, 1, 0] }, new Rng(0));
  assert.equal(wf.kind, 'rnn');
  assert.equal(wf.normalized, true);
  assert.deepEqual(wf.spec(), { kind: 'rnn', nSites: 6, hidden: 4, layers: 1, complex: true, nUp: 3, order: [5, 4, 3, 2, 1, 0] });
  // 9 per layer + Dense(2) output + Dense(2) phase
  assert.equal(wf.variables.length, 13);
  wf.dispose();
  assert.throws(() => createRnn({ nSites: 6, nUp: 7 }, new Rng(0)), /nUp/);
  assert.throws(() => createRnn({ nSites: 4, order: [0, 1, 1, 2] }, new Rng(0)), /permutation/);
});
