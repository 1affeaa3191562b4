/**
 * Local energies, the energy and its gradient through the symmetrised ψ (built as `vmc run
 * --symmetry` builds it), against full sums and dense matrices; the driver's Monte Carlo estimates
 * (orbit representatives, sharded gradient) against them; and zero variance of an exactly symmetric
 * ground state reached through the same wrapper from a table that is not symmetric itself —
 * including the order of composition with the Marshall sign.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { withSignRule } from '../../src/ansatz/sign.js';
import { withSymmetry, type SymmetryOperation } from '../../src/ansatz/symmetric.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { exactGroundState } from '../../src/exact/index.js';
import { denseMatrix } from '../../src/hamiltonian/index.js';
import { generateGroup } from '../../src/lattice/group.js';
import { latticeGenerators } from '../../src/lattice/symmetries.js';
import { Rng } from '../../src/rng.js';
import { buildModel, buildSampler, buildWavefunction, type ModelParts } from '../../src/run/build.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { resolveSymmetry } from '../../src/run/symmetry.js';
import { VmcDriver } from '../../src/vmc/driver.js';
import { energyStats } from '../../src/vmc/estimator.js';
import { energyGradient } from '../../src/vmc/gradient.js';
import { localEnergies } from '../../src/vmc/local-energy.js';
import type { Optimizer, StepContext } from '../../src/vmc/optimizer.js';
import { enumerateConfigs } from '../configurations.js';
import { directionalDerivatives } from '../ansatz/helpers.js';
import { exactEnergy, TableWavefunction } from './table-wavefunction.js';

before(async () => {
  await initBackend(testBackend());
});

const config = (over: Partial<ExperimentConfig>): ExperimentConfig => resolveExperiment({}, { backend: 'wasm', ...over });

/** Basis index of g·x: (g x)_{g(s)} = x_s ⊕ flip. */
function imageIndex(op: SymmetryOperation, x: number, N: number): number {
  let y = 0;
  for (let s = 0; s < N; s++) if (((x >> s) & 1) ^ (op.flip ? 1 : 0)) y |= 1 << op.perm[s];
  return y;
}

/** ⟨ψ|H|ψ⟩/⟨ψ|ψ⟩ from the dense matrix, ψ over all 2^N states (−∞ outside the sector). */
function denseEnergy(parts: ModelParts, wf: Wavefunction, nUp: number | null): number {
  const N = parts.lattice.nSites;
  const { configs, count, states } = enumerateConfigs(N, nUp);
  const v = wf.evaluate(configs, count);
  const la = new Float64Array(2 ** N).fill(-Infinity);
  const ph = new Float64Array(2 ** N);
  states.forEach((b, k) => {
    la[b] = v.logAmp[k];
    ph[b] = v.phase[k];
  });
  return exactEnergy(denseMatrix(parts.hamiltonian), la, ph);
}

/** An optimizer that records the driver's energy and gradient and changes nothing. */
class Recorder implements Optimizer {
  readonly kind = 'recorder';
  readonly usesEnergyGradient = true;
  readonly energies: number[] = [];
  readonly gradients: Float64Array[] = [];
  step(ctx: StepContext) {
    this.energies.push(ctx.stats.mean);
    this.gradients.push(Float64Array.from(ctx.gradient!.flatMap((t) => Array.from(t.dataSync()))));
    return { gradient: 0, update: 0 };
  }
  learningRate() {
    return 0;
  }
  getState() {
    return null;
  }
  setState() {}
  dispose() {}
}

const fullSumCases: [string, Partial<ExperimentConfig>][] = [
  ['TFIM ring, rnn complex, translation + flip', { model: 'tfim', param: { h: 0.7 }, n: 6, bc: 'periodic', phase: true, hidden: 6, symmetry: 'translation,flip' }],
  [
    'Heisenberg ring, rnn complex, Marshall, S^z = 0, translation + reflection (sector k = π, odd)',
    { model: 'heisenberg', n: 6, bc: 'periodic', phase: true, hidden: 6, magnetization: 0, sign: 'marshall', symmetry: 'translation,reflection' },
  ],
];

for (const [label, over] of fullSumCases) {
  test(`full sums: E_loc invariant on orbits, Σ P_G E_loc = ⟨ψ|H|ψ⟩, surrogate gradient = finite differences; the driver's Monte Carlo agrees (${label})`, async () => {
    const cfg = config(over);
    const parts = buildModel(cfg);
    const wf = buildWavefunction(cfg, parts, new Rng('full-sum-init'));
    const N = parts.lattice.nSites;
    const { configs, count, states } = enumerateConfigs(N, parts.nUp);
    const exactE = denseEnergy(parts, wf, parts.nUp);
    const e = localEnergies(parts.hamiltonian, wf, configs, count);
    const p = Float64Array.from(e.logPsi.logAmp, (a) => Math.exp(2 * a));
    const st = energyStats(e.re, e.im, p);
    assert.ok(Math.abs(st.mean - exactE) < 1e-5 * Math.abs(exactE), `Σ P_G E_loc = ${st.mean} vs dense ${exactE}`);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'normalised');

    // E_loc(g x) = E_loc(x): what lets the driver evaluate one configuration per orbit
    const sym = resolveSymmetry(cfg, parts)!;
    const at = new Map(states.map((b, k) => [b, k]));
    for (const op of sym.ops) {
      for (let k = 0; k < count; k++) {
        const j = at.get(imageIndex(op, states[k], N))!;
        assert.ok(Math.abs(e.re[j] - e.re[k]) + Math.abs(e.im[j] - e.im[k]) < 1e-4 * (1 + Math.abs(e.re[k])), `E_loc on the orbit of ${states[k]}`);
      }
    }

    // the full-sum surrogate gradient against finite differences of the dense energy
    const g = energyGradient(wf, { configs, count, weights: p, eRe: e.re, eIm: e.im, meanRe: st.mean, meanIm: st.meanIm });
    const exactGrad = Float64Array.from(g.flatMap((t) => Array.from(t.dataSync())));
    const gv = g.map((t) => t.dataSync());
    directionalDerivatives(wf, gv, () => denseEnergy(parts, wf, parts.nUp), new Rng('fd-directions'), 2e-3).forEach(({ analytic, fd }, vi) => {
      assert.ok(Math.abs(fd - analytic) < 2e-2 * Math.max(Math.abs(fd), Math.abs(analytic)) + 5e-3, `variable ${vi}: surrogate ${analytic} vs finite difference ${fd}`);
    });
    tf.dispose(g);

    // the driver (exact samples with random g, orbit representatives, sharded gradient) agrees within errors
    const rec = new Recorder();
    const driver = new VmcDriver(parts.hamiltonian, wf, buildSampler(cfg, wf, parts, new Rng('mc')), rec, 1500);
    const reps = 10;
    let distinct = 0;
    let tensors = 0;
    for (let r = 0; r < reps; r++) {
      distinct = Math.max(distinct, (await driver.step()).distinct);
      if (r === 0) tensors = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, tensors, 'no tensor grows over the driver steps');
    const orbits = new Set(states.map((b) => Math.min(...sym.ops.map((op) => imageIndex(op, b, N))))).size;
    assert.ok(distinct <= orbits, `distinct configurations ${distinct} ≤ orbits ${orbits}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const se = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1) / xs.length);
    assert.ok(Math.abs(mean(rec.energies) - exactE) < 5 * se(rec.energies) + 1e-6, `MC ${mean(rec.energies)} ± ${se(rec.energies)} vs ${exactE}`);
    const top = [...exactGrad.keys()].sort((a, b) => Math.abs(exactGrad[b]) - Math.abs(exactGrad[a])).slice(0, 30);
    let worst = 0;
    for (const k of top) {
      const vals = rec.gradients.map((gr) => gr[k]);
      worst = Math.max(worst, Math.abs(mean(vals) - exactGrad[k]) / (se(vals) + 1e-7));
    }
    assert.ok(worst < 6, `largest deviation of the Monte Carlo gradient: ${worst.toFixed(2)} standard errors`);
    wf.dispose();
  });
}

/**
 * A table wavefunction that is not symmetric but whose symmetrisation over `ops` is the positive
 * vector |v|: |ψ(x)|² = |v(x)|² (1 + 0.8 (f(x) − mean of f over the orbit of x)) (the orbit average
 * of the modulation is 1), and phases θ(x) = b(x) − b(F x) with F the spin flip (in the group), so
 * Σ_g e^{iθ(g x)} is real and positive.
 */
function modulatedTable(N: number, amplitude: Float64Array, ops: SymmetryOperation[], rng: Rng): TableWavefunction {
  const D = 2 ** N;
  const f = Float64Array.from({ length: D }, () => rng.uniform());
  const b = Float64Array.from({ length: D }, () => 0.7 * rng.uniform());
  const la = new Float32Array(D);
  const ph = new Float32Array(D);
  for (let x = 0; x < D; x++) {
    const orbit = ops.map((op) => imageIndex(op, x, N));
    const fMean = orbit.reduce((s, y) => s + f[y], 0) / orbit.length;
    const a = Math.abs(amplitude[x]);
    la[x] = a === 0 ? -30 : Math.log(a) + 0.5 * Math.log(1 + 0.8 * (f[x] - fMean));
    ph[x] = b[x] - b[x ^ (D - 1)];
  }
  const t = new TableWavefunction(N, rng);
  tf.tidy(() => {
    t.variables[0].assign(tf.tensor2d(la, [D, 1]));
    t.variables[1].assign(tf.tensor2d(ph, [D, 1]));
  });
  return t;
}

/** Variance of E_loc over |ψ|² on the configurations of the sector, and the mean. */
function variance(parts: ModelParts, wf: Wavefunction): { mean: number; variance: number } {
  const { configs, count } = enumerateConfigs(parts.lattice.nSites, parts.nUp);
  const e = localEnergies(parts.hamiltonian, wf, configs, count);
  const st = energyStats(e.re, e.im, Float64Array.from(e.logPsi.logAmp, (a) => Math.exp(2 * a)));
  return { mean: st.mean, variance: st.variance };
}

function groundVector(parts: ModelParts): Float64Array {
  const gs = exactGroundState(parts.hamiltonian, parts.lattice, { nUp: parts.nUp, wantVector: true });
  const v = new Float64Array(2 ** parts.lattice.nSites);
  gs.basis!.forEach((b, k) => (v[b] = gs.vector![k]));
  return v;
}

test('zero variance: a non-symmetric table symmetrised over translation, reflection and flip is the TFIM ring ground state', () => {
  const cfg = config({ model: 'tfim', param: { h: 0.7 }, n: 6, bc: 'periodic', symmetry: 'translation,reflection,flip' });
  const parts = buildModel(cfg);
  const sym = resolveSymmetry(cfg, parts)!;
  assert.equal(sym.ops.length, 24);
  const E0 = exactGroundState(parts.hamiltonian, parts.lattice).energy;
  const table = modulatedTable(6, groundVector(parts), sym.ops, new Rng('table'));
  assert.ok(variance(parts, table).variance > 1e-2, 'the table itself is not an eigenstate');
  const wf = withSignRule(withSymmetry(table, sym.ops, { describe: sym.describe }), cfg.sign, parts.lattice);
  const r = variance(parts, wf);
  assert.ok(Math.abs(r.mean - E0) < 1e-5 * Math.abs(E0), `E = ${r.mean} vs E0 = ${E0}`);
  assert.ok(r.variance < 1e-9, `variance ${r.variance}`);
  wf.dispose();
});

test('Marshall sign: the ring ground state has χ_M = (−1)^{N/2} under T, R and flip; M·Sym(table) has zero variance, Sym(M·table) only with χ = χ_M', () => {
  for (const n of [6, 8]) {
    const cfg = config({ model: 'heisenberg', n, bc: 'periodic', magnetization: 0, sign: 'marshall', symmetry: 'translation,reflection,flip' });
    const parts = buildModel(cfg);
    const sym = resolveSymmetry(cfg, parts)!;
    const chiM = (n / 2) % 2 === 0 ? 1 : -1;
    assert.deepEqual(sym.describe.sector, { k: String(chiM), reflection: String(chiM), flip: String(chiM) }, `N=${n}: sector`);
    // the network's own character is trivial
    assert.ok(sym.ops.every((op) => op.chiRe === 1 && op.chiIm === 0));
    // the exact ground state transforms with χ_M: v(g x) = χ_M v(x) for the generators
    const v = groundVector(parts);
    const gens: SymmetryOperation[] = [
      ...latticeGenerators(parts.lattice, 'translation'),
      ...latticeGenerators(parts.lattice, 'reflection'),
    ].map((g) => ({ perm: g.perm, flip: false, chiRe: 1, chiIm: 0 }));
    gens.push({ perm: [...Array(n).keys()], flip: true, chiRe: 1, chiIm: 0 });
    for (const op of gens) {
      for (let x = 0; x < 2 ** n; x++) assert.ok(Math.abs(v[imageIndex(op, x, n)] - chiM * v[x]) < 1e-8, `N=${n}: v(gx) = ${chiM}·v(x)`);
    }
    const E0 = exactGroundState(parts.hamiltonian, parts.lattice, { nUp: n / 2 }).energy;
    const table = modulatedTable(n, v, sym.ops, new Rng(`heis-${n}`));
    // the composition vmc uses: ψ = M · Sym_1(table)
    const right = withSignRule(withSymmetry(table, sym.ops), 'marshall', parts.lattice);
    const r = variance(parts, right);
    assert.ok(Math.abs(r.mean - E0) < 1e-5 * Math.abs(E0) && r.variance < 1e-8, `N=${n}: M·Sym(table): E = ${r.mean} (E0 ${E0}), variance ${r.variance}`);
    // the other order: Sym_χ(M · table) is the same state when χ = χ_M, and wrong with χ = 1 when χ_M ≠ 1
    const marshallTable = withSignRule(table, 'marshall', parts.lattice);
    const withChi = (chi: number) =>
      generateGroup(n, [
        ...gens.slice(0, 2).map((g, i) => ({ key: `g${i}`, perm: Array.from(g.perm), flip: false, chi: [chi, 0] as [number, number] })),
        { key: 'flip', perm: null, flip: true, chi: [chi, 0] as [number, number] },
      ]).map((e) => ({ perm: e.perm, flip: e.flip, chiRe: e.chiRe, chiIm: e.chiIm }));
    const matched = variance(parts, withSymmetry(marshallTable, withChi(chiM)));
    assert.ok(matched.variance < 1e-8, `N=${n}: Sym_χM(M·table) variance ${matched.variance}`);
    const trivial = variance(parts, withSymmetry(marshallTable, withChi(1)));
    if (chiM === 1) assert.ok(trivial.variance < 1e-8, `N=${n}: χ_M = 1, so the trivial χ works too`);
    else assert.ok(trivial.variance > 1e-2, `N=${n}: Sym_1(M·table) should not be an eigenstate (variance ${trivial.variance})`);
    right.dispose();
  }
});
