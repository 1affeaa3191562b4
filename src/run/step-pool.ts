/**
 * Whole-step parallelism (`--workers K`): the StepThreads of a run spread over the main thread
 * and K−1 worker threads (node:worker_threads), each with its own tfjs backend, compiled
 * Hamiltonian and copy of the wavefunction built from the run's resolved configuration.
 *
 * - sampling: the shards of a batch are split into K contiguous groups (workers take the first
 *   groups, the main thread the last);
 * - local energies: the distinct configurations are split into K contiguous slices;
 * - gradients (or SR's per-sample log-derivatives): the fixed gradient shards are split into K
 *   contiguous groups.
 * Results come back in order, so the driver combines them exactly as on one thread (see
 * vmc/threads.ts: the numbers do not depend on K).
 *
 * The parameters are sent with the first request after they change (float32, as stored in the
 * variables); a worker holds no other state between requests besides its compiled model.
 * A worker that fails or exits rejects every pending request with a clear Error; nothing waits
 * forever on a dead worker.
 *
 * This module lives in run/ (not vmc/) because a worker rebuilds its model from the experiment
 * configuration (run/build.ts); the layering stays cli → run → vmc.
 *
 * Measured (npm run bench, GRU H=50, TFIM chain, M=1000, wasm, idle 2-core EPYC): 2 threads
 * against 1 took a step from 15.0 s to 7.7 s at N=100 (1.95×) but only from 0.64 s to 0.56 s at
 * N=20: there the worker computes its half of the local energies in ~400 ms against ~280 ms for
 * the same half on the main thread alone, although a bare wasm matMul is as fast in a worker and
 * two separate processes scale (0.69 and 0.75 s a step side by side); a larger young generation
 * for the worker (resourceLimits) did not change it. Cause not found yet.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { getParameters, setParameters, type Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { sliceBounds, type SampleShard } from '../sampler/sampler.js';
import type { GradientShard } from '../vmc/gradient.js';
import type { DerivativeShard, ShardDerivatives } from '../vmc/log-derivative-shards.js';
import type { LocalEnergies } from '../vmc/local-energy.js';
import { runTask, type StepThreads, type WorkerResult, type WorkerTask } from '../vmc/threads.js';
import type { ExperimentConfig } from './experiment.js';

/** workerData of a step worker */
export interface WorkerStart {
  config: ExperimentConfig;
  maxConnected?: number;
}

type Params = { shape: number[]; values: Float32Array }[];

export interface WorkerRequest {
  id: number;
  /** new parameters, when they changed since the last request to this worker */
  params?: Params;
  task: WorkerTask;
}

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'result'; id: number; result: WorkerResult }
  | { type: 'error'; id: number; message: string };

/**
 * Threads per step when --workers is not given: every available core when a step has enough
 * work to share (exact sampling, so that sampling and gradients are sharded too, and M·N ≥ 8000
 * sample-sites) on the single-threaded wasm backend; otherwise 1 (small steps, where a worker's
 * start-up and the per-step messages cost more than they save; the native backend, which
 * spreads its kernels over the cores itself; Metropolis chains, which stay on the main thread).
 */
export function defaultWorkers(cfg: ExperimentConfig, nSites: number, backend: string, exactSampling: boolean): number {
  if (backend !== 'wasm' || !exactSampling || cfg.samples * nSites < 8000) return 1;
  return Math.max(1, availableParallelism());
}

export interface PoolOptions {
  /** upper bound on connected configurations evaluated at once, per thread (see localEnergies) */
  maxConnected?: number;
}

/** The buffers a result can hand over to the receiving thread without a copy. */
export function resultBuffers(r: WorkerResult): ArrayBuffer[] {
  const arrays: ArrayBufferView[] =
    r.kind === 'sample'
      ? r.samples
      : r.kind === 'energies'
        ? [r.energies.re, r.energies.im, r.energies.logPsi.logAmp, r.energies.logPsi.phase]
        : r.kind === 'gradients'
          ? r.gradients.flat()
          : r.kind === 'logDerivatives'
            ? r.derivatives.flatMap((d) => [d.O.re, d.O.im])
            : r.kind === 'products'
              ? r.products
              : [];
  // only whole, distinct buffers can be transferred
  const seen = new Set<ArrayBuffer>();
  for (const a of arrays) {
    const b = a.buffer as ArrayBuffer;
    if (a.byteOffset === 0 && a.byteLength === b.byteLength) seen.add(b);
  }
  return [...seen];
}

/**
 * Creates a worker running the entry next to this module: step-worker.js in the compiled build;
 * under tsx (this module is a .ts file) the .ts entry. Node 20 does not apply the `--import tsx`
 * loader hooks to worker threads (the worker fails with "Unknown file extension .ts" even with
 * `execArgv: process.execArgv`), so there a small bootstrap registers tsx's ESM hooks in the
 * worker first and then imports the entry.
 */
function createWorker(data: WorkerStart): Worker {
  const underTsx = new URL(import.meta.url).pathname.endsWith('.ts');
  const entry = new URL(`./step-worker.${underTsx ? 'ts' : 'js'}`, import.meta.url);
  const options = { workerData: data, execArgv: process.execArgv };
  if (!underTsx) return new Worker(entry, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((e) => { throw e; });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

interface Pending {
  resolve: (r: WorkerResult) => void;
  reject: (e: Error) => void;
}

class PoolWorker {
  private pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private exited = false;
  /** version of the parameters this worker holds */
  paramsVersion = -1;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    private readonly onReady: (backend: string) => void,
    private readonly onStartFailure: (e: Error) => void,
  ) {
    worker.on('message', (msg: WorkerReply) => this.receive(msg));
    worker.on('error', (e: Error) => this.fail(new Error(`step worker ${index} failed: ${e.stack ?? e.message}`)));
    worker.on('messageerror', (e: Error) => this.fail(new Error(`step worker ${index}: unreadable message: ${e.message}`)));
    worker.on('exit', (code: number) => {
      this.exited = true;
      this.fail(new Error(`step worker ${index} exited (code ${code})`));
    });
  }

  private receive(msg: WorkerReply): void {
    if (msg.type === 'ready') {
      this.onReady(msg.backend);
      return;
    }
    if (msg.type === 'error' && msg.id === -1) {
      this.fail(new Error(`step worker ${this.index} could not start: ${msg.message}`));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new Error(`step worker ${this.index} failed: ${msg.message}`));
    else p.resolve(msg.result);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.onStartFailure(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  run(req: WorkerRequest): Promise<WorkerResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<WorkerResult>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      // the request's own copies of configurations and parameters move to the worker
      const transfer = new Set<ArrayBuffer>();
      const task = req.task;
      if (task.kind === 'energies') transfer.add(task.configs.buffer as ArrayBuffer);
      if (task.kind === 'products') for (const b of task.blocks) if (b) transfer.add(b.buffer as ArrayBuffer);
      for (const p of req.params ?? []) transfer.add(p.values.buffer as ArrayBuffer);
      this.worker.postMessage(req, [...transfer]);
    });
  }

  async terminate(): Promise<void> {
    // closing is not a failure of the pending work's caller: mark it so that 'exit' stays quiet
    if (!this.failure) this.failure = new Error(`step worker ${this.index} was closed`);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    if (!this.exited) await this.worker.terminate();
  }
}

export class StepPool implements StepThreads {
  private nextId = 0;
  private closed = false;
  private version = 0;
  private params: Params | null = null;

  private constructor(
    private readonly h: CompiledHamiltonian,
    private readonly wf: Wavefunction,
    private readonly workers: PoolWorker[],
    readonly maxConnected: number | undefined,
  ) {}

  /** number of threads that share the work: the workers plus the main thread */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads − 1` workers for the resolved configuration `config`, sharing the work of `wf`
   * and `h` (this thread's); `backend` is the backend this thread uses (the workers must use the
   * same one for identical numbers).
   */
  static async start(
    config: ExperimentConfig, threads: number, backend: string, h: CompiledHamiltonian, wf: Wavefunction, opts: PoolOptions = {},
  ): Promise<StepPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`a step pool needs an integer number of threads ≥ 1, got ${threads}`);
    const data: WorkerStart = {
      config: { ...config, backend: backend as ExperimentConfig['backend'] },
      maxConnected: opts.maxConnected,
    };
    const started: Promise<void>[] = [];
    const workers: PoolWorker[] = [];
    const pool = new StepPool(h, wf, workers, opts.maxConnected);
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
          b === backend ? ready() : failed(new Error(`step worker ${k} runs backend "${b}", the main thread "${backend}"`));
        workers.push(new PoolWorker(k, createWorker(data), onReady, failed));
      }
      await Promise.all(started);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  parametersChanged(): void {
    this.version += 1;
    this.params = null;
  }

  /** A request for worker `w`, with the parameters if it does not hold the current ones. */
  private request(w: PoolWorker, task: WorkerTask): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(new Error('the step pool is closed'));
    let params: Params | undefined;
    if (w.paramsVersion !== this.version) {
      this.params ??= getParameters(this.wf).map((p) => ({ shape: p.shape, values: Float32Array.from(p.values) }));
      params = this.params.map((p) => ({ shape: p.shape, values: p.values.slice() }));
      w.paramsVersion = this.version;
    }
    return w.run({ id: this.nextId++, params, task });
  }

  /**
   * Runs `parts[k]` on worker k (k < K−1) and the last part on this thread; resolves with the
   * results in part order. If this thread's part throws, the workers' replies are still awaited
   * (and discarded) so that none is left unhandled.
   */
  private async spread(parts: WorkerTask[]): Promise<WorkerResult[]> {
    if (this.closed) throw new Error('the step pool is closed');
    const jobs = this.workers.map((w, k) => this.request(w, parts[k]));
    let mine: WorkerResult;
    try {
      mine = runTask(this.h, this.wf, parts[parts.length - 1], this.maxConnected);
    } catch (e) {
      await Promise.allSettled(jobs);
      throw e;
    }
    return [...(await Promise.all(jobs)), mine];
  }

  async sample(shards: SampleShard[]): Promise<Uint8Array[]> {
    const b = sliceBounds(shards.length, this.threads);
    const parts = Array.from({ length: this.threads }, (_, k): WorkerTask => ({ kind: 'sample', shards: shards.slice(b[k], b[k + 1]) }));
    const results = await this.spread(parts);
    return results.flatMap((r) => (r.kind === 'sample' ? r.samples : []));
  }

  async localEnergies(configs: Uint8Array, count: number): Promise<LocalEnergies> {
    const N = this.h.nSites;
    const b = sliceBounds(count, this.threads);
    const parts: WorkerTask[] = [];
    for (let k = 0; k < this.threads; k++) {
      // workers get their own copy (it is transferred); this thread reads a view
      const slice = k < this.threads - 1 ? configs.slice(b[k] * N, b[k + 1] * N) : configs.subarray(b[k] * N, b[k + 1] * N);
      parts.push({ kind: 'energies', configs: slice, count: b[k + 1] - b[k] });
    }
    const results = await this.spread(parts);
    const re = new Float64Array(count);
    const im = new Float64Array(count);
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    results.forEach((r, k) => {
      if (r.kind !== 'energies') throw new Error(`step pool: expected energies, got ${r.kind}`);
      const e = r.energies;
      re.set(e.re, b[k]);
      im.set(e.im, b[k]);
      logAmp.set(e.logPsi.logAmp, b[k]);
      phase.set(e.logPsi.phase, b[k]);
    });
    return { re, im, logPsi: { logAmp, phase } };
  }

  async gradients(shards: GradientShard[]): Promise<Float32Array[][]> {
    const b = sliceBounds(shards.length, this.threads);
    const parts: WorkerTask[] = [];
    for (let k = 0; k < this.threads; k++) parts.push({ kind: 'gradients', shards: shards.slice(b[k], b[k + 1]) });
    const results = await this.spread(parts);
    return results.flatMap((r) => (r.kind === 'gradients' ? r.gradients : []));
  }

  async logDerivatives(shards: DerivativeShard[]): Promise<ShardDerivatives[]> {
    const b = sliceBounds(shards.length, this.threads);
    const parts: WorkerTask[] = [];
    for (let k = 0; k < this.threads; k++) parts.push({ kind: 'logDerivatives', shards: shards.slice(b[k], b[k + 1]) });
    const results = await this.spread(parts);
    return results.flatMap((r) => (r.kind === 'logDerivatives' ? r.derivatives : []));
  }

  /**
   * Block products (minSR's Gram matrix): the pairs in K contiguous groups of about equal work
   * (rows_i·rows_j each), workers first; each worker is sent only the blocks its pairs use.
   */
  async products(blocks: Float32Array[], cols: number, pairs: [number, number][]): Promise<Float32Array[]> {
    const cost = pairs.map(([i, j]) => blocks[i].length * blocks[j].length);
    const total = cost.reduce((a, b) => a + b, 0);
    const parts: WorkerTask[] = [];
    let p = 0;
    let done = 0;
    for (let k = 0; k < this.threads; k++) {
      const from = p;
      const target = (total * (k + 1)) / this.threads;
      while (p < pairs.length && (k === this.threads - 1 || done + cost[p] / 2 <= target)) done += cost[p++];
      const mine = pairs.slice(from, p);
      const used = new Set(mine.flat());
      // workers get copies of the blocks they need; this thread reads them in place
      const sent = blocks.map((b, i) => (used.has(i) ? (k < this.threads - 1 ? b.slice() : b) : null));
      parts.push({ kind: 'products', blocks: sent, cols, pairs: mine });
    }
    const results = await this.spread(parts);
    return results.flatMap((r) => (r.kind === 'products' ? r.products : []));
  }

  /** Live tensors in each thread, workers first (leak checks). */
  async tensorCounts(): Promise<number[]> {
    const results = await this.spread(Array.from({ length: this.threads }, (): WorkerTask => ({ kind: 'memory' })));
    return results.map((r) => (r.kind === 'memory' ? r.tensors : NaN));
  }

  /** Terminates the workers; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
