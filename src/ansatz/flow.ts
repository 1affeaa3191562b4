/**
 * Flow ansatz: a masked autoregressive network (MADE) read as an inverse-CDF flow.
 *
 * ℓ = MADE(σ) in one pass (σ = 2x − 1, masks so that ℓ_s sees only sites before s on the path);
 * π_s = sigmoid(ℓ_s) = P(x_s = 1 | x_<s). Sampling is the flow u ~ U(0,1)^N ↦ x with
 * x_s = 1[u_k < π_s(x_<s)] at path position k, site by site. The preimage of x is a box, so
 *   log P(x) = −Σ_s softplus(−σ_s ℓ_s)
 * exactly and normalised, in one pass. ψ = sign(x)·sqrt(P(x))·exp(iφ(x)) with an optional
 * unmasked phase network φ = π·softsign(f(σ)) and an optional Marshall sign.
 *
 * Fixed number of up spins (nUp): at path position k with u ups and d downs already placed, the
 * conditional is forced to x_s = 0 when u = nUp and to x_s = 1 when d = N − nUp (probability 1,
 * log 1 = 0), otherwise it is π_s. In the one-pass density the counts come from a constant
 * lower-triangular matMul, and the forced positions are removed with multiplicative masks; a
 * configuration that violates a forced value gets log P = −∞. Σ over the sector is exactly 1.
 *
 * wasm notes: every matMul in the differentiated path goes through `mm`, a customGrad whose
 * gradient uses explicit transposes (the built-in gradient uses transpose flags, which are
 * several times slower on wasm). No gather, einsum or `where` on differentiated tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { GRAD_OPS, type Ops } from './rnn/common.js';
import { batchedLogDerivatives, derivativeChunk, recordTapePasses, recordingOps, Routing, variableOffsets, type LogDerivatives } from './log-derivatives.js';
import type { Rng } from '../rng.js';
import type { HostLogPsi, LogPsi, Wavefunction } from './wavefunction.js';
import { buildMadeMasks, checkOrder } from './made.js';
import { forcedBit } from './u1.js';

export type FlowActivation = 'tanh' | 'relu';

export interface FlowOptions {
  nSites: number;
  /** width of each hidden layer (default 4N, at least 16) */
  hidden?: number;
  /** number of hidden layers of the MADE (default 2; 0 = masked linear model) */
  layers?: number;
  /** add the unmasked phase network φ = π·softsign(f(σ)) (default false) */
  complex?: boolean;
  /** fixed number of up spins (S^z sector), or null for all configurations */
  nUp?: number | null;
  /** site permutation: order[k] is the k-th site on the autoregressive path (default natural) */
  order?: number[] | null;
  /**
   * Explicit sign on ψ: (−1)^{number of up spins on these sites}, e.g. sublattice A for the
   * Marshall sign. Carried in the phase as π·(count). Null or empty: no sign.
   */
  signSites?: number[] | null;
  /** hidden activation: tanh (computed as 2·sigmoid(2z) − 1, fast on wasm) or relu; default tanh */
  activation?: FlowActivation;
  /** rows per tensor chunk in `evaluate` and `sample` (bounds peak memory); default from widths */
  chunkSize?: number;
}

export interface ResolvedFlowOptions {
  nSites: number;
  hidden: number;
  layers: number;
  complex: boolean;
  nUp: number | null;
  order: number[];
  signSites: number[];
  activation: FlowActivation;
  chunkSize: number;
}

export interface FlowWavefunction extends Wavefunction {
  readonly kind: 'flow';
  readonly options: ResolvedFlowOptions;
  sample(count: number, rng: Rng): Uint8Array;
  /** Raw MADE outputs ℓ [B, N] in natural site order (before any nUp forcing). */
  logits(configs: tf.Tensor2D): tf.Tensor2D;
  /**
   * The flow map: uniforms u (count·N, u[b·N + k] used at path position k) to configurations
   * (count·N bits, natural site order). `sample(count, rng)` is this map applied to rng uniforms.
   */
  transform(u: Float64Array | Float32Array, count: number): Uint8Array;
  /** Conditionals P(x_s = 1 | x_<s) [count·N] (natural order, nUp forcing applied), on the host. */
  conditionals(configs: Uint8Array, count: number): Float64Array;
  /** Per-sample O_k = ∂ log ψ/∂θ_k of `count` configurations in one batched pass (log-derivatives.ts). */
  logDerivatives(configs: Uint8Array, count: number): LogDerivatives;
}

export function resolveFlowOptions(opts: FlowOptions): ResolvedFlowOptions {
  const N = opts.nSites;
  if (!Number.isInteger(N) || N < 1) throw new Error(`flow: nSites must be a positive integer, got ${N}`);
  const hidden = opts.hidden ?? Math.max(16, 4 * N);
  const layers = opts.layers ?? 2;
  if (!Number.isInteger(hidden) || hidden < 1) throw new Error(`flow: hidden must be a positive integer, got ${hidden}`);
  if (!Number.isInteger(layers) || layers < 0) throw new Error(`flow: layers must be a non-negative integer, got ${layers}`);
  const nUp = opts.nUp ?? null;
  if (nUp !== null && (!Number.isInteger(nUp) || nUp < 0 || nUp > N)) {
    throw new Error(`flow: nUp must be an integer in 0..${N}, got ${nUp}`);
  }
  const activation = opts.activation ?? 'tanh';
  if (activation !== 'tanh' && activation !== 'relu') throw new Error(`flow: unknown activation "${String(activation)}"`);
  const signSites = [...(opts.signSites ?? [])];
  for (const s of signSites) {
    if (!Number.isInteger(s) || s < 0 || s >= N) throw new Error(`flow: sign site ${s} out of range 0..${N - 1}`);
  }
  const width = Math.max(hidden, N);
  const chunkSize = opts.chunkSize ?? Math.max(256, Math.floor((1 << 20) / width));
  return {
    nSites: N,
    hidden,
    layers,
    complex: opts.complex ?? false,
    nUp,
    order: checkOrder(N, opts.order),
    signSites,
    activation,
    chunkSize,
  };
}

function initWeights(fanIn: number, fanOut: number, scale: number, rng: Rng): tf.Variable<tf.Rank.R2> {
  const w = new Float32Array(fanIn * fanOut);
  const s = scale / Math.sqrt(Math.max(1, fanIn));
  for (let i = 0; i < w.length; i++) w[i] = s * rng.normal();
  const t = tf.tensor2d(w, [fanIn, fanOut]);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

function zeros(n: number): tf.Variable {
  const t = tf.zeros([n]);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

export function createFlow(options: FlowOptions, rng: Rng): FlowWavefunction {
  const o = resolveFlowOptions(options);
  const N = o.nSites;
  const H = o.hidden;
  const masks = buildMadeMasks(N, H, o.layers, o.order);

  // --- parameters (fixed order: MADE hidden W,b..., output W, direct W, output b, phase net) ---
  const variables: tf.Variable[] = [];
  const hiddenW: tf.Variable<tf.Rank.R2>[] = [];
  const hiddenB: tf.Variable[] = [];
  const hiddenM: tf.Tensor2D[] = [];
  let fanIn = N;
  for (let l = 0; l < o.layers; l++) {
    hiddenW.push(initWeights(fanIn, H, 1, rng));
    hiddenB.push(zeros(H));
    hiddenM.push(tf.tensor2d(masks.hidden[l], [fanIn, H]));
    fanIn = H;
  }
  const hasHidden = o.layers > 0;
  // small output weights: the initial distribution is close to uniform
  const outW = hasHidden ? initWeights(H, N, 0.1, rng) : null;
  const outM = hasHidden ? tf.tensor2d(masks.output, [H, N]) : null;
  const directW = initWeights(N, N, 0.1, rng);
  const directM = tf.tensor2d(masks.direct, [N, N]);
  const outB = zeros(N);
  for (let l = 0; l < o.layers; l++) variables.push(hiddenW[l], hiddenB[l]);
  if (outW) variables.push(outW);
  variables.push(directW, outB);

  const phaseW: tf.Variable<tf.Rank.R2>[] = [];
  const phaseB: tf.Variable[] = [];
  let phaseOutW: tf.Variable<tf.Rank.R2> | null = null;
  let phaseOutB: tf.Variable | null = null;
  if (o.complex) {
    let f = N;
    for (let l = 0; l < Math.max(1, o.layers); l++) {
      phaseW.push(initWeights(f, H, 1, rng));
      phaseB.push(zeros(H));
      f = H;
    }
    phaseOutW = initWeights(f, 1, 0.1, rng);
    phaseOutB = zeros(1);
    for (let l = 0; l < phaseW.length; l++) variables.push(phaseW[l], phaseB[l]);
    variables.push(phaseOutW, phaseOutB);
  }

  // --- constants ---
  const before = o.nUp !== null ? tf.tensor2d(masks.before, [N, N]) : null;
  const position = o.nUp !== null ? tf.tensor1d(Float32Array.from(masks.degrees, (d) => d - 1)) : null;
  let signVec: tf.Tensor2D | null = null;
  if (o.signSites.length > 0) {
    const a = new Float32Array(N);
    for (const s of o.signSites) a[s] = 1;
    signVec = tf.tensor2d(a, [N, 1]);
  }

  const act = (z: tf.Tensor2D): tf.Tensor2D =>
    o.activation === 'relu' ? tf.relu(z) : tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1);

  /** The effective (masked) weights of one pass; the biases are the variables. */
  interface Weights {
    hidden: { W: tf.Tensor2D; b: tf.Tensor1D }[];
    out: tf.Tensor2D | null;
    direct: tf.Tensor2D;
    phase: { W: tf.Tensor2D; b: tf.Tensor1D }[];
  }

  function weights(): Weights {
    return {
      hidden: hiddenW.map((W, l) => ({ W: tf.mul(W, hiddenM[l]) as tf.Tensor2D, b: hiddenB[l] as tf.Tensor1D })),
      out: outW && outM ? (tf.mul(outW, outM) as tf.Tensor2D) : null,
      direct: tf.mul(directW, directM) as tf.Tensor2D,
      phase: phaseOutW && phaseOutB
        ? [...phaseW.map((W, l) => ({ W: W as tf.Tensor2D, b: phaseB[l] as tf.Tensor1D })), { W: phaseOutW as tf.Tensor2D, b: phaseOutB as tf.Tensor1D }]
        : [],
    };
  }

  /** ℓ [B, N] from σ [B, N]; biases are added inside the products (`ops.affine`). */
  function made(sigma: tf.Tensor2D, ops: Ops = GRAD_OPS, w: Weights = weights()): tf.Tensor2D {
    let h = sigma;
    w.hidden.forEach(({ W, b }) => {
      h = act(ops.affine(h, W, b));
    });
    if (!w.out) return ops.affine(sigma, w.direct, outB as tf.Tensor1D);
    return tf.add(ops.mmConst(sigma, w.direct), ops.affine(h, w.out, outB as tf.Tensor1D)) as tf.Tensor2D;
  }

  function phaseOf(sigma: tf.Tensor2D, x: tf.Tensor2D, ops: Ops = GRAD_OPS, w: Weights = weights()): tf.Tensor1D {
    const B = sigma.shape[0];
    let phase: tf.Tensor1D | null = null;
    if (w.phase.length > 0) {
      let h = sigma;
      for (let l = 0; l + 1 < w.phase.length; l++) h = act(ops.affine(h, w.phase[l].W, w.phase[l].b));
      const last = w.phase[w.phase.length - 1];
      const f = tf.reshape(ops.affine(h, last.W, last.b), [B]);
      // softsign(f) = f / (1 + |f|)
      phase = tf.mul(tf.div(f, tf.add(tf.abs(f), 1)), Math.PI) as tf.Tensor1D;
    }
    if (signVec) {
      const sgn = tf.mul(tf.reshape(tf.matMul(x, signVec), [B]), Math.PI) as tf.Tensor1D;
      phase = phase ? (tf.add(phase, sgn) as tf.Tensor1D) : sgn;
    }
    return phase ?? tf.zeros([B]);
  }

  /** log P [B] of bits x [B, N]. */
  function logProb(x: tf.Tensor2D, sigma: tf.Tensor2D, ops: Ops = GRAD_OPS, w: Weights = weights()): tf.Tensor1D {
    const l = made(sigma, ops, w);
    // log P(x_s | x_<s) = −softplus(−σ_s ℓ_s)
    let lp = tf.neg(tf.softplus(tf.neg(tf.mul(sigma, l)))) as tf.Tensor2D;
    let penalty: tf.Tensor1D | null = null;
    if (o.nUp !== null && before && position) {
      // ups and downs placed before each site, from a constant lower-triangular matMul
      const ups = tf.matMul(x, before);
      const downs = tf.sub(position, ups);
      const upFull = tf.cast(tf.greaterEqual(ups, o.nUp - 0.5), 'float32');
      const downFull = tf.cast(tf.greaterEqual(downs, N - o.nUp - 0.5), 'float32');
      const forced = tf.add(upFull, downFull); // never both (they would exceed N sites)
      lp = tf.mul(lp, tf.sub(1, forced)) as tf.Tensor2D;
      // violation: x_s = 1 where the up quota is full, x_s = 0 where the down quota is full
      const viol = tf.add(tf.mul(upFull, x), tf.mul(downFull, tf.sub(1, x)));
      penalty = tf.sum(tf.log(tf.sub(1, viol)), 1) as tf.Tensor1D; // 0 or −∞ (constant)
    }
    const logP = tf.sum(lp, 1) as tf.Tensor1D;
    return penalty ? tf.add(logP, penalty) : logP;
  }

  function logPsi(configs: tf.Tensor2D): LogPsi {
    return tf.tidy(() => {
      const x = configs.dtype === 'float32' ? configs : (tf.cast(configs, 'float32') as tf.Tensor2D);
      const sigma = tf.sub(tf.mul(x, 2), 1) as tf.Tensor2D;
      const logAmp = tf.mul(logProb(x, sigma), 0.5) as tf.Tensor1D;
      const phase = phaseOf(sigma, x);
      return { logAmp, phase };
    });
  }

  /**
   * O_k(x): per chunk, the pass on the tfjs tape with products that record the (input, cotangent)
   * pairs of every weight matrix and bias (log-derivatives.ts `recordingOps`), once for Σ logAmp
   * and (complex) once for Σ phase; each weight has one use per sample, so its per-sample
   * gradient is one outer product, and a masked matrix's gradient is masked again.
   */
  function logDerivatives(configs: Uint8Array, count: number): LogDerivatives {
    const nP = variables.reduce((n, v) => n + v.size, 0);
    const off = variableOffsets(variables);
    return batchedLogDerivatives(N, nP, o.complex, configs, count, derivativeChunk(nP), (bits, B, re, im) => {
      recordTapePasses(variables, re, im, (part, rec) => {
        const w = weights();
        const slots = new Map<number, string>();
        w.hidden.forEach((h, l) => slots.set(h.W.id, `h${l}`).set(h.b.id, `hb${l}`));
        if (w.out) slots.set(w.out.id, 'out');
        slots.set(w.direct.id, 'direct').set(outB.id, 'outb');
        w.phase.forEach((h, l) => slots.set(h.W.id, `p${l}`).set(h.b.id, `pb${l}`));
        const ops = recordingOps(GRAD_OPS, () => rec, slots);
        const x = bitsToTensor(bits, 0, B);
        const sigma = tf.sub(tf.mul(x, 2), 1) as tf.Tensor2D;
        const y = part === 'logAmp' ? tf.mul(logProb(x, sigma, ops, w), 0.5) : phaseOf(sigma, x, ops, w);
        return tf.sum(y) as tf.Scalar;
      });
      // masked matrices: G_W = M ⊙ G_eff (the entries the mask removes get none)
      const routing = new Routing(nP);
      const masked = (slot: string, v: tf.Variable, mask: Float32Array) => {
        for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) routing.entry(slot, mask.length, i, off[variables.indexOf(v)] + i, mask[i]);
      };
      const plain = (slot: string, v: tf.Variable) => routing.range(slot, v.size, 0, off[variables.indexOf(v)], v.size);
      hiddenW.forEach((W, l) => {
        masked(`h${l}`, W, masks.hidden[l]);
        plain(`hb${l}`, hiddenB[l]);
      });
      if (outW) masked('out', outW, masks.output);
      masked('direct', directW, masks.direct);
      plain('outb', outB);
      phaseW.forEach((W, l) => {
        plain(`p${l}`, W);
        plain(`pb${l}`, phaseB[l]);
      });
      if (phaseOutW && phaseOutB) {
        plain(`p${phaseW.length}`, phaseOutW);
        plain(`pb${phaseW.length}`, phaseOutB);
      }
      return routing;
    });
  }

  function bitsToTensor(bits: Uint8Array, start: number, rows: number): tf.Tensor2D {
    const f = new Float32Array(rows * N);
    const off = start * N;
    for (let i = 0; i < f.length; i++) f[i] = bits[off + i];
    return tf.tensor2d(f, [rows, N]);
  }

  function evaluate(configs: Uint8Array, count: number): HostLogPsi {
    if (configs.length < count * N) throw new Error(`flow.evaluate: ${configs.length} bits for ${count} configurations of ${N} sites`);
    const logAmp = new Float64Array(count);
    const phase = new Float64Array(count);
    for (let start = 0; start < count; start += o.chunkSize) {
      const rows = Math.min(o.chunkSize, count - start);
      const [a, p] = tf.tidy(() => {
        const x = bitsToTensor(configs, start, rows);
        const r = logPsi(x);
        return [r.logAmp, r.phase];
      });
      logAmp.set(a.dataSync(), start);
      phase.set(p.dataSync(), start);
      a.dispose();
      p.dispose();
    }
    return { logAmp, phase };
  }

  function logits(configs: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const x = configs.dtype === 'float32' ? configs : (tf.cast(configs, 'float32') as tf.Tensor2D);
      return made(tf.sub(tf.mul(x, 2), 1) as tf.Tensor2D);
    });
  }

  function hostLogits(bits: Uint8Array, start: number, rows: number): Float32Array {
    const t = tf.tidy(() => made(tf.sub(tf.mul(bitsToTensor(bits, start, rows), 2), 1) as tf.Tensor2D));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

  function transform(u: Float64Array | Float32Array, count: number): Uint8Array {
    if (u.length < count * N) throw new Error(`flow.transform: ${u.length} uniforms for ${count} configurations of ${N} sites`);
    const x = new Uint8Array(count * N);
    const nUp = o.nUp;
    for (let start = 0; start < count; start += o.chunkSize) {
      const rows = Math.min(o.chunkSize, count - start);
      const ups = new Int32Array(rows);
      for (let k = 0; k < N; k++) {
        const s = o.order[k];
        // position 0 has no inputs: ℓ_s is the bias alone, but one pass is cheap enough
        const l = hostLogits(x, start, rows);
        for (let r = 0; r < rows; r++) {
          const b = start + r;
          const f = forcedBit(ups[r], k, N, nUp);
          const bit = f >= 0 ? f : u[b * N + k] < sigmoid(l[r * N + s]) ? 1 : 0;
          x[b * N + s] = bit;
          ups[r] += bit;
        }
      }
    }
    return x;
  }

  function conditionals(configs: Uint8Array, count: number): Float64Array {
    const out = new Float64Array(count * N);
    for (let start = 0; start < count; start += o.chunkSize) {
      const rows = Math.min(o.chunkSize, count - start);
      const l = hostLogits(configs, start, rows);
      for (let r = 0; r < rows; r++) {
        const b = start + r;
        let ups = 0;
        for (let k = 0; k < N; k++) {
          const s = o.order[k];
          const f = forcedBit(ups, k, N, o.nUp);
          const p = f >= 0 ? f : sigmoid(l[r * N + s]);
          out[b * N + s] = p;
          ups += configs[b * N + s];
        }
      }
    }
    return out;
  }

  function sample(count: number, rng: Rng): Uint8Array {
    const u = new Float64Array(count * N);
    rng.fill(u);
    return transform(u, count);
  }

  const constants: tf.Tensor[] = [...hiddenM, directM];
  if (outM) constants.push(outM);
  if (before) constants.push(before);
  if (position) constants.push(position);
  if (signVec) constants.push(signVec);

  return {
    kind: 'flow',
    nSites: N,
    variables,
    normalized: true,
    options: o,
    logPsi,
    logDerivatives,
    evaluate,
    sample,
    transform,
    logits,
    conditionals,
    spec() {
      const { chunkSize: _c, ...rest } = o;
      return { kind: 'flow', ...rest, order: [...o.order], signSites: [...o.signSites] };
    },
    dispose() {
      for (const v of variables) v.dispose();
      for (const c of constants) c.dispose();
    },
  };
}
