/**
 * The playground page: the settings form (built from the option table the worker sends), the
 * Train / Pause / Reset controls, and the live display of what the training worker reports —
 * energy ± error against the exact line, relative error on a log scale, steps per second, recent
 * samples, and the zz / xx correlations after training. No library code runs here (protocol.ts).
 *
 * The address always holds the current settings (url.ts); `window.__vmcPlayground` exposes the
 * page's state for the browser test and for the curious.
 */
import { drawPlot, drawSamples } from './plot.js';
import { PAGE_BACKENDS, type CorrelationsMessage, type FieldInfo, type FormValues, type FromWorker, type ModelInfo, type PageBackend, type Refusal, type ToWorker } from './protocol.js';
import { fromQuery, toQuery } from './url.js';

type Status = 'starting' | 'idle' | 'training' | 'paused' | 'done' | 'failed';

interface HistoryPoint {
  step: number;
  energy: number;
  error: number;
  relativeError: number | null;
}

const state = {
  status: 'starting' as Status,
  backend: '',
  backendNote: '',
  values: {} as FormValues,
  /** the last check of the form: ok, or the refusal */
  check: null as null | { ok: true; experiment: Record<string, unknown>; summary: string } | { ok: false; refusal: Refusal },
  /** the values the current session was built from */
  sessionValues: null as FormValues | null,
  steps: 0,
  lattice: { kind: 'chain', size: [0] as number[] },
  exact: { energy: null as number | null, method: null as string | null, note: '' },
  history: [] as HistoryPoint[],
  stepsPerSecond: 0,
  correlations: null as CorrelationsMessage | null,
  failure: '',
  unknownLinkKeys: [] as string[],
};
(globalThis as unknown as { __vmcPlayground: typeof state }).__vmcPlayground = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);

let fields: FieldInfo[] = [];
let models: ModelInfo[] = [];
let defaults: FormValues = {};
let checkId = 0;
let checkTimer: ReturnType<typeof setTimeout> | null = null;
const recentSamples: Uint8Array[] = [];
const MAX_RECENT = 160;

// --- the form ---------------------------------------------------------------------------------

const FIELD_LABELS: Record<string, string> = {
  model: 'Hamiltonian', lattice: 'lattice', n: 'sites N', lx: 'Lx', ly: 'Ly', bc: 'boundary', magnetization: 'S^z',
  ansatz: 'ansatz', hidden: 'hidden units', sign: 'sign rule', samples: 'samples/step', lr: 'learning rate', steps: 'steps', seed: 'seed', backend: 'backend',
};

function model(): ModelInfo | undefined {
  return models.find((m) => m.name === state.values.model);
}

function knownKey(key: string, modelName: string): boolean {
  if (key === 'backend' || fields.some((f) => f.key === key)) return true;
  const m = models.find((x) => x.name === modelName);
  return key.startsWith('param.') && (m?.parameters.some((p) => `param.${p.name}` === key) ?? false);
}

function fieldRow(key: string, label: string, title: string, control: HTMLInputElement | HTMLSelectElement): HTMLDivElement {
  const row = document.createElement('div');
  row.className = 'field';
  row.dataset.key = key;
  const l = document.createElement('label');
  l.textContent = label;
  l.title = title;
  l.htmlFor = control.id = `f-${key}`;
  control.name = key;
  control.title = title;
  row.append(l, control);
  return row;
}

function control(key: string, choices: readonly string[] | undefined, placeholder?: string): HTMLInputElement | HTMLSelectElement {
  if (choices) {
    const s = document.createElement('select');
    for (const c of choices) s.add(new Option(c, c));
    s.value = state.values[key] ?? '';
    return s;
  }
  const i = document.createElement('input');
  i.type = 'text';
  i.inputMode = 'decimal';
  i.value = state.values[key] ?? '';
  if (placeholder) i.placeholder = placeholder;
  return i;
}

function renderForm(): void {
  const box = $('fields');
  box.replaceChildren();
  for (const f of fields) {
    const hidden = (f.key === 'n' && state.values.lattice === 'square') || ((f.key === 'lx' || f.key === 'ly') && state.values.lattice !== 'square');
    if (hidden) continue;
    box.append(fieldRow(f.key, FIELD_LABELS[f.key] ?? f.key, `${f.flag}: ${f.describe}`, control(f.key, f.choices, f.placeholder)));
    if (f.key === 'model') {
      const m = model();
      const params = document.createElement('div');
      params.className = 'params';
      params.title = m?.description ?? '';
      for (const p of m?.parameters ?? []) {
        const key = `param.${p.name}`;
        params.append(fieldRow(key, p.name, `--param ${p.name}=VALUE: ${p.description}`, control(key, undefined)));
      }
      box.append(params);
    }
  }
  box.append(fieldRow('backend', FIELD_LABELS.backend!, 'tfjs backend of the page: auto tries WebGPU, then WebGL, then wasm (wasm gives the numbers of vmc run --backend wasm)', control('backend', PAGE_BACKENDS)));
  markRefusal();
}

/** Values of a model change: its parameters start at the file's defaults. */
function switchModel(name: string): void {
  for (const k of Object.keys(state.values)) if (k.startsWith('param.')) delete state.values[k];
  state.values.model = name;
  for (const p of models.find((m) => m.name === name)?.parameters ?? []) state.values[`param.${p.name}`] = String(p.default);
}

function onFormChange(e: Event): void {
  const t = e.target as HTMLInputElement | HTMLSelectElement;
  if (!t.name) return;
  if (t.name === 'model') switchModel(t.value);
  else state.values[t.name] = t.value;
  if (t.name === 'model' || t.name === 'lattice') renderForm();
  writeUrl();
  scheduleCheck();
  updateControls();
}

function writeUrl(): void {
  const order = ['model', ...Object.keys(state.values).filter((k) => k.startsWith('param.')).sort(), ...fields.map((f) => f.key).filter((k) => k !== 'model'), 'backend'];
  const shown: FormValues = {};
  const square = state.values.lattice === 'square';
  const applies = (k: string): boolean => (square ? k !== 'n' : k !== 'lx' && k !== 'ly');
  for (const k of order) if (k in state.values && knownKey(k, state.values.model ?? '') && applies(k)) shown[k] = state.values[k]!;
  history.replaceState(null, '', `${location.pathname}?${toQuery(shown, order)}`);
}

function scheduleCheck(): void {
  state.check = null;
  if (checkTimer) clearTimeout(checkTimer);
  checkTimer = setTimeout(() => send({ type: 'check', id: ++checkId, values: { ...state.values } }), 120);
}

function markRefusal(): void {
  const refusal = state.check && !state.check.ok ? state.check.refusal : null;
  for (const row of document.querySelectorAll<HTMLElement>('.field')) row.classList.toggle('bad', refusal?.field === row.dataset.key);
  $('refusal').textContent = refusal ? `Refused: ${refusal.reason}` : state.status === 'failed' ? state.failure : '';
  $('summary').textContent = state.check?.ok ? state.check.summary : '';
}

// --- controls ---------------------------------------------------------------------------------

const sameAsSession = (): boolean => state.sessionValues !== null && JSON.stringify(state.sessionValues) === JSON.stringify(state.values);

function updateControls(): void {
  const training = state.status === 'training';
  ($('fields') as HTMLFieldSetElement).disabled = training || state.status === 'starting';
  const resumable = state.status === 'paused' && sameAsSession();
  const train = $<HTMLButtonElement>('train');
  train.textContent = resumable ? 'Resume' : 'Train';
  train.disabled = training || state.status === 'starting' || !(resumable || state.check?.ok === true);
  $<HTMLButtonElement>('pause').disabled = !training;
  $<HTMLButtonElement>('reset').disabled = state.sessionValues === null && state.history.length === 0;
  $<HTMLButtonElement>('export').disabled = state.check?.ok !== true;
  markRefusal();
}

function clearResults(): void {
  state.history = [];
  state.correlations = null;
  state.exact = { energy: null, method: null, note: '' };
  state.stepsPerSecond = 0;
  state.steps = 0;
  recentSamples.length = 0;
}

$('train').addEventListener('click', () => {
  if (!(state.status === 'paused' && sameAsSession())) {
    clearResults();
    state.sessionValues = { ...state.values };
  }
  state.status = 'training';
  state.failure = '';
  state.correlations = null;
  send({ type: 'train', values: { ...state.values } });
  updateControls();
  redraw();
});
$('pause').addEventListener('click', () => send({ type: 'pause' }));
$('reset').addEventListener('click', () => send({ type: 'reset' }));
$('export').addEventListener('click', () => {
  if (!state.check?.ok) return;
  const blob = new Blob([`${JSON.stringify(state.check.experiment, null, 2)}\n`], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `vmc-${state.values.model}-${state.values.ansatz}-seed${state.values.seed}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
$('copy-link').addEventListener('click', () => {
  navigator.clipboard?.writeText(location.href).then(
    () => ($('notice').textContent = 'Link copied: it reproduces these settings (same seed and backend ⇒ same numbers).'),
    () => ($('notice').textContent = `Link: ${location.href}`),
  );
});
$('settings').addEventListener('change', onFormChange);
$('settings').addEventListener('input', onFormChange);
$('settings').addEventListener('submit', (e) => e.preventDefault());

// --- display ----------------------------------------------------------------------------------

const fmt = (v: number, digits = 6): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

function statusText(): string {
  const last = state.history[state.history.length - 1];
  const parts: string[] = [];
  if (state.status === 'training' && !last) parts.push('building the run and its exact reference…');
  if (last) {
    parts.push(`step <b>${last.step}</b> / ${state.steps}`);
    parts.push(`E = <b>${fmt(last.energy)}</b> ± ${last.error.toExponential(1)}`);
  }
  if (state.exact.energy !== null) parts.push(`E<sub>exact</sub> = <span id="exact-energy" data-energy="${state.exact.energy}">${fmt(state.exact.energy, 8)}</span> (${state.exact.method})`);
  else if (state.exact.note) parts.push(state.exact.note);
  if (last?.relativeError !== null && last?.relativeError !== undefined) parts.push(`relative error <b>${last.relativeError.toExponential(2)}</b>`);
  if (last) parts.push(`${state.stepsPerSecond.toFixed(1)} steps/s`);
  const label: Record<Status, string> = { starting: 'starting', idle: '', training: 'training', paused: 'paused', done: 'done', failed: 'stopped' };
  return `${label[state.status] ? `<span id="run-state">${label[state.status]}</span> · ` : ''}${parts.join(' · ')}`;
}

let frame = 0;
function redraw(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (state.history.length > 0 || state.status !== 'idle') $('status').innerHTML = statusText();
    const h = state.history;
    const x = h.map((p) => p.step);
    const series = [{ name: 'E ± error', color: '#1f6feb', x, y: h.map((p) => p.energy), yErr: h.map((p) => p.error), band: true }];
    if (state.exact.energy !== null) series.push({ name: `exact (${state.exact.method})`, color: '#d1242f', x: [0], y: [state.exact.energy], hline: true, dashed: true } as never);
    drawPlot($('energy-plot'), { title: 'Energy per step', xLabel: 'step', yLabel: 'energy', series, xMin: 1, xMax: Math.max(state.steps, 2), empty: 'press Train' });
    drawPlot($('error-plot'), {
      title: 'Relative error |E − E_exact| / |E_exact|',
      xLabel: 'step',
      yLabel: 'relative error (log)',
      logY: true,
      series: [{ name: 'relative error', color: '#8250df', x, y: h.map((p) => p.relativeError ?? NaN) }],
      xMin: 1,
      xMax: Math.max(state.steps, 2),
      empty: state.exact.note || 'needs the exact energy',
    });
    drawSamples($('samples'), recentSamples, state.lattice);
    const c = state.correlations;
    drawPlot($('corr-plot'), {
      title: c ? `Correlations vs distance, step ${c.step} (${c.samples} samples)` : "Correlations vs distance",
      xLabel: 'distance r',
      yLabel: '⟨σᵃᵢ σᵃⱼ⟩',
      series: c
        ? [
            { name: 'zz', color: '#1f6feb', x: c.distance, y: c.zz.map((e) => e.mean), yErr: c.zz.map((e) => e.error), markers: true },
            ...(c.xx.length > 0 ? [{ name: 'xx', color: '#bf8700', x: c.distance, y: c.xx.map((e) => e.mean), yErr: c.xx.map((e) => e.error), markers: true }] : []),
          ]
        : [],
      empty: 'measured after training (or press Pause)',
    });
  });
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready': {
      fields = m.fields;
      models = m.models;
      defaults = { ...m.defaults, backend: 'auto' };
      // a link's model brings its own parameter defaults; the link's values go over them
      const linkModel = new URLSearchParams(location.search).get('model');
      state.values = { ...defaults };
      if (linkModel && models.some((x) => x.name === linkModel)) switchModel(linkModel);
      const link = fromQuery(location.search, state.values, (k) => knownKey(k, state.values.model!));
      state.values = link.values;
      state.unknownLinkKeys = link.unknown;
      $('notice').textContent = link.unknown.length > 0 ? `The link's ${link.unknown.map((k) => `"${k}"`).join(', ')} ${link.unknown.length > 1 ? 'are not settings' : 'is not a setting'} of the playground (ignored).` : '';
      state.status = 'idle';
      state.backend = m.backend;
      state.backendNote = m.backendNote;
      $('backend').textContent = `backend: ${m.backend}`;
      $('backend').title = m.backendNote;
      renderForm();
      writeUrl();
      scheduleCheck();
      break;
    }
    case 'backend':
      state.backend = m.backend;
      state.backendNote = m.backendNote;
      $('backend').textContent = `backend: ${m.backend}`;
      $('backend').title = m.backendNote;
      break;
    case 'checked':
      if (m.id !== checkId) return;
      state.check = m.ok ? { ok: true, experiment: m.experiment, summary: m.summary } : { ok: false, refusal: m.refusal };
      break;
    case 'started':
      state.steps = m.steps;
      state.lattice = m.lattice;
      break;
    case 'exact':
      state.exact = { energy: m.energy, method: m.method, note: m.note };
      break;
    case 'step':
      state.history.push({ step: m.step, energy: m.energy, error: m.error, relativeError: m.relativeError });
      state.stepsPerSecond = m.stepsPerSecond;
      for (let k = m.sampleCount - 1; k >= 0; k--) {
        const n = m.samples.length / Math.max(m.sampleCount, 1);
        recentSamples.unshift(m.samples.slice(k * n, (k + 1) * n));
      }
      recentSamples.length = Math.min(recentSamples.length, MAX_RECENT);
      break;
    case 'paused':
      if (state.status === 'training') state.status = 'paused';
      if (state.sessionValues) send({ type: 'measure' });
      break;
    case 'done':
      state.status = 'done';
      break;
    case 'reset':
      state.status = 'idle';
      state.sessionValues = null;
      clearResults();
      $('status').textContent = 'Reset. Press Train to start again.';
      break;
    case 'correlations':
      // a measurement of a paused state that arrives after Resume is out of date
      if (state.status !== 'training') state.correlations = m;
      break;
    case 'refused':
      state.status = 'idle';
      state.sessionValues = null;
      state.check = { ok: false, refusal: m.refusal };
      break;
    case 'failed':
      state.status = state.status === 'starting' ? 'starting' : 'failed';
      state.failure = m.message;
      $('refusal').textContent = m.message;
      console.warn(`vmc playground: ${m.message}`);
      break;
  }
  updateControls();
  redraw();
};
worker.onerror = (e) => {
  state.status = 'failed';
  state.failure = `the training worker failed: ${e.message}`;
  console.error(state.failure);
  updateControls();
};

const linkBackend = new URLSearchParams(location.search).get('backend');
const initial = (PAGE_BACKENDS as readonly string[]).includes(linkBackend ?? '') ? (linkBackend as PageBackend) : 'auto';
send({ type: 'init', backend: initial, wasmBase: new URL('./', location.href).href });
redraw();
