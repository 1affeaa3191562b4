/**
 * Experiment files (`experiments/*.json`): read and validated against the option table of
 * ./experiment.ts, which itself needs no file system (the browser playground uses it).
 */
import { readFileSync, statSync } from 'node:fs';
import { InputError, quote, shown } from '../errors.js';
import { parseJsonText } from '../hamiltonian/definition.js';
import { checkValue, OPTIONS, type ExperimentConfig, type OptionKey } from './experiment.js';

/** Largest experiment file accepted, in bytes (the shipped ones are below 2 kB). */
export const MAX_EXPERIMENT_FILE_BYTES = 1 << 20;

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
  return checkExperimentSettings(data as Record<string, unknown>, file, extraKeys);
}

/**
 * Validates an object of experiment settings (an experiment file's contents, or the inline base
 * of a sweep file); `file` names it in errors. `extraKeys` as for readExperimentFile.
 */
export function checkExperimentSettings(
  data: Record<string, unknown>,
  file: string,
  extraKeys: Record<string, ExtraKeyCheck> = {},
): Partial<ExperimentConfig> & Record<string, unknown> {
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
