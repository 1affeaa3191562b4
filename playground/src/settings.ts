/**
 * The playground's settings: which experiment options the form shows, how the form's text values
 * become the settings `vmc run` takes, and the experiment file a page exports.
 *
 * Everything here goes through the option table of src/run/experiment.ts (types, choices,
 * minimums, defaults, descriptions, checkValue's messages), so the form, an exported file and
 * `vmc run` agree on what a setting means and which values it accepts.
 */
import { InputError } from '../../src/errors.js';
import { listModels, loadModel } from '../../src/hamiltonian/definition.js';
import { checkValue, OPTIONS, resolveExperiment, type ExperimentConfig, type OptionKey } from '../../src/run/experiment.js';
import type { FieldInfo, FormValues, ModelInfo } from './protocol.js';

/** The experiment options the form offers, in form order (model parameters follow `model`). */
export const FORM_KEYS = ['model', 'lattice', 'n', 'lx', 'ly', 'bc', 'magnetization', 'ansatz', 'hidden', 'sign', 'samples', 'lr', 'steps', 'seed'] as const satisfies readonly OptionKey[];
export type FormKey = (typeof FORM_KEYS)[number];

/** Prefix of a model parameter's form key: `param.h`. */
export const PARAM_PREFIX = 'param.';

/**
 * Where the page's first run starts (everything else: the option table's defaults). An RNN with
 * 20 hidden units and 200 samples a step converges on the critical open TFIM chain of 12 sites
 * in well under a minute of browser time.
 */
export const PLAYGROUND_DEFAULTS: Readonly<Record<FormKey, string>> = {
  model: 'tfim',
  lattice: 'chain',
  n: '12',
  lx: '4',
  ly: '4',
  bc: 'open',
  magnetization: '',
  ansatz: 'rnn',
  hidden: '20',
  sign: 'none',
  samples: '200',
  lr: '0.01',
  steps: '300',
  seed: '1',
};

/** The form's description of each option, from the option table. */
export function formFields(): FieldInfo[] {
  return FORM_KEYS.map((key) => {
    const spec = OPTIONS[key] as { type: string; describe: string; choices?: readonly string[]; default?: unknown };
    const field: FieldInfo = { key, flag: `--${key}`, describe: spec.describe, default: PLAYGROUND_DEFAULTS[key] };
    if (key === 'model') field.choices = listModels();
    else if (spec.choices) field.choices = [...spec.choices];
    if (key === 'magnetization') field.placeholder = 'free';
    if (key === 'hidden' || key === 'lr') field.placeholder = 'default';
    return field;
  });
}

/** The shipped models with their parameters (defaults and descriptions from the files). */
export function shippedModels(): ModelInfo[] {
  return listModels().map((name) => {
    const def = loadModel(name);
    return {
      name,
      description: def.description,
      parameters: Object.entries(def.parameterInfo).map(([p, info]) => ({ name: p, default: info.default, description: info.description ?? '' })),
    };
  });
}

/** The form's values for a model's defaults. */
export function defaultValues(models: readonly ModelInfo[], model = PLAYGROUND_DEFAULTS.model): FormValues {
  const values: FormValues = { ...PLAYGROUND_DEFAULTS, model };
  for (const p of models.find((m) => m.name === model)?.parameters ?? []) values[`${PARAM_PREFIX}${p.name}`] = String(p.default);
  return values;
}

/** A form value as the option's type: numbers parsed, '' absent (the default), bad text kept for the message. */
function typed(key: OptionKey, text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  const type = OPTIONS[key].type;
  if (type === 'number' || type === 'integer') {
    const v = Number(t);
    return Number.isFinite(v) ? v : t;
  }
  return t;
}

/**
 * The settings the form gives, as `vmc run` flags: each value checked by the option table
 * (an InputError whose `where` is the form key, e.g. `n: expected an integer, got "x"`). Keys
 * that do not apply (lx, ly on a chain; n on a square) are left out.
 */
export function flagsFromForm(values: FormValues): Partial<ExperimentConfig> {
  const flags: Record<string, unknown> = {};
  const square = values.lattice === 'square';
  for (const key of FORM_KEYS) {
    if ((square && key === 'n') || (!square && (key === 'lx' || key === 'ly'))) continue;
    const v = typed(key, values[key] ?? '');
    if (v === undefined) continue;
    flags[key] = checkValue(key, v, key);
  }
  const param: Record<string, unknown> = {};
  for (const [k, text] of Object.entries(values)) {
    if (!k.startsWith(PARAM_PREFIX)) continue;
    const name = k.slice(PARAM_PREFIX.length);
    const t = text.trim();
    if (t === '') throw new InputError('expected a number, got an empty field', k);
    param[name] = Number.isFinite(Number(t)) ? Number(t) : t;
  }
  if (Object.keys(param).length > 0) {
    // checkValue names the field `param.NAME`, the form key of that parameter
    flags.param = checkValue('param', param, 'param');
  }
  return flags as Partial<ExperimentConfig>;
}

/** The resolved experiment of the form's values (defaults from the option table). */
export function configFromForm(values: FormValues): { flags: Partial<ExperimentConfig>; config: ExperimentConfig } {
  const flags = flagsFromForm(values);
  return { flags, config: resolveExperiment({}, flags, 'settings') };
}

/**
 * The experiment file of a page's run, for `vmc run FILE`: the form's settings under their flag
 * names and, when the page trained on wasm, "backend": "wasm" — the backend on which `vmc run`
 * gives the page's numbers (the same seed on the same backend gives the same numbers; WebGL and
 * WebGPU kernels round differently).
 */
export function experimentFile(flags: Partial<ExperimentConfig>, backend: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    description: `Exported from the vmc browser playground (trained there on the ${backend} backend).`,
    ...flags,
  };
  if (backend === 'wasm') out.backend = 'wasm';
  return out;
}

/**
 * The form key an InputError points at: its `where` (`--param h` → `param.h`, `--hidden` →
 * `hidden`), else the first form flag its message names ("a square lattice needs --lx and --ly").
 */
export function fieldOf(where: string | undefined, message = ''): string | null {
  const keys: readonly string[] = [...FORM_KEYS, 'backend'];
  const w = (where ?? '').replace(/^--/, '');
  const param = /^param[ .](\S+)/.exec(w);
  if (param) return `${PARAM_PREFIX}${param[1]}`;
  const key = w.split(/[ :]/)[0]!;
  if (keys.includes(key)) return key;
  for (const m of message.matchAll(/--([a-z-]+)/g)) if (keys.includes(m[1]!)) return m[1]!;
  return null;
}
