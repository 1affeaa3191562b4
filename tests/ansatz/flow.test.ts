/**
 * Flow ansatz: MADE masks, normalisation by enumeration (with and without a fixed S^z sector),
 * zero probability outside the sector, Marshall sign, logPsi = evaluate, gradients against
 * central finite differences, and tensor bookkeeping.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { layoutTolerance, testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { createFlow, type FlowOptions } from '../../src/ansatz/flow.js';
import { buildMadeMasks } from '../../src/ansatz/made.js';
import { enumerate, popcount, probabilities, randomize } from './helpers.js';

before(async () => {
  await initBackend(testBackend());
});

function checkMasks(opts: FlowOptions, seed: number): void {
  const N = opts.nSites;
  const wf = createFlow(opts, new Rng(seed));
  randomize(wf, new Rng(seed + 1), 0.7);
  const order = wf.options.order;
  const pos = new Int32Array(N);
  order.forEach((s, k) => (pos[s] = k));
  const rng = new Rng(seed + 2);
  const B = 4;
  const base = new Float32Array(B * N);
  for (let i = 0; i < base.length; i++) base[i] = rng.uniform() < 0.5 ? 1 : 0;
  // row block j (j = 0..N): base with site j flipped (j = N: unchanged)
  const all = new Float32Array((N + 1) * B * N);
  for (let j = 0; j <= N; j++) {
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < N; s++) {
        const v = base[b * N + s];
        all[(j * B + b) * N + s] = s === j ? 1 - v : v;
      }
    }
  }
  const x = tf.tensor2d(all, [(N + 1) * B, N]);
  const lt = wf.logits(x);
  const l = lt.dataSync();
  x.dispose();
  lt.dispose();
  let dependent = 0;
  for (let j = 0; j < N; j++) {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        const ref = l[(N * B + b) * N + i];
        const got = l[(j * B + b) * N + i];
        if (pos[j] >= pos[i]) {
          assert.ok(Math.abs(got - ref) <= layoutTolerance(0) * Math.max(1, Math.abs(ref)), `ℓ_${i} changed when x_${j} (path position ${pos[j]} ≥ ${pos[i]}) was flipped: ${got} vs ${ref}`);
        } else if (Math.abs(got - ref) > 1e-6) {
          dependent++;
        }
      }
    }
  }
  // the allowed dependencies are actually used (not a trivially constant network)
  assert.ok(dependent > 0.9 * B * ((N * (N - 1)) / 2), `only ${dependent} allowed dependencies are active`);
  wf.dispose();
}

test('MADE masks: output i depends only on inputs before i on the path (natural order)', () => {
  checkMasks({ nSites: 7, hidden: 20, layers: 2 }, 10);
  checkMasks({ nSites: 5, hidden: 3, layers: 1 }, 11); // narrower than N − 1
  checkMasks({ nSites: 6, layers: 0 }, 12); // direct connections only
  checkMasks({ nSites: 6, hidden: 12, layers: 3, activation: 'relu' }, 13);
});

test('MADE masks: output i depends only on inputs before i on a custom order', () => {
  checkMasks({ nSites: 7, hidden: 20, layers: 2, order: [3, 6, 0, 5, 1, 4, 2] }, 20);
  checkMasks({ nSites: 8, hidden: 16, layers: 2, order: [7, 6, 5, 4, 3, 2, 1, 0], nUp: 4 }, 21);
});

test('MADE mask matrices follow the degree rules', () => {
  const order = [2, 0, 3, 1];
  const m = buildMadeMasks(4, 5, 2, order);
  assert.deepEqual([...m.degrees], [2, 4, 1, 3]);
  assert.deepEqual([...m.hiddenDegrees[0]], [1, 2, 3, 1, 2]);
  // input site 2 (degree 1) feeds every hidden unit; site 1 (degree 4) feeds none
  for (let k = 0; k < 5; k++) {
    assert.equal(m.hidden[0][2 * 5 + k], 1);
    assert.equal(m.hidden[0][1 * 5 + k], 0);
  }
  // output of site 2 (degree 1) sees nothing
  for (let k = 0; k < 5; k++) assert.equal(m.output[k * 4 + 2], 0);
  for (let t = 0; t < 4; t++) assert.equal(m.direct[t * 4 + 2], 0);
});

for (const N of [8, 10]) {
  for (const nUp of [null, N / 2, 3]) {
    test(`Σ_x P(x) = 1 by enumeration, N = ${N}, nUp = ${nUp}`, () => {
      const order = N === 10 ? [0, 9, 1, 8, 2, 7, 3, 6, 4, 5] : undefined;
      const wf = createFlow({ nSites: N, hidden: 2 * N, nUp, order, complex: true }, new Rng(N + (nUp ?? 0)));
      randomize(wf, new Rng(5), 0.8);
      const p = probabilities(wf);
      let total = 0;
      let maxP = 0;
      for (let i = 0; i < p.length; i++) {
        total += p[i];
        maxP = Math.max(maxP, p[i]);
        if (nUp !== null && popcount(i) !== nUp) {
          assert.equal(p[i], 0, `configuration ${i} outside the sector has P = ${p[i]}`);
        }
      }
      assert.ok(Math.abs(total - 1) < 2e-5, `Σ P = ${total}`);
      // non-trivial distribution (far from uniform)
      const support = nUp === null ? 1 << N : p.filter((v) => v > 0).length;
      assert.ok(maxP > 3 / support, `max P ${maxP} too close to uniform 1/${support}`);
      wf.dispose();
    });
  }
}

test('outside the sector log|ψ| = −∞; phase stays finite; Marshall sign is (−1)^{ups on A}', () => {
  const N = 6;
  const A = [0, 2, 4];
  const wf = createFlow({ nSites: N, nUp: 3, signSites: A, complex: false }, new Rng(3));
  const bits = enumerate(N);
  const r = wf.evaluate(bits, 1 << N);
  for (let i = 0; i < 1 << N; i++) {
    if (popcount(i) !== 3) assert.equal(r.logAmp[i], -Infinity);
    else assert.ok(Number.isFinite(r.logAmp[i]));
    const upsA = A.reduce((c, s) => c + ((i >> s) & 1), 0);
    assert.ok(Math.abs(Math.cos(r.phase[i]) - (upsA % 2 === 0 ? 1 : -1)) < 1e-6);
  }
  wf.dispose();
});

test('logPsi (tensor path) equals evaluate (chunked host path)', () => {
  const N = 7;
  const wf = createFlow({ nSites: N, complex: true, nUp: 3, chunkSize: 5, signSites: [1, 3, 5] }, new Rng(4));
  randomize(wf, new Rng(6), 0.5);
  const bits = enumerate(N);
  const count = 1 << N;
  const host = wf.evaluate(bits, count);
  const x = tf.tensor2d(Float32Array.from(bits), [count, N]);
  const t = wf.logPsi(x);
  const a = t.logAmp.dataSync();
  const ph = t.phase.dataSync();
  for (let i = 0; i < count; i++) {
    // (equal also covers −∞ outside the S^z sector)
    assert.ok(host.logAmp[i] === a[i] || Math.abs(host.logAmp[i] - a[i]) <= layoutTolerance(0) * Math.max(1, Math.abs(a[i])), `logAmp [${i}]: ${host.logAmp[i]} vs ${a[i]}`);
    assert.ok(Math.abs(host.phase[i] - ph[i]) < 1e-6);
  }
  tf.dispose([x, t.logAmp, t.phase]);
  wf.dispose();
});

test('spec() holds the options needed to rebuild the ansatz', () => {
  const wf = createFlow({ nSites: 6, hidden: 10, layers: 3, complex: true, nUp: 3, order: [5, 4, 3, 2, 1, 0] }, new Rng(1));
  const spec = wf.spec();
  assert.equal(spec.kind, 'flow');
  assert.equal(spec.nSites, 6);
  assert.equal(spec.hidden, 10);
  assert.equal(spec.layers, 3);
  assert.equal(spec.complex, true);
  assert.equal(spec.nUp, 3);
  assert.deepEqual(spec.order, [5, 4, 3, 2, 1, 0]);
  assert.equal(wf.kind, 'flow');
  assert.equal(wf.normalized, true);
  const again = createFlow(spec as unknown as FlowOptions, new Rng(1));
  assert.deepEqual(again.variables.map((v) => v.shape), wf.variables.map((v) => v.shape));
  assert.throws(() => createFlow({ nSites: 4, order: [0, 1, 1, 2] }, new Rng(1)), /permutation/);
  assert.throws(() => createFlow({ nSites: 4, nUp: 5 }, new Rng(1)), /nUp/);
  again.dispose();
  wf.dispose();
});

/** L = Σ_b (c_b logAmp_b + d_b phase_b) on the host, in float64. */
function hostLoss(wf: ReturnType<typeof createFlow>, bits: Uint8Array, count: number, c: Float64Array, d: Float64Array): number {
  const r = wf.evaluate(bits, count);
  let L = 0;
  for (let b = 0; b < count; b++) L += c[b] * r.logAmp[b] + d[b] * r.phase[b];
  return L;
}

for (const nUp of [null, 3]) {
  test(`gradients of logPsi match central finite differences (complex, nUp = ${nUp})`, () => {
    const N = 6;
    const wf = createFlow({ nSites: N, hidden: 10, layers: 2, complex: true, nUp, order: [1, 0, 3, 2, 5, 4] }, new Rng(7));
    randomize(wf, new Rng(8), 0.5);
    const rng = new Rng(9);
    const count = 12;
    const bits = wf.sample(count, rng);
    const c = new Float64Array(count).map(() => rng.normal());
    const d = new Float64Array(count).map(() => rng.normal());
    const x = tf.tensor2d(Float32Array.from(bits), [count, N]);
    const ct = tf.tensor1d(Float32Array.from(c));
    const dt = tf.tensor1d(Float32Array.from(d));
    const g = tf.variableGrads(() =>
      tf.tidy(() => {
        const r = wf.logPsi(x);
        return tf.add(tf.sum(tf.mul(r.logAmp, ct)), tf.sum(tf.mul(r.phase, dt))) as tf.Scalar;
      }),
    );
    const eps = 1e-2;
    let checked = 0;
    for (const v of wf.variables) {
      const grad = g.grads[v.name].dataSync();
      const orig = v.dataSync().slice() as Float32Array;
      // a few entries per variable, with the largest gradients among them
      const idx = Array.from({ length: orig.length }, (_, i) => i)
        .sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a]))
        .slice(0, 3);
      for (const i of idx) {
        const plus = orig.slice();
        plus[i] += eps;
        const minus = orig.slice();
        minus[i] -= eps;
        const tp = tf.tensor(plus, v.shape);
        v.assign(tp);
        const Lp = hostLoss(wf, bits, count, c, d);
        const tm = tf.tensor(minus, v.shape);
        v.assign(tm);
        const Lm = hostLoss(wf, bits, count, c, d);
        const to = tf.tensor(orig, v.shape);
        v.assign(to);
        tf.dispose([tp, tm, to]);
        const fd = (Lp - Lm) / (2 * eps);
        const tol = 2e-3 + 2e-2 * Math.abs(fd);
        assert.ok(Math.abs(fd - grad[i]) < tol, `${v.name}[${i}]: autodiff ${grad[i]} vs finite difference ${fd}`);
        checked++;
      }
    }
    assert.ok(checked >= 3 * wf.variables.length - 10);
    for (const k in g.grads) g.grads[k].dispose();
    tf.dispose([g.value, x, ct, dt]);
    wf.dispose();
  });
}

test('tensor count is stable across repeated sample / evaluate / gradient', () => {
  const N = 8;
  const start = tf.memory().numTensors;
  const wf = createFlow({ nSites: N, complex: true, nUp: 4, signSites: [0, 2, 4, 6], chunkSize: 64 }, new Rng(1));
  const rng = new Rng(2);
  const round = (): void => {
    const s = wf.sample(100, rng);
    wf.evaluate(s, 100);
    wf.conditionals(s, 100);
    const x = tf.tensor2d(Float32Array.from(s), [100, N]);
    const g = tf.variableGrads(() =>
      tf.tidy(() => {
        const r = wf.logPsi(x);
        return tf.add(tf.sum(r.logAmp), tf.sum(r.phase)) as tf.Scalar;
      }),
    );
    for (const k in g.grads) g.grads[k].dispose();
    g.value.dispose();
    x.dispose();
  };
  round();
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) round();
  assert.equal(tf.memory().numTensors, n0);
  wf.dispose();
  assert.equal(tf.memory().numTensors, start, 'dispose() releases every variable and constant');
});
