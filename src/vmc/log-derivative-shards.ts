/**
 * Per-sample log-derivatives O (stochastic reconfiguration) in fixed shards of the distinct
 * samples, like the energy gradient (gradient.ts): each shard's O rows are computed by whichever
 * thread takes it (vmc/threads.ts, run/step-pool.ts) and the rows are concatenated in shard order;
 * a shard given row weights also returns the weighted sums SR needs (sr-moments.ts), formed by the
 * same thread and added in shard order. A row of O is a function of its configuration and the
 * parameters only, and within a shard the chunking is fixed, so O, its sums — and the SR update
 * solved from them on the main thread — do not depend on the number of threads.
 */
import type { LogDerivatives } from '../ansatz/log-derivatives.js';
import { sliceBounds } from '../sampler/sampler.js';
import { rowMoments, type MomentWeights, type OMoments } from './sr-moments.js';

/** One slice of the distinct configurations whose O rows one thread computes. */
export interface DerivativeShard {
  /** count·N bits */
  configs: Uint8Array;
  count: number;
  /** row weights of the shard: its rows' SR sums (sr-moments.ts) are formed where its rows are */
  weights?: MomentWeights;
}

/** A shard's O rows and, when it had weights, their SR sums. */
export interface ShardDerivatives {
  O: LogDerivatives;
  moments: OMoments | null;
}

/** Splits `count` configurations into `parts` fixed slices (empty ones dropped), with their slices of `weights`. */
export function derivativeShards(configs: Uint8Array, count: number, nSites: number, parts: number, weights?: MomentWeights): DerivativeShard[] {
  const b = sliceBounds(count, parts);
  const out: DerivativeShard[] = [];
  for (let k = 0; k < parts; k++) {
    if (b[k + 1] <= b[k]) continue;
    const shard: DerivativeShard = { configs: configs.subarray(b[k] * nSites, b[k + 1] * nSites), count: b[k + 1] - b[k] };
    // own copies: a subarray would carry its whole buffer to a worker
    if (weights) shard.weights = { w: weights.w.slice(b[k], b[k + 1]), uRe: weights.uRe.slice(b[k], b[k + 1]), uIm: weights.uIm.slice(b[k], b[k + 1]) };
    out.push(shard);
  }
  return out;
}

/** O of one shard (`compute`), with its SR sums when the shard has weights. */
export function shardDerivatives(shard: DerivativeShard, compute: (configs: Uint8Array, count: number) => LogDerivatives): ShardDerivatives {
  const O = compute(shard.configs, shard.count);
  return { O, moments: shard.weights ? rowMoments(O, shard.weights) : null };
}

/** The shards' O rows in shard order, as one matrix (float32 when every shard is float32). */
export function concatLogDerivatives(parts: LogDerivatives[], nParams: number): LogDerivatives {
  if (parts.length === 1) return parts[0];
  const rows = parts.reduce((n, p) => n + p.re.length / nParams, 0);
  const hasIm = parts.some((p) => p.im.length > 0);
  const f32 = parts.every((p) => p.re instanceof Float32Array && (p.im.length === 0 || p.im instanceof Float32Array));
  const make = (n: number) => (f32 ? new Float32Array(n) : new Float64Array(n));
  const re = make(rows * nParams);
  const im = make(hasIm ? rows * nParams : 0);
  let off = 0;
  for (const p of parts) {
    if (p.nParams !== nParams) throw new Error(`log-derivatives of ${p.nParams} parameters in a step of ${nParams}`);
    re.set(p.re, off);
    if (hasIm && p.im.length > 0) im.set(p.im, off);
    off += p.re.length;
  }
  return { re, im, nParams };
}
