/**
 * Experiment settings: one table of options that serves both the command-line flags and the
 * experiment files (`experiments/*.json` use the flag names as keys), so the two cannot drift.
 * Flags override the file; the file overrides the defaults.
 */
import { readFileSync, statSync } from 'node:fs';
import { InputError, quote, shown } from '../errors.js';
import { listModels, looksLikePath, parseJsonText } from '../hamiltonian/definition.js';
import { parameterNameProblem } from '../hamiltonian/index.js';

/** Largest experiment file accepted, in bytes (the shipped ones are below 2 kB). */
export const MAX_EXPERIMENT_FILE_BYTES = 1 << 20;

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
  samples: { type: 'integer', group: SAMPLING, min: 1, default: 500, describe: 'samples per step' },
  steps: { type: 'integer', group: SAMPLING, min: 0, default: 500, describe: 'optimisation steps' },
  'budget-seconds': { type: 'number', group: SAMPLING, min: 0, describe: 'wall-clock training budget (s): training ends, completed, at the first step boundary past it or after --steps, whichever comes first' },
  'eval-samples': { type: 'integer', group: SAMPLING, min: 1, default: 10000, describe: 'fresh samples for the final energy estimate' },
  seed: { type: 'integer', group: SAMPLING, min: 0, default: 1, describe: 'random seed (same seed + backend ⇒ same numbers)' },
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
  samples: number;
  steps: number;
  'budget-seconds'?: number;
  'eval-samples': number;
  seed: number;
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

/**
 * Validator of a key that only some files accept (e.g. the `ansatze` list of comparison files):
 * returns the checked value or throws an InputError naming `where`.
 */
export type ExtraKeyCheck = (value: unknown, where: string) => unknown;

/**
 * Reads and validates an experiment file; returns the settings it gives (not yet defaulted).
 * `extraKeys` admits keys beyond the option table, each with its own validator.
 */
export function readExperimentFile(path: string, extraKeys: Record<string, ExtraKeyCheck> = {}): Partial<ExperimentConfig> & Record<string, unknown> {
  const file = shown(path, 200);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_EXPERIMENT_FILE_BYTES) {
      throw new InputError(`file is ${size} bytes; experiment files are limited to ${MAX_EXPERIMENT_FILE_BYTES}`, file);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read experiment file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  // the model files' parser: line and column of a syntax error, duplicate keys rejected, nesting bounded
  const data = parseJsonText(text, file);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InputError('expected a JSON object of experiment settings', file);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const extra = Object.prototype.hasOwnProperty.call(extraKeys, key) ? extraKeys[key] : undefined;
    if (extra) {
      out[key] = extra(value, `${file}: ${key}`);
      continue;
    }
    // own keys only: "toString" or "__proto__" are not settings
    if (!Object.prototype.hasOwnProperty.call(OPTIONS, key)) {
      throw new InputError(`unknown setting ${quote(key)} (known: ${[...Object.keys(OPTIONS), ...Object.keys(extraKeys)].join(', ')})`, file);
    }
    out[key] = checkValue(key as OptionKey, value, `${file}: ${key}`);
  }
  return out as Partial<ExperimentConfig> & Record<string, unknown>;
}

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
