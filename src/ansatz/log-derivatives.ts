/**
 * Per-sample log-derivatives O_k(x) = ∂ log ψ(x)/∂θ_k of a whole batch in one pass, as an
 * [M, P] matrix (real part ∂ logAmp/∂θ_k, imaginary part ∂ phase/∂θ_k), for stochastic
 * reconfiguration (vmc/sr.ts).
 *
 * The samples of a batch are independent, so one backward pass of Σ_b logAmp(x_b) (or of
 * Σ_b phase(x_b)) carries, in every row of every cotangent, exactly that sample's own
 * derivative. The reduction over the batch happens only where a weight's gradient is formed:
 * for a product y = x·W the ordinary gradient is xᵀ·dy, summed over all rows (samples and, in a
 * recurrent network, positions). Not reducing over the samples there gives the per-sample
 * gradient O_b(W) = Σ_{rows r of sample b} x_r ⊗ dy_r — a batched outer product — at about the
 * cost of one ordinary gradient instead of one per sample (the idea behind per-example gradients
 * of Goodfellow, arXiv:1510.01799). This module holds the pieces every ansatz shares:
 *
 * - `PerSampleGradients` collects, for each effective weight of a pass (a "slot": a tensor the
 *   network multiplies with, such as a recurrent matrix, or the [3,H] input-plus-bias matrix the
 *   RNN derives from its variables), the (input, cotangent) pairs of its uses, and contracts them
 *   per sample: all uses of a slot as ONE product over the uses (`outerSums`);
 * - `Routing`, the sparse linear map (the Jacobian of the ansatz's `prepare`, evaluated at the
 *   current parameters) from the per-sample gradients of the slots to the variables' entries;
 * - `recordingOps`, matrix products (the `Ops` of rnn/common.ts) whose gradient records the pairs
 *   of registered slots and skips the weight reduction, for ansätze whose backward pass runs on
 *   the tfjs tape;
 * - `batchedLogDerivatives`, the chunked driver: samples in chunks whose size bounds memory.
 *
 * Measured choices (tfjs-wasm 4.22): 150 M multiply-adds of per-sample outer products (M = 1000,
 * N = 20, three 50×50 matrices) took 230–380 ms as batched matMuls against 620–740 ms as float64
 * loops on the host (loaded 2-core machine, rough). The batched matMul kernel (batch > 1) runs at
 * ~1.3–2 GFLOP/s, against ~10–20 for 2-D products, whatever the layout (transposeA, D·Xᵀ instead
 * of Xᵀ·D: within 20%); a depthwise convolution with the samples as channels computes the same
 * sums 3× faster (`outerSums`), and is what the slots use.
 */
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from './wavefunction.js';
import type { Ops } from './rnn/common.js';

export interface LogDerivatives {
  /** count × nParams, row-major: Re O_k(x_s) = ∂ log|ψ(x_s)| / ∂p_k */
  re: Float64Array | Float32Array;
  /**
   * count × nParams: Im O_k(x_s) = ∂ arg ψ(x_s) / ∂p_k; EMPTY (length 0) when the phase does not
   * depend on the parameters (a positive ansatz, possibly with a fixed sign): Im O ≡ 0
   */
  im: Float64Array | Float32Array;
  nParams: number;
}

export interface AnalyticLogDerivatives {
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives;
}

/** true when the ansatz computes its O_k itself (RBM analytically; rnn, rnn2d, lru, flow batched). */
export function hasAnalyticLogDerivatives(wf: Wavefunction): wf is Wavefunction & AnalyticLogDerivatives {
  return typeof (wf as Partial<AnalyticLogDerivatives>).logDerivatives === 'function';
}

type T2 = tf.Tensor2D;

interface Use {
  kind: 'outer' | 'sum' | 'diag';
  /** input rows (outer, diag); null for sum */
  x: T2 | null;
  dy: T2;
  /** rows per sample, sample-major (1: row b is sample b) */
  rows: number;
}

/**
 * The (input, cotangent) pairs of one backward pass, per slot, and their per-sample contraction.
 * Tensors handed in are cloned and kept, so the caller may dispose its own; `contract` or
 * `dispose` releases them.
 */
export class PerSampleGradients {
  private readonly uses = new Map<string, Use[]>();
  private readonly hostValues = new Map<string, Float32Array>();

  /** @param batch samples of the pass (B) */
  constructor(readonly batch: number) {}

  private add(slot: string, u: Use): void {
    const keep = (t: T2): T2 => tf.keep(t.clone());
    const list = this.uses.get(slot) ?? [];
    list.push({ ...u, x: u.x ? keep(u.x) : null, dy: keep(u.dy) });
    this.uses.set(slot, list);
  }

  /** A use of a weight matrix y = x·W: per-sample gradient Σ_rows x ⊗ dy ([din·dout] per sample). */
  outer(slot: string, x: T2, dy: T2, rows = 1): void {
    this.add(slot, { kind: 'outer', x, dy, rows });
  }

  /** A use of a bias y = … + b: per-sample gradient Σ_rows dy ([dout]). */
  sum(slot: string, dy: T2, rows = 1): void {
    this.add(slot, { kind: 'sum', x: null, dy, rows });
  }

  /** A use of an elementwise weight y = x ⊙ d (d one row): per-sample gradient Σ_rows x ⊙ dy. */
  diag(slot: string, x: T2, dy: T2, rows = 1): void {
    this.add(slot, { kind: 'diag', x, dy, rows });
  }

  /** Per-sample gradient values computed on the host ([B·size]), added to the slot. */
  host(slot: string, values: Float32Array): void {
    const cur = this.hostValues.get(slot);
    if (!cur) this.hostValues.set(slot, Float32Array.from(values));
    else for (let i = 0; i < cur.length; i++) cur[i] += values[i];
  }

  /** Per-sample gradient of every slot that was used: [B·size] row-major host arrays. Releases the pairs. */
  contract(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    const B = this.batch;
    try {
      for (const [slot, list] of this.uses) {
        const t = tf.tidy(() => {
          const parts: tf.Tensor[] = [];
          const outer = list.filter((u) => u.kind === 'outer');
          if (outer.length > 0) {
            // all uses u of the slot stacked: X [U, din, B] (the samples last) and D [U, B, dout]
            const xs: tf.Tensor[] = [];
            const ds: tf.Tensor[] = [];
            const single = outer.filter((u) => u.rows === 1);
            if (single.length > 0) {
              xs.push(tf.transpose(tf.stack(single.map((u) => u.x!)), [0, 2, 1]));
              ds.push(tf.stack(single.map((u) => u.dy)));
            }
            for (const u of outer.filter((v) => v.rows > 1)) {
              xs.push(tf.transpose(tf.reshape(u.x!, [B, u.rows, -1]), [1, 2, 0]));
              ds.push(tf.transpose(tf.reshape(u.dy, [B, u.rows, -1]), [1, 0, 2]));
            }
            const X = (xs.length === 1 ? xs[0] : tf.concat(xs, 0)) as tf.Tensor3D;
            const D = (ds.length === 1 ? ds[0] : tf.concat(ds, 0)) as tf.Tensor3D;
            parts.push(outerSums(X, D));
          }
          for (const u of list.filter((v) => v.kind !== 'outer')) {
            const v = u.kind === 'diag' ? tf.mul(u.x!, u.dy) : u.dy;
            parts.push(u.rows === 1 ? v : tf.sum(tf.reshape(v, [B, u.rows, -1]), 1));
          }
          return parts.length === 1 ? parts[0] : tf.addN(parts);
        });
        out.set(slot, t.dataSync() as Float32Array);
        t.dispose();
      }
    } finally {
      this.dispose();
    }
    for (const [slot, v] of this.hostValues) {
      const cur = out.get(slot);
      if (!cur) out.set(slot, v);
      else for (let i = 0; i < cur.length; i++) cur[i] += v[i];
    }
    this.hostValues.clear();
    return out;
  }

  dispose(): void {
    for (const list of this.uses.values()) for (const u of list) tf.dispose(u.x ? [u.x, u.dy] : [u.dy]);
    this.uses.clear();
  }
}

/**
 * Σ_u X[u, :, b] ⊗ D[u, b, :] for every sample b, as [B, din·dout] rows: one depthwise
 * convolution with the samples as its channels — input [1, U, din, B] (height U, width din),
 * filter [U, 1, B, dout] (channel multiplier dout), 'valid' padding, so output channel b·dout + k
 * at width i is Σ_u X[u, i, b]·D[u, b, k] — then reordered to sample-major rows. Measured (wasm,
 * B = 1000, U = 20, din = 50, dout = 150, the machine otherwise idle): 76 ms against 232 ms for
 * the batched matMul [B, din, U]·[B, U, dout] (whose wasm kernel, for a batch > 1, does not use
 * XNNPACK's GEMM), the same values.
 */
function outerSums(X: tf.Tensor3D, D: tf.Tensor3D): tf.Tensor2D {
  const [U, din, B] = X.shape;
  const dout = D.shape[2];
  const y = tf.depthwiseConv2d(tf.reshape(X, [1, U, din, B]) as tf.Tensor4D, tf.reshape(D, [U, 1, B, dout]) as tf.Tensor4D, 1, 'valid');
  return tf.reshape(tf.transpose(tf.reshape(y, [din, B, dout]), [1, 0, 2]), [B, din * dout]);
}

/**
 * The linear map from per-sample slot gradients to per-sample variable gradients: entry i of slot
 * s contributes coef·G_s[i] to parameter dst (flat index over the variables in order). It is the
 * transposed Jacobian of the ansatz's effective weights with respect to its variables, which is
 * the same for every sample.
 */
export class Routing {
  /** per slot: its size and runs of entries [src, dst, length, coef] (most maps are a few long runs) */
  private readonly slots = new Map<string, { size: number; runs: number[] }>();
  /**
   * Per slot (in declaration order), per run: whether it is the first run to reach its
   * destinations with coefficient 1, so that `apply` may copy instead of accumulating (derived
   * from the runs; dropped whenever a run is declared).
   */
  private firstWrites: Map<string, boolean[]> | null = null;

  constructor(readonly nParams: number) {}

  private slot(name: string, size: number): number[] {
    this.firstWrites = null;
    let s = this.slots.get(name);
    if (!s) {
      s = { size, runs: [] };
      this.slots.set(name, s);
    } else if (s.size !== size) throw new Error(`routing: slot ${name} declared with sizes ${s.size} and ${size}`);
    return s.runs;
  }

  /** Entries src..src+n−1 of slot `name` (of `size` entries per sample) to parameters dst..dst+n−1, times coef. */
  range(name: string, size: number, src: number, dst: number, n: number, coef = 1): this {
    if (src < 0 || src + n > size || dst < 0 || dst + n > this.nParams) throw new Error(`routing: run of ${name} out of range`);
    const runs = this.slot(name, size);
    const l = runs.length - 4;
    // a run continuing the previous one (e.g. consecutive unmasked entries) extends it
    if (l >= 0 && runs[l] + runs[l + 2] === src && runs[l + 1] + runs[l + 2] === dst && runs[l + 3] === coef) runs[l + 2] += n;
    else runs.push(src, dst, n, coef);
    return this;
  }

  /** One entry: coef·G[src] to parameter dst. */
  entry(name: string, size: number, src: number, dst: number, coef: number): this {
    return this.range(name, size, src, dst, 1, coef);
  }

  private copyPlan(): Map<string, boolean[]> {
    if (this.firstWrites) return this.firstWrites;
    const reached = new Uint8Array(this.nParams);
    const plan = new Map<string, boolean[]>();
    for (const [name, { runs }] of this.slots) {
      const flags: boolean[] = [];
      for (let r = 0; r < runs.length; r += 4) {
        const [dst, n, c] = [runs[r + 1], runs[r + 2], runs[r + 3]];
        let fresh = c === 1;
        for (let e = 0; e < n; e++) {
          if (reached[dst + e]) fresh = false;
          reached[dst + e] = 1;
        }
        flags.push(fresh);
      }
      plan.set(name, flags);
    }
    this.firstWrites = plan;
    return plan;
  }

  /**
   * out[(row0 + b)·P + dst] += coef·G[b·size + src] for the B samples of `grads` (slots without
   * gradient contribute nothing; a gradient of a slot the routing does not know is an error).
   * The rows of `out` must be zero on entry: the slots are applied in declaration order, and a
   * run that is the first to reach its destinations with coefficient 1 (most of the parameters:
   * recurrent matrices, weights, biases of later layers) is copied rather than added — the same
   * values (x + 0 = x), without the read-modify-write of each float32 entry.
   */
  apply(grads: Map<string, Float32Array>, B: number, out: Float32Array, row0: number): void {
    const P = this.nParams;
    for (const name of grads.keys()) if (!this.slots.has(name)) throw new Error(`routing: no route for slot ${name}`);
    const plan = this.copyPlan();
    for (const [name, s] of this.slots) {
      const g = grads.get(name);
      if (!g) continue;
      if (g.length !== B * s.size) throw new Error(`routing: slot ${name} has ${g.length} values, expected ${B}·${s.size}`);
      const runs = s.runs;
      const copy = plan.get(name)!;
      for (let b = 0; b < B; b++) {
        const o = (row0 + b) * P;
        const i0 = b * s.size;
        for (let r = 0; r < runs.length; r += 4) {
          const src = i0 + runs[r];
          const dst = o + runs[r + 1];
          const n = runs[r + 2];
          const c = runs[r + 3];
          if (copy[r >> 2]) out.set(g.subarray(src, src + n), dst);
          else if (c === 1) for (let e = 0; e < n; e++) out[dst + e] += g[src + e];
          else for (let e = 0; e < n; e++) out[dst + e] += c * g[src + e];
        }
      }
    }
  }
}

/** Offset of each variable in the flat parameter vector. */
export function variableOffsets(variables: readonly tf.Variable[]): number[] {
  const out: number[] = [];
  let off = 0;
  for (const v of variables) {
    out.push(off);
    off += v.size;
  }
  return out;
}

/**
 * Matrix products whose backward pass records, for the registered slots (weight tensor id →
 * slot name), the pair (x, dy) of every use in `rec` and returns a zero gradient for the weight
 * (the reduction over the batch is the work being avoided); unregistered weights get the
 * ordinary gradients of `base`. The gradient with respect to x is the ordinary one, so the
 * backward pass continues through the network. Explicit transposes as in tf-ops.ts. `rows`: rows
 * of the pass per sample (sample-major), e.g. N when every position of a configuration is a row.
 */
export function recordingOps(base: Ops, rec: () => PerSampleGradients, slots: Map<number, string>, rows = 1): Ops {
  const custom = (f: (...args: never[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }) =>
    tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;
  const product = (slot: string, withX: boolean) =>
    custom((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a, b]);
      return {
        value: tf.matMul(a as T2, b as T2),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          rec().outer(slot, saved[0] as T2, dy as T2, rows);
          const dx = withX ? tf.matMul(dy as T2, tf.transpose(saved[1] as T2)) : tf.zerosLike(saved[0]);
          return [dx, tf.zerosLike(saved[1])];
        },
      };
    });
  const affine = (wSlot: string, bSlot: string | undefined) =>
    custom((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, w, b]);
      return {
        value: tf.fused.matMul({ a: x as T2, b: w as T2, bias: b }),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          rec().outer(wSlot, saved[0] as T2, dy as T2, rows);
          if (bSlot) rec().sum(bSlot, dy as T2, rows);
          return [tf.matMul(dy as T2, tf.transpose(saved[1] as T2)), tf.zerosLike(saved[1]), tf.zerosLike(saved[2])];
        },
      };
    });
  return {
    mm: (a, b) => {
      const s = slots.get(b.id);
      return s ? (product(s, true)(a, b) as T2) : base.mm(a, b);
    },
    mmConst: (a, b) => {
      const s = slots.get(b.id);
      return s ? (product(s, false)(a, b) as T2) : base.mmConst(a, b);
    },
    affine: (x, w, b) => {
      const s = slots.get(w.id);
      if (!s) return base.affine(x, w, b);
      const sb = slots.get(b.id);
      if (sb === undefined) throw new Error('recordingOps: an affine map with a recorded weight needs its bias registered too');
      return affine(s, sb)(x, w, b) as T2;
    },
  };
}

/**
 * x ⊙ d for a weight row d [1, H] whose backward pass records (x, dy) in `rec` under `slot`
 * (per-sample gradient Σ_rows x ⊙ dy) and returns a zero gradient for d.
 */
export function recordingDiag(rec: () => PerSampleGradients, slot: string, rows = 1): (x: T2, d: T2) => T2 {
  const f = (x: tf.Tensor, d: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, d]);
    return {
      value: tf.mul(x, d),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        rec().diag(slot, saved[0] as T2, dy as T2, rows);
        return [tf.mul(dy, saved[1]), tf.zerosLike(saved[1])];
      },
    };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T2, d: T2) => T2;
}

/**
 * The tape passes of a batched O for ansätze whose products record themselves (`recordingOps`):
 * one `tf.variableGrads` pass of `total('logAmp', re)` and, for a complex ansatz, one of
 * `total('phase', im)`, each building its products with the recorder it is given. Only the
 * recorded (input, cotangent) pairs are used; the summed gradients are discarded.
 */
export function recordTapePasses(
  variables: tf.Variable[], re: PerSampleGradients, im: PerSampleGradients | null,
  total: (part: 'logAmp' | 'phase', rec: PerSampleGradients) => tf.Scalar,
): void {
  for (const [part, rec] of [['logAmp', re], ['phase', im]] as const) {
    if (!rec) continue;
    const { value, grads } = tf.variableGrads(() => total(part, rec), variables);
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/** Samples per chunk of a per-sample pass: about 2^22 float32 values of O per chunk. */
export function derivativeChunk(nParams: number, max = 1024): number {
  return Math.max(8, Math.min(max, Math.floor((1 << 22) / Math.max(1, nParams))));
}

/**
 * One chunk of a batched pass: fills `re` (and `im` when complex) with the per-sample gradients
 * of Σ logAmp (Σ phase) of `count` configurations (count·N bits, natural order) and returns the
 * routing of its slots.
 */
export type DerivativePass = (configs: Uint8Array, count: number, re: PerSampleGradients, im: PerSampleGradients | null) => Routing;

/**
 * O of `count` configurations in chunks of `chunk` samples (same chunks, same numbers): a pass per
 * chunk, contracted per sample and routed to the variables. Float32 values (the network's
 * precision); `im` empty when `complex` is false.
 */
export function batchedLogDerivatives(
  nSites: number, nParams: number, complex: boolean, configs: Uint8Array, count: number, chunk: number, pass: DerivativePass,
): LogDerivatives {
  const N = nSites;
  if (configs.length < count * N) throw new Error(`logDerivatives: need ${count * N} bits, got ${configs.length}`);
  const re = new Float32Array(count * nParams);
  const im = new Float32Array(complex ? count * nParams : 0);
  for (let s = 0; s < count; s += chunk) {
    const B = Math.min(chunk, count - s);
    const rRe = new PerSampleGradients(B);
    const rIm = complex ? new PerSampleGradients(B) : null;
    try {
      const routing = pass(configs.subarray(s * N, (s + B) * N), B, rRe, rIm);
      if (routing.nParams !== nParams) throw new Error(`logDerivatives: routing for ${routing.nParams} parameters, expected ${nParams}`);
      routing.apply(rRe.contract(), B, re, s);
      if (rIm) routing.apply(rIm.contract(), B, im, s);
    } finally {
      rRe.dispose();
      rIm?.dispose();
    }
  }
  return { re, im, nParams };
}
