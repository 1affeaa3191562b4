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

/**
 * The row blocks of Z = [Z_0; Z_1; …] (the parts stacked, each [rows, P] row-major: e.g. the real
 * and the imaginary rows of O, which live in two arrays), GRAM_BLOCKS in all with no block across
 * two parts, and the pairs of the lower block triangle. `partStarts`: the first row of each part,
 * then the total R.
 */
export function gramPlan(
  parts: Float32Array[], P: number,
): { bounds: number[]; blocks: Float32Array[]; pairs: [number, number][]; partStarts: number[] } {
  const bounds: number[] = [0];
  const blocks: Float32Array[] = [];
  const partStarts: number[] = [0];
  const per = Math.max(1, Math.round(GRAM_BLOCKS / parts.length));
  for (const Z of parts) {
    const rows = Z.length / P;
    const start = partStarts[partStarts.length - 1];
    const b = sliceBounds(rows, Math.min(per, rows));
    for (let i = 0; i + 1 < b.length; i++) {
      if (b[i + 1] === b[i]) continue;
      blocks.push(Z.subarray(b[i] * P, b[i + 1] * P));
      bounds.push(start + b[i + 1]);
    }
    partStarts.push(start + rows);
  }
  const pairs: [number, number][] = [];
  // row-major: a leading group of pairs (a worker's, run/step-pool.ts) needs only the leading blocks
  for (let i = 0; i < blocks.length; i++) for (let j = 0; j <= i; j++) pairs.push([i, j]);
  return { bounds, blocks, pairs, partStarts };
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

/**
 * T = Y Yᵀ, Y_r = sqrt(ŵ_r)(X_r − m_part(r)), from the products G = X Xᵀ of the raw rows X
 * (`gramPlan`'s pairs; lower triangle): each part p (rows partStarts[p]..) is centred by its own
 * weighted mean m_p = Σ_{q∈p} ŵ_q X_q, so with g_r^p = X_r·m_p = Σ_{q∈p} ŵ_q G_rq and
 * μ^{pp'} = m_p·m_p' = Σ_{r∈p} ŵ_r g_r^p',
 *   T_rs = sqrt(ŵ_r ŵ_s)(G_rs − g_r^p(s) − g_s^p(r) + μ^p(r)p(s)).
 * That is T = C G Cᵀ for the float32 G as it came: positive semi-definite like G, a centring of the
 * products rather than of the rows — the pass that wrote a centred float32 copy of O for the
 * products (the means subtracted, 40–100 ms at 1000 × 8052 on one thread) is not needed. The
 * rounding of G is relative to |X_r||X_s| instead of |Y_r||Y_s|; T serves as a preconditioner
 * (sr.ts), whose CG on the float64 system absorbs it.
 */
export function centredGram(
  R: number, bounds: number[], pairs: [number, number][], products: Float32Array[], rowWeight: Float64Array, partStarts: number[],
): Float64Array {
  const G = assembleGram(R, bounds, pairs, products);
  const nP = partStarts.length - 1;
  const part = new Int32Array(R);
  for (let p = 0; p < nP; p++) part.fill(p, partStarts[p], partStarts[p + 1]);
  // g[r·nP + p] = Σ_{q∈p} ŵ_q G_rq over the whole symmetric G, read from its lower triangle
  const g = new Float64Array(R * nP);
  for (let r = 0; r < R; r++) {
    const row = r * R;
    const pr = part[r];
    const wr = rowWeight[r];
    for (let q = 0; q < r; q++) {
      const v = G[row + q];
      g[r * nP + part[q]] += rowWeight[q] * v;
      g[q * nP + pr] += wr * v;
    }
    g[r * nP + pr] += wr * G[row + r];
  }
  const mu = new Float64Array(nP * nP);
  for (let r = 0; r < R; r++) for (let p = 0; p < nP; p++) mu[part[r] * nP + p] += rowWeight[r] * g[r * nP + p];
  const sw = rowWeight.map(Math.sqrt);
  for (let r = 0; r < R; r++) {
    const row = r * R;
    const pr = part[r];
    for (let s = 0; s <= r; s++) {
      const ps = part[s];
      G[row + s] = sw[r] * sw[s] * (G[row + s] - g[r * nP + ps] - g[s * nP + pr] + mu[pr * nP + ps]);
    }
  }
  return G;
}
