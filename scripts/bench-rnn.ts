/**
 * Timings of the RNN wavefunction (tfjs wasm backend): exact sampling, ψ on all single-spin-flip
 * connected configurations (the TFIM local-energy pattern) with prefix sharing vs from scratch,
 * and the gradient of the VMC surrogate loss.
 *
 *   node --import tsx scripts/bench-rnn.ts [--n 20,100] [--hidden 50] [--samples 1000] [--reps 2]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.js';
import { Rng } from '../src/rng.js';
import { createRnn } from '../src/ansatz/rnn.js';
import type { Connections } from '../src/hamiltonian/types.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

function singleFlips(parents: Uint8Array, count: number, N: number): Connections {
  const K = count * N;
  const configs = new Uint8Array(K * N);
  const parent = new Int32Array(K);
  const group = new Int32Array(K);
  const offsets = new Int32Array(count + 1);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < N; i++) {
      const k = p * N + i;
      configs.set(parents.subarray(p * N, (p + 1) * N), k * N);
      configs[k * N + i] ^= 1;
      parent[k] = p;
      group[k] = i;
    }
    offsets[p + 1] = (p + 1) * N;
  }
  return {
    count, nSites: N, diag: new Float64Array(count), offsets, configs,
    elemRe: new Float64Array(K).fill(-1), elemIm: new Float64Array(K), parent, group,
  };
}

function time<T>(reps: number, f: () => T): { s: number; out: T } {
  let best = Infinity;
  let out!: T;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = f();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { s: best, out };
}

const backend = await initBackend('wasm');
const sizes = arg('n', '20,100').split(',').map(Number);
const H = Number(arg('hidden', '50'));
const M = Number(arg('samples', '1000'));
const reps = Number(arg('reps', '2'));
const scratch = arg('scratch', 'yes') === 'yes';
console.log(`backend ${backend}, H=${H}, M=${M}, best of ${reps}`);
for (const N of sizes) {
  const wf = createRnn({ nSites: N, hidden: H, layers: 1, complex: false, nUp: null }, new Rng(1));
  const rng = new Rng(2);
  wf.sample!(10, rng);
  const smp = time(reps, () => wf.sample!(M, rng));
  const samples = smp.out;
  const conn = singleFlips(samples, M, N);
  const K = M * N;
  const ec = time(reps, () => wf.evaluateConnected!(samples, conn));
  let ev = { s: NaN };
  if (scratch) ev = time(1, () => wf.evaluate(conn.configs, K));
  const x = tf.tensor2d(Float32Array.from(samples), [M, N]);
  const cRe = tf.tensor1d(Float32Array.from({ length: M }, () => rng.normal()));
  const gr = time(reps, () => {
    const { grads, value } = tf.variableGrads(() => {
      const { logAmp } = wf.logPsi(x);
      return tf.sum(tf.mul(logAmp, cRe)) as tf.Scalar;
    }, wf.variables);
    tf.dispose(grads);
    value.dispose();
  });
  const ev0 = time(reps, () => wf.evaluate(samples, M));
  tf.dispose([x, cRe]);
  wf.dispose();
  console.log(
    `N=${N}: sample ${smp.s.toFixed(3)} s | evaluate(M) ${ev0.s.toFixed(3)} s | evaluateConnected(M·N=${K}) ${ec.s.toFixed(3)} s` +
      (scratch ? ` (from scratch ${ev.s.toFixed(3)} s, ×${(ev.s / ec.s).toFixed(2)})` : '') +
      ` | gradient ${gr.s.toFixed(3)} s | tensors ${tf.memory().numTensors}`,
  );
}
