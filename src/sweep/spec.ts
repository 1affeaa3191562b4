/**
 * Sweep files: a base experiment and the values to scan, expanded into points.
 *
 * ```json
 * {
 *   "description": "TFIM chain across the transition",
 *   "base": "quickstart.json",                   // an experiment file (relative to this file) or an object of settings
 *   "n": 16, "steps": 300,                        // further base settings (override the base file)
 *   "grid": { "param.h": [0.5, 1.0, 1.5], "seed": [1, 2] },
 *   "zip": [{ "n": [8, 16], "steps": [200, 400] }],   // keys that vary together: one axis per group
 *   "measure": { "samples": 5000, "only": ["magnetization", "renyi"] },
 *   "slurm": { "partition": "short", "time": "01:00:00", "sbatch": ["--account=abc"] }
 * }
 * ```
 *
 * Any experiment setting can vary (the keys of `vmc run`), and model parameters as `param.NAME`.
 * Expansion is deterministic: the axes in file order (grid keys, then zip groups), the first axis
 * outermost, so a point's index and name depend only on the file. A value is checked like the
 * same setting in an experiment file; mistakes name the key (`grid.param.h[2]: expected a number`).
 * Whether a point's settings make sense together (a chain needs n, an ansatz fits the lattice)
 * is not checked here: a point that cannot run fails alone (see sweep.ts, preflight).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { InputError, quote, shown } from '../errors.js';
import { looksLikePath, parseJsonText } from '../hamiltonian/definition.js';
import { parameterNameProblem } from '../hamiltonian/index.js';
import { checkValue, OPTIONS, type OptionKey } from '../run/experiment.js';
import { checkExperimentSettings, MAX_EXPERIMENT_FILE_BYTES, readExperimentFile } from '../run/experiment-file.js';
import { OBSERVABLES, type ObservableName } from '../measure/names.js';

/** Experiment settings a grid cannot vary: the sweep names each run's directory, and "param" varies as param.NAME. */
const NOT_VARIABLE = new Set(['out', 'description', 'param']);

/** Largest number of points a sweep may expand to (a typo such as a 1000-element list should not spawn a million runs). */
export const MAX_POINTS = 10000;

export type Executor = 'local' | 'slurm';

export interface SlurmSettings {
  partition?: string;
  /** wall-clock limit per array task, SLURM syntax (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) */
  time?: string;
  'cpus-per-task'?: number;
  /** memory per array task, e.g. 4G */
  mem?: string;
  /** extra sbatch options, one per line ("--account=abc" or "#SBATCH --account=abc") */
  sbatch?: string[];
  /** shell lines run in each task before vmc (e.g. "module load nodejs/20") */
  setup?: string[];
  /** at most this many array tasks at once (sbatch --array=…%K) */
  'max-parallel'?: number;
}

export interface MeasureSettings {
  samples?: number;
  seed?: number;
  only?: ObservableName[];
}

/** One axis of the expansion: a grid key (one key) or a zip group (keys varying together). */
export interface SweepAxis {
  keys: string[];
  /** values[i][k]: the value of keys[k] at position i of the axis */
  values: unknown[][];
}

export interface SweepSpec {
  /** the sweep file, absolute (null for a sweep given as an object) */
  source: string | null;
  /** default name of the sweep directory (the file's base name) */
  name: string;
  description?: string;
  /** experiment settings common to every point: the base file's, then the inline ones */
  base: Record<string, unknown>;
  /** the base experiment file, absolute, if there is one */
  baseFile: string | null;
  axes: SweepAxis[];
  out?: string;
  executor?: Executor;
  local: { jobs?: number };
  slurm: SlurmSettings;
  /** null: no measurement */
  measure: MeasureSettings | null;
  plot: { x?: string };
}

export interface SweepPoint {
  index: number;
  /** directory name: zero-padded index and the varying values, e.g. "003-h=0.6_seed=2" */
  name: string;
  /** the varying keys' values at this point (keys as in the file, e.g. "param.h") */
  values: Record<string, unknown>;
  /** the point's experiment settings (base merged with the values), as an experiment file holds them */
  settings: Record<string, unknown>;
}

const TOP_KEYS = ['description', 'base', 'grid', 'zip', 'out', 'executor', 'local', 'slurm', 'measure', 'plot'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Reads and validates a sweep file. */
export function readSweepFile(path: string): SweepSpec {
  const file = shown(path, 200);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_EXPERIMENT_FILE_BYTES) throw new InputError(`file is ${size} bytes; sweep files are limited to ${MAX_EXPERIMENT_FILE_BYTES}`, file);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read sweep file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  const data = parseJsonText(text, file);
  if (!isObject(data)) throw new InputError('expected a JSON object with "base" and "grid"', file);
  return parseSweep(data, { file, source: resolve(path), name: basename(path).replace(/\.json$/i, '') });
}

/**
 * Validates a sweep given as an object (the contents of a sweep file). `file` names it in errors;
 * a base experiment path is relative to `source`'s folder (else to the working directory).
 */
export function parseSweep(data: Record<string, unknown>, where: { file: string; source?: string | null; name?: string }): SweepSpec {
  const file = where.file;
  const at = (key: string): string => `${file}: ${key}`;
  const inline: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    if ((TOP_KEYS as readonly string[]).includes(key)) continue;
    if (!own(OPTIONS, key)) {
      throw new InputError(`unknown key ${quote(key)} (a sweep file has ${TOP_KEYS.join(', ')} and experiment settings such as n, steps, param)`, file);
    }
    inline[key] = data[key];
  }
  let base: Record<string, unknown> = {};
  let baseFile: string | null = null;
  if (data.base !== undefined) {
    if (typeof data.base === 'string' && data.base !== '') {
      baseFile = isAbsolute(data.base) ? data.base : resolve(where.source ? dirname(where.source) : '.', data.base);
      base = readExperimentFile(baseFile);
    } else if (isObject(data.base)) {
      base = checkExperimentSettings(data.base, at('base'));
    } else {
      throw new InputError(`expected the path of an experiment file or an object of experiment settings, got ${quote(data.base)}`, at('base'));
    }
  }
  const own_ = checkExperimentSettings(inline, file);
  base = mergeSettings(base, own_);
  // a relative model path means what it means to `vmc run` started here: make it absolute, so
  // the runs (started elsewhere, e.g. by SLURM) read the same file
  if (typeof base.model === 'string' && looksLikePath(base.model)) base.model = resolve(base.model);

  const axes: SweepAxis[] = [];
  const seen = new Map<string, string>();
  const claim = (key: string, place: string): void => {
    const before = seen.get(key);
    if (before !== undefined) throw new InputError(`${quote(key)} varies twice (also in ${before})`, at(place));
    seen.set(key, place);
  };
  if (data.grid !== undefined) {
    if (!isObject(data.grid)) throw new InputError('expected an object of lists, e.g. { "param.h": [0.5, 1.0], "seed": [1, 2] }', at('grid'));
    for (const [key, list] of Object.entries(data.grid)) {
      const place = `grid.${shown(key)}`;
      claim(key, place);
      const values = checkList(key, list, at(place));
      axes.push({ keys: [key], values: values.map((v) => [v]) });
    }
  }
  if (data.zip !== undefined) {
    const groups = Array.isArray(data.zip) ? data.zip : [data.zip];
    groups.forEach((group, g) => {
      const gat = Array.isArray(data.zip) ? `zip[${g}]` : 'zip';
      if (!isObject(group) || Object.keys(group).length === 0) {
        throw new InputError('expected an object of equally long lists, e.g. { "n": [8, 16], "steps": [200, 400] }', at(gat));
      }
      const keys = Object.keys(group);
      const lists = keys.map((key) => {
        claim(key, `${gat}.${shown(key)}`);
        return checkList(key, group[key], at(`${gat}.${shown(key)}`));
      });
      const len = lists[0]!.length;
      const bad = lists.findIndex((l) => l.length !== len);
      if (bad >= 0) {
        throw new InputError(`lists of different lengths vary together (${shown(keys[0]!)} has ${len} values, ${shown(keys[bad]!)} has ${lists[bad]!.length})`, at(gat));
      }
      axes.push({ keys, values: Array.from({ length: len }, (_, i) => lists.map((l) => l[i])) });
    });
  }
  const total = axes.reduce((p, a) => p * a.values.length, 1);
  if (total > MAX_POINTS) throw new InputError(`the grid expands to ${total} points (at most ${MAX_POINTS})`, file);

  const spec: SweepSpec = {
    source: where.source ?? null,
    name: where.name ?? 'sweep',
    base,
    baseFile,
    axes,
    local: {},
    slurm: {},
    measure: null,
    plot: {},
  };
  if (data.description !== undefined) spec.description = checkValue('description', data.description, at('description')) as string;
  if (data.out !== undefined) spec.out = checkValue('out', data.out, at('out')) as string;
  if (data.executor !== undefined) spec.executor = checkExecutor(data.executor, at('executor'));
  if (data.local !== undefined) spec.local = checkLocal(data.local, at('local'));
  if (data.slurm !== undefined) spec.slurm = checkSlurm(data.slurm, at('slurm'));
  if (data.measure !== undefined) spec.measure = checkMeasure(data.measure, at('measure'));
  if (data.plot !== undefined) spec.plot = checkPlot(data.plot, at('plot'), axes);
  return spec;
}

/** base ← over, with "param" objects merged key by key. */
export function mergeSettings(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = k === 'param' ? { ...((base.param as object) ?? {}), ...(v as object) } : v;
  }
  return out;
}

/** A varying key's list: non-empty, every value valid for the key, no value twice. */
function checkList(key: string, list: unknown, where: string): unknown[] {
  if (!Array.isArray(list) || list.length === 0) throw new InputError(`expected a non-empty list of values, got ${quote(list)}`, where);
  const check = valueChecker(key, where);
  const values = list.map((v, i) => check(v, `${where}[${i}]`));
  const texts = values.map((v) => JSON.stringify(v));
  const dup = texts.findIndex((t, i) => texts.indexOf(t) !== i);
  if (dup >= 0) throw new InputError(`value ${texts[dup]} appears twice`, `${where}[${dup}]`);
  return values;
}

function valueChecker(key: string, where: string): (v: unknown, at: string) => unknown {
  if (key.startsWith('param.')) {
    const name = key.slice('param.'.length);
    const problem = parameterNameProblem(name);
    if (problem) throw new InputError(problem, where);
    return (v, at) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`expected a number, got ${quote(v)}`, at);
      return v;
    };
  }
  if (!own(OPTIONS, key)) {
    throw new InputError(`unknown setting ${quote(key)} (vary an experiment setting such as n, ansatz, seed, or a model parameter as param.NAME)`, where);
  }
  if (NOT_VARIABLE.has(key)) {
    const why = key === 'param' ? 'vary a model parameter as "param.NAME", e.g. "param.h"' : 'the sweep names every run\'s directory itself';
    throw new InputError(`${quote(key)} cannot vary (${why})`, where);
  }
  if (key === 'model') {
    // a relative model path: made absolute, as for the base (the runs may start elsewhere)
    return (v, at) => {
      const m = checkValue('model', v, at) as string;
      return looksLikePath(m) ? resolve(m) : m;
    };
  }
  return (v, at) => checkValue(key as OptionKey, v, at);
}

function checkExecutor(v: unknown, where: string): Executor {
  if (v !== 'local' && v !== 'slurm') throw new InputError(`expected "local" or "slurm", got ${quote(v)}`, where);
  return v;
}

function positiveInteger(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InputError(`expected a positive integer, got ${quote(v)}`, where);
  return v;
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new InputError(`unknown key ${quote(k)} (known: ${allowed.join(', ')})`, where);
  }
}

function checkLocal(v: unknown, where: string): { jobs?: number } {
  if (!isObject(v)) throw new InputError('expected an object such as { "jobs": 4 }', where);
  checkKeys(v, ['jobs'], where);
  return v.jobs === undefined ? {} : { jobs: positiveInteger(v.jobs, `${where}.jobs`) };
}

/** SLURM's --time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
const SLURM_TIME = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2})$/;
const SLURM_MEM = /^\d+[KMGT]?$/i;
const SLURM_PARTITION = /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/;

export function checkSlurmTime(v: unknown, where: string): string {
  if (typeof v !== 'string' || !SLURM_TIME.test(v)) throw new InputError(`expected a SLURM time limit such as 90, 01:30:00 or 2-00:00:00, got ${quote(v)}`, where);
  return v;
}

export function checkSlurmMem(v: unknown, where: string): string {
  if (typeof v !== 'string' || !SLURM_MEM.test(v)) throw new InputError(`expected a SLURM memory size such as 4G or 500M, got ${quote(v)}`, where);
  return v;
}

export function checkSlurmPartition(v: unknown, where: string): string {
  if (typeof v !== 'string' || !SLURM_PARTITION.test(v)) throw new InputError(`expected a partition name (letters, digits, _ . -; a comma list for several), got ${quote(v)}`, where);
  return v;
}

function lines(v: unknown, where: string, what: string): string[] {
  if (!Array.isArray(v)) throw new InputError(`expected a list of ${what}`, where);
  return v.map((line, i) => {
    if (typeof line !== 'string' || line.trim() === '' || /[\r\n]/.test(line)) throw new InputError(`expected one non-empty line of text, got ${quote(line)}`, `${where}[${i}]`);
    return line;
  });
}

function checkSlurm(v: unknown, where: string): SlurmSettings {
  if (!isObject(v)) throw new InputError('expected an object such as { "partition": "short", "time": "01:00:00" }', where);
  checkKeys(v, ['partition', 'time', 'cpus-per-task', 'mem', 'sbatch', 'setup', 'max-parallel'], where);
  const out: SlurmSettings = {};
  if (v.partition !== undefined) out.partition = checkSlurmPartition(v.partition, `${where}.partition`);
  if (v.time !== undefined) out.time = checkSlurmTime(v.time, `${where}.time`);
  if (v['cpus-per-task'] !== undefined) out['cpus-per-task'] = positiveInteger(v['cpus-per-task'], `${where}.cpus-per-task`);
  if (v.mem !== undefined) out.mem = checkSlurmMem(v.mem, `${where}.mem`);
  if (v['max-parallel'] !== undefined) out['max-parallel'] = positiveInteger(v['max-parallel'], `${where}.max-parallel`);
  if (v.sbatch !== undefined) {
    out.sbatch = lines(v.sbatch, `${where}.sbatch`, 'sbatch options such as "--account=abc"').map((line, i) => {
      const option = line.trim().replace(/^#SBATCH\s+/, '');
      if (!option.startsWith('-')) throw new InputError(`expected an sbatch option such as "--account=abc", got ${quote(line)}`, `${where}.sbatch[${i}]`);
      return option;
    });
  }
  if (v.setup !== undefined) out.setup = lines(v.setup, `${where}.setup`, 'shell lines');
  return out;
}

function checkMeasure(v: unknown, where: string): MeasureSettings | null {
  if (v === false) return null;
  if (v === true) return {};
  if (!isObject(v)) throw new InputError('expected true, false or an object such as { "samples": 5000, "only": ["magnetization", "renyi"] }', where);
  checkKeys(v, ['samples', 'seed', 'only'], where);
  const out: MeasureSettings = {};
  if (v.samples !== undefined) out.samples = positiveInteger(v.samples, `${where}.samples`);
  if (v.seed !== undefined) out.seed = checkValue('seed', v.seed, `${where}.seed`) as number;
  if (v.only !== undefined) {
    if (!Array.isArray(v.only) || v.only.length === 0) throw new InputError(`expected a non-empty list of observables (${OBSERVABLES.join(', ')})`, `${where}.only`);
    out.only = v.only.map((o, i) => {
      if (typeof o !== 'string' || !(OBSERVABLES as readonly string[]).includes(o)) throw new InputError(`expected one of ${OBSERVABLES.join(', ')}, got ${quote(o)}`, `${where}.only[${i}]`);
      return o as ObservableName;
    });
  }
  return out;
}

function checkPlot(v: unknown, where: string, axes: SweepAxis[]): { x?: string } {
  if (!isObject(v)) throw new InputError('expected an object such as { "x": "param.h" }', where);
  checkKeys(v, ['x'], where);
  if (v.x === undefined) return {};
  const varying = axes.flatMap((a) => a.keys);
  if (typeof v.x !== 'string' || !varying.includes(v.x)) throw new InputError(`expected one of the varying keys (${varying.join(', ') || 'none'}), got ${quote(v.x)}`, `${where}.x`);
  return { x: v.x };
}

// --- expansion ------------------------------------------------------------------------------------

/** The varying keys in axis order. */
export function varyingKeys(spec: Pick<SweepSpec, 'axes'>): string[] {
  return spec.axes.flatMap((a) => a.keys);
}

/** Every point of the sweep, in order: the first axis outermost, the last one fastest. */
export function expandSweep(spec: Pick<SweepSpec, 'axes' | 'base'>): SweepPoint[] {
  const keys = varyingKeys(spec);
  const labels = keyLabels(keys);
  const total = spec.axes.reduce((p, a) => p * a.values.length, 1);
  const width = Math.max(3, String(total - 1).length);
  const points: SweepPoint[] = [];
  for (let index = 0; index < total; index++) {
    const values: Record<string, unknown> = {};
    let rest = index;
    for (let a = spec.axes.length - 1; a >= 0; a--) {
      const axis = spec.axes[a]!;
      const pos = rest % axis.values.length;
      rest = Math.floor(rest / axis.values.length);
      axis.keys.forEach((k, i) => (values[k] = axis.values[pos]![i]));
    }
    const ordered: Record<string, unknown> = {};
    for (const k of keys) ordered[k] = values[k];
    points.push({ index, name: pointName(index, width, keys.map((k, i) => [labels[i]!, ordered[k]])), values: ordered, settings: pointSettings(spec.base, ordered) });
  }
  return points;
}

/** The base settings with a point's values put in (param.NAME into "param"). */
export function pointSettings(base: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  const param: Record<string, unknown> = { ...((base.param as Record<string, unknown>) ?? {}) };
  let hasParam = base.param !== undefined;
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith('param.')) {
      param[k.slice('param.'.length)] = v;
      hasParam = true;
    } else out[k] = v;
  }
  if (hasParam) out.param = param;
  return out;
}

/** Short labels of the varying keys for names and legends: "param.h" → "h" unless that is ambiguous. */
export function keyLabels(keys: string[]): string[] {
  const short = keys.map((k) => (k.startsWith('param.') ? k.slice('param.'.length) : k));
  return keys.map((k, i) => (short.indexOf(short[i]!) === i && short.lastIndexOf(short[i]!) === i ? short[i]! : k));
}

/** A value as it appears in a name or a legend: numbers as JS prints them, model paths by their file name. */
export function valueLabel(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return looksLikePath(v) ? basename(v).replace(/\.json$/i, '') : v;
  if (v === null) return 'none';
  if (isObject(v) && typeof v.energy === 'number') return `ref${v.energy}`;
  return JSON.stringify(v);
}

const MAX_NAME = 100;

function pointName(index: number, width: number, parts: [string, unknown][]): string {
  const id = String(index).padStart(width, '0');
  const text = parts.map(([label, v]) => `${label}=${valueLabel(v)}`).join('_').replace(/[^A-Za-z0-9._=+-]+/g, '-');
  if (text === '') return `${id}-point`;
  return `${id}-${text}`.slice(0, MAX_NAME).replace(/[-_.]+$/, '');
}
