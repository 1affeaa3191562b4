/**
 * Where the work of a VMC step runs. A step has three parallel phases, each a pure function of
 * the current parameters and its inputs (design notes, "Scale"):
 *   1. exact sampling, shard by shard (each shard has its own random stream);
 *   2. local energies of the distinct samples (ψ of a row does not depend on the other rows of
 *      its batch, so any split gives the same numbers);
 *   3. the energy gradient, shard by shard over a fixed split of the distinct samples, the shards'
 *      gradients summed in float64 in shard order (or, for stochastic reconfiguration, the
 *      per-sample log-derivatives O of the same shards, concatenated in shard order, and their
 *      weighted sums, added in shard order: sr-moments.ts).
 * Because the shards are fixed by the run (not by the number of threads), the numbers of a step
 * do not depend on how many threads share it. `InThread` runs everything on this thread; a
 * worker pool (run/step-pool.ts) implements the same interface over worker threads.
 */
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { sampleShard, type SampleShard } from '../sampler/sampler.js';
import { shardGradientValues, type GradientShard } from './gradient.js';
import { blockProducts } from './gram-blocks.js';
import { shardDerivatives, type DerivativeShard, type ShardDerivatives } from './log-derivative-shards.js';
import { logDerivatives } from './sr.js';
import { localEnergies, type LocalEnergies } from './local-energy.js';

export interface StepThreads {
  /** threads sharing the work (1: this thread only) */
  readonly threads: number;
  /** the wavefunction's parameters have changed: later calls must use the new ones */
  parametersChanged(): void;
  /** samples of each shard, in shard order */
  sample(shards: SampleShard[]): Promise<Uint8Array[]>;
  /** local energies (and log ψ) of `count` configurations, in order */
  localEnergies(configs: Uint8Array, count: number): Promise<LocalEnergies>;
  /** per shard, one float32 array per variable: ∂(surrogate of the shard)/∂θ */
  gradients(shards: GradientShard[]): Promise<Float32Array[][]>;
  /** per shard, O of its configurations (rows in order), with its SR sums when it has weights */
  logDerivatives(shards: DerivativeShard[]): Promise<ShardDerivatives[]>;
  /** Z_i Z_jᵀ for each pair of row blocks (gram-blocks.ts), in pair order */
  products(blocks: Float32Array[], cols: number, pairs: [number, number][]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** One piece of a step's work (what a worker thread is asked to do). */
export type WorkerTask =
  | { kind: 'sample'; shards: SampleShard[] }
  | { kind: 'energies'; configs: Uint8Array; count: number }
  | { kind: 'gradients'; shards: GradientShard[] }
  | { kind: 'logDerivatives'; shards: DerivativeShard[] }
  | { kind: 'products'; blocks: (Float32Array | null)[]; cols: number; pairs: [number, number][] }
  | { kind: 'memory' };

export type WorkerResult =
  | { kind: 'sample'; samples: Uint8Array[] }
  | { kind: 'energies'; energies: LocalEnergies }
  | { kind: 'gradients'; gradients: Float32Array[][] }
  | { kind: 'logDerivatives'; derivatives: ShardDerivatives[] }
  | { kind: 'products'; products: Float32Array[] }
  | { kind: 'memory'; tensors: number };

/** Runs one task on this thread with `wf` and `h` (workers and the main thread alike). */
export function runTask(h: CompiledHamiltonian, wf: Wavefunction, task: WorkerTask, maxConnected?: number): WorkerResult {
  switch (task.kind) {
    case 'sample':
      return { kind: 'sample', samples: task.shards.map((s) => sampleShard(wf, s)) };
    case 'energies':
      return { kind: 'energies', energies: localEnergies(h, wf, task.configs, task.count, { maxConnected }) };
    case 'gradients':
      return { kind: 'gradients', gradients: task.shards.map((s) => shardGradientValues(wf, s)) };
    case 'logDerivatives':
      return { kind: 'logDerivatives', derivatives: task.shards.map((s) => shardDerivatives(s, (c, n) => logDerivatives(wf, c, n))) };
    case 'products':
      return { kind: 'products', products: blockProducts(task.blocks, task.cols, task.pairs) };
    case 'memory':
      return { kind: 'memory', tensors: tf.memory().numTensors };
  }
}

/** All phases on the calling thread. */
export class InThread implements StepThreads {
  readonly threads = 1;
  constructor(
    private readonly h: CompiledHamiltonian,
    private readonly wf: Wavefunction,
    private readonly maxConnected?: number,
  ) {}

  parametersChanged(): void {}

  async sample(shards: SampleShard[]): Promise<Uint8Array[]> {
    return shards.map((s) => sampleShard(this.wf, s));
  }

  async localEnergies(configs: Uint8Array, count: number): Promise<LocalEnergies> {
    return localEnergies(this.h, this.wf, configs, count, { maxConnected: this.maxConnected });
  }

  async gradients(shards: GradientShard[]): Promise<Float32Array[][]> {
    return shards.map((s) => shardGradientValues(this.wf, s));
  }

  async logDerivatives(shards: DerivativeShard[]): Promise<ShardDerivatives[]> {
    return shards.map((s) => shardDerivatives(s, (c, n) => logDerivatives(this.wf, c, n)));
  }

  async products(blocks: Float32Array[], cols: number, pairs: [number, number][]): Promise<Float32Array[]> {
    return blockProducts(blocks, cols, pairs);
  }

  async close(): Promise<void> {}
}
