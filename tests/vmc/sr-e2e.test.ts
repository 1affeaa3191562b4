import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { Rng } from '../../src/rng.js';
import { createRbm, type Rbm } from '../../src/ansatz/rbm.js';
import { MetropolisSampler } from '../../src/sampler/metropolis.js';
import { chainStats } from '../../src/sampler/diagnostics.js';
import { StochasticReconfiguration, type SrConfig } from '../../src/vmc/sr.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { exactEnergy, exactGroundEnergy, heisenbergChain, localEnergies, tfimChain } from '../sampler/helpers.js';

before(async () => {
  await initBackend('wasm');
});

interface RunOpts {
  nUp: number | null;
  steps: number;
  samples: number;
  chains: number;
  sr: SrConfig;
}

/** Distinct configurations with multiplicities (so per-configuration costs are paid once). */
function dedupe(configs: Uint8Array, count: number, n: number) {
  const seen = new Map<string, number>();
  const index = new Int32Array(count);
  const rows: number[] = [];
  const mult: number[] = [];
  for (let b = 0; b < count; b++) {
    const key = configs.subarray(b * n, (b + 1) * n).join('');
    let u = seen.get(key);
    if (u === undefined) {
      u = rows.length;
      seen.set(key, u);
      rows.push(b);
      mult.push(0);
    }
    mult[u]++;
    index[b] = u;
  }
  const out = new Uint8Array(rows.length * n);
  rows.forEach((b, u) => out.set(configs.subarray(b * n, (b + 1) * n), u * n));
  return { configs: out, count: rows.length, multiplicity: Float64Array.from(mult), index };
}

/** Plain VMC loop: Metropolis → distinct samples → local energies → SR step. */
function train(h: CompiledHamiltonian, wf: Rbm, o: RunOpts, seed: number) {
  const n = h.nSites;
  const sampler = new MetropolisSampler(wf, { chains: o.chains, burnIn: 50, nUp: o.nUp }, new Rng(seed));
  const sr = new StochasticReconfiguration(wf, o.sr);
  let last = { mean: NaN, error: NaN, tauInt: NaN, rHat: NaN };
  let acceptance = NaN;
  for (let t = 0; t < o.steps; t++) {
    const b = sampler.sample(o.samples);
    const u = dedupe(b.configs, b.count, n);
    const e = localEnergies(h, wf, u.configs, u.count);
    const perSample = Float64Array.from(u.index, (k) => e.re[k]);
    last = chainStats(perSample, b.chains, b.chainLength);
    acceptance = b.acceptance;
    sr.step({ wf, unique: u, eloc: e });
  }
  return { ...last, acceptance };
}

test('TFIM chain N=8, h=1 (periodic): RBM α=2 + Metropolis + SR reaches relative error < 1e-3', () => {
  const h = tfimChain(8, 1);
  const E0 = exactGroundEnergy(h);
  const wf = createRbm({ nSites: 8, alpha: 2, complex: false }, new Rng(1));
  const last = train(h, wf, { nUp: null, steps: 60, samples: 1000, chains: 20, sr: { learningRate: 0.05, diagShift: 0.01 } }, 2);
  const E = exactEnergy(h, wf);
  const rel = (E - E0) / Math.abs(E0);
  console.log(`TFIM N=8: exact ${E0.toFixed(6)}  variational ${E.toFixed(6)}  rel ${rel.toExponential(2)}  last MC ${last.mean.toFixed(5)}±${last.error.toFixed(5)} τ=${last.tauInt.toFixed(2)} acc=${last.acceptance.toFixed(2)}`);
  assert.ok(rel >= -1e-9 && rel < 1e-3, `relative error ${rel}`);
  assert.ok(Math.abs(last.mean - E0) < 5 * last.error + 1e-3 * Math.abs(E0));
  wf.dispose();
});

test('Heisenberg chain N=8 (periodic, S^z=0, Marshall sign): complex RBM α=2 + exchange moves + SR reaches relative error < 1e-3', () => {
  const h = heisenbergChain(8);
  const E0 = exactGroundEnergy(h, 4);
  const wf = createRbm({ nSites: 8, alpha: 2, complex: true, signSites: [0, 2, 4, 6] }, new Rng(1));
  const last = train(h, wf, { nUp: 4, steps: 60, samples: 1000, chains: 20, sr: { learningRate: 0.05, diagShift: 0.01 } }, 2);
  const E = exactEnergy(h, wf, 4);
  const rel = (E - E0) / Math.abs(E0);
  console.log(`Heisenberg N=8: exact ${E0.toFixed(6)}  variational ${E.toFixed(6)}  rel ${rel.toExponential(2)}  last MC ${last.mean.toFixed(5)}±${last.error.toFixed(5)} τ=${last.tauInt.toFixed(2)} acc=${last.acceptance.toFixed(2)}`);
  assert.ok(rel >= -1e-9 && rel < 1e-3, `relative error ${rel}`);
  wf.dispose();
});
