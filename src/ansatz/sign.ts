/**
 * Marshall sign rule for bipartite lattices: ψ(x) → (−1)^{N_A↑(x)} ψ(x), with N_A↑ the number of
 * up spins on sublattice A. It turns the antiferromagnetic Heisenberg ground state (whose
 * amplitudes in the σ^z basis alternate in sign) into one a positive ansatz can represent
 * (Marshall 1955; used by Hibat-Allah et al. 2020, Sec. IV). Applied as a fixed, parameter-free
 * phase π·N_A↑(x), so it contributes nothing to the gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { Connections } from '../hamiltonian/types.js';
import type { Lattice } from '../lattice/lattice.js';
import type { Rng } from '../rng.js';
import type { ConnectedLogPsi, HostLogPsi, LogPsi, Wavefunction } from './wavefunction.js';
import { hasAnalyticLogDerivatives, type LogDerivatives } from './log-derivatives.js';

export type SignRule = 'none' | 'marshall';

export function withSignRule(wf: Wavefunction, rule: SignRule, lattice: Lattice): Wavefunction {
  if (rule === 'none') return wf;
  if (rule !== 'marshall') throw new Error(`unknown sign rule "${String(rule)}" (expected none or marshall)`);
  if (!lattice.bipartite) {
    throw new Error(`the Marshall sign needs a bipartite lattice; ${lattice.describe()} is not`);
  }
  return new MarshallSign(wf, lattice.sublattice);
}

class MarshallSign implements Wavefunction {
  readonly kind: string;
  readonly nSites: number;
  readonly variables: tf.Variable[];
  readonly normalized: boolean;
  readonly connectedExact?: boolean;
  readonly sample?: (count: number, rng: Rng) => Uint8Array;
  readonly orbitRepresentatives?: (configs: Uint8Array, count: number) => Uint8Array;
  readonly evaluateConnected?: (parents: Uint8Array, conn: Connections) => ConnectedLogPsi;
  /** the sign is parameter-free: the inner ansatz's O_k */
  readonly logDerivatives?: (configs: Uint8Array, count: number) => LogDerivatives;
  private readonly onA: number[];
  private readonly maskA: tf.Tensor2D;

  constructor(
    readonly inner: Wavefunction,
    sublattice: Uint8Array,
  ) {
    this.kind = inner.kind;
    this.nSites = inner.nSites;
    this.variables = inner.variables;
    this.normalized = inner.normalized;
    this.connectedExact = inner.connectedExact;
    this.onA = [];
    for (let s = 0; s < sublattice.length; s++) if (sublattice[s] === 0) this.onA.push(s);
    this.maskA = tf.tensor2d(Array.from(sublattice, (b) => (b === 0 ? Math.PI : 0)), [sublattice.length, 1]);
    if (inner.sample) this.sample = (count, rng) => inner.sample!(count, rng);
    // the sign changes by a constant on each S^z sector under the lattice symmetries (run/symmetry.ts)
    if (inner.orbitRepresentatives) this.orbitRepresentatives = (configs, count) => inner.orbitRepresentatives!(configs, count);
    if (hasAnalyticLogDerivatives(inner)) this.logDerivatives = (configs, count) => inner.logDerivatives(configs, count);
    if (inner.evaluateConnected) {
      this.evaluateConnected = (parents, conn) => {
        const r = inner.evaluateConnected!(parents, conn);
        // the parents' values the pass returns carry the sign too (NaN entries stay NaN)
        if (r.parents) this.addSign(r.parents, parents, conn.count);
        return this.addSign(r, conn.configs, conn.offsets[conn.count]);
      };
    }
  }

  logPsi(configs: tf.Tensor2D): LogPsi {
    const { logAmp, phase } = this.inner.logPsi(configs);
    const signed = tf.tidy(() => phase.add(tf.matMul(configs, this.maskA).reshape([-1])) as tf.Tensor1D);
    phase.dispose();
    return { logAmp, phase: signed };
  }

  evaluate(configs: Uint8Array, count: number): HostLogPsi {
    return this.addSign(this.inner.evaluate(configs, count), configs, count);
  }

  spec(): Record<string, unknown> {
    return { ...this.inner.spec(), sign: 'marshall' };
  }

  dispose(): void {
    this.maskA.dispose();
    this.inner.dispose();
  }

  private addSign<R extends HostLogPsi>(r: R, configs: Uint8Array, count: number): R {
    const N = this.nSites;
    for (let b = 0; b < count; b++) {
      let up = 0;
      for (const s of this.onA) up += configs[b * N + s];
      if (up & 1) r.phase[b] += Math.PI;
    }
    return r;
  }
}
