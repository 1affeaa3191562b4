/**
 * yargs options generated from the experiment option table (src/run/experiment.ts), and the
 * conversion of parsed flags back into validated experiment settings. No defaults are given to
 * yargs: only flags the user typed may override an experiment file; defaults are applied when
 * the experiment is resolved, and shown in the help text.
 */
import type { Options } from 'yargs';
import { InputError } from '../errors.js';
import { parseParamFlags } from '../hamiltonian/index.js';
import { checkValue, OPTIONS, type ExperimentConfig, type OptionKey } from '../run/experiment.js';

export const MODEL_KEYS: OptionKey[] = ['model', 'param', 'lattice', 'n', 'lx', 'ly', 'bc', 'magnetization'];

/**
 * Flags several commands share, defined once here so that each means the same in every command
 * (README, "Flags shared by the commands"):
 * - `--quiet`: print only the final result — no progress, no informational lines; warnings and
 *   errors still go to stderr;
 * - `--json`: print the result as JSON on stdout instead of text (implies --quiet);
 * - `--backend`: the tfjs backend to compute on;
 * - `--seed`: the seed of everything random the command draws;
 * - `--out`: where the command writes its results.
 * `--backend`, `--seed` and `--out` of run and compare are experiment settings (the option table
 * of src/run/experiment.ts); measure and sample take the same definitions, with their own
 * default and target stated by `detail`.
 */
export type SharedFlag = 'quiet' | 'json' | 'backend' | 'seed' | 'out';

const OUTPUT_GROUP = 'Run and output:';

export function sharedOptions(flags: SharedFlag[], detail: Partial<Record<SharedFlag, string>> = {}): Record<string, Options> {
  const all: Record<SharedFlag, Options> = {
    quiet: { type: 'boolean', describe: 'print only the final result (no progress or informational lines; warnings and errors still go to stderr)' },
    json: { type: 'boolean', describe: 'print the result as JSON on stdout instead of text (implies --quiet)' },
    backend: { ...yargsOptions(['backend']).backend },
    seed: { ...yargsOptions(['seed']).seed },
    out: { ...yargsOptions(['out']).out, describe: 'where the results are written' },
  };
  const out: Record<string, Options> = {};
  for (const f of flags) {
    const o = { ...all[f], group: OUTPUT_GROUP };
    const d = detail[f];
    // the shared meaning first, then what it is for this command (default, target)
    if (d !== undefined) o.describe = `${String(o.describe).replace(/ \[default: [^\]]*\]$/, '')}; ${d}`;
    out[f] = o;
  }
  return out;
}

/** `--seed`, checked like the experiment setting (a non-negative integer); `dflt` when not given. */
export function seedFlag(argv: Record<string, unknown>, dflt: number): number {
  if (argv.seed === undefined) return dflt;
  if (Array.isArray(argv.seed)) throw new InputError('given more than once', '--seed');
  return checkValue('seed', argv.seed, '--seed') as number;
}

export function yargsOptions(keys: OptionKey[]): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const key of keys) {
    const spec = OPTIONS[key];
    if (spec.type === 'reference') continue;
    if (key === 'description') continue;
    const def = 'default' in spec ? ` [default: ${String(spec.default)}]` : '';
    const o: Options = { describe: spec.describe + def, group: spec.group };
    if (spec.type === 'boolean') o.type = 'boolean';
    else if (spec.type === 'params') {
      o.type = 'string';
      o.array = true;
      o.requiresArg = true;
    } else if (spec.type === 'number' || spec.type === 'integer') {
      o.type = 'number';
      o.requiresArg = true;
    } else {
      o.type = 'string';
      o.requiresArg = true;
    }
    if ('choices' in spec && spec.choices) o.choices = [...spec.choices];
    out[key] = o;
  }
  return out;
}

/** The settings the user gave on the command line, validated. */
export function flagsToSettings(argv: Record<string, unknown>, keys: OptionKey[]): Partial<ExperimentConfig> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = argv[key];
    if (value === undefined) continue;
    if (key === 'param') {
      out.param = parseParamFlags((value as unknown[]).map(String));
      continue;
    }
    if (Array.isArray(value)) throw new InputError('given more than once', `--${key}`);
    if (typeof value === 'number' && Number.isNaN(value)) throw new InputError('expected a number', `--${key}`);
    out[key] = checkValue(key, value, `--${key}`);
  }
  return out as Partial<ExperimentConfig>;
}
