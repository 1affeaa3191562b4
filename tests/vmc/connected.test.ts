/**
 * connectedValues (the one ψ-ratio implementation): with parents that repeat, that are each
 * other's neighbours, and with a sector restriction, every value equals the plain per-entry
 * formula ⟨x|H|x'⟩ ψ(x')/ψ(x) with ψ from `evaluate`, to the last bit.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { createRbm } from '../../src/ansatz/rbm.js';
import { createRnn } from '../../src/ansatz/rnn.js';
import { withSignRule } from '../../src/ansatz/sign.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { Rng } from '../../src/rng.js';
import { connectedValues, upCount } from '../../src/vmc/connected.js';
import { randomize } from '../ansatz/helpers.js';

before(async () => {
  await initBackend('wasm');
});

/** Parents: a few random rows, their single flips, and repeats. */
function parentsFor(N: number, rng: Rng, nUp: number | null): { bits: Uint8Array; count: number } {
  const rows: number[][] = [];
  const random = (): number[] => {
    for (;;) {
      const r = Array.from({ length: N }, (): number => (rng.uniform() < 0.5 ? 1 : 0));
      if (nUp === null || r.reduce((a, b) => a + b, 0) === nUp) return r;
    }
  };
  for (let i = 0; i < 4; i++) {
    const r = random();
    rows.push(r);
    // a neighbour: a flip (or, in a sector, an exchange of two unequal sites)
    const t = [...r];
    const a = t.indexOf(1);
    const b = t.indexOf(0);
    if (nUp === null) t[0] ^= 1;
    else if (a >= 0 && b >= 0) [t[a], t[b]] = [t[b], t[a]];
    rows.push(t);
    rows.push([...r]); // a repeat
  }
  return { bits: Uint8Array.from(rows.flat()), count: rows.length };
}

/** `tol`: 0 where evaluateConnected computes exactly what evaluate does; the RBM's θ tables update θ incrementally (float64 rounding). */
function check(wf: Wavefunction, model: string, N: number, nUp: number | null, tol = 0): void {
  const h = compileHamiltonian(loadModel(model), chain(N, 'periodic'));
  const { bits, count } = parentsFor(N, new Rng(`${model}:${nUp}`), nUp);
  const v = connectedValues(h, wf, bits, count, nUp);
  const full = h.connections(bits, count);
  const own = wf.evaluate(bits, count);
  const same = (a: number, b: number, what: string): void =>
    tol === 0 ? assert.equal(a, b, what) : assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  for (let p = 0; p < count; p++) {
    same(v.own.logAmp[p], own.logAmp[p], `parent ${p} log|ψ|`);
    same(v.own.phase[p], own.phase[p], `parent ${p} arg ψ`);
  }
  const K = v.conn.offsets[count];
  assert.ok(K > 0);
  if (nUp !== null) for (let k = 0; k < K; k++) assert.equal(upCount(v.conn.configs, k, N), nUp, 'sector kept');
  else assert.equal(K, full.offsets[count], 'nothing dropped without a sector');
  const each = wf.evaluate(v.conn.configs, K);
  for (let k = 0; k < K; k++) {
    const p = v.conn.parent[k];
    const mag = Math.exp(each.logAmp[k] - own.logAmp[p]);
    const d = each.phase[k] - own.phase[p];
    const re = v.conn.elemRe[k] * mag * Math.cos(d) - v.conn.elemIm[k] * mag * Math.sin(d);
    const im = v.conn.elemRe[k] * mag * Math.sin(d) + v.conn.elemIm[k] * mag * Math.cos(d);
    same(v.re[k], re, `entry ${k} re`);
    same(v.im[k], im, `entry ${k} im`);
  }
}

test('connectedValues equals the per-entry formula: RNN (prefix sharing, parents from the connected pass)', () => {
  const N = 8;
  const wf = createRnn({ nSites: N, hidden: 6, complex: true }, new Rng(1));
  randomize(wf, new Rng(2), 0.8);
  check(wf, 'tfim', N, null);
  wf.dispose();
  const u1 = createRnn({ nSites: N, hidden: 6, complex: true, nUp: 4 }, new Rng(3));
  randomize(u1, new Rng(4), 0.8);
  check(u1, 'heisenberg', N, 4);
  u1.dispose();
  // the Marshall sign wraps the pass: the parents' values it returns must carry the sign too
  const signed = withSignRule(createRnn({ nSites: N, hidden: 6, nUp: 4 }, new Rng(7)), 'marshall', chain(N, 'periodic'));
  randomize(signed, new Rng(8), 0.8);
  check(signed, 'heisenberg', N, 4);
  signed.dispose();
});

test('connectedValues equals the per-entry formula: RBM (θ tables)', () => {
  const N = 8;
  const wf = createRbm({ nSites: N, alpha: 1, complex: true }, new Rng(5));
  randomize(wf, new Rng(6), 0.3);
  check(wf, 'tfim', N, null, 1e-12);
  check(wf, 'heisenberg', N, 4, 1e-12);
  wf.dispose();
});
