/**
 * The sample-space Gram matrix T = Z Zᵀ of minSR (sr.ts) as products of row blocks, so that the
 * products — the O(rows²·P) part of a minSR step — can be spread over the step's threads
 * (vmc/threads.ts, run/step-pool.ts): Z [R, P] is cut into GRAM_BLOCKS row blocks Z_i and only
 * the lower block triangle T_ij = Z_i Z_jᵀ (j ≤ i) is formed, (b + 1)/(2b) of the full product.
 * Each product is one float32 tfjs matMul whose result does not depend on the thread that runs
 * it, so T does not depend on the number of threads.
 */
import * as tf from '@tensorflow/tfjs';
import { sliceBounds } from '../sampler/sampler.js';

/**
 * Row blocks of Z. Measured (rows 1000, P = 8052, loaded 2-core machine, CPU seconds): one full
 * product 2.2–2.3 s, 4 blocks 1.3–1.7 s, 8 blocks 0.94–1.12 s.
 */
export const GRAM_BLOCKS = 8;

/** Z_i Z_jᵀ for each pair (i, j) of row blocks of `cols` columns (row-major float32); null blocks are not needed. */
export function blockProducts(blocks: (Float32Array | null)[], cols: number, pairs: [number, number][]): Float32Array[] {
  const tensors = new Map<number, tf.Tensor2D>();
  const transposed = new Map<number, tf.Tensor2D>();
  const get = (i: number): tf.Tensor2D => {
    let t = tensors.get(i);
    if (!t) {
      const b = blocks[i];
      if (!b) throw new Error(`gram: block ${i} was not sent`);
      t = tf.tensor2d(b, [b.length / cols, cols]);
      tensors.set(i, t);
    }
    return t;
  };
  try {
    return pairs.map(([i, j]) => {
      let right = transposed.get(j);
      if (!right) {
        right = tf.transpose(get(j));
        transposed.set(j, right);
      }
      const t = tf.matMul(get(i), right);
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    });
  } finally {
    tf.dispose([...tensors.values(), ...transposed.values()]);
  }
}

/** Computes the products of some pairs, possibly on other threads (results in pair order). */
export type BlockProducts = (blocks: Float32Array[], cols: number, pairs: [number, number][]) => Promise<Float32Array[]>;

/** The row blocks of Z [R, P] and the pairs of the lower block triangle. */
export function gramPlan(Z: Float32Array, R: number, P: number): { bounds: number[]; blocks: Float32Array[]; pairs: [number, number][] } {
  const bounds = sliceBounds(R, Math.min(GRAM_BLOCKS, R));
  const blocks = bounds.slice(1).map((end, i) => Z.subarray(bounds[i] * P, end * P));
  const pairs: [number, number][] = [];
  // row-major: a leading group of pairs (a worker's, run/step-pool.ts) needs only the leading blocks
  for (let i = 0; i < blocks.length; i++) for (let j = 0; j <= i; j++) pairs.push([i, j]);
  return { bounds, blocks, pairs };
}

/** T [R, R] (float64; lower triangle and diagonal) from the products of `gramPlan`'s pairs. */
export function assembleGram(R: number, bounds: number[], pairs: [number, number][], products: Float32Array[]): Float64Array {
  const T = new Float64Array(R * R);
  pairs.forEach(([i, j], p) => {
    const v = products[p];
    const w = bounds[j + 1] - bounds[j];
    for (let r = bounds[i]; r < bounds[i + 1]; r++) {
      const src = (r - bounds[i]) * w;
      for (let q = 0; q < w; q++) T[r * R + bounds[j] + q] = v[src + q];
    }
  });
  return T;
}
