/**
 * The wavefunction contract shared by every ansatz.
 *
 * ψ(x) = exp(logAmp(x) + i·phase(x)); both parts are real tensors (tfjs has no usable complex
 * dtype on the wasm backend). Configurations are bits x_s ∈ {0,1} with σ_s = 2x_s − 1, passed
 * to networks as a float32 tensor [B, N] in the lattice's natural site order; an ansatz that
 * walks its own path (snake, custom order) permutes internally.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import type { Connections } from '../hamiltonian/types.js';

export interface LogPsi {
  logAmp: tf.Tensor1D;
  phase: tf.Tensor1D;
}

export interface HostLogPsi {
  logAmp: Float64Array;
  phase: Float64Array;
}

/**
 * log ψ of connected configurations; `parents` (optional): log ψ of the parents where the pass
 * computed them anyway (NaN where it did not), equal to `evaluate` of the parents.
 */
export interface ConnectedLogPsi extends HostLogPsi {
  parents?: HostLogPsi;
}

export interface Wavefunction {
  /** 'rnn', 'rnn2d', 'rbm', 'flow' */
  readonly kind: string;
  readonly nSites: number;
  /** trainable variables, in a fixed order (checkpoints and optimizers rely on it) */
  readonly variables: tf.Variable[];
  /** true when ψ is normalised by construction (autoregressive) */
  readonly normalized: boolean;

  /** Differentiable log ψ of a batch of configurations [B, N] (float32 bits). */
  logPsi(configs: tf.Tensor2D): LogPsi;

  /** log ψ without gradients for `count` configurations stored as count·N bits; chunked. */
  evaluate(configs: Uint8Array, count: number): HostLogPsi;

  /**
   * Optional faster evaluation of the connected configurations of parents `parents`
   * (count·N bits), e.g. by reusing an RNN's hidden states along the shared prefix.
   * Must equal `evaluate(conn.configs, K)`.
   */
  evaluateConnected?(parents: Uint8Array, conn: Connections): ConnectedLogPsi;

  /**
   * true when `evaluateConnected` gives every configuration (and the parents it returns) exactly
   * the bits `evaluate` gives it, whichever parent it comes from (the RNNs: a row's arithmetic
   * does not depend on its batch). Only then may callers reuse a value computed for another
   * parent or by `evaluate` (vmc/connected.ts) without making the numbers depend on how the
   * parents were split, e.g. over threads. The RBM's θ tables and the LRU's corrections update
   * from the parent, so their values differ from `evaluate` in the last bits.
   */
  readonly connectedExact?: boolean;

  /**
   * Optional (symmetrised states, ansatz/symmetric.ts): every configuration mapped to a fixed
   * member of its orbit under a group G with ψ(g x) = c·ψ(x), c a constant of modulus 1 on each
   * S^z sector; for a Hamiltonian that commutes with G the local energy and ∂ log ψ are then the
   * same on the whole orbit, so the driver evaluates each orbit once.
   */
  orbitRepresentatives?(configs: Uint8Array, count: number): Uint8Array;

  /** Exact independent samples (autoregressive ansätze only): count·N bits. */
  sample?(count: number, rng: Rng): Uint8Array;

  /** Everything needed to rebuild this ansatz (without its weights), for config and checkpoints. */
  spec(): Record<string, unknown>;

  dispose(): void;
}

export function parameterCount(wf: Wavefunction): number {
  return wf.variables.reduce((n, v) => n + v.size, 0);
}

export interface ParameterTensor {
  name: string;
  shape: number[];
  values: ArrayLike<number>;
}

/** The variables as plain arrays (exact float32 values), in the ansatz's variable order. */
export function getParameters(wf: Wavefunction): ParameterTensor[] {
  return wf.variables.map((v, k) => ({ name: `p${k}`, shape: [...v.shape], values: Array.from(v.dataSync()) }));
}

/** Assigns parameters saved by `getParameters`; throws when count or shapes differ. */
export function setParameters(wf: Wavefunction, params: readonly { shape: number[]; values: ArrayLike<number> }[]): void {
  if (params.length !== wf.variables.length) {
    throw new Error(`checkpoint has ${params.length} parameter tensors, the ${wf.kind} ansatz has ${wf.variables.length}`);
  }
  params.forEach((p, k) => {
    const v = wf.variables[k];
    if (p.shape.join('x') !== v.shape.join('x')) {
      throw new Error(`checkpoint parameter ${k} has shape [${p.shape}], the ${wf.kind} ansatz expects [${v.shape}]`);
    }
  });
  tf.tidy(() => {
    params.forEach((p, k) => wf.variables[k].assign(tf.tensor(Array.from(p.values), wf.variables[k].shape, 'float32')));
  });
}
