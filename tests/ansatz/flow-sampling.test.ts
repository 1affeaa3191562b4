/**
 * Flow ansatz sampling: χ² of sample histograms against |ψ|² from enumeration, and the flow map
 * u ↦ x against an explicit conditional-by-conditional sampler whose conditionals come from
 * marginals of the enumerated density (independent of the MADE logits).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { createFlow, type FlowOptions } from '../../src/ansatz/flow.js';
import { chi2, chi2Critical, enumerate, indexOf, popcount, probabilities, randomize } from './helpers.js';

before(async () => {
  await initBackend(testBackend());
});

const cases: Array<{ name: string; opts: FlowOptions }> = [
  { name: 'all configurations', opts: { nSites: 6, hidden: 12, complex: true } },
  { name: 'nUp = 3', opts: { nSites: 6, hidden: 12, nUp: 3 } },
  { name: 'nUp = 2, custom order', opts: { nSites: 6, hidden: 12, nUp: 2, order: [4, 2, 0, 5, 3, 1] } },
];

for (const { name, opts } of cases) {
  test(`χ² of flow samples against enumeration, N = 6, ${name}`, () => {
    const wf = createFlow(opts, new Rng(31));
    randomize(wf, new Rng(32), 0.6);
    const N = opts.nSites;
    const p = probabilities(wf);
    const M = 20000;
    const s = wf.sample(M, new Rng(33));
    const counts = new Float64Array(1 << N);
    for (let b = 0; b < M; b++) {
      const i = indexOf(s, b, N);
      if (opts.nUp != null) assert.equal(popcount(i), opts.nUp, 'sample outside the sector');
      counts[i]++;
    }
    const { stat, df } = chi2(counts, p, M);
    assert.ok(df >= 10, `too few bins (${df + 1})`);
    assert.ok(stat < chi2Critical(df), `χ² = ${stat.toFixed(1)} with ${df} dof (critical ${chi2Critical(df).toFixed(1)})`);
    wf.dispose();
  });
}

/**
 * Reference sampler: P(x_s = 1 | x_<s) = P(prefix, 1) / P(prefix) with prefix marginals summed
 * from the enumerated joint distribution; x_s = 1[u < conditional].
 */
function referenceSample(p: Float64Array, N: number, order: number[], u: Float64Array, count: number): { x: Uint8Array; margin: Float64Array } {
  const x = new Uint8Array(count * N);
  const margin = new Float64Array(count).fill(Infinity);
  for (let b = 0; b < count; b++) {
    let mask = 0; // sites fixed so far
    let value = 0; // their bits
    for (let k = 0; k < N; k++) {
      const s = order[k];
      let pPrefix = 0;
      let pOne = 0;
      for (let i = 0; i < p.length; i++) {
        if ((i & mask) !== value) continue;
        pPrefix += p[i];
        if ((i >> s) & 1) pOne += p[i];
      }
      const cond = pOne / pPrefix;
      const uk = u[b * N + k];
      margin[b] = Math.min(margin[b], Math.abs(uk - cond));
      const bit = uk < cond ? 1 : 0;
      x[b * N + s] = bit;
      mask |= 1 << s;
      value |= bit << s;
    }
  }
  return { x, margin };
}

for (const { name, opts } of cases) {
  test(`flow map equals the conditional-by-conditional sampler on the same uniforms, ${name}`, () => {
    const wf = createFlow(opts, new Rng(41));
    randomize(wf, new Rng(42), 0.8);
    const N = opts.nSites;
    const order = wf.options.order;
    const p = probabilities(wf);
    const count = 400;
    const u = new Float64Array(count * N);
    new Rng(43).fill(u);
    const flow = wf.transform(u, count);
    const ref = referenceSample(p, N, order, u, count);
    let compared = 0;
    for (let b = 0; b < count; b++) {
      if (ref.margin[b] < 1e-5) continue; // a uniform within float32 rounding of a conditional
      compared++;
      assert.deepEqual(flow.subarray(b * N, b * N + N), ref.x.subarray(b * N, b * N + N), `sample ${b}`);
    }
    assert.ok(compared >= count - 2);
    // sample(count, rng) is the flow map applied to the rng's uniforms, in order
    assert.deepEqual(wf.sample(count, new Rng(43)), flow);
    // the host conditionals agree with the enumerated marginals
    const cond = wf.conditionals(flow, count);
    for (let b = 0; b < 20; b++) {
      let mask = 0;
      let value = 0;
      for (let k = 0; k < N; k++) {
        const s = order[k];
        let pPrefix = 0;
        let pOne = 0;
        for (let i = 0; i < p.length; i++) {
          if ((i & mask) !== value) continue;
          pPrefix += p[i];
          if ((i >> s) & 1) pOne += p[i];
        }
        assert.ok(Math.abs(cond[b * N + s] - pOne / pPrefix) < 1e-5, `conditional of site ${s} in sample ${b}`);
        mask |= 1 << s;
        value |= flow[b * N + s] << s;
      }
    }
    wf.dispose();
  });
}

test('sampling in chunks gives the same samples as one chunk', () => {
  const opts: FlowOptions = { nSites: 7, nUp: 3, complex: true };
  const a = createFlow(opts, new Rng(5));
  const b = createFlow({ ...opts, chunkSize: 13 }, new Rng(5));
  assert.deepEqual(a.sample(100, new Rng(6)), b.sample(100, new Rng(6)));
  a.dispose();
  b.dispose();
});

test('enumerate helper agrees with indexOf', () => {
  const bits = enumerate(5);
  for (let i = 0; i < 32; i++) assert.equal(indexOf(bits, i, 5), i);
});
