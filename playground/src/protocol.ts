/**
 * Messages between the page (main.ts) and the training worker (worker.ts). Types only: the page
 * imports no library code, so its bundle stays small and all physics runs in the worker.
 */

/** The form's values as text, by form key (`n`, `hidden`, `param.h`, …). */
export type FormValues = Record<string, string>;

/** One form field, described from the option table (src/run/experiment.ts). */
export interface FieldInfo {
  key: string;
  /** the `vmc run` flag */
  flag: string;
  describe: string;
  default: string;
  choices?: string[];
  placeholder?: string;
}

export interface ModelInfo {
  name: string;
  description: string;
  parameters: { name: string; default: number; description: string }[];
}

/** Backends the page can ask for: auto tries WebGPU, then WebGL, then wasm. */
export const PAGE_BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm'] as const;
export type PageBackend = (typeof PAGE_BACKENDS)[number];

export interface Refusal {
  /** one line: what is wrong and what would do */
  reason: string;
  /** the form key at fault, or null */
  field: string | null;
}

export type ToWorker =
  | { type: 'init'; backend: PageBackend; wasmBase: string }
  | { type: 'check'; id: number; values: FormValues }
  | { type: 'train'; values: FormValues }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'measure' };

export interface StepMessage {
  type: 'step';
  step: number;
  energy: number;
  error: number;
  variance: number;
  /** |E − E_exact| / |E_exact|, or null without an exact energy */
  relativeError: number | null;
  /** steps per second over the last few steps */
  stepsPerSecond: number;
  /** a few of this step's samples, row after row of N bits (site order) */
  samples: Uint8Array;
  sampleCount: number;
}

export interface CorrelationsMessage {
  type: 'correlations';
  /** the training step whose state was measured */
  step: number;
  samples: number;
  distance: number[];
  zz: { mean: number; error: number }[];
  xx: { mean: number; error: number }[];
}

export type FromWorker =
  | { type: 'ready'; backend: string; backendNote: string; fields: FieldInfo[]; models: ModelInfo[]; defaults: FormValues }
  | { type: 'backend'; backend: string; backendNote: string }
  | { type: 'checked'; id: number; ok: true; experiment: Record<string, unknown>; summary: string }
  | { type: 'checked'; id: number; ok: false; refusal: Refusal }
  | { type: 'started'; steps: number; nSites: number; lattice: { kind: string; size: number[] }; parameters: number; experiment: Record<string, unknown> }
  | { type: 'exact'; energy: number | null; method: string | null; note: string }
  | StepMessage
  | { type: 'paused'; step: number }
  | { type: 'done'; step: number }
  | { type: 'reset' }
  | CorrelationsMessage
  | { type: 'refused'; refusal: Refusal }
  | { type: 'failed'; message: string };
