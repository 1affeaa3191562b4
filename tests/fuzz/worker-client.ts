/**
 * The test-thread side of tests/fuzz/loader-worker.ts: sends one job at a time and waits at most
 * `timeoutMs` for the reply; a worker that does not answer in time is terminated (and replaced
 * for the next job), and the case is reported as a timeout.
 */
import { Worker } from 'node:worker_threads';
import type { FuzzJob, FuzzResult } from './loader-worker.js';

export type FuzzOutcome = FuzzResult | { status: 'timeout'; ms: number };

/** Node 20 does not pass tsx's loader hooks to workers: register tsx inside, then import the .ts entry. */
function startWorker(): Worker {
  const entry = new URL('./loader-worker.ts', import.meta.url);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}

export class FuzzClient {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;

  private ensure(): Promise<void> {
    if (this.worker && this.ready) return this.ready;
    const w = startWorker();
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    return this.ready;
  }

  async run(job: FuzzJob, timeoutMs: number): Promise<FuzzOutcome> {
    await this.ensure();
    const w = this.worker!;
    const t0 = performance.now();
    return new Promise<FuzzOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        w.off('message', onMessage);
        w.off('error', onError);
        void w.terminate();
        this.worker = null;
        this.ready = null;
        resolve({ status: 'timeout', ms: performance.now() - t0 });
      }, timeoutMs);
      const onMessage = (r: FuzzResult): void => {
        clearTimeout(timer);
        w.off('error', onError);
        resolve(r);
      };
      const onError = (e: Error): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        this.worker = null;
        this.ready = null;
        reject(e);
      };
      w.once('message', onMessage);
      w.once('error', onError);
      w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    if (this.worker) await this.worker.terminate();
    this.worker = null;
    this.ready = null;
  }
}
