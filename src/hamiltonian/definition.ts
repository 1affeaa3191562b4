/**
 * Hamiltonian definition files: schema, loader and validation.
 *
 * A model file is declarative JSON (see hamiltonians/README.md):
 *
 *   { "name": "tfim", "description": "...", "parameters": { "J": 1, "h": 1 },
 *     "terms": [ { "pauli": "ZZ", "on": "nearest", "coupling": "-J" },
 *                { "pauli": "X",  "on": "sites",   "coupling": "-h" } ] }
 *
 * H = Σ_terms coupling · Σ_{targets} P(target), with P a Pauli string (letters I, X, Y, Z, Pauli
 * units) placed letter by letter on the target's sites. Every problem is reported as an
 * InputError whose `where` names the file and the field, e.g. "hamiltonians/tfim.json: terms[1].coupling".
 */
import { InputError, quote, shown } from '../errors.js';
import { BOND_FAMILIES } from '../lattice/lattice.js';
import { compileExpression, evaluateExpression, parameterNameProblem } from './expression.js';
import { absolutePath, listModels, modelsDir, readModelText, shippedModelPath } from './model-files.js';

// the file system's part (shipped models, reading files) is in ./model-files.ts
export { listModels, modelsDir };

/** Largest model file accepted, in bytes. */
export const MAX_MODEL_FILE_BYTES = 1 << 20;

export const PAULI_LETTERS = 'IXYZ';

/**
 * Largest coupling magnitude. Matrix elements add up couplings (a Heisenberg bond gives 2J on
 * its off-diagonal element) and variances square energies, so couplings near the float64 limit
 * (1.8e308) would give Infinity at run time; 1e100 leaves room for any lattice and any sum.
 */
export const MAX_COUPLING = 1e100;

export interface ParameterInfo {
  /** default value from the file */
  default: number;
  description?: string;
}

export interface TermDefinition {
  /** Pauli string, one letter (I, X, Y, Z) per target site, e.g. "ZZ" */
  pauli: string;
  /**
   * Where the string acts: "sites" (every site; one-letter strings), a bond family of the lattice
   * ("nearest", "next-nearest", "nearest-x", "nearest-y", "diagonal", "antidiagonal"; two-letter
   * strings, first letter on the bond's first site), or explicit site tuples (one site per letter).
   */
  on: string | number[][];
  /** the coupling expression as written (a number in the file becomes its decimal text) */
  coupling: string;
  /** the coupling evaluated with the model's resolved parameters */
  value: number;
  /** location of the term for error messages, e.g. "hamiltonians/tfim.json: terms[1]" */
  where: string;
  description?: string;
}

export interface ModelDefinition {
  name: string;
  description: string;
  /** the file as shown to users: "hamiltonians/tfim.json" for shipped models, else the path given */
  file: string;
  /** absolute path of the file */
  path: string;
  /** resolved parameter values (defaults with overrides applied) */
  parameters: Record<string, number>;
  /** the defaults and descriptions from the file */
  parameterInfo: Record<string, ParameterInfo>;
  terms: TermDefinition[];
  /** free-form notes from the file (conventions, units, references) */
  notes: string[];
}

const TOP_KEYS = ['name', 'description', 'parameters', 'terms', 'notes'];
const TERM_KEYS = ['pauli', 'on', 'coupling', 'description'];
const PARAM_KEYS = ['default', 'description'];

/** Every bond family name any lattice offers. */
export function knownBondFamilies(): string[] {
  const all = new Set<string>();
  for (const fams of Object.values(BOND_FAMILIES)) for (const f of Object.keys(fams)) all.add(f);
  return [...all];
}

// --- naming models ---------------------------------------------------------------------------

/** Whether --model names a file (else a shipped model); either separator, so no platform is asked. */
export function looksLikePath(s: string): boolean {
  return s.endsWith('.json') || s.includes('/') || s.includes('\\') || s.startsWith('.');
}

// --- --param flags ----------------------------------------------------------------------------

/**
 * Parses `NAME=VALUE` flags (e.g. from repeated `--param`). VALUE is a number or a constant
 * expression such as `pi/4` (same restricted language as couplings, without parameters).
 */
export function parseParamFlags(flags: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of flags) {
    const flag = String(raw);
    const where = `--param ${shown(flag)}`;
    const eq = flag.indexOf('=');
    if (eq < 0) throw new InputError('expected NAME=VALUE, e.g. --param h=0.5', where);
    const name = flag.slice(0, eq).trim();
    const text = flag.slice(eq + 1).trim();
    if (name === '') throw new InputError('missing parameter name before "=" (expected NAME=VALUE)', where);
    const problem = parameterNameProblem(name);
    if (problem) throw new InputError(problem, where);
    if (text === '') throw new InputError(`missing value after ${quote(name)}= (expected NAME=VALUE)`, where);
    if (Object.prototype.hasOwnProperty.call(out, name)) {
      throw new InputError(`parameter ${name} is given more than once`, where);
    }
    let value = Number(text);
    if (!Number.isFinite(value)) {
      try {
        value = evaluateExpression(text, {}, where);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        throw new InputError(
          `value ${quote(text)} is not a finite number or constant expression (${e.message.slice(where.length + 2)})`,
          where,
        );
      }
    }
    out[name] = value;
  }
  return out;
}

// --- JSON with positions -----------------------------------------------------------------------

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * A strict JSON syntax check that finds the offset of the first error (Node's JSON.parse does not
 * always say where) and also rejects duplicate keys, which JSON.parse would silently merge.
 */
export function findJsonProblem(text: string): { offset: number; message: string } | null {
  let i = 0;
  class Problem {
    constructor(
      readonly offset: number,
      readonly message: string,
    ) {}
  }
  const fail = (message: string, at = i): never => {
    throw new Problem(at, message);
  };
  const ch = (): string => text[i] ?? '';
  const show = (): string => (i >= text.length ? 'end of input' : `character ${JSON.stringify(text[i])}`);
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character (e.g. a raw line break) inside a string');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in string');
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          out += e;
          i += 2;
        } else {
          fail(`bad escape sequence \\${e ?? ''} in string`);
        }
      } else {
        out += text[i];
        i++;
      }
    }
  };
  const num = (): void => {
    const start = i;
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('invalid number', start);
    i += m![0].length;
    if (/[0-9.eE+-]/.test(ch())) fail('invalid number', start);
  };
  const value = (depth: number): void => {
    if (depth > 200) fail('nesting too deep');
    ws();
    const c = ch();
    if (c === '{') {
      i++;
      ws();
      if (ch() === '}') {
        i++;
        return;
      }
      const keys = new Set<string>();
      for (;;) {
        ws();
        if (ch() !== '"') fail(`expected a double-quoted property name, found ${show()}`);
        const keyAt = i;
        const key = str();
        if (keys.has(key)) fail(`duplicate key ${quote(key)}`, keyAt);
        keys.add(key);
        ws();
        if (ch() !== ':') fail(`expected ':' after property name ${quote(key)}, found ${show()}`);
        i++;
        value(depth + 1);
        ws();
        if (ch() === ',') {
          i++;
          ws();
          if (ch() === '}') fail('trailing comma before }');
          continue;
        }
        if (ch() === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after the value of ${quote(key)}, found ${show()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (ch() === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (ch() === ',') {
          i++;
          ws();
          if (ch() === ']') fail('trailing comma before ]');
          continue;
        }
        if (ch() === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after an array element, found ${show()}`);
      }
    }
    if (c === '"') {
      str();
      return;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      num();
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    if (c === "'") fail('strings must use double quotes');
    fail(`expected a value, found ${show()}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${show()} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (e instanceof Problem) return { offset: e.offset, message: e.message };
    throw e;
  }
}

/** Parses JSON text, reporting errors with line and column. */
export function parseJsonText(text: string, file: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const problem = findJsonProblem(text);
  if (problem) {
    const { line, column } = lineColumn(text, problem.offset);
    throw new InputError(`invalid JSON at line ${line}, column ${column}: ${problem.message}`, file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    // not expected after the check above; keep Node's message
    throw new InputError(`invalid JSON: ${(e as Error).message}`, file);
  }
}

// --- validation --------------------------------------------------------------------------------

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new InputError(`unknown field ${quote(k)} (allowed: ${allowed.join(', ')})`, where);
    }
  }
}

/**
 * Validates a parsed model object. `file` is the name shown in errors. Parameters get their
 * defaults, then `overrides`; couplings are checked and evaluated.
 */
export function validateModel(
  raw: unknown,
  file: string,
  path: string,
  overrides: Readonly<Record<string, number | undefined>> = {},
): ModelDefinition {
  const at = (field: string): string => `${file}: ${field}`;
  if (!isPlainObject(raw)) throw new InputError(`a model file must hold a JSON object, not ${typeName(raw)}`, file);
  checkKeys(raw, TOP_KEYS, file);
  for (const k of ['name', 'description', 'parameters', 'terms']) {
    if (!has(raw, k)) throw new InputError(`missing field "${k}"`, at(k));
  }
  const name = raw.name;
  if (typeof name !== 'string') throw new InputError(`must be a string, not ${typeName(name)}`, at('name'));
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new InputError(`${quote(name)} is not a valid model name (letters, digits, _ . - ; no spaces)`, at('name'));
  }
  const description = raw.description;
  if (typeof description !== 'string') {
    throw new InputError(`must be a string, not ${typeName(description)}`, at('description'));
  }
  let notes: string[] = [];
  if (has(raw, 'notes')) {
    const n = raw.notes;
    if (typeof n === 'string') notes = [n];
    else if (Array.isArray(n) && n.every((s) => typeof s === 'string')) notes = n as string[];
    else throw new InputError(`must be a string or an array of strings, not ${typeName(n)}`, at('notes'));
  }

  // parameters
  const rawParams = raw.parameters;
  if (!isPlainObject(rawParams)) {
    throw new InputError(`must be an object of NAME: default value, not ${typeName(rawParams)}`, at('parameters'));
  }
  const parameterInfo: Record<string, ParameterInfo> = {};
  for (const [pname, pval] of Object.entries(rawParams)) {
    const where = at(`parameters.${shown(pname)}`);
    const problem = parameterNameProblem(pname);
    if (problem) throw new InputError(problem, where);
    let info: ParameterInfo;
    if (typeof pval === 'number') {
      info = { default: pval };
    } else if (isPlainObject(pval)) {
      checkKeys(pval, PARAM_KEYS, where);
      if (!has(pval, 'default')) throw new InputError('missing field "default"', `${where}.default`);
      if (typeof pval.default !== 'number') {
        throw new InputError(`must be a number, not ${typeName(pval.default)}`, `${where}.default`);
      }
      info = { default: pval.default };
      if (has(pval, 'description')) {
        if (typeof pval.description !== 'string') {
          throw new InputError(`must be a string, not ${typeName(pval.description)}`, `${where}.description`);
        }
        info.description = pval.description;
      }
    } else {
      throw new InputError(
        `must be a number (the default) or { "default": number, "description": string }, not ${typeName(pval)}`,
        where,
      );
    }
    if (!Number.isFinite(info.default)) throw new InputError('default must be finite', where);
    parameterInfo[pname] = info;
  }
  const known = Object.keys(parameterInfo);
  const parameters: Record<string, number> = {};
  for (const k of known) parameters[k] = parameterInfo[k].default;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue; // an absent option, not an override
    if (!has(parameterInfo, k)) {
      throw new InputError(
        `unknown parameter ${quote(k)} for model "${name}" (${file}); its parameters are: ${known.length ? known.join(', ') : '(none)'}`,
        `--param ${shown(k)}`,
      );
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`value must be a finite number, got ${quote(v)}`, `--param ${k}`);
    }
    parameters[k] = v;
  }

  // terms
  const rawTerms = raw.terms;
  if (!Array.isArray(rawTerms)) throw new InputError(`must be an array of terms, not ${typeName(rawTerms)}`, at('terms'));
  if (rawTerms.length === 0) throw new InputError('a model needs at least one term', at('terms'));
  const families = knownBondFamilies();
  const terms: TermDefinition[] = rawTerms.map((t, k): TermDefinition => {
    const tw = `terms[${k}]`;
    if (!isPlainObject(t)) throw new InputError(`a term must be an object, not ${typeName(t)}`, at(tw));
    checkKeys(t, TERM_KEYS, at(tw));
    for (const f of ['pauli', 'on', 'coupling']) {
      if (!has(t, f)) throw new InputError(`missing field "${f}"`, at(`${tw}.${f}`));
    }
    // Pauli string
    const pauli = t.pauli;
    if (typeof pauli !== 'string') throw new InputError(`must be a string such as "ZZ", not ${typeName(pauli)}`, at(`${tw}.pauli`));
    if (pauli.length === 0) throw new InputError('empty Pauli string', at(`${tw}.pauli`));
    for (let p = 0; p < pauli.length; p++) {
      if (!PAULI_LETTERS.includes(pauli[p])) {
        const hint = PAULI_LETTERS.includes(pauli[p].toUpperCase()) ? ' (letters are upper case)' : '';
        throw new InputError(
          `unknown Pauli letter ${JSON.stringify(pauli[p])} at position ${p + 1} of ${quote(pauli)}; allowed letters: I, X, Y, Z${hint}`,
          at(`${tw}.pauli`),
        );
      }
    }
    // target
    const on = t.on;
    let target: string | number[][];
    if (typeof on === 'string') {
      if (on === 'sites') {
        if (pauli.length !== 1) {
          throw new InputError(
            `"on": "sites" places the string on every single site, so it needs 1 letter; ${quote(pauli)} has ${pauli.length}`,
            at(`${tw}.pauli`),
          );
        }
      } else if (families.includes(on)) {
        if (pauli.length !== 2) {
          throw new InputError(
            `a bond family ("${on}") needs a 2-letter Pauli string; ${quote(pauli)} has ${pauli.length}`,
            at(`${tw}.pauli`),
          );
        }
      } else {
        throw new InputError(
          `unknown target ${quote(on)}; use "sites", a bond family (${families.join(', ')}), or a list of site tuples such as [[0, 1, 2]]`,
          at(`${tw}.on`),
        );
      }
      target = on;
    } else if (Array.isArray(on)) {
      if (on.length === 0) throw new InputError('empty list of site tuples', at(`${tw}.on`));
      target = on.map((tuple, j): number[] => {
        const w = at(`${tw}.on[${j}]`);
        const sites = typeof tuple === 'number' ? [tuple] : tuple;
        if (!Array.isArray(sites)) {
          throw new InputError(`must be an array of site indices (or one index), not ${typeName(tuple)}`, w);
        }
        if (sites.length !== pauli.length) {
          throw new InputError(
            `has ${sites.length} site(s) but the Pauli string ${quote(pauli)} has ${pauli.length} letter(s)`,
            w,
          );
        }
        for (const s of sites) {
          if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
            throw new InputError(`site indices must be non-negative integers, got ${quote(s)}`, w);
          }
        }
        if (new Set(sites).size !== sites.length) throw new InputError('a site appears twice in one tuple', w);
        return [...(sites as number[])];
      });
    } else {
      throw new InputError(
        `must be "sites", a bond family name, or a list of site tuples, not ${typeName(on)}`,
        at(`${tw}.on`),
      );
    }
    // coupling
    const c = t.coupling;
    let coupling: string;
    if (typeof c === 'number') {
      if (!Number.isFinite(c)) throw new InputError('coupling must be finite', at(`${tw}.coupling`));
      coupling = String(c);
    } else if (typeof c === 'string') {
      coupling = c;
    } else {
      throw new InputError(
        `must be a number or an expression string such as "-J", not ${typeName(c)}`,
        at(`${tw}.coupling`),
      );
    }
    const value = compileExpression(coupling, at(`${tw}.coupling`), known).evaluate(parameters);
    if (Math.abs(value) > MAX_COUPLING) {
      throw new InputError(
        `evaluates to ${value}; couplings are limited to |c| ≤ ${MAX_COUPLING} so that matrix elements, energies and their variances stay finite`,
        at(`${tw}.coupling`),
      );
    }
    const term: TermDefinition = { pauli, on: target, coupling, value, where: at(tw) };
    if (has(t, 'description')) {
      if (typeof t.description !== 'string') {
        throw new InputError(`must be a string, not ${typeName(t.description)}`, at(`${tw}.description`));
      }
      term.description = t.description;
    }
    return term;
  });

  return { name, description, file, path, parameters, parameterInfo, terms, notes };
}

/**
 * Loads a model: a shipped name ("tfim") or a path to a .json file. `overrides` replace parameter
 * defaults (unknown names are an error).
 */
export function loadModel(
  nameOrPath: string,
  overrides: Readonly<Record<string, number | undefined>> = {},
): ModelDefinition {
  if (typeof nameOrPath !== 'string' || nameOrPath.trim() === '') {
    throw new InputError(`give a shipped model name (${listModels().join(', ')}) or a path to a .json file`, '--model');
  }
  let path: string;
  let file: string;
  if (looksLikePath(nameOrPath)) {
    path = absolutePath(nameOrPath);
    file = shown(nameOrPath, 200);
  } else {
    const models = listModels();
    if (!models.includes(nameOrPath)) {
      throw new InputError(
        `unknown model ${quote(nameOrPath)}; shipped models: ${models.join(', ')} (or give a path to a .json file)`,
        '--model',
      );
    }
    path = shippedModelPath(nameOrPath);
    file = `hamiltonians/${nameOrPath}.json`;
  }
  const text = readModelText(path, file, MAX_MODEL_FILE_BYTES);
  return validateModel(parseJsonText(text, file), file, path, overrides);
}

/** Validates model JSON given as text (e.g. in tests); `file` is the name shown in errors. */
export function parseModel(
  text: string,
  file: string,
  overrides: Readonly<Record<string, number | undefined>> = {},
): ModelDefinition {
  return validateModel(parseJsonText(text, file), file, absolutePath(file), overrides);
}
