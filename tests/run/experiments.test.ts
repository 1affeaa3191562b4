/**
 * Every shipped experiment file does what its description (and the README) promises: the model
 * and its parameters, the lattice and its size, the S^z sector and sign rule, the ansatz and the
 * options that resolve from it, and the energy the run will be compared with — computed by the
 * method the file names (free fermions, the Bethe ansatz, Lanczos) or the published reference
 * with its units conversion done here by hand. The expectations below are written from the
 * descriptions, not read from the files, so a file edited without its description (or the
 * other way round) fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { canSolveExactly } from '../../src/exact/index.js';
import { checkAnsatzEntries, type AnsatzEntry } from '../../src/compare/compare.js';
import { buildModel, networkSize, optimizerKind, type ModelParts } from '../../src/run/build.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { prepareInitFrom } from '../../src/run/init-from.js';
import { referenceEnergy } from '../../src/run/reference.js';
import { planSchedule, SCHEDULE_FILE_KEYS } from '../../src/run/schedule.js';

interface Promise {
  model: 'tfim' | 'heisenberg' | 'j1j2';
  /** resolved model parameters */
  params: Record<string, number>;
  lattice: string;
  nSites: number;
  /** up spins fixed by the file (S^z = 0 ⇒ N/2), or null */
  nUp: number | null;
  sign: 'none' | 'marshall';
  /** ansatz per run (several for comparison files) */
  ansatze: string[];
  /** resolved settings that must hold for every run of the file */
  settings: Partial<Record<keyof ExperimentConfig, unknown>>;
  /** how the run's energy is judged */
  reference:
    | { method: 'free-fermion' | 'bethe-ansatz' | 'lanczos' | 'dense'; energy?: number; tol?: number }
    | { method: 'reference'; energy: number }
    | { method: null };
}

const budget20 = { samples: 500, steps: 300, lr: 0.01, 'lr-decay': 1000, 'eval-samples': 5000, seed: 1 };
const compare16 = { samples: 256, steps: 250, 'eval-samples': 5000, seed: 1 };
const rnn2d4x4 = { cell: 'gated', hidden: 50, samples: 500, lr: 0.01, 'lr-decay': 500, 'eval-samples': 10000, steps: 800, seed: 1 };
const paper = { cell: 'gated', hidden: 50, samples: 500, steps: 20000, lr: 0.005, 'lr-decay': 2000, 'checkpoint-every': 10 };
const carleoTroyer = { alpha: 2, real: true, symmetric: true, sampler: 'metropolis', chains: 50, 'burn-in': 200, optimizer: 'sr', lr: 0.1, samples: 1000, steps: 600, 'eval-samples': 20000 };

// Adam vs SR vs minSR at equal wall-clock (issue 15): shared settings of every entry
const natgrad = { hidden: 50, samples: 1000, 'budget-seconds': 600, steps: 100000, 'eval-samples': 10000, seed: 1, workers: 1 };

// QMC energy per site in S.S units -> total in Pauli units
const qmc = (e: number, L: number) => e * 4 * L * L;

// the continuations of a finished stage of retrain-heisenberg-square-periodic.json: its committed checkpoint
const continue6 = {
  cell: 'gated', hidden: 50, symmetry: 'c4v', samples: 500, steps: 1000, 'eval-samples': 20000, seed: 2,
  'init-from': 'results/retrain-heisenberg-square-periodic/stage2-6x6-c4v', 'init-noise': 0,
};

const PROMISES: Record<string, Promise> = {
  // "Exact energy by free fermions: -25.10779711162."
  'quickstart.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=20 open', nSites: 20, nUp: null, sign: 'none', ansatze: ['rnn'],
    settings: { hidden: 50, samples: 500, steps: 400, lr: 0.01, 'lr-decay': 200, 'eval-samples': 10000, seed: 1 },
    reference: { method: 'free-fermion', energy: -25.10779711162, tol: 1e-10 },
  },
  // "M = 1000, lr-decay 500", "(0.01, as the N = 20 stage)", "2500"
  'direct-tfim-chain100.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=100 open', nSites: 100, nUp: null, sign: 'none', ansatze: ['rnn'],
    settings: { hidden: 50, samples: 1000, steps: 2500, lr: 0.01, 'lr-decay': 500, 'eval-samples': 20000, seed: 1 },
    reference: { method: 'free-fermion', energy: -126.96187673968, tol: 1e-10 },
  },
  'lru-tfim-chain20.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=20 open', nSites: 20, nUp: null, sign: 'none', ansatze: ['lru'],
    settings: { hidden: 50, layers: 1, samples: 500, steps: 1000, lr: 0.01, 'lr-decay': 200, 'eval-samples': 10000, seed: 1 },
    reference: { method: 'free-fermion', energy: -25.10779711162, tol: 1e-10 },
  },
  'lru-heisenberg-ring20.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'chain N=20 periodic', nSites: 20, nUp: 10, sign: 'marshall', ansatze: ['lru'],
    settings: { hidden: 50, layers: 1, samples: 500, steps: 950, lr: 0.005, 'lr-decay': 1000, 'eval-samples': 10000, seed: 1 },
    reference: { method: 'lanczos', energy: -35.617546119506, tol: 1e-8 },
  },
  // "exact E0 = -3N/2 = -18 in Pauli units, Lanczos in the S^z = 0 sector"; the schedule: tests/run/anneal.test.ts
  'anneal-j1j2-chain12.json': {
    model: 'j1j2', params: { J1: 1, J2: 0.5 }, lattice: 'chain N=12 periodic', nSites: 12, nUp: 6, sign: 'none', ansatze: ['rnn', 'rnn'],
    settings: { phase: true, hidden: 32, samples: 256, steps: 1000, lr: 0.005, 'lr-decay': 1000, 'eval-samples': 5000, seed: 1, workers: 1 },
    reference: { method: 'lanczos', energy: -18, tol: 1e-8 },
  },
  // "Exact energy by free fermions: -13.5236869032."
  'symmetry-tfim-ring12.json': {
    model: 'tfim', params: { J: 1, h: 0.7 }, lattice: 'chain N=12 periodic', nSites: 12, nUp: null, sign: 'none', ansatze: ['rnn'],
    settings: { hidden: 50, samples: 500, steps: 600, lr: 0.01, 'lr-decay': 1000, 'eval-samples': 10000, seed: 1, symmetry: 'none' },
    reference: { method: 'free-fermion', energy: -13.5236869032, tol: 1e-9 },
  },
  'compare-tfim-chain.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=16 open', nSites: 16, nUp: null, sign: 'none', ansatze: ['rnn', 'rbm', 'flow'],
    settings: compare16, reference: { method: 'free-fermion' },
  },
  'compare-heisenberg-chain.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'chain N=16 periodic', nSites: 16, nUp: 8, sign: 'marshall', ansatze: ['rnn', 'rbm', 'flow'],
    settings: compare16, reference: { method: 'lanczos' },
  },
  'compare-flow-rnn-tfim-chain20.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=20 open', nSites: 20, nUp: null, sign: 'none', ansatze: ['rnn', 'flow'],
    settings: budget20, reference: { method: 'free-fermion', energy: -25.10779711162, tol: 1e-10 },
  },
  'compare-flow-rnn-heisenberg-chain20.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'chain N=20 periodic', nSites: 20, nUp: 10, sign: 'marshall', ansatze: ['rnn', 'flow'],
    settings: budget20, reference: { method: 'lanczos' },
  },
  // "Exact energy by free fermions: -25.10779711162."
  'natgrad-tfim-chain20.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=20 open', nSites: 20, nUp: null, sign: 'none', ansatze: ['rnn', 'rnn', 'rnn'],
    settings: natgrad, reference: { method: 'free-fermion', energy: -25.10779711162, tol: 1e-10 },
  },
  // "Exact energy by Lanczos: -35.617546119506" (the value lru-heisenberg-ring20.json's test checks)
  'natgrad-heisenberg-ring20.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'chain N=20 periodic', nSites: 20, nUp: 10, sign: 'marshall', ansatze: ['rnn', 'rnn', 'rnn'],
    settings: natgrad, reference: { method: 'lanczos' },
  },
  // "Exact energy by Lanczos over the full 2^16 space" (−52.06038, checked for rnn2d-tfim-4x4-h3.044-periodic.json)
  'natgrad-tfim-4x4-periodic.json': {
    model: 'tfim', params: { J: 1, h: 3.044 }, lattice: 'square 4x4 periodic', nSites: 16, nUp: null, sign: 'none', ansatze: ['rnn2d', 'rnn2d', 'rnn2d'],
    settings: { ...natgrad, cell: 'gated' }, reference: { method: 'lanczos' },
  },
  // the learning-rate calibration of the SR entries above
  'natgrad-lr-tfim-chain12.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=12 open', nSites: 12, nUp: null, sign: 'none', ansatze: ['rnn', 'rnn', 'rnn', 'rnn'],
    settings: { hidden: 20, samples: 500, steps: 150, 'eval-samples': 4000, seed: 1, workers: 1 }, reference: { method: 'free-fermion' },
  },
  'natgrad-lr-heisenberg-ring10.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'chain N=10 periodic', nSites: 10, nUp: 5, sign: 'marshall', ansatze: ['rnn', 'rnn', 'rnn'],
    settings: { hidden: 20, samples: 500, steps: 150, 'eval-samples': 4000, seed: 1, workers: 1 }, reference: { method: 'dense' },
  },
  // continuations of the Heisenberg 6x6 C4v stage (issue 12): "QMC -0.678873 per site ... x 4 x 36 = -97.757712";
  // minSR "at M = 500, learning rate 0.02 and a constant diagonal shift 0.01"; Adam "its moments and step count carried"
  'continue-heisenberg-square6-c4v-minsr.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'square 6x6 periodic', nSites: 36, nUp: 18, sign: 'marshall', ansatze: ['rnn2d'],
    settings: { ...continue6, optimizer: 'sr', 'sr-space': 'sample', lr: 0.02, 'diag-shift': 0.01, 'diag-shift-decay': 1 },
    reference: { method: 'reference', energy: qmc(-0.678873, 6) },
  },
  'continue-heisenberg-square6-c4v-adam.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'square 6x6 periodic', nSites: 36, nUp: 18, sign: 'marshall', ansatze: ['rnn2d'],
    settings: { ...continue6, optimizer: 'adam', lr: 0.001, 'lr-decay': 2000, 'init-adam': 'carry' },
    reference: { method: 'reference', energy: qmc(-0.678873, 6) },
  },
  // Carleo & Troyer: E/N = -0.44366307 (S·S units) for the periodic N = 40 chain; ×4 Pauli units
  'rbm-heisenberg-chain40.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'chain N=40 periodic', nSites: 40, nUp: 20, sign: 'marshall', ansatze: ['rbm'],
    settings: { ...carleoTroyer, 'diag-shift': 0.05, 'diag-shift-decay': 0.99, 'diag-shift-min': 0.01, 'sr-max-step': 0.1 },
    reference: { method: 'bethe-ansatz', energy: -0.44366307 * 4 * 40, tol: 1e-6 },
  },
  'rbm-tfim-chain40.json': {
    model: 'tfim', params: { J: 1, h: 1 }, lattice: 'chain N=40 periodic', nSites: 40, nUp: null, sign: 'none', ansatze: ['rbm'],
    settings: { ...carleoTroyer, 'diag-shift': 0.05, 'diag-shift-decay': 0.99, 'diag-shift-min': 0.001 },
    // periodic critical chain: E0 = −2 / sin(π/(2N)) (Pfeuty 1970, antiperiodic fermion sector)
    reference: { method: 'free-fermion', energy: -2 / Math.sin(Math.PI / 80), tol: 1e-9 },
  },
  'rnn2d-tfim-4x4-h3-open.json': {
    model: 'tfim', params: { J: 1, h: 3 }, lattice: 'square 4x4 open', nSites: 16, nUp: null, sign: 'none', ansatze: ['rnn2d'],
    settings: rnn2d4x4, reference: { method: 'lanczos' },
  },
  'rnn2d-tfim-4x4-h3-periodic.json': {
    model: 'tfim', params: { J: 1, h: 3 }, lattice: 'square 4x4 periodic', nSites: 16, nUp: null, sign: 'none', ansatze: ['rnn2d'],
    settings: rnn2d4x4, reference: { method: 'lanczos' },
  },
  'rnn2d-tfim-4x4-h3.044-open.json': {
    model: 'tfim', params: { J: 1, h: 3.044 }, lattice: 'square 4x4 open', nSites: 16, nUp: null, sign: 'none', ansatze: ['rnn2d'],
    settings: rnn2d4x4, reference: { method: 'lanczos' },
  },
  // README: E0 = −52.060380
  'rnn2d-tfim-4x4-h3.044-periodic.json': {
    model: 'tfim', params: { J: 1, h: 3.044 }, lattice: 'square 4x4 periodic', nSites: 16, nUp: null, sign: 'none', ansatze: ['rnn2d'],
    settings: rnn2d4x4, reference: { method: 'lanczos', energy: -52.06038, tol: 5e-6 },
  },
  // README: E0 = −36.756828, "Lanczos in the S^z = 0 sector (12 870 states)"
  'rnn2d-heisenberg-4x4-open.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'square 4x4 open', nSites: 16, nUp: 8, sign: 'marshall', ansatze: ['rnn2d'],
    settings: rnn2d4x4, reference: { method: 'lanczos', energy: -36.756828, tol: 5e-6 },
  },
  // "beyond Lanczos and no reference energy is recorded here"
  'rnn2d-heisenberg-6x6-open.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'square 6x6 open', nSites: 36, nUp: 18, sign: 'marshall', ansatze: ['rnn2d'],
    settings: { ...rnn2d4x4, steps: 2000, 'checkpoint-every': 25 }, reference: { method: null },
  },
  // "QMC -0.628656 per site in S·S units ... × 4 × 100"
  'rnn2d-heisenberg-10x10-open.json': {
    model: 'heisenberg', params: { J: 1 }, lattice: 'square 10x10 open', nSites: 100, nUp: 50, sign: 'marshall', ansatze: ['rnn2d'],
    settings: paper, reference: { method: 'reference', energy: -0.628656 * 4 * 100 },
  },
  // "DMRG bond dimension 1024" (as quoted by Hibat-Allah et al. 2020): −457.04173 in total
  'rnn2d-tfim-12x12-h3-open.json': {
    model: 'tfim', params: { J: 1, h: 3 }, lattice: 'square 12x12 open', nSites: 144, nUp: null, sign: 'none', ansatze: ['rnn2d'],
    settings: paper, reference: { method: 'reference', energy: -457.04173 },
  },
};

/** Size schedules (src/run/schedule.ts): what every stage is, and the extrapolation. */
interface SchedulePromise {
  model: 'tfim' | 'heisenberg';
  params: Record<string, number>;
  sign: 'none' | 'marshall';
  ansatz: string;
  /** resolved settings common to every stage */
  settings: Partial<Record<keyof ExperimentConfig, unknown>>;
  stages: {
    lattice: string;
    nUp: number | null;
    /** the stage's own resolved settings */
    settings: Partial<Record<keyof ExperimentConfig, unknown>>;
    /** lanczos without an energy: only that the stage can be solved exactly by Lanczos; null: no reference */
    reference: { method: 'free-fermion'; energy: number } | { method: 'reference'; energy: number } | { method: 'lanczos' } | { method: null };
  }[];
  extrapolate?: { x: string; limit: number };
}

// S·S units → Pauli units (× 4), per site → total (× L²); "QMC energies per site ... as tabulated by Moss et al."
const SCHEDULES: Record<string, SchedulePromise> = {
  // "N = 10: -12.38148999, N = 20: -25.10779711, N = 40: -50.56943379"; "-4/pi"
  'retrain-tfim-chain-demo.json': {
    model: 'tfim', params: { J: 1, h: 1 }, sign: 'none', ansatz: 'rnn',
    settings: { hidden: 32, samples: 500, lr: 0.01, 'lr-decay': 200, 'eval-samples': 10000, 'init-adam': 'reset', seed: 1 },
    stages: [
      { lattice: 'chain N=10 open', nUp: null, settings: { steps: 300 }, reference: { method: 'free-fermion', energy: -12.38148999 } },
      { lattice: 'chain N=20 open', nUp: null, settings: { steps: 150 }, reference: { method: 'free-fermion', energy: -25.10779711 } },
      { lattice: 'chain N=40 open', nUp: null, settings: { steps: 100 }, reference: { method: 'free-fermion', energy: -50.56943379 } },
    ],
    extrapolate: { x: '1/N', limit: -4 / Math.PI },
  },
  // "N = 20 -25.10779711162, N = 100 -126.96187673968"
  'retrain-tfim-chain100.json': {
    model: 'tfim', params: { J: 1, h: 1 }, sign: 'none', ansatz: 'rnn',
    settings: { hidden: 50, 'eval-samples': 20000, 'init-adam': 'reset', seed: 1 },
    stages: [
      { lattice: 'chain N=20 open', nUp: null, settings: { steps: 1000, samples: 500, lr: 0.01, 'lr-decay': 200 }, reference: { method: 'free-fermion', energy: -25.10779711162 } },
      { lattice: 'chain N=100 open', nUp: null, settings: { steps: 1500, samples: 1000, lr: 0.005, 'lr-decay': 500 }, reference: { method: 'free-fermion', energy: -126.96187673968 } },
    ],
    extrapolate: { x: '1/N', limit: -4 / Math.PI },
  },
  // the LRU twin: "every other setting the same"
  'retrain-tfim-chain100-lru.json': {
    model: 'tfim', params: { J: 1, h: 1 }, sign: 'none', ansatz: 'lru',
    settings: { hidden: 50, layers: 1, 'eval-samples': 20000, 'init-adam': 'reset', seed: 1 },
    stages: [
      { lattice: 'chain N=20 open', nUp: null, settings: { steps: 1000, samples: 500, lr: 0.01, 'lr-decay': 200 }, reference: { method: 'free-fermion', energy: -25.10779711162 } },
      { lattice: 'chain N=100 open', nUp: null, settings: { steps: 1500, samples: 1000, lr: 0.005, 'lr-decay': 500 }, reference: { method: 'free-fermion', energy: -126.96187673968 } },
    ],
    extrapolate: { x: '1/N', limit: -4 / Math.PI },
  },
  // "4×4 first (exact energy by Lanczos over the full 2^16 space), then 8×8 (no reference ...), then 12×12"; "DMRG ... -457.04173"
  'retrain-tfim-square12-h3.json': {
    model: 'tfim', params: { J: 1, h: 3 }, sign: 'none', ansatz: 'rnn2d',
    settings: { cell: 'gated', hidden: 50, samples: 500, 'lr-decay': 2000, 'eval-samples': 10000, bc: 'open', 'init-adam': 'reset', seed: 1 },
    stages: [
      { lattice: 'square 4x4 open', nUp: null, settings: { steps: 1000, lr: 0.005 }, reference: { method: 'lanczos' } },
      { lattice: 'square 8x8 open', nUp: null, settings: { steps: 1000, lr: 0.002 }, reference: { method: null } },
      { lattice: 'square 12x12 open', nUp: null, settings: { steps: 5000, lr: 0.001 }, reference: { method: 'reference', energy: -457.04173 } },
    ],
  },
  // "-0.678873 (L = 6), -0.673487 (8), -0.671549 (10), -0.670685 (12)"; limit "-0.669437 ... x 4";
  // "each size is trained first without symmetry averaging and then symmetrised over C4v ... in a shorter last stage"
  'retrain-heisenberg-square-periodic.json': {
    model: 'heisenberg', params: { J: 1 }, sign: 'marshall', ansatz: 'rnn2d',
    settings: { cell: 'gated', hidden: 50, samples: 500, 'lr-decay': 2000, 'eval-samples': 20000, bc: 'periodic', 'init-adam': 'reset', seed: 1 },
    stages: ([[6, 18, -0.678873, 3000, 0.005, 600, 0.001], [8, 32, -0.673487, 1500, 0.002, 300, 0.001], [10, 50, -0.671549, 1000, 0.002, 200, 0.0005], [12, 72, -0.670685, 600, 0.001, 100, 0.0005]] as const)
      .flatMap(([L, nUp, e, plainSteps, plainLr, symSteps, symLr]) => [
        { lattice: `square ${L}x${L} periodic`, nUp, settings: { steps: plainSteps, lr: plainLr, symmetry: 'none' }, reference: { method: 'reference', energy: qmc(e, L) } },
        { lattice: `square ${L}x${L} periodic`, nUp, settings: { steps: symSteps, lr: symLr, symmetry: 'c4v' }, reference: { method: 'reference', energy: qmc(e, L) } },
      ]),
    extrapolate: { x: '1/L^3', limit: -0.669437 * 4 },
  },
};

// sweep files (sweep-*.json) hold grids of experiments: their promises are in tests/sweep/shipped.test.ts
const files = readdirSync('experiments').filter((f) => f.endsWith('.json') && !f.startsWith('sweep-')).sort();

test('experiments/: every shipped file has its promises listed here, and every listed file ships', () => {
  assert.deepEqual(files, [...Object.keys(PROMISES), ...Object.keys(SCHEDULES)].sort());
});

for (const [f, want] of Object.entries(SCHEDULES)) {
  test(`experiments/${f}: a schedule of ${want.stages.length} stages, each stage's model, settings and reference as described`, () => {
    const path = join('experiments', f);
    const file = readExperimentFile(path, SCHEDULE_FILE_KEYS) as Parameters<typeof planSchedule>[0]['file'];
    const plan = planSchedule({ file, flags: {}, source: path });
    assert.equal(plan.stages.length, want.stages.length);
    plan.stages.forEach(({ config: cfg }, i) => {
      const stage = want.stages[i]!;
      const parts = buildModel(cfg);
      assert.equal(parts.definition.name, want.model);
      assert.deepEqual({ ...parts.hamiltonian.params }, want.params);
      assert.equal(parts.lattice.describe(), stage.lattice);
      assert.equal(parts.nUp, stage.nUp);
      assert.equal(cfg.sign, want.sign);
      assert.equal(cfg.ansatz, want.ansatz);
      assert.equal(cfg['init-from'], undefined, 'stage 1 from scratch, the others from the previous stage (set when the directory opens)');
      for (const [k, v] of Object.entries({ ...want.settings, ...stage.settings })) assert.deepEqual(cfg[k as keyof ExperimentConfig], v, `stage ${i + 1}: ${k}`);
      const ref = stage.reference;
      if (ref.method === 'lanczos') {
        const can = canSolveExactly(parts.hamiltonian, parts.lattice, { nUp: parts.nUp });
        assert.ok(can.ok && can.method === 'lanczos', `stage ${i + 1}: ${can.reason ?? can.method}`);
        return;
      }
      const got = referenceEnergy(cfg, parts);
      assert.equal(got.method, ref.method, `stage ${i + 1}: ${got.source}`);
      if (ref.method === null) {
        assert.equal(got.energy, null, `stage ${i + 1}`);
        return;
      }
      const tol = ref.method === 'reference' ? 1e-9 : 1e-8;
      assert.ok(Math.abs(got.energy! - ref.energy) < tol, `stage ${i + 1}: ${got.energy} vs ${ref.energy}`);
    });
    if (!want.extrapolate) {
      assert.equal(plan.extrapolate, null);
      return;
    }
    assert.equal(plan.extrapolate?.variable.text, want.extrapolate.x);
    assert.ok(Math.abs(plan.extrapolate!.limit!.energy_per_site - want.extrapolate.limit) < 1e-9);
  });
}

/** The runs of a file: one per ansatz entry (comparison files), each resolved as the CLI does. */
function runsOf(path: string): ExperimentConfig[] {
  const read = readExperimentFile(path, { ansatze: checkAnsatzEntries });
  const { ansatze, ...base } = read;
  const entries = (ansatze as AnsatzEntry[] | undefined) ?? [{ ansatz: read.ansatz ?? 'rnn', settings: {} }];
  return entries.map((e) => resolveExperiment({ ...base, ...e.settings, ansatz: e.ansatz }, {}, path));
}

for (const f of files) {
  const want = PROMISES[f];
  if (!want) continue;
  test(`experiments/${f}: model, lattice, sector, ansatz and settings as described`, () => {
    const runs = runsOf(join('experiments', f));
    assert.deepEqual(runs.map((c) => c.ansatz), want.ansatze);
    for (const cfg of runs) {
      const parts = buildModel(cfg);
      assert.equal(parts.definition.name, want.model);
      assert.deepEqual(parts.definition.parameters, want.params);
      assert.deepEqual({ ...parts.hamiltonian.params }, want.params);
      assert.equal(parts.lattice.describe(), want.lattice);
      assert.equal(parts.hamiltonian.nSites, want.nSites);
      assert.equal(parts.nUp, want.nUp);
      assert.equal(cfg.sign, want.sign);
      for (const [k, v] of Object.entries(want.settings)) assert.deepEqual(cfg[k as keyof ExperimentConfig], v, `${cfg.ansatz}: ${k}`);
      // options that resolve from the ansatz
      assert.equal(optimizerKind(cfg), cfg.optimizer !== 'auto' ? cfg.optimizer : cfg.ansatz === 'rbm' ? 'sr' : 'adam', `${cfg.ansatz}: optimizer`);
      if (cfg.ansatz === 'rnn2d' || (cfg.ansatz === 'rnn' && cfg.hidden !== undefined)) assert.equal(networkSize(cfg, want.nSites).hidden, cfg.hidden);
      if (cfg.ansatz === 'flow' && cfg.hidden === undefined) assert.equal(networkSize(cfg, want.nSites).hidden, Math.max(16, 4 * want.nSites));
      if (want.nUp !== null) assert.ok(parts.hamiltonian.conservesSz, 'a fixed S^z needs an S^z-conserving model');
      if (cfg['init-from'] !== undefined) {
        // the source run ships with the repository, and its checkpoint fits this run
        const { source } = prepareInitFrom(cfg);
        assert.equal(source.record.source_status, 'completed', `${cfg['init-from']}: a finished run`);
      }
    }
  });

  test(`experiments/${f}: compared with ${want.reference.method ?? 'no reference'}${'energy' in want.reference && want.reference.energy !== undefined ? ` (${want.reference.energy.toFixed(6)})` : ''}`, () => {
    const cfg = runsOf(join('experiments', f))[0];
    const parts: ModelParts = buildModel(cfg);
    const ref = want.reference;
    if (ref.method === 'lanczos' && ref.energy === undefined) {
      // only that it can be solved exactly, by Lanczos (solving all of them would take minutes)
      const can = canSolveExactly(parts.hamiltonian, parts.lattice, { nUp: parts.nUp });
      assert.ok(can.ok, can.reason);
      assert.equal(can.method, 'lanczos');
      return;
    }
    const got = referenceEnergy(cfg, parts);
    assert.equal(got.method, ref.method, got.source);
    if (ref.method === null) {
      assert.equal(got.energy, null);
      assert.equal(cfg.reference, null);
      return;
    }
    if (ref.method === 'reference') {
      // the recorded value is the described conversion, to the digits written in the file
      assert.ok(Math.abs(cfg.reference!.energy - ref.energy) < 1e-9, `${cfg.reference!.energy} vs ${ref.energy}`);
      assert.equal(got.energy, cfg.reference!.energy);
      return;
    }
    if (ref.energy !== undefined) {
      assert.ok(Math.abs(got.energy! - ref.energy) < ref.tol!, `${ref.method}: ${got.energy} vs ${ref.energy}`);
    }
    if (f === 'rbm-heisenberg-chain40.json') {
      // the value the file records "documents" the Bethe-ansatz energy vmc computes
      assert.ok(Math.abs(cfg.reference!.energy - got.energy!) < 1e-7, `file ${cfg.reference!.energy} vs Bethe ansatz ${got.energy}`);
    }
  });
}
