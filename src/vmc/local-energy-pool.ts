/**
 * Multi-core local energies (`--workers K`). The local energy of a configuration is a pure
 * function of (parameters, configuration), so the distinct configurations of a step are split
 * into K contiguous slices: K−1 worker threads (node:worker_threads, each with its own tfjs
 * backend, compiled Hamiltonian and copy of the wavefunction built from the run's configuration)
 * take one each and the main thread takes the last; the results are concatenated in order, so
 * the driver sums them in float64 exactly as with one thread.
 *
 * Each request carries the current parameters (float32, as stored in the variables), so a worker
 * holds no state between steps besides its compiled model.
 */
import { Worker } from 'node:worker_threads';
import { getParameters, type Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { localEnergies, type LocalEnergies } from './local-energy.js';

/** workerData of a local-energy worker */
export interface WorkerStart {
  config: ExperimentConfig;
  maxConnected?: number;
}

export interface WorkerRequest {
  id: number;
  params: { shape: number[]; values: Float32Array }[];
  configs: Uint8Array;
  count: number;
}

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'result'; id: number; re: Float64Array; im: Float64Array; logAmp: Float64Array; phase: Float64Array }
  | { type: 'error'; id: number; message: string };

export interface PoolOptions {
  /** upper bound on connected configurations evaluated at once, per thread (see localEnergies) */
  maxConnected?: number;
}

interface Pending {
  resolve: (r: LocalEnergies) => void;
  reject: (e: Error) => void;
}

/**
 * Creates a worker running the entry next to this module: local-energy-worker.js in the compiled
 * build; under tsx (this module is a .ts file) the .ts entry. Node 20 does not apply the
 * `--import tsx` loader hooks to worker threads (the worker fails with "Unknown file extension
 * .ts" even with `execArgv: process.execArgv`), so there a small bootstrap registers tsx's ESM
 * hooks in the worker first and then imports the entry.
 */
function createWorker(data: WorkerStart): Worker {
  const underTsx = new URL(import.meta.url).pathname.endsWith('.ts');
  const entry = new URL(`./local-energy-worker.${underTsx ? 'ts' : 'js'}`, import.meta.url);
  const options = { workerData: data, execArgv: process.execArgv };
  if (!underTsx) return new Worker(entry, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((e) => { throw e; });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

class PoolWorker {
  private pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private exited = false;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    private readonly onReady: (backend: string) => void,
    private readonly onStartFailure: (e: Error) => void,
  ) {
    worker.on('message', (msg: WorkerReply) => this.receive(msg));
    worker.on('error', (e: Error) => this.fail(new Error(`local-energy worker ${index} failed: ${e.stack ?? e.message}`)));
    worker.on('messageerror', (e: Error) => this.fail(new Error(`local-energy worker ${index}: unreadable message: ${e.message}`)));
    worker.on('exit', (code: number) => {
      this.exited = true;
      this.fail(new Error(`local-energy worker ${index} exited (code ${code})`));
    });
  }

  private receive(msg: WorkerReply): void {
    if (msg.type === 'ready') {
      this.onReady(msg.backend);
      return;
    }
    if (msg.type === 'error' && msg.id === -1) {
      this.fail(new Error(`local-energy worker ${this.index} could not start: ${msg.message}`));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new Error(`local-energy worker ${this.index} failed: ${msg.message}`));
    else p.resolve({ re: msg.re, im: msg.im, logPsi: { logAmp: msg.logAmp, phase: msg.phase } });
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.onStartFailure(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  evaluate(req: WorkerRequest): Promise<LocalEnergies> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<LocalEnergies>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req, [req.configs.buffer as ArrayBuffer, ...req.params.map((p) => p.values.buffer as ArrayBuffer)]);
    });
  }

  async terminate(): Promise<void> {
    // closing is not a failure of the pending work's caller: mark it so that 'exit' stays quiet
    if (!this.failure) this.failure = new Error(`local-energy worker ${this.index} was closed`);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    if (!this.exited) await this.worker.terminate();
  }
}

export class LocalEnergyPool {
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly workers: PoolWorker[],
    readonly maxConnected: number | undefined,
  ) {}

  /** number of threads that share the work: the workers plus the main thread */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads − 1` workers for the resolved configuration `config`; `backend` is the backend
   * the main thread uses (the workers must use the same one for identical numbers).
   */
  static async start(config: ExperimentConfig, threads: number, backend: string, opts: PoolOptions = {}): Promise<LocalEnergyPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`a local-energy pool needs an integer number of threads ≥ 1, got ${threads}`);
    const data: WorkerStart = {
      config: { ...config, backend: backend as ExperimentConfig['backend'] },
      maxConnected: opts.maxConnected,
    };
    const started: Promise<void>[] = [];
    const workers: PoolWorker[] = [];
    const pool = new LocalEnergyPool(workers, opts.maxConnected);
    try {
      for (let k = 0; k < threads - 1; k++) {
        let ready!: () => void;
        let failed!: (e: Error) => void;
        started.push(
          new Promise<void>((resolve, reject) => {
            ready = resolve;
            failed = reject;
          }),
        );
        const onReady = (b: string): void =>
          b === backend ? ready() : failed(new Error(`local-energy worker ${k} runs backend "${b}", the main thread "${backend}"`));
        workers.push(new PoolWorker(k, createWorker(data), onReady, failed));
      }
      await Promise.all(started);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /**
   * Local energies of `count` distinct configurations for the current parameters of `wf`: the
   * same numbers as `localEnergies(h, wf, configs, count)`, computed on all threads.
   */
  async evaluate(h: CompiledHamiltonian, wf: Wavefunction, configs: Uint8Array, count: number): Promise<LocalEnergies> {
    if (this.closed) throw new Error('the local-energy pool is closed');
    const N = h.nSites;
    const threads = this.threads;
    const bounds: number[] = [];
    for (let t = 0; t <= threads; t++) bounds.push(Math.round((t * count) / threads));
    const params = getParameters(wf);
    const jobs = this.workers.map((w, k) => {
      const [a, b] = [bounds[k], bounds[k + 1]];
      if (b === a) return Promise.resolve(empty());
      return w.evaluate({
        id: this.nextId++,
        params: params.map((p) => ({ shape: p.shape, values: Float32Array.from(p.values) })),
        configs: configs.slice(a * N, b * N),
        count: b - a,
      });
    });
    // The main thread computes the last slice while the workers run; if it throws, the workers'
    // replies are still awaited (and discarded) so that none is left unhandled.
    const a = bounds[threads - 1];
    let mine: LocalEnergies;
    try {
      mine = localEnergies(h, wf, configs.subarray(a * N, count * N), count - a, { maxConnected: this.maxConnected });
    } catch (e) {
      await Promise.allSettled(jobs);
      throw e;
    }
    const parts = [...(await Promise.all(jobs)), mine];
    const re = new Float64Array(count);
    const im = new Float64Array(count);
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    parts.forEach((p, t) => {
      const at = bounds[t];
      re.set(p.re, at);
      im.set(p.im, at);
      logAmp.set(p.logPsi.logAmp, at);
      phase.set(p.logPsi.phase, at);
    });
    return { re, im, logPsi: { logAmp, phase } };
  }

  /** Terminates the workers; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function empty(): LocalEnergies {
  return { re: new Float64Array(0), im: new Float64Array(0), logPsi: { logAmp: new Float64Array(0), phase: new Float64Array(0) } };
}
