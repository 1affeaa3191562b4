/**
 * The symmetrised wavefunction (src/ansatz/symmetric.ts) on every autoregressive ansatz, against
 * enumeration: Σ_x P_G(x) = 1; ψ_G(g x) = χ(g) ψ_G(x) for every g; the sampler's histogram against
 * |ψ_G|² (χ²); evaluate = evaluateConnected = logPsi; the gradient of logPsi against finite
 * differences; orbit representatives; no tensor leaks.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { layoutTolerance, testBackend } from '../backend.js';
import { Rng } from '../../src/rng.js';
import { createRnn } from '../../src/ansatz/rnn.js';
import { createRnn2d } from '../../src/ansatz/rnn2d.js';
import { createLru } from '../../src/ansatz/lru.js';
import { createFlow } from '../../src/ansatz/flow.js';
import { withSymmetry, type SymmetryOperation } from '../../src/ansatz/symmetric.js';
import type { Wavefunction } from '../../src/ansatz/wavefunction.js';
import { generateGroup, type GroupGenerator } from '../../src/lattice/group.js';
import { chain, square, type Lattice } from '../../src/lattice/lattice.js';
import { latticeGenerators, type LatticeSymmetry } from '../../src/lattice/symmetries.js';
import {
  assertConnectedConsistent, assertNoLeaks, assertNormalised, chi2, chi2Critical, directionalDerivatives, enumerate, flipConnections, indexOf,
  randomize,
} from './helpers.js';

before(async () => {
  await initBackend(testBackend());
});

/** The group of `names` (+ flip) on `lattice` with characters given per generator key (default 1). */
function group(lattice: Lattice, names: LatticeSymmetry[], flip: boolean, chi: Record<string, [number, number]> = {}): SymmetryOperation[] {
  const gens: GroupGenerator[] = names.flatMap((n) => latticeGenerators(lattice, n)).map((g) => ({ key: g.key, perm: g.perm, flip: false, chi: chi[g.key] ?? [1, 0] }));
  if (flip) gens.push({ key: 'flip', perm: null, flip: true, chi: chi.flip ?? [1, 0] });
  return generateGroup(lattice.nSites, gens).map((e) => ({ perm: e.perm, flip: e.flip, chiRe: e.chiRe, chiIm: e.chiIm }));
}

const momentum = (q: number, L: number): [number, number] => [Math.cos((2 * Math.PI * q) / L), Math.sin((2 * Math.PI * q) / L)];

/** Basis index of g·x for basis index x: (g x)_{g(s)} = x_s ⊕ flip. */
function imageIndex(op: SymmetryOperation, x: number, N: number): number {
  let y = 0;
  for (let s = 0; s < N; s++) if (((x >> s) & 1) ^ (op.flip ? 1 : 0)) y |= 1 << op.perm[s];
  return y;
}

const wrap = (a: number) => a - 2 * Math.PI * Math.round(a / (2 * Math.PI));

/** Whether basis state x is fixed by an operation with χ ≠ 1 (then ψ_G(x) = 0 in that sector). */
function forbiddenState(ops: SymmetryOperation[], x: number, N: number): boolean {
  return ops.some((op) => Math.hypot(op.chiRe - 1, op.chiIm) > 1e-9 && imageIndex(op, x, N) === x);
}

/**
 * Normalisation: with the trivial character Σ_x P_G(x) = 1 (assertNormalised); with a non-trivial
 * one the forbidden orbits have ψ_G = 0 and Σ_x P_G(x) = Σ over the allowed x of |ψ(x)|².
 */
function assertNormalisedSym(wf: Wavefunction, inner: Wavefunction, ops: SymmetryOperation[], nUp: number | null, complex: boolean): void {
  const N = wf.nSites;
  const D = 1 << N;
  if (ops.every((op) => Math.hypot(op.chiRe - 1, op.chiIm) < 1e-9)) {
    assert.equal(wf.normalized, true);
    assertNormalised(wf, N, nUp, complex);
    return;
  }
  assert.equal(wf.normalized, false);
  const pG = wf.evaluate(enumerate(N), D).logAmp;
  const p = inner.evaluate(enumerate(N), D).logAmp;
  let sumG = 0;
  let allowed = 0;
  let forbidden = 0;
  for (let x = 0; x < D; x++) {
    sumG += Math.exp(2 * pG[x]);
    if (forbiddenState(ops, x, N)) {
      forbidden++;
      assert.ok(pG[x] < -1000, `forbidden ${x}: log|ψ_G| = ${pG[x]}`);
    } else allowed += Math.exp(2 * p[x]);
  }
  assert.ok(forbidden > 0 && allowed < 1 - 1e-4, 'the sector forbids some weight');
  assert.ok(Math.abs(sumG - allowed) < 2e-5, `Σ P_G = ${sumG} vs allowed weight of |ψ|² ${allowed}`);
}

/** ψ_G(g x) = χ(g) ψ_G(x) for every g and every configuration x (of the sector, if one is fixed). */
function assertCovariant(wf: Wavefunction, ops: SymmetryOperation[], nUp: number | null): void {
  const N = wf.nSites;
  const D = 1 << N;
  const { logAmp, phase } = wf.evaluate(enumerate(N), D);
  for (const op of ops) {
    for (let x = 0; x < D; x++) {
      if (logAmp[x] < -100) continue; // outside the S^z sector, or a forbidden orbit
      const y = imageIndex(op, x, N);
      assert.ok(Math.abs(logAmp[y] - logAmp[x]) < 1e-9, `|ψ(gx)| = |ψ(x)| at x=${x}: ${logAmp[y]} vs ${logAmp[x]}`);
      const d = wrap(phase[y] - phase[x] - Math.atan2(op.chiIm, op.chiRe));
      assert.ok(Math.abs(d) < 1e-6, `arg ψ(gx) − arg ψ(x) = arg χ(g) at x=${x}: off by ${d}`);
    }
  }
}

interface Case {
  label: string;
  make: (rng: Rng) => Wavefunction;
  lattice: Lattice;
  names: LatticeSymmetry[];
  flip: boolean;
  chi?: Record<string, [number, number]>;
  nUp: number | null;
  complex: boolean;
  /** scale of the random weights (default 0.8) */
  scale?: number;
}

const ring8 = chain(8, 'periodic');
const sq33 = square(3, 3, 'open');
const torus24 = square(2, 4, 'periodic');
const cases: Case[] = [
  {
    label: 'rnn complex, ring 8, translation + flip, k = 2π·3/8, flip odd',
    make: (rng) => createRnn({ nSites: 8, hidden: 8, complex: true }, rng),
    lattice: ring8, names: ['translation'], flip: true, chi: { k: momentum(3, 8), flip: [-1, 0] }, nUp: null, complex: true,
  },
  {
    label: 'rnn positive S^z = 0, ring 8, translation + reflection + flip (32 operations)',
    make: (rng) => createRnn({ nSites: 8, hidden: 8, nUp: 4 }, rng),
    lattice: ring8, names: ['translation', 'reflection'], flip: true, nUp: 4, complex: false,
  },
  {
    label: 'lru complex, ring 8, translation + reflection, k = π, reflection even',
    make: (rng) => createLru({ nSites: 8, hidden: 6, complex: true }, rng),
    lattice: ring8, names: ['translation', 'reflection'], flip: false, chi: { k: momentum(4, 8) }, nUp: null, complex: true, scale: 0.5,
  },
  {
    label: 'rnn2d complex, 3×3 open, c4v (B1) + flip',
    make: (rng) => createRnn2d({ lx: 3, ly: 3, hidden: 6, complex: true }, rng),
    lattice: sq33, names: ['c4v'], flip: true, chi: { c4: [-1, 0], mx: [1, 0] }, nUp: null, complex: true,
  },
  {
    label: 'rnn2d positive, 2×4 torus, translations + mirrors',
    make: (rng) => createRnn2d({ lx: 2, ly: 4, hidden: 6 }, rng),
    lattice: torus24, names: ['translation', 'reflection'], flip: false, nUp: null, complex: false,
  },
  {
    label: 'flow complex S^z = 0, ring 8, translation (k = 2π/8) + flip',
    make: (rng) => createFlow({ nSites: 8, hidden: 16, complex: true, nUp: 4 }, rng),
    lattice: ring8, names: ['translation'], flip: true, chi: { k: momentum(1, 8) }, nUp: 4, complex: true, scale: 2,
  },
];

for (const [ci, c] of cases.entries()) {
  test(`Σ_x P_G = 1, ψ_G(gx) = χ(g) ψ_G(x), evaluate = evaluateConnected = logPsi, no leaks: ${c.label}`, () => {
    const rng = new Rng(`sym-${ci}`);
    const inner = c.make(rng);
    randomize(inner, rng, c.scale ?? 0.8);
    const ops = group(c.lattice, c.names, c.flip, c.chi);
    const wf = withSymmetry(inner, ops);
    assertNormalisedSym(wf, inner, ops, c.nUp, c.complex);
    assertCovariant(wf, ops, c.nUp);
    const N = wf.nSites;
    const parents = wf.sample!(6, rng);
    if (wf.evaluateConnected) {
      // tiny row blocks on purpose: the wrapper splits parents over several passes
      const small = withSymmetry(inner, ops, { maxRows: 3 * ops.length * 10 });
      assertConnectedConsistent(small, parents, flipConnections(parents, 6, N, c.nUp !== null), 2e-5);
      const a = small.evaluateConnected!(parents, flipConnections(parents, 6, N, c.nUp !== null));
      const b = wf.evaluateConnected(parents, flipConnections(parents, 6, N, c.nUp !== null));
      sameInAnyLayout(a.logAmp, b.logAmp, 'row blocks do not change a bit');
      if (inner.connectedExact) {
        const k = flipConnections(parents, 6, N, c.nUp !== null);
        const ev = wf.evaluate(k.configs, k.offsets[6]);
        sameInAnyLayout(b.logAmp, ev.logAmp, 'connectedExact: bitwise evaluate');
        sameInAnyLayout(b.phase, ev.phase, 'connectedExact: bitwise evaluate (phase)');
      }
    } else {
      assert.equal(inner.evaluateConnected, undefined);
    }
    assertNoLeaks(wf, rng, (p, n) => flipConnections(p, n, N, c.nUp !== null), 2);
    wf.dispose();
  });
}

/**
 * A smooth loss of log ψ: Σ_b a_b log|ψ_b| + c_b cos(arg ψ_b) + d_b sin(arg ψ_b) (the phase enters
 * through e^{i arg ψ}, so the atan2 branch cut of arg S cannot make a finite difference jump).
 */
function smoothLoss(wf: Wavefunction, x: tf.Tensor2D, w: tf.Tensor1D[]): tf.Scalar {
  const { logAmp, phase } = wf.logPsi(x);
  return tf.addN([tf.sum(tf.mul(logAmp, w[0])), tf.sum(tf.mul(tf.cos(phase), w[1])), tf.sum(tf.mul(tf.sin(phase), w[2]))]) as tf.Scalar;
}

/**
 * The same configurations evaluated in two batch layouts: bit for bit on wasm; within
 * layoutTolerance on tfjs-node, which rounds a row by its place in the batch (tests/backend.ts).
 */
function sameInAnyLayout(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const tol = layoutTolerance(0);
  if (tol === 0) {
    assert.deepEqual(Array.from(a), Array.from(b), what);
    return;
  }
  assert.equal(a.length, b.length, what);
  for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) <= tol * Math.max(1, Math.abs(a[k])), `${what}: entry ${k} ${a[k]} vs ${b[k]}`);
}

test('gradient of the symmetrised logPsi equals finite differences (rnn complex, non-trivial character; flow positive)', () => {
  for (const [label, make, ops] of [
    ['rnn', (r: Rng) => createRnn({ nSites: 6, hidden: 6, complex: true }, r), group(chain(6, 'periodic'), ['translation', 'reflection'], true, { k: momentum(3, 6), reflection: [-1, 0], flip: [-1, 0] })],
    ['flow', (r: Rng) => createFlow({ nSites: 6, hidden: 12 }, r), group(chain(6, 'open'), ['reflection'], true)],
  ] as const) {
    const rng = new Rng(`fd-${label}`);
    const inner = make(rng);
    randomize(inner, rng, 0.5);
    const wf = withSymmetry(inner, ops);
    const B = 12;
    const x = tf.tensor2d(Float32Array.from(wf.sample!(B, rng)), [B, 6]);
    const w = [0, 1, 2].map(() => tf.tensor1d(Float32Array.from({ length: B }, () => rng.normal())));
    const { grads, value } = tf.variableGrads(() => smoothLoss(wf, x, w), wf.variables);
    value.dispose();
    const host = (): number => {
      const l = smoothLoss(wf, x, w);
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    const g = wf.variables.map((v) => grads[v.name].dataSync());
    directionalDerivatives(wf, g, host, rng, 3e-3).forEach(({ analytic, fd }, vi) => {
      assert.ok(Math.abs(fd - analytic) < 1e-2 * Math.max(Math.abs(analytic), Math.abs(fd)) + 2e-3, `${label} variable ${vi}: analytic ${analytic} vs finite difference ${fd}`);
    });
    tf.dispose(grads);
    tf.dispose([x, ...w]);
    wf.dispose();
  }
});

test('χ² of the sampler (x ~ |ψ|², then a random g) against |ψ_G|² (rnn complex N=6, translation + flip; S^z = 0 with reflection)', () => {
  for (const [nUp, names] of [[null, ['translation']], [3, ['translation', 'reflection']]] as const) {
    const N = 6;
    const rng = new Rng(`chi2-${nUp}`);
    const inner = createRnn({ nSites: N, hidden: 8, complex: true, nUp }, rng);
    randomize(inner, rng, 0.9);
    const ops = group(chain(N, 'periodic'), [...names], true);
    const wf = withSymmetry(inner, ops);
    const D = 1 << N;
    const pG = Float64Array.from(wf.evaluate(enumerate(N), D).logAmp, (v) => Math.exp(2 * v));
    const pPlain = Float64Array.from(inner.evaluate(enumerate(N), D).logAmp, (v) => Math.exp(2 * v));
    // the symmetrisation changes the distribution (else the test would not tell them apart)
    let tv = 0;
    for (let i = 0; i < D; i++) tv += Math.abs(pG[i] - pPlain[i]) / 2;
    assert.ok(tv > 0.05, `total variation between |ψ|² and |ψ_G|²: ${tv}`);
    const M = 20000;
    const s = wf.sample!(M, new Rng(`draw-${nUp}`));
    const counts = new Float64Array(D);
    for (let b = 0; b < M; b++) counts[indexOf(s, b, N)]++;
    const { stat, df } = chi2(counts, pG, M);
    assert.ok(stat < chi2Critical(df), `χ² = ${stat.toFixed(1)} with ${df} dof (critical ${chi2Critical(df).toFixed(1)})`);
    const plain = chi2(counts, pPlain, M);
    assert.ok(plain.stat > chi2Critical(plain.df), 'the histogram tells |ψ_G|² from |ψ|²');
    wf.dispose();
  }
});

test('orbit representatives: a member of the orbit, the same for the whole orbit, idempotent', () => {
  const N = 8;
  const ops = group(ring8, ['translation', 'reflection'], true);
  const wf = withSymmetry(createRnn({ nSites: N, hidden: 4 }, new Rng(1)), ops);
  const all = enumerate(N);
  const D = 1 << N;
  const rep = wf.orbitRepresentatives!(all, D);
  assert.deepEqual(Array.from(wf.orbitRepresentatives!(rep, D)), Array.from(rep));
  const repIndex = (x: number) => indexOf(rep, x, N);
  let orbits = 0;
  for (let x = 0; x < D; x++) {
    const images = new Set(ops.map((op) => imageIndex(op, x, N)));
    assert.ok(images.has(repIndex(x)), `representative of ${x} is in its orbit`);
    for (const y of images) assert.equal(repIndex(y), repIndex(x));
    if (repIndex(x) === x) orbits++;
  }
  // Burnside: 8-bead binary necklaces up to rotation, reflection and colour swap: 18 orbits
  assert.equal(orbits, 18);
  wf.dispose();
});

test('refuses a wavefunction without an exact sampler and operations that are not permutations', () => {
  const rnn = createRnn({ nSites: 4, hidden: 2 }, new Rng(1));
  const noSampler = { ...rnn, sample: undefined, kind: 'rbm' } as unknown as Wavefunction;
  assert.throws(() => withSymmetry(noSampler, group(chain(4, 'periodic'), ['translation'], false)), /exactly sampled/);
  assert.throws(() => withSymmetry(rnn, [{ perm: [0, 0, 1, 2], flip: false, chiRe: 1, chiIm: 0 }]), /not a permutation/);
  rnn.dispose();
});
