/** Per-sample log-derivatives by plain tfjs autodiff, one configuration at a time (a test reference, not a test file). */
import * as tf from '@tensorflow/tfjs';
import type { LogDerivatives } from '../../src/ansatz/log-derivatives.js';
import { parameterCount, type Wavefunction } from '../../src/ansatz/wavefunction.js';

/**
 * O rows by tf.variableGrads of one configuration's logAmp and phase. The configuration is passed
 * twice with weights (1, 0): the LRU's gradient at batch size 1 corrupts the wasm heap (tfjs-wasm
 * 4.22; batch 2 is fine).
 */
export function autodiffLogDerivatives(wf: Wavefunction, configs: Uint8Array, count: number): { re: Float64Array; im: Float64Array } & LogDerivatives {
  const N = wf.nSites;
  const P = parameterCount(wf);
  const re = new Float64Array(count * P);
  const im = new Float64Array(count * P);
  for (let b = 0; b < count; b++) {
    tf.tidy(() => {
      const row = Array.from(configs.subarray(b * N, (b + 1) * N));
      const x = tf.tensor2d([...row, ...row], [2, N]);
      const w = tf.tensor1d([1, 0]);
      for (const part of ['logAmp', 'phase'] as const) {
        const { grads } = tf.variableGrads(() => {
          const lp = wf.logPsi(x);
          // 0·other keeps every variable connected (a positive ansatz has a constant phase)
          const other = part === 'logAmp' ? lp.phase : lp.logAmp;
          return tf.add(tf.sum(tf.mul(lp[part], w)), tf.mul(tf.sum(other), 0)) as tf.Scalar;
        }, wf.variables);
        let off = b * P;
        for (const v of wf.variables) {
          const g = grads[v.name];
          if (g) (part === 'logAmp' ? re : im).set(g.dataSync() as Float32Array, off);
          off += v.size;
        }
      }
    });
  }
  return { re, im, nParams: P };
}
