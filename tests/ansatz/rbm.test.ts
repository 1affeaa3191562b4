import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { chainTranslations, createRbm, type Rbm } from '../../src/ansatz/rbm.js';
import { perSampleLogDerivatives } from '../../src/vmc/sr.js';
import { chainModel } from '../sampler/helpers.js';
import type { Connections } from '../../src/hamiltonian/types.js';

before(async () => {
  await initBackend(testBackend());
});

function randomConfigs(rng: Rng, count: number, n: number): Uint8Array {
  const x = new Uint8Array(count * n);
  for (let k = 0; k < x.length; k++) x[k] = rng.uniform() < 0.5 ? 1 : 0;
  return x;
}

function wrap(a: number): number {
  return a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
}

/** Re log(2 cosh(x + iy)), stable for any x (a reference independent of the RBM's kernel). */
function logAbs2Cosh(x: number, y: number): number {
  const ax = x < 0 ? -x : x;
  const u = Math.exp(-2 * ax);
  return ax + 0.5 * Math.log(1 + 2 * u * Math.cos(2 * y) + u * u);
}

/** Im log(2 cosh(x + iy)) (mod 2π): 2cosh z = e^{sz}(1 + e^{−2sz}), s = sign x. */
function argOf2Cosh(x: number, y: number): number {
  const s = x > 0 ? 1 : -1;
  const u = Math.exp(-2 * s * x);
  return s * (y - Math.atan2(u * Math.sin(2 * y), 1 + u * Math.cos(2 * y)));
}

/** log ψ straight from the formula, unit by unit, from the RBM's float64 parameters. */
function referenceLogPsi(wf: Rbm, x: Uint8Array, count: number): { logAmp: Float64Array; phase: Float64Array } {
  const p = wf.hostParams();
  const n = wf.nSites;
  const M = wf.nHidden;
  const logAmp = new Float64Array(count);
  const phase = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    const s = (i: number) => (x[b * n + i] ? 1 : -1);
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      re += s(i) * p.aRe[i];
      im += s(i) * p.aIm[i];
    }
    for (let j = 0; j < M; j++) {
      let tr = p.bRe[j];
      let ti = p.bIm[j];
      for (let i = 0; i < n; i++) {
        tr += s(i) * p.WRe[i * M + j];
        ti += s(i) * p.WIm[i * M + j];
      }
      re += logAbs2Cosh(tr, ti);
      im += wf.complex ? argOf2Cosh(tr, ti) : 0;
    }
    let up = 0;
    for (const site of wf.signSites) up += x[b * n + site];
    logAmp[b] = re;
    phase[b] = im + (up & 1 ? Math.PI : 0);
  }
  return { logAmp, phase };
}

function tfLogPsi(wf: Rbm, x: Uint8Array, count: number) {
  return tf.tidy(() => {
    const t = tf.tensor2d(Float32Array.from(x), [count, wf.nSites]);
    const r = wf.logPsi(t);
    return { logAmp: r.logAmp.dataSync().slice(), phase: r.phase.dataSync().slice() };
  });
}

test('log(2cosh z) with real ops matches the complex formula and stays finite for large |Re z|', () => {
  for (const [x, y] of [
    [0.3, 0.2],
    [-1.7, 2.5],
    [2.2, -3.9],
    [-0.01, 1.5],
    [0.5, 1.5707],
  ]) {
    // direct: 2cosh z = 2cosh x cos y + 2i sinh x sin y
    const re = 2 * Math.cosh(x) * Math.cos(y);
    const im = 2 * Math.sinh(x) * Math.sin(y);
    assert.ok(Math.abs(logAbs2Cosh(x, y) - 0.5 * Math.log(re * re + im * im)) < 1e-12);
    assert.ok(Math.abs(wrap(argOf2Cosh(x, y) - Math.atan2(im, re))) < 1e-12);
  }
  assert.ok(Math.abs(logAbs2Cosh(800, 0.3) - 800) < 1e-12);
  assert.ok(Math.abs(logAbs2Cosh(-800, 0.3) - 800) < 1e-12);
  assert.ok(Math.abs(wrap(argOf2Cosh(800, 0.3) - 0.3)) < 1e-9);
  assert.ok(Math.abs(wrap(argOf2Cosh(-800, 0.3) + 0.3)) < 1e-9);
});

test('tfjs logPsi equals host evaluate (complex and real, with a sign rule)', () => {
  const rng = new Rng(1);
  for (const [complex, sym] of [[true, false], [false, false], [true, true], [false, true]]) {
    const wf = createRbm({ nSites: 7, alpha: 2, complex, initScale: 0.6, signSites: [0, 2, 4, 6], symmetries: sym ? chainTranslations(7) : null }, rng);
    const x = randomConfigs(rng, 40, 7);
    const h = wf.evaluate(x, 40);
    const t = tfLogPsi(wf, x, 40);
    for (let b = 0; b < 40; b++) {
      assert.ok(Math.abs(h.logAmp[b] - t.logAmp[b]) < 1e-4, `logAmp ${b}: ${h.logAmp[b]} vs ${t.logAmp[b]}`);
      assert.ok(Math.abs(wrap(h.phase[b] - t.phase[b])) < 1e-4, `phase ${b}: ${h.phase[b]} vs ${t.phase[b]}`);
    }
    // large parameters: still finite
    wf.variables.forEach((v) => v.assign(v.mul(100)));
    const t2 = tfLogPsi(wf, x, 40);
    const h2 = wf.evaluate(x, 40);
    for (let b = 0; b < 40; b++) {
      assert.ok(Number.isFinite(t2.logAmp[b]) && Number.isFinite(t2.phase[b]));
      assert.ok(Math.abs(h2.logAmp[b] - t2.logAmp[b]) < 1e-3 * Math.abs(h2.logAmp[b]) + 1e-2);
    }
    wf.dispose();
  }
});

test('analytic O_k equal tfjs autodiff and finite differences (re and im)', () => {
  const rng = new Rng(2);
  for (const [complex, sym] of [[true, false], [false, false], [true, true], [false, true]]) {
    const n = 5;
    const wf = createRbm({ nSites: n, alpha: 2, complex, initScale: 0.4, symmetries: sym ? chainTranslations(n) : null }, rng);
    const count = 6;
    const x = randomConfigs(rng, count, n);
    const O = wf.logDerivatives(x, count);
    const A = perSampleLogDerivatives(wf, x, count);
    assert.equal(O.nParams, A.nParams);
    const P = O.nParams;
    for (let k = 0; k < count * P; k++) {
      assert.ok(Math.abs(O.re[k] - A.re[k]) < 1e-4, `re ${k}: ${O.re[k]} vs ${A.re[k]}`);
      assert.ok(Math.abs(O.im[k] - A.im[k]) < 1e-4, `im ${k}: ${O.im[k]} vs ${A.im[k]}`);
    }
    // central finite differences on the float64 host evaluation
    const eps = 1e-3;
    let off = 0;
    for (const v of wf.variables) {
      const base = v.dataSync().slice() as Float32Array;
      for (let e = 0; e < v.size; e += sym ? 1 : 3) {
        const shifted = (d: number) => {
          const w = base.slice();
          w[e] += d;
          tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
          return wf.evaluate(x, count);
        };
        const plus = shifted(eps);
        const minus = shifted(-eps);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        // actual float32 step
        const dp = Math.fround(base[e] + eps) - Math.fround(base[e] - eps);
        for (let b = 0; b < count; b++) {
          const fdRe = (plus.logAmp[b] - minus.logAmp[b]) / dp;
          const fdIm = wrap(plus.phase[b] - minus.phase[b]) / dp;
          assert.ok(Math.abs(fdRe - O.re[b * P + off + e]) < 2e-4, `FD re p${off + e} s${b}: ${fdRe} vs ${O.re[b * P + off + e]}`);
          assert.ok(Math.abs(fdIm - O.im[b * P + off + e]) < 2e-4, `FD im p${off + e} s${b}: ${fdIm} vs ${O.im[b * P + off + e]}`);
        }
      }
      off += v.size;
    }
    wf.dispose();
  }
});

test('translation-symmetric RBM: ψ(T x) = ψ(x), α(N+1)+1 parameters, θ tables and connected evaluation agree', () => {
  const rng = new Rng(9);
  const n = 8;
  const wf = createRbm({ nSites: n, alpha: 2, complex: true, initScale: 0.5, symmetries: chainTranslations(n) }, rng);
  assert.equal(wf.nParams, 2 * (2 * (n + 1) + 1));
  assert.equal(wf.nHidden, 16);
  const x = randomConfigs(rng, 5, n);
  const shifted = new Uint8Array(x.length);
  for (let b = 0; b < 5; b++) for (let i = 0; i < n; i++) shifted[b * n + ((i + 3) % n)] = x[b * n + i];
  const a = wf.evaluate(x, 5);
  const c = wf.evaluate(shifted, 5);
  for (let b = 0; b < 5; b++) {
    assert.ok(Math.abs(a.logAmp[b] - c.logAmp[b]) < 1e-10);
    assert.ok(Math.abs(wrap(a.phase[b] - c.phase[b])) < 1e-10);
  }
  const { h } = chainModel('heisenberg', n);
  const conn = h.connections(x, 5);
  const e1 = wf.evaluateConnected(x, conn);
  const e2 = wf.evaluate(conn.configs, conn.offsets[5]);
  for (let k = 0; k < conn.offsets[5]; k++) assert.ok(Math.abs(e1.logAmp[k] - e2.logAmp[k]) < 1e-10);
  wf.dispose();
});

test('evaluateConnected equals evaluate on the connected configurations', () => {
  const rng = new Rng(3);
  const wf = createRbm({ nSites: 8, alpha: 1.5, complex: true, initScale: 0.5, signSites: [1, 3, 5, 7] }, rng);
  for (const { h } of [chainModel('tfim', 8, { h: 1 }), chainModel('heisenberg', 8)]) {
    const x = randomConfigs(rng, 10, 8);
    const conn = h.connections(x, 10);
    const K = conn.offsets[10];
    const a = wf.evaluateConnected(x, conn);
    const b = wf.evaluate(conn.configs, K);
    for (let k = 0; k < K; k++) {
      assert.ok(Math.abs(a.logAmp[k] - b.logAmp[k]) < 1e-10);
      assert.ok(Math.abs(wrap(a.phase[k] - b.phase[k])) < 1e-10);
    }
  }
  wf.dispose();
});

test('θ look-up tables after many moves equal a full re-evaluation', () => {
  const rng = new Rng(4);
  for (const complex of [true, false]) {
    const n = 10;
    const wf = createRbm({ nSites: n, alpha: 2, complex, initScale: 0.5 }, rng);
    const chains = 3;
    const configs = randomConfigs(rng, chains, n);
    const walkers = wf.createWalkers(configs, chains) as unknown as {
      logAmpRatio(c: number, s0: number, s1: number): number;
      accept(c: number, s0: number, s1: number): void;
      theta(c: number): { re: Float64Array; im: Float64Array };
    };
    const la0 = wf.evaluate(configs, chains).logAmp;
    const track = Float64Array.from(la0);
    for (let m = 0; m < 3000; m++) {
      const c = rng.int(chains);
      const s0 = rng.int(n);
      const s1 = rng.uniform() < 0.5 ? -1 : (s0 + 1 + rng.int(n - 1)) % n;
      const d = walkers.logAmpRatio(c, s0, s1);
      if (rng.uniform() < 0.7) {
        walkers.accept(c, s0, s1);
        track[c] += d;
      }
    }
    const la = wf.evaluate(configs, chains).logAmp;
    const p = wf.hostParams();
    for (let c = 0; c < chains; c++) {
      assert.ok(Math.abs(track[c] - la[c]) < 1e-9, `chain ${c}: tracked ${track[c]} vs ${la[c]}`);
      const th = walkers.theta(c);
      for (let j = 0; j < wf.nHidden; j++) {
        let re = p.bRe[j];
        let im = p.bIm[j];
        for (let i = 0; i < n; i++) {
          const s = configs[c * n + i] ? 1 : -1;
          re += s * p.WRe[i * wf.nHidden + j];
          im += s * p.WIm[i * wf.nHidden + j];
        }
        assert.ok(Math.abs(th.re[j] - re) < 1e-10 && Math.abs(th.im[j] - im) < 1e-10);
      }
    }
    wf.dispose();
  }
});

test('spec and parameter layout', () => {
  const wf = createRbm({ nSites: 6, alpha: 2 }, new Rng(5));
  assert.equal(wf.kind, 'rbm');
  assert.equal(wf.normalized, false);
  assert.equal(wf.nHidden, 12);
  assert.equal(wf.nParams, 2 * (6 + 12 + 72));
  assert.deepEqual(
    wf.variables.map((v) => v.shape),
    [[6], [6], [12], [12], [6, 12], [6, 12]],
  );
  assert.equal(wf.spec().complex, true);
  wf.dispose();
  const real = createRbm({ nSites: 6, alpha: 1, complex: false }, new Rng(5));
  assert.equal(real.nParams, 6 + 6 + 36);
  const x = randomConfigs(new Rng(6), 4, 6);
  assert.ok(real.evaluate(x, 4).phase.every((v) => v === 0));
  assert.ok(real.logDerivatives(x, 4).im.every((v) => v === 0));
  real.dispose();
});

/** Connected configurations of `count` parents, each with `per` random sets of 1…maxFlips flipped sites. */
function randomFlips(rng: Rng, parents: Uint8Array, count: number, n: number, per: number, maxFlips: number): Connections {
  const K = count * per;
  const configs = new Uint8Array(K * n);
  const offsets = new Int32Array(count + 1);
  const parent = new Int32Array(K);
  for (let q = 0; q < count; q++) {
    offsets[q + 1] = (q + 1) * per;
    for (let e = 0; e < per; e++) {
      const k = q * per + e;
      configs.set(parents.subarray(q * n, (q + 1) * n), k * n);
      parent[k] = q;
      // distinct sites: a partial Fisher–Yates shuffle
      const order = Array.from({ length: n }, (_, i) => i);
      const nf = 1 + rng.int(Math.min(maxFlips, n));
      for (let f = 0; f < nf; f++) {
        const r = f + rng.int(n - f);
        [order[f], order[r]] = [order[r], order[f]];
        configs[k * n + order[f]] ^= 1;
      }
    }
  }
  return {
    count, nSites: n, diag: new Float64Array(count), offsets, configs,
    elemRe: new Float64Array(K).fill(1), elemIm: new Float64Array(K), parent, group: new Int32Array(K),
  };
}

// init scales: moderate (θ changes sign under flips), large (the block products overflow and are
// redone per unit) and huge (E = e^{−2θ} outside the kept range, table products unsafe: direct)
const VARIANTS = [0.5, 3, 40].flatMap((scale) =>
  [[true, false], [false, false], [true, true], [false, true]].map(([complex, sym]) => ({ complex, sym, scale })),
);
const label = (v: { complex: boolean; sym: boolean; scale: number }) => `${v.complex ? 'complex' : 'real'}${v.sym ? ' symmetric' : ''} scale ${v.scale}`;

test('θ-table ratios equal full evaluations: single flips, exchanges and flips of many sites (complex, real, symmetric)', () => {
  const rng = new Rng(21);
  const n = 10;
  for (const v of VARIANTS) {
    const wf = createRbm({ nSites: n, alpha: 2, complex: v.complex, initScale: v.scale, signSites: [0, 3, 5], symmetries: v.sym ? chainTranslations(n) : null }, rng);
    const count = 12;
    const x = randomConfigs(rng, count, n);
    for (const maxFlips of [1, 2, n]) {
      const conn = randomFlips(rng, x, count, n, 15, maxFlips);
      const K = conn.offsets[count];
      const ref = referenceLogPsi(wf, conn.configs, K);
      for (const [what, got] of [['evaluateConnected', wf.evaluateConnected(x, conn)], ['evaluate', wf.evaluate(conn.configs, K)]] as const) {
        for (let k = 0; k < K; k++) {
          const tol = 1e-10 * Math.max(1, Math.abs(ref.logAmp[k]));
          const at = `${label(v)}, ≤${maxFlips} flips, ${what} entry ${k}`;
          assert.ok(Math.abs(got.logAmp[k] - ref.logAmp[k]) < tol, `${at}: logAmp ${got.logAmp[k]} vs ${ref.logAmp[k]}`);
          assert.ok(Math.abs(wrap(got.phase[k] - ref.phase[k])) < 1e-9 * Math.max(1, Math.abs(ref.logAmp[k])), `${at}: phase ${got.phase[k]} vs ${ref.phase[k]}`);
        }
      }
    }
    // Metropolis tables: every proposed ratio (flips and exchanges) equals the full evaluation,
    // also after many accepted moves
    const chains = 3;
    const cx = randomConfigs(rng, chains, n);
    const walkers = wf.createWalkers(cx, chains);
    for (let m = 0; m < 400; m++) {
      const c = rng.int(chains);
      const s0 = rng.int(n);
      const s1 = rng.uniform() < 0.5 ? -1 : (s0 + 1 + rng.int(n - 1)) % n;
      const d = walkers.logAmpRatio(c, s0, s1);
      const moved = cx.slice(c * n, (c + 1) * n);
      moved[s0] ^= 1;
      if (s1 >= 0) moved[s1] ^= 1;
      const ref = referenceLogPsi(wf, moved, 1).logAmp[0] - referenceLogPsi(wf, cx.subarray(c * n, (c + 1) * n), 1).logAmp[0];
      assert.ok(Math.abs(d - ref) < 1e-9 * Math.max(1, Math.abs(ref)), `${label(v)}, move ${m}: ratio ${d} vs ${ref}`);
      if (rng.uniform() < 0.6) walkers.accept(c, s0, s1);
    }
    wf.dispose();
  }
});

test('host paths allocate no tensors: evaluate, evaluateConnected, logDerivatives and walkers leave tf.memory() unchanged', () => {
  const n = 8;
  const wf = createRbm({ nSites: n, alpha: 2, complex: true, initScale: 0.3, symmetries: chainTranslations(n) }, new Rng(31));
  const { h } = chainModel('tfim', n, { h: 1 });
  const x = randomConfigs(new Rng(32), 20, n);
  wf.evaluate(x, 20); // host copies of the parameters read once
  const before = tf.memory().numTensors;
  for (let r = 0; r < 5; r++) {
    wf.evaluate(x, 20);
    wf.evaluateConnected(x, h.connections(x, 20));
    wf.logDerivatives(x, 20);
    const w = wf.createWalkers(x.slice(0, 4 * n), 4);
    for (let m = 0; m < 50; m++) if (w.logAmpRatio(m % 4, m % n, -1) > -1) w.accept(m % 4, m % n, -1);
  }
  assert.equal(tf.memory().numTensors, before);
  wf.dispose();
});
