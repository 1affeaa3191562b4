/**
 * Worker-thread entry of the step pool (step-pool.ts). At start-up it builds its own tfjs
 * backend, compiled Hamiltonian and wavefunction from the run's resolved configuration; then,
 * for each request, it assigns the parameters it is sent (if any) and runs the task: samples of
 * some shards, local energies of a slice of configurations, or gradients of some shards.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setParameters, type Wavefunction } from '../ansatz/wavefunction.js';
import { initBackend } from '../backend.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { Rng } from '../rng.js';
import { buildModel, buildWavefunction } from './build.js';
import type { ExperimentConfig } from './experiment.js';
import { runTask } from '../vmc/threads.js';
import { resultBuffers, type WorkerReply, type WorkerRequest, type WorkerStart } from './step-pool.js';

const port = parentPort;
if (!port) throw new Error('step-worker.ts must run in a worker thread');

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function start(data: WorkerStart): Promise<{ h: CompiledHamiltonian; wf: Wavefunction; backend: string }> {
  const cfg: ExperimentConfig = data.config;
  const backend = await initBackend(cfg.backend);
  const parts = buildModel(cfg);
  // the initial values do not matter: the first request carries the parameters
  const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
  return { h: parts.hamiltonian, wf, backend };
}

start(workerData as WorkerStart).then(
  ({ h, wf, backend }) => {
    const maxConnected = (workerData as WorkerStart).maxConnected;
    port.on('message', (req: WorkerRequest) => {
      let reply: WorkerReply;
      let transfer: ArrayBuffer[] = [];
      try {
        if (req.params) setParameters(wf, req.params);
        const result = runTask(h, wf, req.task, maxConnected);
        reply = { type: 'result', id: req.id, result };
        transfer = resultBuffers(result);
      } catch (err) {
        reply = { type: 'error', id: req.id, message: describe(err) };
      }
      port.postMessage(reply, transfer);
    });
    port.postMessage({ type: 'ready', backend } satisfies WorkerReply);
  },
  (err: unknown) => {
    port.postMessage({ type: 'error', id: -1, message: describe(err) } satisfies WorkerReply);
  },
);
