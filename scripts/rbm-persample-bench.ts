/**
 * How slow are per-sample log-derivatives by autodiff (needed by SR for ansätze without analytic
 * O_k)? Measures `perSampleLogDerivatives` on the GRU RNN (N=20, H=50, P≈8000) and, for
 * comparison, analytic vs autodiff O_k of an RBM of similar size.
 *
 *   node --import tsx scripts/rbm-persample-bench.ts [samples=20]
 */
import { initBackend } from '../src/backend.js';
import { Rng } from '../src/rng.js';
import { parameterCount } from '../src/ansatz/wavefunction.js';
import { createRnn } from '../src/ansatz/rnn.js';
import { createRbm } from '../src/ansatz/rbm.js';
import { perSampleLogDerivatives, srSolve } from '../src/vmc/sr.js';

const count = Number((process.argv.find((a) => a.startsWith('samples=')) ?? 'samples=20').split('=')[1]);
await initBackend('wasm');
const rng = new Rng(1);
const rnn = createRnn({ nSites: 20, hidden: 50, complex: true }, rng);
const x = rnn.sample!(count, rng);
perSampleLogDerivatives(rnn, x, 2); // warm-up
let t0 = performance.now();
const O = perSampleLogDerivatives(rnn, x, count);
const perRnn = (performance.now() - t0) / count;
console.log(`RNN N=20 H=50 complex, P=${parameterCount(rnn)}: autodiff O_k ${perRnn.toFixed(1)} ms/sample → ${(perRnn).toFixed(1)} s per 1000 samples`);
// the SR solve itself for this P with 1000 samples (CG, matrix-free), using repeated rows
const n = 1000;
const big = { re: new Float64Array(n * O.nParams), im: new Float64Array(n * O.nParams), nParams: O.nParams };
for (let s = 0; s < n; s++) {
  big.re.set(O.re.subarray((s % count) * O.nParams, ((s % count) + 1) * O.nParams), s * O.nParams);
  big.im.set(O.im.subarray((s % count) * O.nParams, ((s % count) + 1) * O.nParams), s * O.nParams);
}
const e = { re: Float64Array.from({ length: n }, () => rng.normal()), im: new Float64Array(n) };
t0 = performance.now();
const sol = srSolve(big, e, new Float64Array(n).fill(1), { diagShift: 0.01, solver: 'cg', cgTol: 1e-3, cgMaxIter: 100 });
console.log(`SR CG solve (1000 samples, P=${O.nParams}): ${((performance.now() - t0) / 1000).toFixed(2)} s, ${sol.iterations} iterations`);
rnn.dispose();

const rbm = createRbm({ nSites: 40, alpha: 2, complex: true }, rng);
const xr = new Uint8Array(count * 40).map(() => (rng.uniform() < 0.5 ? 1 : 0));
t0 = performance.now();
perSampleLogDerivatives(rbm, xr, count);
const perAuto = (performance.now() - t0) / count;
t0 = performance.now();
for (let r = 0; r < 10; r++) rbm.logDerivatives(xr, count);
const perAna = (performance.now() - t0) / (10 * count);
console.log(`RBM N=40 α=2 complex, P=${rbm.nParams}: autodiff ${perAuto.toFixed(1)} ms/sample, analytic ${perAna.toFixed(3)} ms/sample (${(perAuto / perAna).toFixed(0)}×)`);
rbm.dispose();
