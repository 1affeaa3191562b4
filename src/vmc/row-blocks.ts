/**
 * The centred rows of O as blocks of samples, and the products stochastic reconfiguration needs
 * from them (sr.ts): Y_r = sqrt(w_s)(O_s − ⟨O⟩), real rows then imaginary rows, applied from the
 * rows of O as they are (the mean enters as one extra term), so no centred copy is ever made.
 *
 * Parameter-space SR solves (S + λD)δ = F by conjugate gradients with S·v = Σ_b Y_bᵀ(Y_b v) over
 * ROW_BLOCKS fixed blocks of samples, each block's product summed in block order. The blocks do
 * not depend on the number of threads, so neither does δ; with several threads each keeps a copy
 * of its blocks for the whole solve and returns its partial products once per CG iteration
 * (vmc/threads.ts, run/step-pool.ts). Measured on the idle 2-core machine (quickstart GRU,
 * M = 1000, P = 8052): the CG solve took 0.51–0.84 s on one thread.
 *
 * Sums are float64; the inner loops are unrolled (four partial sums per dot product, two rows per
 * axpy), which keeps them bound by reading the rows.
 */
import { sliceBounds } from '../sampler/sampler.js';

export const ROW_BLOCKS = 8;

/** Samples of one block: their rows of O (row-major, P columns), sqrt weights, and the means. */
export interface RowBlock {
  P: number;
  /** count · P real parts */
  re: Float32Array | Float64Array;
  /** count · P imaginary parts, or null when Im O has no rows (constant over the samples) */
  im: Float32Array | Float64Array | null;
  /** sqrt(w_s / W) of the block's samples */
  sw: Float64Array;
  /** ⟨Re O⟩ and ⟨Im O⟩ over all samples */
  mRe: Float64Array;
  mIm: Float64Array;
}

function parts(b: RowBlock): [Float32Array | Float64Array, Float64Array][] {
  return b.im ? [[b.re, b.mRe], [b.im, b.mIm]] : [[b.re, b.mRe]];
}

/** out = Y_b v: the block's real rows, then its imaginary rows. */
export function rowTimes(b: RowBlock, v: Float64Array, out: Float64Array): void {
  const { P, sw } = b;
  const n = sw.length;
  parts(b).forEach(([X, m], q) => {
    let mv = 0;
    for (let k = 0; k < P; k++) mv += m[k] * v[k];
    for (let s = 0; s < n; s++) {
      const o = s * P;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0; // prettier-ignore
      let k = 0;
      for (; k + 3 < P; k += 4) {
        c0 += X[o + k] * v[k];
        c1 += X[o + k + 1] * v[k + 1];
        c2 += X[o + k + 2] * v[k + 2];
        c3 += X[o + k + 3] * v[k + 3];
      }
      for (; k < P; k++) c0 += X[o + k] * v[k];
      out[q * n + s] = sw[s] * (c0 + c1 + (c2 + c3) - mv);
    }
  });
}

/** out = Y_bᵀ a (a: the block's real rows, then its imaginary rows). */
export function rowTransposeTimes(b: RowBlock, a: Float64Array, out: Float64Array): void {
  const { P, sw } = b;
  const n = sw.length;
  out.fill(0);
  parts(b).forEach(([X, m], q) => {
    let sum = 0;
    let s = 0;
    for (; s + 1 < n; s += 2) {
      const a0 = a[q * n + s] * sw[s];
      const a1 = a[q * n + s + 1] * sw[s + 1];
      sum += a0 + a1;
      const o = s * P;
      const o1 = o + P;
      for (let k = 0; k < P; k++) out[k] += X[o + k] * a0 + X[o1 + k] * a1;
    }
    if (s < n) {
      const a0 = a[q * n + s] * sw[s];
      sum += a0;
      const o = s * P;
      for (let k = 0; k < P; k++) out[k] += X[o + k] * a0;
    }
    for (let k = 0; k < P; k++) out[k] -= sum * m[k];
  });
}

/** Y_bᵀ(Y_b v): the block's share of S·v. */
export function rowBlockProduct(b: RowBlock, v: Float64Array): Float64Array {
  const a = new Float64Array(b.sw.length * (b.im ? 2 : 1));
  rowTimes(b, v, a);
  const out = new Float64Array(b.P);
  rowTransposeTimes(b, a, out);
  return out;
}

/** The ROW_BLOCKS blocks of `all` (views, no copies). */
export function splitRows(all: RowBlock): RowBlock[] {
  const n = all.sw.length;
  const bounds = sliceBounds(n, Math.min(ROW_BLOCKS, n));
  const P = all.P;
  return bounds.slice(1).map((end, i) => ({
    P,
    re: all.re.subarray(bounds[i] * P, end * P),
    im: all.im ? all.im.subarray(bounds[i] * P, end * P) : null,
    sw: all.sw.subarray(bounds[i], end),
    mRe: all.mRe,
    mIm: all.mIm,
  }));
}

/** A block with its own arrays (a view would carry its whole buffer to another thread). */
export function copyRowBlock(b: RowBlock): RowBlock {
  return { P: b.P, re: b.re.slice(), im: b.im ? b.im.slice() : null, sw: b.sw.slice(), mRe: b.mRe, mIm: b.mIm };
}

/**
 * Computes rowBlockProduct(blocks[i], v) for every block, possibly on other threads, in block
 * order. `blocks` stays the same array for the whole solve, so a thread may keep the blocks it was
 * given the first time.
 */
export type RowProducts = (blocks: RowBlock[], v: Float64Array) => Promise<Float64Array[]>;
