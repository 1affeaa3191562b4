/**
 * The playground's Web Worker: all library code of the page runs here, so the page stays
 * responsive while a step computes. It answers the page's messages (protocol.ts) one at a time —
 * a check of the form's settings, train / pause / reset, correlations — and between two training
 * steps yields to the event loop so that Pause and Reset take effect after the current step.
 */
import { InputError } from '../../src/errors.js';
import { NumericalError } from '../../src/vmc/driver.js';
import { startBackend } from './backend.js';
import { PAGE_BACKENDS, type FormValues, type FromWorker, type PageBackend, type Refusal, type ToWorker } from './protocol.js';
import { TrainingSession, type ExactLine } from './session.js';
import { configFromForm, defaultValues, experimentFile, fieldOf, formFields, shippedModels } from './settings.js';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
};
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

let backend = { name: '', note: '' };
/** the page's choice that `backend` answers (auto, webgpu, webgl, wasm), or null before the first */
let backendChoice: PageBackend | null = null;
let wasmBase = '';
let session: TrainingSession | null = null;
/** the form values the session was built from (a resume needs the same) */
let sessionKey = '';
let exact: ExactLine = { energy: null, method: null, note: '' };
let experiment: Record<string, unknown> = {};
let running = false;
let looping = false;
/** completion times (ms) of the last steps, for steps per second */
const stepTimes: number[] = [];

/** Runs `task` after every task queued before it: steps and messages never overlap. */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(task: () => Promise<T> | T): Promise<T> {
  const run = queue.then(task);
  queue = run.catch(() => undefined);
  return run;
}

/** A macrotask boundary: lets queued messages (Pause, Reset) in between two steps. */
const yieldToMessages = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function refusal(e: unknown): Refusal {
  const message = e instanceof Error ? e.message : String(e);
  return { reason: message, field: e instanceof InputError ? fieldOf(e.where, message) : null };
}

const keyOf = (values: FormValues): string => JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));

function endSession(): void {
  running = false;
  session?.dispose();
  session = null;
  sessionKey = '';
  stepTimes.length = 0;
}

/** Switches the tfjs backend when the form asks for another one (ending the session built on the old one). */
async function useBackend(choice: string | undefined): Promise<void> {
  const wanted = (choice || 'auto') as PageBackend;
  if (!PAGE_BACKENDS.includes(wanted)) throw new InputError(`expected one of ${PAGE_BACKENDS.join(', ')}, got ${JSON.stringify(choice)}`, 'backend');
  if (wanted === backendChoice) return;
  endSession();
  const started = await startBackend(wanted, wasmBase);
  backendChoice = wanted;
  backend = { name: started.name, note: wanted === 'auto' ? `chosen by auto: ${started.note}` : started.note };
  post({ type: 'backend', backend: backend.name, backendNote: backend.note });
}

async function check(id: number, values: FormValues): Promise<void> {
  try {
    await useBackend(values.backend);
    const { flags, config } = configFromForm(values);
    // the very build a run does (the browser's limits first), then discarded
    const trial = TrainingSession.create(config);
    const summary = `${trial.parts.definition.name} on ${trial.parts.lattice.describe()}; ${config.ansatz} with ${trial.parameters} parameters`;
    trial.dispose();
    post({ type: 'checked', id, ok: true, experiment: experimentFile(flags, backend.name), summary });
  } catch (e) {
    post({ type: 'checked', id, ok: false, refusal: refusal(e) });
  }
}

async function train(values: FormValues): Promise<void> {
  if (running) return;
  if (!session || sessionKey !== keyOf(values) || session.driver.stepsDone >= session.cfg.steps) {
    try {
      await useBackend(values.backend);
      endSession();
      const { flags, config } = configFromForm(values);
      session = TrainingSession.create(config);
      sessionKey = keyOf(values);
      experiment = experimentFile(flags, backend.name);
    } catch (e) {
      endSession();
      post({ type: 'refused', refusal: refusal(e) });
      return;
    }
    const { lattice } = session.parts;
    post({ type: 'started', steps: session.cfg.steps, nSites: session.nSites, lattice: { kind: lattice.kind, size: [...lattice.size] }, parameters: session.parameters, experiment });
    exact = session.exact();
    post({ type: 'exact', ...exact });
  }
  running = true;
  void loop();
}

async function stepOnce(): Promise<void> {
  const s = session;
  if (!running || !s) return;
  try {
    const { record, samples, sampleCount } = await s.step();
    const now = performance.now();
    stepTimes.push(now);
    if (stepTimes.length > 11) stepTimes.shift();
    const rate = stepTimes.length > 1 ? ((stepTimes.length - 1) * 1000) / (now - stepTimes[0]!) : 1 / record.timings.total;
    const relativeError = exact.energy === null ? null : Math.abs(record.energy - exact.energy) / Math.abs(exact.energy);
    post(
      { type: 'step', step: record.step, energy: record.energy, error: record.error, variance: record.variance, relativeError, stepsPerSecond: rate, samples, sampleCount },
      [samples.buffer],
    );
    if (s.driver.stepsDone >= s.cfg.steps) {
      running = false;
      post({ type: 'done', step: s.driver.stepsDone });
      measure();
    }
  } catch (e) {
    // a diverged (or broken) run cannot continue: Train starts a new one
    endSession();
    post({ type: 'failed', message: e instanceof NumericalError ? e.message.replace('lower --lr', 'lower the learning rate') : e instanceof Error ? e.message : String(e) });
  }
}

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (running && session) {
      await exclusive(stepOnce);
      await yieldToMessages();
    }
  } finally {
    looping = false;
  }
}

function measure(): void {
  if (!session) return;
  try {
    const count = 2000;
    const c = session.correlations(count);
    const est = (es: { mean: number; error: number }[]) => es.map((e) => ({ mean: e.mean, error: e.error }));
    post({ type: 'correlations', step: session.driver.stepsDone, samples: count, distance: c.distance, zz: est(c.zz), xx: est(c.xx) });
  } catch (e) {
    post({ type: 'failed', message: `correlations: ${e instanceof Error ? e.message : String(e)}` });
  }
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init': {
      wasmBase = m.wasmBase;
      try {
        await useBackend(m.backend);
      } catch (e) {
        post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
        return;
      }
      const models = shippedModels();
      post({ type: 'ready', backend: backend.name, backendNote: backend.note, fields: formFields(), models, defaults: defaultValues(models) });
      return;
    }
    case 'check':
      return check(m.id, m.values);
    case 'train':
      return train(m.values);
    case 'pause':
      running = false;
      post({ type: 'paused', step: session?.driver.stepsDone ?? 0 });
      return;
    case 'reset':
      endSession();
      post({ type: 'reset' });
      return;
    case 'measure':
      measure();
      return;
  }
}

scope.onmessage = (e) => {
  void exclusive(() => handle(e.data));
};
