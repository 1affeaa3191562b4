/**
 * Micro-benchmark of the flow ansatz on the current backend: sampling M configurations, one
 * differentiated logPsi + gradient on M, and `evaluate` on the M·(N+1) TFIM connected set.
 * Usage: node --import tsx scripts/flow-bench.ts [N=20] [M=1000] [hidden=4N] [activation=tanh]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.js';
import { Rng } from '../src/rng.js';
import { createFlow, type FlowActivation } from '../src/ansatz/flow.js';

const N = Number(process.argv[2] ?? 20);
const M = Number(process.argv[3] ?? 1000);
const hidden = Number(process.argv[4] ?? 4 * N);
const activation = (process.argv[5] ?? 'tanh') as FlowActivation;
console.log('backend', await initBackend('wasm'), { N, M, hidden, activation });

const wf = createFlow({ nSites: N, hidden, activation, complex: true }, new Rng(1));
const time = (label: string, f: () => void, reps = 3): void => {
  f();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) f();
  console.log(label, ((performance.now() - t0) / reps).toFixed(1), 'ms');
};
let samples: Uint8Array = new Uint8Array(0);
time('sample M', () => {
  samples = wf.sample(M, new Rng(2));
});
const conn = new Uint8Array(M * (N + 1) * N);
for (let b = 0; b < M; b++) {
  for (let j = 0; j <= N; j++) {
    const o = (b * (N + 1) + j) * N;
    conn.set(samples.subarray(b * N, b * N + N), o);
    if (j < N) conn[o + j] ^= 1;
  }
}
time(`evaluate M(N+1)=${M * (N + 1)}`, () => {
  wf.evaluate(conn, M * (N + 1));
});
const xf = new Float32Array(samples);
const x = tf.tensor2d(xf, [M, N]);
const wRng = new Rng(3);
const w = tf.tensor1d(Float32Array.from({ length: M }, () => 2 * wRng.uniform() - 1));
time('logPsi + gradient M', () => {
  const g = tf.variableGrads(() =>
    tf.tidy(() => {
      const r = wf.logPsi(x);
      return tf.sum(tf.mul(tf.add(r.logAmp, r.phase), w)) as tf.Scalar;
    }),
  );
  for (const k in g.grads) g.grads[k].dispose();
  g.value.dispose();
});
x.dispose();
w.dispose();
wf.dispose();
console.log('tensors left', tf.memory().numTensors);
