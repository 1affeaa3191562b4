/**
 * Worker-thread entry of the local-energy pool (local-energy-pool.ts). At start-up it builds its
 * own tfjs backend, compiled Hamiltonian and wavefunction from the run's resolved configuration;
 * then, for each request, it assigns the parameters it is sent and returns the local energies of
 * its slice of distinct configurations.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setParameters, type Wavefunction } from '../ansatz/wavefunction.js';
import { initBackend } from '../backend.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { Rng } from '../rng.js';
import { buildModel, buildWavefunction } from '../run/build.js';
import type { ExperimentConfig } from '../run/experiment.js';
import { localEnergies } from './local-energy.js';
import type { WorkerReply, WorkerRequest, WorkerStart } from './local-energy-pool.js';

const port = parentPort;
if (!port) throw new Error('local-energy-worker.ts must run in a worker thread');

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function start(data: WorkerStart): Promise<{ h: CompiledHamiltonian; wf: Wavefunction; backend: string }> {
  const cfg: ExperimentConfig = data.config;
  const backend = await initBackend(cfg.backend);
  const parts = buildModel(cfg);
  // the initial values do not matter: every request carries the parameters
  const wf = buildWavefunction(cfg, parts, new Rng(`${cfg.seed}:init`));
  return { h: parts.hamiltonian, wf, backend };
}

start(workerData as WorkerStart).then(
  ({ h, wf, backend }) => {
    port.on('message', (req: WorkerRequest) => {
      let reply: WorkerReply;
      const transfer: ArrayBuffer[] = [];
      try {
        setParameters(wf, req.params);
        const e = localEnergies(h, wf, req.configs, req.count, { maxConnected: (workerData as WorkerStart).maxConnected });
        reply = { type: 'result', id: req.id, re: e.re, im: e.im, logAmp: e.logPsi.logAmp, phase: e.logPsi.phase };
        // four freshly allocated arrays, each with its own buffer
        for (const a of [e.re, e.im, e.logPsi.logAmp, e.logPsi.phase]) transfer.push(a.buffer as ArrayBuffer);
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
