/**
 * Experiment settings: one table of options that serves both the command-line flags and the
 * experiment files (`experiments/*.json` use the flag names as keys), so the two cannot drift.
 * Flags override the file; the file overrides the defaults.
 */
import { InputError, quote, shown } from '../errors.js';
import { listModels, looksLikePath } from '../hamiltonian/definition.js';
import { parameterNameProblem } from '../hamiltonian/index.js';
import { ANNEAL_DEFAULTS } from '../vmc/anneal.js';

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'params' | 'reference';

export interface OptionSpec {
  type: OptionType;
  describe: string;
  default?: unknown;
  choices?: readonly string[];
  min?: number;
  group: string;
}

const MODEL = 'Model and lattice:';
const ANSATZ = 'Ansatz:';
const SAMPLING = 'Sampling and optimisation:';
const OUTPUT = 'Run and output:';
const PRETRAIN = 'Pre-training on data:';

/** Every experiment setting. Keys are the long flag names. */
export const OPTIONS = {
  model: { type: 'string', group: MODEL, default: 'tfim', describe: 'shipped model name (tfim, heisenberg, xxz, j1j2) or path to a model .json' },
  param: { type: 'params', group: MODEL, describe: 'override a model parameter, NAME=VALUE (repeatable)' },
  lattice: { type: 'string', group: MODEL, default: 'chain', choices: ['chain', 'square'], describe: 'lattice kind' },
  n: { type: 'integer', group: MODEL, min: 2, describe: 'number of sites of a chain' },
  lx: { type: 'integer', group: MODEL, min: 1, describe: 'square lattice width' },
  ly: { type: 'integer', group: MODEL, min: 1, describe: 'square lattice height' },
  bc: { type: 'string', group: MODEL, default: 'open', choices: ['open', 'periodic'], describe: 'boundary conditions' },
  magnetization: { type: 'number', group: MODEL, describe: 'fix total S^z = (N_up − N_down)/2, e.g. 0 (default: unconstrained; exact energies are then the lowest over all S^z sectors, see vmc exact --help)' },

  ansatz: { type: 'string', group: ANSATZ, default: 'rnn', choices: ['rnn', 'rnn2d', 'lru', 'rbm', 'flow'], describe: 'wavefunction (lru: linear recurrent unit, evaluated in parallel over sites)' },
  hidden: { type: 'integer', group: ANSATZ, min: 1, describe: 'hidden units per layer [default: 50 for rnn/rnn2d/lru, max(16, 4N) for flow]' },
  layers: { type: 'integer', group: ANSATZ, min: 1, describe: 'stacked recurrent layers (rnn), LRU blocks (lru) or masked hidden layers (flow) [default: 1 rnn/lru, 2 flow]' },
  phase: { type: 'boolean', group: ANSATZ, default: false, describe: 'complex amplitudes: add a phase head (rnn, rnn2d, lru, flow)' },
  sign: { type: 'string', group: ANSATZ, default: 'none', choices: ['none', 'marshall'], describe: 'fixed sign rule; marshall = (−1)^(up spins on sublattice A)' },
  order: { type: 'string', group: ANSATZ, default: 'auto', describe: 'site path of autoregressive ansätze: auto (snake on square lattices), raster, snake, or a permutation of the sites such as "0,2,4,1,3,5"' },
  cell: { type: 'string', group: ANSATZ, default: 'gated', choices: ['plain', 'gated'], describe: 'rnn2d cell: the paper\'s plain ELU cell or a GRU-style gated cell' },
  alpha: { type: 'number', group: ANSATZ, min: 0.01, default: 2, describe: 'RBM hidden-unit density M/N' },
  real: { type: 'boolean', group: ANSATZ, default: false, describe: 'RBM with real parameters (positive states only)' },
  symmetric: { type: 'boolean', group: ANSATZ, default: false, describe: 'RBM with translation-symmetric weights, 2(α(N+1)+1) parameters (α(N+1)+1 complex ones; α(N+1)+1 with --real) (periodic chains; Carleo & Troyer 2017)' },
  symmetry: { type: 'string', group: ANSATZ, default: 'none', describe: 'average an autoregressive ansatz over a symmetry group: none or a comma-separated subset of translation (periodic lattices), reflection, c4v (squares lx = ly), flip (global spin flip); each checked against the lattice and the model (README "Symmetry averaging")' },
  'symmetry-sector': { type: 'string', group: ANSATZ, describe: 'character of the symmetrised state on the generators, e.g. "k=6,flip=-1": k, kx, ky = momentum index q (k = 2πq/L), reflection, mx, my, c4, flip = ±1, c4v = A1|A2|B1|B2 [default: trivial; with --sign marshall the Marshall sign\'s own character]' },
  'init-from': { type: 'string', group: ANSATZ, describe: 'start from the weights of this run directory (its newest checkpoint; finished or interrupted): same ansatz (rnn, rnn2d, lru: any size of the same lattice kind; flow: the same lattice only), layers, phase, sign, cell and path; --hidden may be larger (top-left block); --hidden and --layers default to the source\'s' },
  'init-noise': { type: 'number', group: ANSATZ, min: 0, default: 0.01, describe: '--init-from with a larger --hidden: the new weight entries are uniform in ±this (0: exactly the source\'s amplitudes, but the new units then get no gradient)' },
  'init-adam': { type: 'string', group: ANSATZ, default: 'reset', choices: ['reset', 'carry'], describe: '--init-from: reset = fresh Adam (zero moments, lr schedule from the start); carry = the source\'s moments and step count' },

  sampler: { type: 'string', group: SAMPLING, default: 'auto', choices: ['auto', 'exact', 'metropolis'], describe: 'auto: exact for autoregressive ansätze, Metropolis otherwise' },
  chains: { type: 'integer', group: SAMPLING, min: 1, default: 16, describe: 'Metropolis: parallel chains' },
  'burn-in': { type: 'integer', group: SAMPLING, min: 0, default: 100, describe: 'Metropolis: burn-in sweeps at the start' },
  optimizer: { type: 'string', group: SAMPLING, default: 'auto', choices: ['auto', 'adam', 'sr'], describe: 'auto: sr for rbm, adam otherwise' },
  lr: { type: 'number', group: SAMPLING, min: 0, describe: 'learning rate (default: 5e-3 adam, 0.05 sr)' },
  'lr-decay': { type: 'number', group: SAMPLING, min: 0, default: 1000, describe: 'Adam schedule lr/(1 + step/decay); 0 = constant' },
  'diag-shift': { type: 'number', group: SAMPLING, min: 0, default: 0.01, describe: 'SR diagonal shift λ0 (added to the diagonal of S)' },
  'diag-shift-decay': { type: 'number', group: SAMPLING, min: 0, default: 1, describe: 'SR shift schedule λ_t = max(min, λ0·decay^t); 1 = constant' },
  'diag-shift-min': { type: 'number', group: SAMPLING, min: 0, default: 0.001, describe: 'SR shift floor' },
  'sr-max-step': { type: 'number', group: SAMPLING, min: 0, default: 0, describe: 'SR: cap on the Fubini–Study length lr·sqrt(δ·F) of one update (0 = no cap); tames the first steps from a near-uniform start' },
  'sr-space': { type: 'string', group: SAMPLING, default: 'auto', choices: ['auto', 'parameter', 'sample'], describe: 'SR: solve in parameter space (P×P) or sample space (minSR, rows×rows with rows = samples, ×2 for complex amplitudes; the same update); auto: sample space when rows < parameters (the choice is recorded in config.json)' },
  samples: { type: 'integer', group: SAMPLING, min: 1, default: 500, describe: 'samples per step' },
  steps: { type: 'integer', group: SAMPLING, min: 0, default: 500, describe: 'optimisation steps' },
  'budget-seconds': { type: 'number', group: SAMPLING, min: 0, describe: 'wall-clock training budget (s): training ends, completed, at the first step boundary past it or after --steps, whichever comes first' },
  'eval-samples': { type: 'integer', group: SAMPLING, min: 1, default: 10000, describe: 'fresh samples for the final energy estimate' },
  seed: { type: 'integer', group: SAMPLING, min: 0, default: 1, describe: 'random seed (same seed + backend ⇒ same numbers)' },
  anneal: { type: 'number', group: SAMPLING, min: 0, describe: 'variational neural annealing: minimise F = ⟨H⟩ − T·S (S = −⟨log|ψ|²⟩) while T goes from this T0 (Pauli energy units) to 0; autoregressive ansätze with exact sampling only (README "Variational neural annealing")' },
  'anneal-warmup': { type: 'integer', group: SAMPLING, min: 0, describe: `annealing: steps at T0 before T decreases [default: ${ANNEAL_DEFAULTS.warmup}]` },
  'anneal-steps': { type: 'integer', group: SAMPLING, min: 1, describe: `annealing: N temperatures T_k = T0(1 − k/N), k = 0..N−1, after the warm-up [default: ${ANNEAL_DEFAULTS.levels}]` },
  'anneal-steps-per-t': { type: 'integer', group: SAMPLING, min: 1, describe: `annealing: training steps at each temperature [default: ${ANNEAL_DEFAULTS.stepsPerT}]; the schedule takes warm-up + N·K of the --steps, the rest run at T = 0` },
  workers: { type: 'integer', group: SAMPLING, min: 1, describe: 'threads per step: sampling, local energies and gradients on the main thread plus K−1 worker threads; the numbers do not depend on K [default: the available cores for exact-sampled ansätze with M·N ≥ 8000 on wasm, else 1]' },

  pretrain: { type: 'string', group: PRETRAIN, describe: 'NLL pre-training on these configurations before the energy minimisation: the CSV of vmc exact --samples / vmc sample, or bit strings one a line (1 = up); logged in pretrain.csv, nll.svg' },
  'pretrain-epochs': { type: 'integer', group: PRETRAIN, min: 1, default: 10, describe: 'epochs of NLL pre-training (with --pretrain)' },
  'pretrain-batch-size': { type: 'integer', group: PRETRAIN, min: 1, default: 100, describe: 'rows per pre-training mini-batch' },
  'pretrain-lr': { type: 'number', group: PRETRAIN, min: 0, default: 3e-3, describe: 'Adam learning rate of the pre-training (constant; its own Adam, not carried into the VMC optimizer)' },

  backend: { type: 'string', group: OUTPUT, default: 'auto', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend (auto: tensorflow where it was measured faster and it loads, else wasm; see README "Native backend")' },
  out: { type: 'string', group: OUTPUT, describe: 'run directory (default runs/<timestamp>-<model>-<ansatz>)' },
  'checkpoint-every': { type: 'integer', group: OUTPUT, min: 1, default: 50, describe: 'steps between checkpoints' },
  reference: { type: 'reference', group: OUTPUT, describe: 'published reference energy for systems too large for exact methods (experiment files only): { "energy": E, "source": "..." }' },
  description: { type: 'string', group: OUTPUT, describe: 'free text describing the experiment (experiment files only)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;

export interface Reference {
  energy: number;
  source: string;
}

/** A fully resolved experiment. */
export interface ExperimentConfig {
  model: string;
  param: Record<string, number>;
  lattice: 'chain' | 'square';
  n?: number;
  lx?: number;
  ly?: number;
  bc: 'open' | 'periodic';
  magnetization: number | null;
  ansatz: 'rnn' | 'rnn2d' | 'lru' | 'rbm' | 'flow';
  hidden?: number;
  layers?: number;
  phase: boolean;
  sign: 'none' | 'marshall';
  /** auto | raster | snake | a comma-separated permutation of the sites */
  order: string;
  cell: 'plain' | 'gated';
  alpha: number;
  real: boolean;
  symmetric: boolean;
  /** none, or a comma-separated subset of translation, reflection, c4v, flip (run/symmetry.ts) */
  symmetry: string;
  'symmetry-sector'?: string;
  /** run directory whose weights start this run */
  'init-from'?: string;
  'init-noise': number;
  'init-adam': 'reset' | 'carry';
  sampler: 'auto' | 'exact' | 'metropolis';
  chains: number;
  'burn-in': number;
  optimizer: 'auto' | 'adam' | 'sr';
  lr?: number;
  'lr-decay': number;
  'diag-shift': number;
  'diag-shift-decay': number;
  'diag-shift-min': number;
  'sr-max-step': number;
  'sr-space': 'auto' | 'parameter' | 'sample';
  samples: number;
  steps: number;
  'budget-seconds'?: number;
  'eval-samples': number;
  seed: number;
  /** annealing: starting temperature T0 (run/anneal.ts); undefined: no annealing */
  anneal?: number;
  'anneal-warmup'?: number;
  'anneal-steps'?: number;
  'anneal-steps-per-t'?: number;
  /** threads per step; undefined: chosen by `defaultWorkers` */
  workers?: number;
  /** NLL pre-training data (a file), its epochs, mini-batch size and learning rate */
  pretrain?: string;
  'pretrain-epochs': number;
  'pretrain-batch-size': number;
  'pretrain-lr': number;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  out?: string;
  'checkpoint-every': number;
  reference: Reference | null;
  description?: string;
}

/** Checks one value against its option spec; `where` names the file/flag and field for errors. */
export function checkValue(key: OptionKey, value: unknown, where: string): unknown {
  const spec: OptionSpec = OPTIONS[key];
  const fail = (expected: string): never => {
    throw new InputError(`expected ${expected}, got ${quote(value)}`, where);
  };
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || value === '') fail('a non-empty string');
      if (spec.choices && !spec.choices.includes(value as string)) fail(`one of ${spec.choices.join(', ')}`);
      if (key === 'model' && !looksLikePath(value as string) && !listModels().includes(value as string)) {
        fail(`a shipped model (${listModels().join(', ')}) or a path to a model .json file`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return value;
    case 'number':
    case 'integer': {
      if (key === 'magnetization' && value === null) return null;
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(spec.type === 'integer' ? 'an integer' : 'a number');
      if (spec.type === 'integer' && !Number.isInteger(value)) fail('an integer');
      if (spec.min !== undefined && (value as number) < spec.min) fail(`a value ≥ ${spec.min}`);
      return value;
    }
    case 'params': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object of parameter values');
      for (const [k, v] of Object.entries(value as object)) {
        const problem = parameterNameProblem(k);
        if (problem) throw new InputError(problem, `${where}.${shown(k)}`);
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new InputError(`expected a number, got ${quote(v)}`, `${where}.${shown(k)}`);
        }
      }
      return value;
    }
    case 'reference': {
      if (value === null) return null;
      const r = value as Partial<Reference>;
      if (typeof value !== 'object' || Array.isArray(value) || typeof r.energy !== 'number' || !Number.isFinite(r.energy) || typeof r.source !== 'string') {
        fail('{ "energy": number, "source": string }');
      }
      const extra = Object.keys(value as object).find((k) => k !== 'energy' && k !== 'source');
      if (extra !== undefined) {
        throw new InputError(`unknown field ${quote(extra)} (a reference has "energy" and "source")`, `${where}`);
      }
      return { energy: r.energy, source: r.source };
    }
  }
}

// Reading experiment files (the file system's part) is in ./experiment-file.ts.

/** Merges defaults ← file ← flags and checks the combination. */
export function resolveExperiment(
  file: Partial<ExperimentConfig>,
  flags: Partial<ExperimentConfig>,
  fileName = 'flags',
): ExperimentConfig {
  const cfg: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(OPTIONS) as [OptionKey, OptionSpec][]) {
    if (spec.default !== undefined) cfg[key] = spec.default;
  }
  cfg.param = {};
  cfg.magnetization = null;
  cfg.reference = null;
  for (const src of [file, flags]) {
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) continue;
      cfg[k] = k === 'param' ? { ...(cfg.param as object), ...(v as object) } : v;
    }
  }
  const c = cfg as unknown as ExperimentConfig;
  if (c.lattice === 'chain') {
    if (c.n === undefined) throw new InputError('a chain needs --n (number of sites)', fileName);
  } else if (c.lx === undefined || c.ly === undefined) {
    throw new InputError('a square lattice needs --lx and --ly', fileName);
  }
  return c;
}
