/** `vmc fit DATA`: train a wavefunction on measured configurations by negative log-likelihood. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { InputError } from '../errors.js';
import { KNOWN_STATE_MODES, type KnownStateMode } from '../fit/known-state.js';
import { readFitConfig, runFit, type FitSettings } from '../fit/fit-run.js';
import { resolveExperiment, type OptionKey } from '../run/experiment.js';
import { outputModes, reportOutcome, withInterrupt } from './interrupt.js';
import { flagsToSettings, MODEL_KEYS, sharedOptions, yargsOptions } from './options.js';

export const command = 'fit [data]';
export const describe = 'train a wavefunction on measured configurations by negative log-likelihood (tomography, pre-training)';

/** The experiment settings `vmc fit` takes: model, lattice, ansatz, the RBM's chains, seed, backend, run directory. */
const KEYS: OptionKey[] = [...MODEL_KEYS, 'ansatz', 'hidden', 'layers', 'sign', 'order', 'cell', 'alpha', 'symmetric', 'chains', 'burn-in', 'seed', 'backend', 'out'];

/** Where the run directory goes by default (`vmc run`'s name, marked as a fit). */
const OUT_DEFAULT = 'runs/<timestamp>-<model>-<ansatz>-fit';

const GROUP = 'NLL training:';

/** The NLL settings: flag, type, default, lower bound (and upper for fractions). */
const FIT_FLAGS = {
  epochs: { key: 'epochs', integer: true, min: 1, default: 50, describe: 'passes over the training rows' },
  'batch-size': { key: 'batchSize', integer: true, min: 1, default: 100, describe: 'rows per mini-batch (one Adam update each)' },
  validation: { key: 'validation', integer: false, min: 0, max: 0.9, default: 0.1, describe: 'fraction of the rows held out (random, seeded) for the held-out NLL and early stopping; 0 = none' },
  patience: { key: 'patience', integer: true, min: 0, default: 5, describe: 'stop when the held-out NLL has not improved for this many epochs (the best epoch\'s parameters are kept); 0 = never' },
  lr: { key: 'lr', integer: false, min: 0, default: 3e-3, describe: 'Adam learning rate' },
  'lr-decay': { key: 'lrDecay', integer: false, min: 0, default: 0, describe: 'Adam schedule lr/(1 + step/decay) over mini-batch steps; 0 = constant' },
  'model-samples': { key: 'modelSamples', integer: true, min: 1, default: undefined, describe: 'rbm: Metropolis samples of the model per mini-batch, from persistent chains (--chains, --burn-in) [default: --batch-size]' },
  'checkpoint-every': { key: 'checkpointEvery', integer: true, min: 1, default: 500, describe: 'mini-batch steps between checkpoints (one is also written at the end and when stopped)' },
} as const;

type FitFlag = keyof typeof FIT_FLAGS;

/** Flags a resumed fit may change. */
const RESUME_CHANGEABLE = ['epochs', 'backend'] as const;

export function builder(y: Argv): Argv {
  const fitOptions = Object.fromEntries(
    Object.entries(FIT_FLAGS).map(([flag, o]) => [flag, { type: 'number' as const, requiresArg: true, group: GROUP, describe: o.default === undefined ? o.describe : `${o.describe} [default: ${o.default}]` }]),
  );
  return y
    .positional('data', {
      type: 'string',
      describe:
        'configurations to learn from: the CSV of vmc sample / vmc exact --samples (its config column) or bit strings, one a line; ' +
        'character s is site s (square lattices: s = x + Lx·y), 1 = bit 1 = spin up (σᶻ = 2x − 1)',
    })
    .options(yargsOptions(KEYS))
    .option('out', { ...yargsOptions(['out']).out, describe: `run directory [default: ${OUT_DEFAULT}]` })
    .options(fitOptions)
    .option('known-state', {
      type: 'string',
      choices: [...KNOWN_STATE_MODES],
      requiresArg: true,
      group: GROUP,
      describe:
        'the state the data came from, for the exact KL divergence and fidelity (N ≤ 20): auto = the exact ground state of the flags\' model when the data\'s ' +
        'log_abs_psi column shows they are its samples (vmc exact --samples), ground = assert it, none [default: auto]',
    })
    .option('resume', { type: 'string', requiresArg: true, group: 'Run and output:', describe: `continue the fit in this directory from its newest valid checkpoint; only --${RESUME_CHANGEABLE.join(', --')} may change` })
    .options(sharedOptions(['quiet', 'json'], { quiet: 'here: the final summary line', json: 'here: the final summary' }))
    .epilogue(
      'Ansätze: rnn, rnn2d, lru and flow are normalised, so the NLL −⟨log |ψ(x)|²⟩ is exact; the RBM (real: ψ = sqrt(P), positive states) ' +
        'gets the model side of its gradient from persistent Metropolis chains, and its NLL needs log Z by enumeration (N ≤ 20). ' +
        'Z-basis data say nothing about a phase: fit positive states (e.g. the TFIM) or give their sign rule (--sign marshall for bipartite Heisenberg). ' +
        'The run directory has the layout of vmc run: vmc measure and vmc sample accept it.',
    )
    .example('$0 exact --model tfim --n 10 --param h=1 --samples 10000 --out data.csv', 'exact measurements of the ground state…')
    .example('$0 fit data.csv --model tfim --n 10 --param h=1 --hidden 32', '…learned by an RNN (KL and fidelity against the exact state)')
    .example('$0 measure runs/<dir>', 'then predict what was never measured: ⟨σˣ⟩, xx correlations, the energy, Rényi-2')
    .example('$0 fit --resume runs/20261201-101500-tfim-rnn-fit --epochs 100', 'continue a fit, with more epochs');
}

function fitFlag(argv: Record<string, unknown>, flag: FitFlag): number | undefined {
  const v = argv[flag];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError('given more than once', `--${flag}`);
  const o = FIT_FLAGS[flag];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`expected a number, got ${String(v)}`, `--${flag}`);
  if (o.integer && !Number.isInteger(v)) throw new InputError(`expected an integer, got ${v}`, `--${flag}`);
  if (v < o.min || ('max' in o && v > o.max)) throw new InputError(`expected a value ${'max' in o ? `in [${o.min}, ${o.max}]` : `≥ ${o.min}`}, got ${v}`, `--${flag}`);
  if (flag === 'lr' && v === 0) throw new InputError('expected a positive learning rate', '--lr');
  return v;
}

function fitSettings(argv: Record<string, unknown>, data: string): FitSettings {
  const out: Record<string, unknown> = { data, knownState: (argv.knownState as KnownStateMode | undefined) ?? 'auto' };
  for (const flag of Object.keys(FIT_FLAGS) as FitFlag[]) {
    const v = fitFlag(argv, flag) ?? FIT_FLAGS[flag].default;
    if (v !== undefined) out[FIT_FLAGS[flag].key] = v;
  }
  return out as unknown as FitSettings;
}

export async function handler(argv: ArgumentsCamelCase): Promise<void> {
  const flags = flagsToSettings(argv, KEYS);
  const resumeDir = argv.resume as string | undefined;
  let config;
  let fit: FitSettings;
  if (resumeDir) {
    if (argv.data !== undefined) throw new InputError('a resumed fit reads the data file recorded in its config.json; give either DATA or --resume', '--resume');
    const given = [...Object.keys(flags), ...(Object.keys(FIT_FLAGS) as FitFlag[]).filter((k) => argv[k] !== undefined), ...(argv.knownState !== undefined ? ['known-state'] : [])];
    const extra = given.filter((k) => !(RESUME_CHANGEABLE as readonly string[]).includes(k));
    if (extra.length) throw new InputError(`only --${RESUME_CHANGEABLE.join(', --')} can change when resuming (got --${extra.join(', --')})`, '--resume');
    const stored = readFitConfig(resumeDir);
    config = { ...stored.config, ...flags };
    fit = { ...stored.fit, ...(argv.epochs !== undefined ? { epochs: fitFlag(argv, 'epochs')! } : {}) };
  } else {
    if (argv.data === undefined) throw new InputError('name the data file to learn from (vmc fit DATA), or --resume a fit', 'DATA');
    config = resolveExperiment({}, flags);
    fit = fitSettings(argv, String(argv.data));
  }
  await withInterrupt('stopping after this mini-batch; saving a checkpoint', async (signal) => {
    const { dir, summary } = await runFit({
      config,
      fit,
      resumeDir,
      signal,
      ...outputModes(argv),
    });
    if (argv.json) process.stdout.write(JSON.stringify({ ...summary, run_dir: dir }) + '\n');
    reportOutcome(summary.status, summary.message, `vmc fit --resume ${dir}`, signal);
  });
}
