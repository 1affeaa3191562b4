/**
 * Timings of one VMC step's parts for the 2D RNN (plain and gated cells) and the 1D RNN on the
 * snake path, on an L × L TFIM (tfjs wasm backend): exact sampling, ψ on the single-flip connected
 * configurations with prefix sharing (evaluateConnected) and from scratch (evaluate), and the
 * gradient of the surrogate loss (tape for rnn2d, hand-written BPTT for rnn).
 *
 *   node --import tsx scripts/rnn2d-bench.ts [--l 4,12] [--hidden 50] [--samples 500] [--reps 2]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.js';
import { Rng } from '../src/rng.js';
import { createRnn } from '../src/ansatz/rnn.js';
import { createRnn2d } from '../src/ansatz/rnn2d.js';
import type { Wavefunction } from '../src/ansatz/wavefunction.js';
import { compileHamiltonian, loadModel } from '../src/hamiltonian/index.js';
import { Lattice } from '../src/lattice/lattice.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

function best<T>(reps: number, f: () => T): number {
  let b = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const sizes = arg('l', '4').split(',').map(Number);
  const H = Number(arg('hidden', '50'));
  const M = Number(arg('samples', '500'));
  const reps = Number(arg('reps', '2'));
  for (const L of sizes) {
    const lattice = new Lattice({ kind: 'square', size: [L, L], bc: 'open' });
    const ham = compileHamiltonian(loadModel('tfim', { h: 3 }), lattice);
    const N = L * L;
    const ansatze: [string, () => Wavefunction][] = [
      ['rnn2d plain', () => createRnn2d({ lx: L, ly: L, hidden: H, cell: 'plain' }, new Rng(1))],
      ['rnn2d gated', () => createRnn2d({ lx: L, ly: L, hidden: H, cell: 'gated' }, new Rng(1))],
      ['rnn snake', () => createRnn({ nSites: N, hidden: H, order: lattice.order('snake') }, new Rng(1))],
    ];
    console.log(`\n${L}×${L} TFIM, H=${H}, M=${M} (best of ${reps}, seconds)`);
    console.log('ansatz        sample  connected  scratch  gradient');
    for (const [name, make] of ansatze) {
      const wf = make();
      const s = wf.sample!(M, new Rng(2));
      const conn = ham.connections(s, M);
      const K = conn.offsets[M];
      const tS = best(reps, () => wf.sample!(M, new Rng(2)));
      const tC = best(reps, () => wf.evaluateConnected!(s, conn));
      const tE = N <= 64 ? best(reps, () => wf.evaluate(conn.configs, K)) : NaN;
      const x = tf.tensor2d(Float32Array.from(s), [M, N]);
      const c = tf.tensor1d(Array.from({ length: M }, (_, i) => Math.sin(i)));
      const tG = best(reps, () => {
        const { value, grads } = tf.variableGrads(() => {
          const { logAmp } = wf.logPsi(x);
          return tf.sum(tf.mul(logAmp, c)) as tf.Scalar;
        }, wf.variables);
        tf.dispose([value, ...Object.values(grads)]);
      });
      tf.dispose([x, c]);
      wf.dispose();
      const f = (t: number) => (Number.isNaN(t) ? '     -' : t.toFixed(3).padStart(6));
      console.log(`${name.padEnd(12)}  ${f(tS)}  ${f(tC)}     ${f(tE)}    ${f(tG)}`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
