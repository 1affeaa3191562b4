import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { autocorrelation, chainStats, expandByIndex, splitRhat, tauInt } from '../../src/sampler/diagnostics.js';

/** chain-major AR(1) series x_t = φ x_{t−1} + ε_t, started in equilibrium */
function ar1(rng: Rng, chains: number, length: number, phi: number, offsets?: number[]): Float64Array {
  const x = new Float64Array(chains * length);
  for (let c = 0; c < chains; c++) {
    let v = rng.normal() / Math.sqrt(1 - phi * phi);
    for (let t = 0; t < length; t++) {
      v = phi * v + rng.normal();
      x[c * length + t] = v + (offsets ? offsets[c] : 0);
    }
  }
  return x;
}

test('τ_int of AR(1) series matches (1+φ)/(2(1−φ))', () => {
  const rng = new Rng(1);
  for (const phi of [0, 0.5, 0.8, 0.9]) {
    const expected = (1 + phi) / (2 * (1 - phi));
    const x = ar1(rng, 16, 4000, phi);
    const tau = tauInt(x, 16, 4000);
    assert.ok(Math.abs(tau - expected) < 0.1 * expected + 0.05, `φ=${phi}: τ=${tau.toFixed(3)} expected ${expected.toFixed(3)}`);
  }
  const rho = autocorrelation(ar1(rng, 8, 5000, 0.7), 8, 5000, 3);
  assert.equal(rho[0], 1);
  assert.ok(Math.abs(rho[1] - 0.7) < 0.03 && Math.abs(rho[2] - 0.49) < 0.03);
});

test('error bar with τ covers the true spread of chain means (AR(1), φ = 0.8)', () => {
  const rng = new Rng(2);
  const means: number[] = [];
  let errSum = 0;
  for (let r = 0; r < 200; r++) {
    const x = ar1(rng, 4, 250, 0.8);
    const s = chainStats(x, 4, 250);
    means.push(s.mean);
    errSum += s.error;
    assert.ok(s.error > s.naiveError);
  }
  const m = means.reduce((a, b) => a + b, 0) / means.length;
  const sd = Math.sqrt(means.reduce((a, b) => a + (b - m) ** 2, 0) / (means.length - 1));
  const meanErr = errSum / 200;
  assert.ok(Math.abs(meanErr / sd - 1) < 0.2, `estimated error ${meanErr.toFixed(4)} vs actual spread ${sd.toFixed(4)}`);
});

test('split-R̂ ≈ 1 for iid chains and clearly > 1 for chains with different means', () => {
  const rng = new Rng(3);
  const iid = ar1(rng, 8, 500, 0);
  const r1 = splitRhat(iid, 8, 500);
  assert.ok(Math.abs(r1 - 1) < 0.01, `iid R̂ = ${r1}`);
  const shifted = ar1(rng, 8, 500, 0, [0, 0, 0, 0, 1, 1, 1, 1]);
  const r2 = splitRhat(shifted, 8, 500);
  assert.ok(r2 > 1.1, `shifted R̂ = ${r2}`);
  // a drifting chain (non-stationary) is caught by splitting
  const drift = new Float64Array(2 * 400);
  for (let c = 0; c < 2; c++) for (let t = 0; t < 400; t++) drift[c * 400 + t] = t / 100 + rng.normal();
  assert.ok(splitRhat(drift, 2, 400) > 1.1);
  // constant series
  assert.equal(tauInt(new Float64Array(100).fill(2), 4, 25), 0.5);
});

test('expandByIndex maps distinct-configuration values back to samples', () => {
  assert.deepEqual(Array.from(expandByIndex([10, 20, 30], [0, 2, 2, 1])), [10, 30, 30, 20]);
});
