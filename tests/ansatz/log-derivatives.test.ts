/**
 * Per-sample log-derivatives O_k(x) = ∂ log ψ(x)/∂θ_k of the batched passes (rnn, rnn2d, flow,
 * lru, and the symmetry average of one; src/ansatz/log-derivatives.ts): every row equals the gradient of that one configuration's
 * logAmp and phase by tfjs autodiff, agrees with central finite differences of log ψ along a
 * random direction (U(1) masking and the Marshall sign included), and repeated passes leave no
 * tensor behind; Routing.apply gives the plain sums whatever runs it copies.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { createFlow } from '../../src/ansatz/flow.js';
import { hasAnalyticLogDerivatives, Routing, type LogDerivatives } from '../../src/ansatz/log-derivatives.js';
import { createLru } from '../../src/ansatz/lru.js';
import { createRnn } from '../../src/ansatz/rnn.js';
import { createRnn2d } from '../../src/ansatz/rnn2d.js';
import { withSignRule } from '../../src/ansatz/sign.js';
import { withSymmetry, type SymmetryOperation } from '../../src/ansatz/symmetric.js';
import { parameterCount, type Wavefunction } from '../../src/ansatz/wavefunction.js';
import { Lattice } from '../../src/lattice/lattice.js';
import { Rng } from '../../src/rng.js';
import { testBackend } from '../backend.js';
import { randomize } from './helpers.js';
import { autodiffLogDerivatives } from './log-derivative-reference.js';

before(async () => {
  await initBackend(testBackend());
});

const ring6 = new Lattice({ kind: 'chain', size: [6], bc: 'periodic' });

const cases: [string, () => Wavefunction, boolean][] = [
  ['rnn, complex, 2 layers, S^z = 0, Marshall sign, own path', () =>
    withSignRule(createRnn({ nSites: 6, hidden: 5, layers: 2, complex: true, nUp: 3, order: [2, 0, 1, 5, 3, 4] }, new Rng(1)), 'marshall', ring6), true],
  ['rnn, positive', () => createRnn({ nSites: 5, hidden: 4 }, new Rng(1)), false],
  ['rnn2d, gated, complex, S^z = 0', () => createRnn2d({ lx: 3, ly: 2, hidden: 4, complex: true, nUp: 3 }, new Rng(1)), true],
  ['rnn2d, plain, positive', () => createRnn2d({ lx: 2, ly: 2, hidden: 3, cell: 'plain' }, new Rng(1)), false],
  ['flow, complex, S^z = 0, Marshall sign', () => createFlow({ nSites: 6, hidden: 8, complex: true, nUp: 3, signSites: [0, 2, 4] }, new Rng(1)), true],
  ['flow, relu, 3 layers', () => createFlow({ nSites: 5, hidden: 7, layers: 3, activation: 'relu' }, new Rng(1)), false],
  ['symmetry average of a complex rnn (translations of a ring of 5, momentum 2π/5)', () =>
    withSymmetry(createRnn({ nSites: 5, hidden: 4, complex: true }, new Rng(1)), translations(5, 1)), true],
  ['lru, complex, 2 layers, S^z = 0, Marshall sign', () =>
    withSignRule(createLru({ nSites: 6, hidden: 4, layers: 2, complex: true, nUp: 3 }, new Rng(1)), 'marshall', ring6), true],
];

/** The N translations of a ring with the character e^{2πi·q·k/N}. */
function translations(N: number, q: number): SymmetryOperation[] {
  return Array.from({ length: N }, (_, k) => ({
    perm: Array.from({ length: N }, (_, s) => (s + k) % N), flip: false,
    chiRe: Math.cos((2 * Math.PI * q * k) / N), chiIm: Math.sin((2 * Math.PI * q * k) / N),
  }));
}

/** Phase difference reduced to (−π, π] (the Marshall sign adds π on the host). */
const turn = (d: number) => d - 2 * Math.PI * Math.round(d / (2 * Math.PI));

/** Σ_k O[b, k] v_k for every row b. */
function directional(rows: Float32Array | Float64Array, count: number, P: number, v: Float64Array): Float64Array {
  const out = new Float64Array(count);
  for (let b = 0; b < count; b++) for (let k = 0; k < P; k++) out[b] += rows[b * P + k] * v[k];
  return out;
}

for (const [name, make, complex] of cases) {
  test(`per-sample O equals autodiff per configuration and finite differences of log ψ: ${name}`, () => {
    const wf = make();
    try {
      randomize(wf, new Rng(2), 0.4);
      assert.ok(hasAnalyticLogDerivatives(wf));
      const count = 7;
      const configs = wf.sample!(count, new Rng(3));
      const P = parameterCount(wf);
      const O: LogDerivatives = wf.logDerivatives(configs, count);
      assert.equal(O.nParams, P);
      assert.equal(O.re.length, count * P);
      assert.equal(O.im.length, complex ? count * P : 0);

      // every row: the gradient of that configuration's logAmp and phase alone
      const ref = autodiffLogDerivatives(wf, configs, count);
      let scale = 0;
      for (let k = 0; k < ref.re.length; k++) scale = Math.max(scale, Math.abs(ref.re[k]));
      for (let k = 0; k < count * P; k++) {
        assert.ok(Math.abs(O.re[k] - ref.re[k]) <= 1e-5 * scale, `Re O[${k}]: ${O.re[k]} vs ${ref.re[k]}`);
        const im = complex ? O.im[k] : 0;
        assert.ok(Math.abs(im - ref.im[k]) <= 1e-5 * scale, `Im O[${k}]: ${im} vs ${ref.im[k]}`);
      }

      // central finite differences of log ψ (evaluate, float64 sums) along a random unit direction
      const rng = new Rng(4);
      const dir = new Float64Array(P).map(() => rng.normal());
      const len = Math.hypot(...dir);
      dir.forEach((d, k) => (dir[k] = d / len)); // a unit direction: small moves of each parameter (relu kinks)
      const base = wf.variables.map((v) => v.dataSync().slice() as Float32Array);
      const at = (t: number) => {
        let off = 0;
        wf.variables.forEach((v, i) => {
          const x = base[i].map((b, j) => b + t * dir[off + j]);
          tf.tidy(() => v.assign(tf.tensor(x, v.shape)));
          off += v.size;
        });
        return wf.evaluate(configs, count);
      };
      const eps = 1e-2;
      const plus = at(eps);
      const minus = at(-eps);
      at(0);
      const dRe = directional(O.re, count, P, dir);
      const dIm = complex ? directional(O.im, count, P, dir) : new Float64Array(count);
      for (let b = 0; b < count; b++) {
        const fdRe = (plus.logAmp[b] - minus.logAmp[b]) / (2 * eps);
        const fdIm = turn(plus.phase[b] - minus.phase[b]) / (2 * eps);
        assert.ok(Math.abs(fdRe - dRe[b]) < 1e-2 * Math.abs(fdRe) + 2e-3, `sample ${b}: ∂logAmp ${dRe[b]} vs FD ${fdRe}`);
        assert.ok(Math.abs(fdIm - dIm[b]) < 1e-2 * Math.abs(fdIm) + 2e-3, `sample ${b}: ∂phase ${dIm[b]} vs FD ${fdIm}`);
      }
      if (complex) assert.ok(dIm.some((d) => Math.abs(d) > 1e-2), 'the phase derivatives are not all trivial');

      // chunks of the pass: the same rows whatever the batch (here: one configuration at a time)
      const first = wf.logDerivatives(configs.subarray(0, wf.nSites), 1);
      for (let k = 0; k < P; k++) assert.ok(Math.abs(first.re[k] - O.re[k]) <= 1e-6 * scale);

      // no tensor leaks
      const before = tf.memory().numTensors;
      wf.logDerivatives(configs, count);
      wf.logDerivatives(configs, count);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      wf.dispose();
    }
  });
}

test('Routing.apply: overlapping runs, coefficients and missing slots give the plain sums (copies only where a run is first)', () => {
  // P = 5; slot a (size 3): a[0..1] → p0..p1 (coef 1, first: copied), a[2] → p2 with coef −2 (first, but scaled);
  // slot b (size 2): b[0..1] → p1..p2 (both already reached: added), b[1] → p4 (first: copied);
  // slot c (size 1): c[0] → p3, not among the gradients (contributes nothing)
  const r = new Routing(5).range('a', 3, 0, 0, 2).entry('a', 3, 2, 2, -2).range('b', 2, 0, 1, 2).entry('b', 2, 1, 4, 1).entry('c', 1, 0, 3, 1);
  const B = 2;
  const a = Float32Array.from([1, 2, 3, 10, 20, 30]);
  const b = Float32Array.from([0.5, 0.25, 5, 6]);
  const expected = (ga: Float32Array, gb: Float32Array, s: number): number[] => [
    ga[3 * s], ga[3 * s + 1] + gb[2 * s], -2 * ga[3 * s + 2] + gb[2 * s + 1], 0, gb[2 * s + 1],
  ];
  for (const order of [['a', 'b'], ['b', 'a']]) {
    const grads = new Map(order.map((k) => [k, k === 'a' ? a : b] as [string, Float32Array]));
    const out = new Float32Array(3 * 5); // rows 1 and 2 receive the two samples
    r.apply(grads, B, out, 1);
    assert.deepEqual(Array.from(out.subarray(0, 5)), [0, 0, 0, 0, 0]);
    for (let s = 0; s < B; s++) {
      const want = expected(a, b, s);
      Array.from(out.subarray((1 + s) * 5, (2 + s) * 5)).forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-6, `sample ${s}, p${k}: ${v} vs ${want[k]}`));
    }
  }
  assert.throws(() => r.apply(new Map([['d', new Float32Array(2)]]), B, new Float32Array(10), 0), /no route for slot d/);
});
