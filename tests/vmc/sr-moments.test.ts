/**
 * The weighted sums of O formed shard by shard (src/vmc/sr-moments.ts) and the sample-space Gram
 * matrix centred after the products (src/vmc/gram-blocks.ts `centredGram`): the same solve as
 * the sums and the centred rows formed on the whole matrix.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { blockProducts, centredGram, gramPlan } from '../../src/vmc/gram-blocks.js';
import { derivativeShards, shardDerivatives } from '../../src/vmc/log-derivative-shards.js';
import { addMoments, momentWeights, rowMoments } from '../../src/vmc/sr-moments.js';
import { srSolve, type LogDerivatives } from '../../src/vmc/sr.js';
import { maxRelDiff } from './sr-reference.js';

before(async () => {
  await initBackend(testBackend());
});

/** O with a mean far from zero (the case where centring after the products loses most), float32 like the ansätze'. */
function problem(rng: Rng, n: number, P: number, complex: boolean) {
  const O: LogDerivatives = { re: new Float32Array(n * P), im: new Float32Array(complex ? n * P : 0), nParams: P };
  const offset = Array.from({ length: P }, () => 3 * rng.normal());
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < P; k++) {
      O.re[s * P + k] = offset[k] + rng.normal();
      if (complex) O.im[s * P + k] = -offset[k] + 0.5 * rng.normal();
    }
  }
  const eloc = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let s = 0; s < n; s++) {
    eloc.re[s] = -10 + rng.normal();
    eloc.im[s] = complex ? 0.3 * rng.normal() : 0;
  }
  const w = new Float64Array(n);
  for (let s = 0; s < n; s++) w[s] = 1 + rng.int(3);
  return { O, eloc, w };
}

/** The rows of O of shard `k` (configurations are not needed: O is given). */
function shardRows(O: LogDerivatives, from: number, to: number): LogDerivatives {
  const P = O.nParams;
  return { re: O.re.slice(from * P, to * P), im: O.im.length > 0 ? O.im.slice(from * P, to * P) : O.im, nParams: P };
}

test('sums formed shard by shard and added in order equal the sums of the whole matrix; F does not depend on the reference energy', () => {
  const rng = new Rng(11);
  for (const complex of [false, true]) {
    const n = 37;
    const P = 23;
    const { O, eloc, w } = problem(rng, n, P, complex);
    const whole = rowMoments(O, momentWeights(w, eloc.re, eloc.im, 0, 0));
    // derivativeShards cuts the weights as it cuts the configurations
    const configs = new Uint8Array(n * 2);
    const weights = momentWeights(w, eloc.re, eloc.im, 0, 0);
    const shards = derivativeShards(configs, n, 2, 4, weights);
    assert.equal(shards.length, 4);
    let from = 0;
    const parts = shards.map((s) => {
      const rows = shardRows(O, from, from + s.count);
      from += s.count;
      return shardDerivatives(s, () => rows);
    });
    const added = addMoments(parts.map((p) => p.moments!));
    assert.ok(Math.abs(added.sumW - whole.sumW) < 1e-12 * whole.sumW);
    assert.ok(maxRelDiff(added.wRe, whole.wRe) < 1e-12);
    assert.ok(maxRelDiff(added.uO, whole.uO) < 1e-12);
    if (complex) assert.ok(maxRelDiff(added.wIm, whole.wIm) < 1e-12);
    // the solve with the shards' sums (reference E₀ = −7, not the mean) equals the solve forming its own
    const own = srSolve(O, eloc, w, { diagShift: 1e-3, space: 'sample', cgTol: 1e-12 });
    const shifted = addMoments(
      derivativeShards(configs, n, 2, 3, momentWeights(w, eloc.re, eloc.im, -7, 0.2)).map((s, k, all) => {
        const start = all.slice(0, k).reduce((a, b) => a + b.count, 0);
        return shardDerivatives(s, () => shardRows(O, start, start + s.count)).moments!;
      }),
    );
    const given = srSolve(O, eloc, w, { diagShift: 1e-3, space: 'sample', cgTol: 1e-12, moments: shifted });
    assert.ok(maxRelDiff(given.delta, own.delta) < 1e-9, `${complex}: δ ${maxRelDiff(given.delta, own.delta)}`);
    assert.ok(maxRelDiff(given.force, own.force) < 1e-9, `${complex}: F ${maxRelDiff(given.force, own.force)}`);
    const param = srSolve(O, eloc, w, { diagShift: 1e-3, space: 'parameter', solver: 'cg', cgTol: 1e-12, moments: shifted });
    assert.ok(maxRelDiff(param.delta, own.delta) < 1e-7, `${complex}: parameter space ${maxRelDiff(param.delta, own.delta)}`);
  }
});

test('sums for the wrong number of parameters are refused', () => {
  const { O, eloc, w } = problem(new Rng(2), 10, 6, false);
  const wrong = rowMoments({ re: new Float32Array(10 * 5), im: new Float32Array(0), nParams: 5 }, momentWeights(w, eloc.re, eloc.im, 0, 0));
  assert.throws(() => srSolve(O, eloc, w, { diagShift: 1e-2, space: 'sample', moments: wrong }), /weighted sums of O are for 5 parameters, O has 6/);
});

test('centredGram of the raw products equals the Gram matrix of the centred, weighted rows (real and stacked real/imaginary rows)', () => {
  const rng = new Rng(5);
  for (const complex of [false, true]) {
    const n = 29;
    const P = 17;
    const { O, w } = problem(rng, n, P, complex);
    const parts = complex ? [O.re as Float32Array, O.im as Float32Array] : [O.re as Float32Array];
    const plan = gramPlan(parts, P);
    const R = complex ? 2 * n : n;
    assert.deepEqual(plan.partStarts, complex ? [0, n, 2 * n] : [0, n]);
    assert.equal(plan.bounds[plan.bounds.length - 1], R);
    // no block across the real and imaginary rows
    if (complex) assert.ok(plan.bounds.includes(n));
    let W = 0;
    for (const x of w) W += x;
    const rowWeight = new Float64Array(R);
    for (let r = 0; r < R; r++) rowWeight[r] = w[r % n] / W;
    const T = centredGram(R, plan.bounds, plan.pairs, blockProducts(plan.blocks, P, plan.pairs), rowWeight, plan.partStarts);
    // reference: Y_r = sqrt(ŵ_r)(X_r − m_part(r)) in float64, T = Y Yᵀ
    const Y = new Float64Array(R * P);
    parts.forEach((X, p) => {
      const m = new Float64Array(P);
      for (let s = 0; s < n; s++) for (let k = 0; k < P; k++) m[k] += (w[s] / W) * X[s * P + k];
      for (let s = 0; s < n; s++) for (let k = 0; k < P; k++) Y[(p * n + s) * P + k] = Math.sqrt(w[s] / W) * (X[s * P + k] - m[k]);
    });
    let worst = 0;
    let scale = 0;
    for (let r = 0; r < R; r++) {
      for (let s = 0; s <= r; s++) {
        let ref = 0;
        for (let k = 0; k < P; k++) ref += Y[r * P + k] * Y[s * P + k];
        worst = Math.max(worst, Math.abs(T[r * R + s] - ref));
        scale = Math.max(scale, Math.abs(ref));
      }
    }
    // float32 products of rows of norm ~3·sqrt(P): rounding relative to |X|², not |Y|²
    assert.ok(worst < 1e-4 * scale, `${complex}: ${worst} against ${scale}`);
  }
});
