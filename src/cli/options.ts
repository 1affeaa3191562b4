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
