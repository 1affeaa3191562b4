/** Shared helpers for the autoregressive ansatz tests (rnn, rnn2d, flow) and Metropolis tests (not a test file itself). */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { popcount } from '../../src/exact/index.js';
import { allConfigs as enumerate } from '../configurations.js';
import type { Connections } from '../../src/hamiltonian/types.js';

/** All 2^N configurations as count·N bits; configuration i has x_s = bit s of i. */
export { enumerate, popcount };

/** Index of a configuration (inverse of `enumerate`). */
export { configIndex as indexOf } from '../configurations.js';

/** Sets every variable to scale·normal draws, so the distribution is far from uniform. */
export function randomize(wf: Wavefunction, rng: Rng, scale: number): void {
  for (const v of wf.variables) {
    const a = new Float32Array(v.size);
    for (let i = 0; i < a.length; i++) a[i] = scale * rng.normal();
    const t = tf.tensor(a, v.shape);
    v.assign(t);
    t.dispose();
  }
}

/** Exact probabilities |ψ|² of all 2^N configurations (float64 sums of float32 log-amplitudes). */
export function probabilities(wf: Wavefunction): Float64Array {
  const N = wf.nSites;
  const r = wf.evaluate(enumerate(N), 1 << N);
  return r.logAmp.map((a) => Math.exp(2 * a));
}

/** Upper quantile of χ²(df) at tail probability 1e-3 (Wilson–Hilferty, z = 3.09). */
export function chi2Critical(df: number): number {
  const z = 3.09;
  const t = 1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df));
  return df * t * t * t;
}

/**
 * χ² statistic of observed counts against expected probabilities; bins with expected count
 * below 5 are pooled into one. Returns the statistic and the degrees of freedom.
 */
export function chi2(observed: Float64Array, probs: Float64Array, total: number): { stat: number; df: number } {
  let stat = 0;
  let bins = 0;
  let poolObs = 0;
  let poolExp = 0;
  for (let i = 0; i < probs.length; i++) {
    const e = probs[i] * total;
    if (e < 5) {
      poolObs += observed[i];
      poolExp += e;
      continue;
    }
    stat += (observed[i] - e) ** 2 / e;
    bins++;
  }
  if (poolExp > 0) {
    stat += (poolObs - poolExp) ** 2 / Math.max(poolExp, 1e-12);
    bins++;
  }
  return { stat, df: bins - 1 };
}

export function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * Σ_x P(x) = 1 by enumeration of all 2^N configurations, P = 0 outside the nUp sector, a zero
 * phase for positive ansätze, and a distribution far enough from uniform that the check means
 * something (max P > 3/dimension).
 */
export function assertNormalised(wf: Wavefunction, nSites: number, nUp: number | null, complex: boolean): void {
  const M = 1 << nSites;
  const { logAmp, phase } = wf.evaluate(enumerate(nSites), M);
  let inside = 0;
  let outside = 0;
  let pmax = 0;
  for (let x = 0; x < M; x++) {
    const p = Math.exp(2 * logAmp[x]);
    pmax = Math.max(pmax, p);
    if (nUp === null || popcount(x) === nUp) inside += p;
    else outside += p;
    assert.ok(Number.isFinite(phase[x]));
    if (!complex) assert.equal(phase[x], 0);
  }
  assert.ok(Math.abs(inside - 1) < 2e-5, `Σ P = ${inside}`);
  assert.equal(outside, 0);
  const nIn = nUp === null ? M : binom(nSites, nUp);
  assert.ok(pmax > 3 / nIn, `max P = ${pmax}: too close to uniform for a meaningful test`);
}

/** A random permutation of 0..N−1 (Fisher–Yates). */
export function permutation(N: number, rng: Rng): number[] {
  const p = Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Connections with all single flips and nearest/next-nearest pair flips (matrix elements unused). */
export function flipConnections(parents: Uint8Array, count: number, N: number, onlyExchange = false): Connections {
  const groups: number[][] = [];
  if (!onlyExchange) for (let i = 0; i < N; i++) groups.push([i]);
  for (let i = 0; i + 1 < N; i++) groups.push([i, i + 1]);
  for (let i = 0; i + 2 < N; i++) groups.push([i, i + 2]);
  const configs: number[] = [];
  const parent: number[] = [];
  const group: number[] = [];
  const offsets = new Int32Array(count + 1);
  for (let p = 0; p < count; p++) {
    groups.forEach((g, gi) => {
      if (onlyExchange && parents[p * N + g[0]] === parents[p * N + g[1]]) return;
      const row = Array.from(parents.subarray(p * N, (p + 1) * N));
      for (const s of g) row[s] ^= 1;
      configs.push(...row);
      parent.push(p);
      group.push(gi);
    });
    offsets[p + 1] = parent.length;
  }
  const K = parent.length;
  return {
    count, nSites: N, diag: new Float64Array(count), offsets, configs: Uint8Array.from(configs),
    elemRe: new Float64Array(K).fill(-1), elemIm: new Float64Array(K), parent: Int32Array.from(parent), group: Int32Array.from(group),
  };
}

/** Surrogate-like loss Σ_b (a_b·logAmp_b + c_b·phase_b) with fixed coefficients. */
export function lossTensor(wf: Wavefunction, x: tf.Tensor2D, a: tf.Tensor1D, c: tf.Tensor1D): tf.Scalar {
  const { logAmp, phase } = wf.logPsi(x);
  return tf.add(tf.sum(tf.mul(logAmp, a)), tf.sum(tf.mul(phase, c))) as tf.Scalar;
}

/** Gradient of `lossTensor` with respect to every variable, as host copies in variable order. */
export function lossGradients(wf: Wavefunction, x: tf.Tensor2D, a: tf.Tensor1D, c: tf.Tensor1D): Float32Array[] {
  const { grads, value } = tf.variableGrads(() => lossTensor(wf, x, a, c), wf.variables);
  value.dispose();
  const out = wf.variables.map((v) => grads[v.name].dataSync().slice() as Float32Array);
  tf.dispose(grads);
  return out;
}

/**
 * For each variable of `wf`, the analytic derivative Σ_i g_i d_i of a host function f along one
 * random direction d, and its central difference (f(θ + εd) − f(θ − εd)) / 2ε; the variables are
 * restored afterwards.
 */
export function directionalDerivatives(
  wf: Wavefunction, g: ArrayLike<number>[], f: () => number, rng: Rng, eps: number,
): { analytic: number; fd: number }[] {
  return wf.variables.map((v, vi) => {
    const orig = v.dataSync().slice();
    const dir = new Float32Array(v.size);
    for (let i = 0; i < dir.length; i++) dir[i] = rng.normal();
    let analytic = 0;
    for (let i = 0; i < dir.length; i++) analytic += g[vi][i] * dir[i];
    const at = (t: number) => {
      const w = tf.tensor(orig.map((o, i) => o + t * dir[i]), v.shape);
      v.assign(w);
      w.dispose();
      return f();
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    at(0);
    return { analytic, fd };
  });
}

/**
 * The analytic gradient `g` of `lossTensor` agrees with central finite differences (step eps)
 * along one random direction per variable; the variables are restored afterwards.
 */
export function assertFiniteDifferences(
  wf: Wavefunction, x: tf.Tensor2D, a: tf.Tensor1D, c: tf.Tensor1D, g: Float32Array[], rng: Rng, eps = 1e-2,
): void {
  const hostLoss = () => {
    const l = lossTensor(wf, x, a, c);
    const v = l.dataSync()[0];
    l.dispose();
    return v;
  };
  directionalDerivatives(wf, g, hostLoss, rng, eps).forEach(({ analytic, fd }, vi) => {
    const tol = 1e-2 * Math.max(Math.abs(analytic), Math.abs(fd)) + 1e-3;
    assert.ok(Math.abs(fd - analytic) < tol, `variable ${vi} [${wf.variables[vi].shape}]: analytic ${analytic} vs finite difference ${fd}`);
  });
}

/** The distinct rows of count·N bits, in order of first appearance (as the driver passes parents). */
export function distinctRows(bits: Uint8Array, count: number, N: number): Uint8Array {
  const seen = new Set<string>();
  const out: number[] = [];
  for (let p = 0; p < count; p++) {
    const row = bits.subarray(p * N, (p + 1) * N);
    const key = row.join('');
    if (!seen.has(key)) {
      seen.add(key);
      out.push(...row);
    }
  }
  return Uint8Array.from(out);
}

/**
 * evaluate, evaluateConnected and logPsi give the same log ψ of the connected configurations
 * (relative tolerance tol; phases modulo 2π, as the Marshall sign wrapper reduces them on the host only).
 */
export function assertConnectedConsistent(wf: Wavefunction, parents: Uint8Array, conn: Connections, tol: number): void {
  const N = wf.nSites;
  const K = conn.offsets[conn.count];
  const ev = wf.evaluate(conn.configs, K);
  const ec = wf.evaluateConnected!(parents, conn);
  const x = tf.tensor2d(Float32Array.from(conn.configs), [K, N]);
  const lp = wf.logPsi(x);
  const la = lp.logAmp.dataSync();
  const ph = lp.phase.dataSync();
  const close = (a: number, b: number, what: string, k: number) =>
    assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(a)), `${what} [${k}]: ${a} vs ${b}`);
  const turns = (a: number, b: number) => 2 * Math.PI * Math.round((a - b) / (2 * Math.PI));
  for (let k = 0; k < K; k++) {
    close(ev.logAmp[k], ec.logAmp[k], 'logAmp evaluate/evaluateConnected', k);
    close(ev.phase[k], ec.phase[k] + turns(ev.phase[k], ec.phase[k]), 'phase evaluate/evaluateConnected', k);
    close(ev.logAmp[k], la[k], 'logAmp evaluate/logPsi', k);
    close(ev.phase[k], ph[k] + turns(ev.phase[k], ph[k]), 'phase evaluate/logPsi', k);
  }
  tf.dispose([x, lp.logAmp, lp.phase]);
}

/**
 * No tensor leaks: `rounds` rounds of sample, evaluate, evaluateConnected (connections of 5
 * parents from `connect`; skipped for an ansatz without it), a gradient and a plain logPsi leave
 * the tensor count unchanged after a first warm-up round.
 */
export function assertNoLeaks(wf: Wavefunction, rng: Rng, connect: (parents: Uint8Array, count: number) => Connections, rounds = 4): void {
  const N = wf.nSites;
  const round = () => {
    const s = wf.sample!(30, rng);
    wf.evaluate(s, 30);
    if (wf.evaluateConnected) wf.evaluateConnected(s.slice(0, 5 * N), connect(s.slice(0, 5 * N), 5));
    const x = tf.tensor2d(Float32Array.from(s), [30, N]);
    const { grads, value } = tf.variableGrads(() => {
      const { logAmp, phase } = wf.logPsi(x);
      return tf.add(tf.sum(logAmp), tf.sum(phase)) as tf.Scalar;
    }, wf.variables);
    const plain = wf.logPsi(x);
    tf.dispose([x, value, plain.logAmp, plain.phase]);
    tf.dispose(grads);
  };
  round();
  const before = tf.memory().numTensors;
  for (let i = 0; i < rounds; i++) round();
  assert.equal(tf.memory().numTensors, before);
}
