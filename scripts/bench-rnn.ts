/**
 * Timings of the RNN wavefunction (tfjs wasm backend): exact sampling, ψ on all single-spin-flip
 * connected configurations (the TFIM local-energy pattern) with prefix sharing vs from scratch,
 * and the gradient of the VMC surrogate loss.
 *
 *   node --import tsx scripts/bench-rnn.ts [--n 20,100] [--hidden 50] [--samples 1000] [--reps 2]
 *                                          [--scratch yes|no] [--compare yes|no] [--compare-n 20]
 *                                          [--forward-compare yes|no]
 *
 * `--compare yes` also times the formulation choices behind src/ansatz/rnn.ts: the three ways of
 * differentiating logPsi, and tfjs-wasm kernels in isolation (matMul transpose flags, tanh,
 * fused-gate matMul + slicing, gather vs host copy + concat, matMul right-operand packing).
 * `--forward-compare yes` times evaluateConnected and sample with the two no-gradient GRU steps
 * (`forward: 'fused'` vs `'ops'`), interleaved, same weights.
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

function interleaved(reps: number, fs: Record<string, () => unknown>): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < reps; r++) {
    for (const [k, f] of Object.entries(fs)) {
      const t0 = performance.now();
      tf.dispose(f() as tf.TensorContainer);
      best[k] = Math.min(best[k] ?? Infinity, performance.now() - t0);
    }
  }
  return best;
}

function show(title: string, r: Record<string, number>): void {
  console.log(title);
  for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(52)} ${v.toFixed(2).padStart(9)} ms`);
}

function compare(N: number, H: number, M: number, reps: number): void {
  // 1. differentiating logPsi
  const modes = ['bptt', 'tape', 'builtin'] as const;
  const wfs = modes.map((gradient) => createRnn({ nSites: N, hidden: H, gradient }, new Rng(1)));
  const x = tf.tensor2d(Float32Array.from(wfs[0].sample!(M, new Rng(2))), [M, N]);
  const grad = (i: number) => () => {
    const { grads, value } = tf.variableGrads(() => tf.sum(wfs[i].logPsi(x).logAmp) as tf.Scalar, wfs[i].variables);
    tf.dispose(grads);
    value.dispose();
  };
  grad(0)();
  show(`gradient of Σ logAmp, N=${N}, H=${H}, B=${M} (best of ${reps}, interleaved)`, interleaved(reps, {
    'bptt: one custom-gradient op, hand-written BPTT': grad(0),
    'tape: op by op, matMul grads with explicit transposes': grad(1),
    'builtin: op by op, tfjs matMul grads (transpose flags)': grad(2),
  }));
  x.dispose();
  wfs.forEach((w) => w.dispose());
  // 2. kernels in isolation
  const rng = new Rng(3);
  const r = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
  const B = M;
  const h = r([B, H]) as tf.Tensor2D, U = r([H, H]) as tf.Tensor2D, U3 = r([H, 3 * H]) as tf.Tensor2D;
  const ind = r([B, 3]) as tf.Tensor2D, A = r([3, H]) as tf.Tensor2D, A3 = r([3, 3 * H]) as tf.Tensor2D;
  const big = r([N * B, H]) as tf.Tensor2D, bigT = r([H, N * B]) as tf.Tensor2D;
  const idx = tf.tensor1d(Int32Array.from({ length: 2 * B }, (_, i) => i % B), 'int32');
  show(`tfjs-wasm kernels, B=${B}, H=${H} (best of ${reps + 2})`, interleaved(reps + 2, {
    'matMul h·U': () => tf.matMul(h, U),
    'matMul h^T·h, transposeA flag': () => tf.matMul(h, h, true, false),
    'matMul h^T·h, explicit transpose': () => tf.tidy(() => tf.matMul(tf.transpose(h), h)),
    'matMul h·U^T, transposeB flag': () => tf.matMul(h, U, false, true),
    'matMul h·U^T, explicit transpose': () => tf.tidy(() => tf.matMul(h, tf.transpose(U))),
    'tanh [B,H]': () => tf.tanh(h),
    '2·sigmoid(2x) − 1 [B,H]': () => tf.tidy(() => tf.sub(tf.mul(tf.sigmoid(tf.mul(h, 2)), 2), 1)),
    'GRU step, separate gate matrices': () => tf.tidy(() => {
      const z = tf.sigmoid(tf.add(tf.matMul(ind, A), tf.matMul(h, U)));
      const rr = tf.sigmoid(tf.add(tf.matMul(ind, A), tf.matMul(h, U)));
      const n = tf.sub(tf.mul(tf.sigmoid(tf.add(tf.matMul(ind, A), tf.matMul(tf.mul(rr, h), U))), 2), 1);
      return tf.add(n, tf.mul(z, tf.sub(h, n)));
    }),
    'GRU step, one fused [H,3H] matMul + inner-axis slices': () => tf.tidy(() => {
      const p = tf.add(tf.matMul(ind, A3), tf.matMul(h, U3));
      const z = tf.sigmoid(tf.slice(p, [0, 0], [B, H]));
      const rr = tf.sigmoid(tf.slice(p, [0, H], [B, H]));
      const n = tf.sub(tf.mul(tf.sigmoid(tf.mul(rr, tf.slice(p, [0, 2 * H], [B, H]))), 2), 1);
      return tf.add(n, tf.mul(z, tf.sub(h, n)));
    }),
    'gather 2B rows of [B,H]': () => tf.gather(h, idx),
    'read back + host row copy + concat (2B rows)': () => tf.tidy(() => {
      const src = h.dataSync() as Float32Array;
      const blk = new Float32Array(B * H);
      for (let i = 0; i < B; i++) blk.set(src.subarray(i * H, (i + 1) * H), i * H);
      return tf.concat([h, tf.tensor2d(blk, [B, H])], 0);
    }),
    [`matMul [H,${N * B}]·[${N * B},H], right operand reused`]: () => tf.matMul(bigT, big),
    [`matMul [H,${N * B}]·[${N * B},H], new right operand`]: () => tf.tidy(() => tf.matMul(bigT, tf.clone(big))),
  }));
  tf.dispose([h, U, U3, ind, A, A3, big, bigT, idx]);
}

/** The two no-gradient GRU formulations on the TFIM single-flip pattern, interleaved. */
function forwardCompare(N: number, H: number, M: number, reps: number): void {
  const fused = createRnn({ nSites: N, hidden: H, forward: 'fused' }, new Rng(1));
  const ops = createRnn({ nSites: N, hidden: H, forward: 'ops' }, new Rng(1));
  const samples = fused.sample!(M, new Rng(2));
  const conn = singleFlips(samples, M, N);
  const a = fused.evaluateConnected!(samples, conn);
  const b = ops.evaluateConnected!(samples, conn);
  let diff = 0;
  for (let k = 0; k < a.logAmp.length; k++) diff = Math.max(diff, Math.abs(a.logAmp[k] - b.logAmp[k]));
  show(`no-gradient GRU step, N=${N}, H=${H}, M=${M} (best of ${reps}, interleaved; max |Δ log|ψ|| ${diff.toExponential(1)})`, interleaved(reps, {
    "evaluateConnected, forward: 'fused'": () => void fused.evaluateConnected!(samples, conn),
    "evaluateConnected, forward: 'ops'": () => void ops.evaluateConnected!(samples, conn),
    "sample(M), forward: 'fused'": () => void fused.sample!(M, new Rng(3)),
    "sample(M), forward: 'ops'": () => void ops.sample!(M, new Rng(3)),
  }));
  fused.dispose();
  ops.dispose();
}

const backend = await initBackend('wasm');
const sizes = arg('n', '20,100').split(',').map(Number);
const H = Number(arg('hidden', '50'));
const M = Number(arg('samples', '1000'));
const reps = Number(arg('reps', '2'));
const scratch = arg('scratch', 'yes') === 'yes';
if (arg('compare', 'no') === 'yes') compare(Number(arg('compare-n', '20')), H, M, reps + 1);
if (arg('forward-compare', 'no') === 'yes') for (const N of sizes) forwardCompare(N, H, M, reps + 1);
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
      ` (${Math.round(K / ec.s)} configs/s)` +
      (scratch ? ` (from scratch ${ev.s.toFixed(3)} s, ×${(ev.s / ec.s).toFixed(2)})` : '') +
      ` | gradient ${gr.s.toFixed(3)} s | tensors ${tf.memory().numTensors}`,
  );
}
