/**
 * The exact energy of a trained state, without sampling noise: ⟨H⟩ = Σ_x |ψ(x)|² E_loc(x) / Σ_x |ψ(x)|²
 * over every configuration (of the run's S^z sector), for runs small enough to enumerate
 * (N ≤ 24), with the relative error against the run's exact reference and the variance of E_loc.
 * Used for the symmetry-averaging demonstration (README "Symmetry averaging"), where the
 * differences between ansätze are close to the final estimate's error bar.
 *
 *   node --import tsx scripts/run-energy-by-enumeration.ts RUN_DIR [RUN_DIR …]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { Basis } from '../src/exact/index.js';
import { openRun } from '../src/run/open-run.js';
import { energyStats } from '../src/vmc/estimator.js';
import { localEnergies } from '../src/vmc/local-energy.js';

const MAX_SITES = 24;
/** configurations per localEnergies call (bounds memory) */
const BLOCK = 4096;

await initBackend('wasm');
for (const dir of process.argv.slice(2)) {
  const run = openRun(dir);
  const N = run.parts.lattice.nSites;
  if (N > MAX_SITES) throw new Error(`${dir}: ${N} sites are too many to enumerate (at most ${MAX_SITES})`);
  const basis = new Basis(N, run.parts.nUp);
  const re: number[] = [];
  const im: number[] = [];
  const logP: number[] = [];
  for (let start = 0; start < basis.dim; start += BLOCK) {
    const m = Math.min(BLOCK, basis.dim - start);
    const bits = new Uint8Array(m * N);
    for (let k = 0; k < m; k++) {
      const state = basis.states ? basis.states[start + k] : start + k;
      for (let s = 0; s < N; s++) bits[k * N + s] = Math.floor(state / 2 ** s) % 2;
    }
    const e = localEnergies(run.parts.hamiltonian, run.wf, bits, m);
    re.push(...e.re);
    im.push(...e.im);
    for (const a of e.logPsi.logAmp) logP.push(2 * a);
  }
  const top = Math.max(...logP);
  const st = energyStats(Float64Array.from(re), Float64Array.from(im), Float64Array.from(logP, (l) => Math.exp(l - top)));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { exact_energy?: number | null };
  const exact = summary.exact_energy ?? null;
  const rel = exact === null ? null : Math.abs(st.mean - exact) / Math.abs(exact);
  console.log(JSON.stringify({ dir, step: run.step, energy: st.mean, exact, relative_error: rel, variance: st.variance }));
  run.wf.dispose();
}
