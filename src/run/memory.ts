/**
 * Will a run fit? An estimate, from the settings alone, of the memory the largest objects of a
 * run take — before any of them is allocated — so that impossible settings (`--hidden 1e9`) are
 * refused at once with the size needed and the flag to lower, instead of failing (or thrashing)
 * minutes later inside an allocation.
 *
 * Counted (the dominant terms; small objects are left out, so this is a lower bound):
 * - the network's weights and constant tensors (float32) and, in training, the optimizer's
 *   copies (Adam: gradient, first and second moments; SR: gradient);
 * - the activations saved for the gradient of the autoregressive ansätze: per distinct sample,
 *   site and layer, five [H] float32 vectors (the RNN's hand-written backpropagation keeps
 *   h, z, n, r, r⊙h per position; see src/ansatz/rnn.ts); the flow keeps about three [H] per
 *   layer per sample, the RBM its angles θ [αN] (complex: two); a symmetrised ansatz
 *   (--symmetry) keeps them for the |G| images of every sample;
 * - the forward pass of a chunk of connected configurations (8192 rows for the RNNs);
 * - stochastic reconfiguration: the log-derivative rows O (distinct samples × parameters; rows =
 *   samples, twice that for complex amplitudes; float32 from the batched passes, float64 from
 *   the RBM — counted as float64), their centred float64 copy, and the system: below 1500
 *   parameters the P×P matrix S, in sample space (minSR) the rows × rows matrix T (float64, and
 *   its float32 product) and the float32 copy of the centred rows it is formed from (src/vmc/sr.ts);
 * - checkpoint.json, one string of about 16 characters per stored number — the parameters and,
 *   for Adam, its two moments (V8 caps a string at ~2^29 characters).
 *
 * Limits: tensors live in the wasm heap with the wasm backend, which cannot grow beyond 4 GiB
 * (wasm32; the backend's getHeapMax is 4294901760) — per thread, each worker has its own heap;
 * everything together must fit in the machine's memory (or the cgroup limit).
 */
import { InputError } from '../errors.js';
import { srSpace } from './build.js';
import type { ExperimentConfig } from './experiment.js';

/** The wasm backend's largest heap (tfjs-backend-wasm 4.22: getHeapMax() = 4 GiB − 64 KiB). */
export const WASM_HEAP_MAX = 4294901760;
/** Rows of one forward pass of the RNNs (RNN_DEFAULTS.chunk, RNN2D_DEFAULTS.chunk). */
const RNN_ROWS = 8192;
/** Rows of one forward pass of the RBM (its default chunkSize). */
const RBM_ROWS = 2048;
/** Characters per parameter in checkpoint.json ("-1.23456789e-10,"). */
const CHECKPOINT_CHARS = 16;
/** SR forms S explicitly up to this many parameters ('auto' solver, src/vmc/sr.ts). */
const SR_CHOLESKY_MAX = 1500;

export interface MemoryPart {
  what: string;
  bytes: number;
  /** tensors (wasm heap with the wasm backend) or plain JavaScript memory */
  kind: 'tensor' | 'host';
  /** one thread's share, repeated on every worker thread */
  perThread: boolean;
  /** the flags that shrink this part, most effective first */
  lower: string[];
}

export interface MemoryEstimate {
  parameters: number;
  parts: MemoryPart[];
  /** characters of checkpoint.json */
  checkpointChars: number;
}

interface Shape {
  /** trainable parameters */
  parameters: number;
  /** constant tensors (masks, expansion matrices) in floats */
  constants: number;
  /** flags that set the network's size */
  sizeFlags: string[];
  /** floats saved per distinct sample for the gradient */
  activationsPerSample: number;
  /** floats of one forward pass of a chunk */
  forwardChunk: number;
}

/** Parameter count and the large tensors of the ansatz `cfg` asks for on `nSites` sites. */
function networkShape(cfg: ExperimentConfig, nSites: number): Shape {
  const N = nSites;
  switch (cfg.ansatz) {
    case 'rnn': {
      const H = cfg.hidden ?? 50;
      const L = cfg.layers ?? 1;
      // GRU layer: W [din, H] ×3, U [H, H] ×3, b [H] ×3; Dense(2) head (+ phase head)
      let p = 0;
      for (let l = 0; l < L; l++) p += 3 * ((l === 0 ? 2 : H) * H + H * H + H);
      p += (2 * H + 2) * (cfg.phase ? 2 : 1);
      return { parameters: p, constants: 0, sizeFlags: ['--hidden', '--layers'], activationsPerSample: 5 * N * H * L, forwardChunk: RNN_ROWS * 6 * H * L };
    }
    case 'lru': {
      const H = cfg.hidden ?? 50;
      const L = cfg.layers ?? 1;
      // embedding E [3, H]; per layer ν, θ, D [H], B and C complex [H, H], GLU W_a, W_g [H, H] + biases
      const p = 3 * H + L * (6 * H * H + 5 * H) + (2 * H + 2) * (cfg.phase ? 2 : 1);
      // the closed-form layer 0 keeps a Toeplitz matrix [N, N·H]; per position and layer a complex
      // state, the output, the residual stream and the GLU's two halves are kept for the gradient
      return { parameters: p, constants: N * N * H + N * N, sizeFlags: ['--hidden', '--layers'], activationsPerSample: 8 * N * H * L, forwardChunk: RNN_ROWS * 8 * H * L };
    }
    case 'rnn2d': {
      const H = cfg.hidden ?? 50;
      // input gate: W_h, W_v [2, H], U_h, U_v [H, H], b [H]; gated: two of them plus the mixing maps
      const gate = 4 * H + 2 * H * H + H;
      let p = cfg.cell === 'plain' ? gate : 2 * gate + 2 * H * H;
      p += (2 * H + 2) * (cfg.phase ? 2 : 1);
      return { parameters: p, constants: 0, sizeFlags: ['--hidden'], activationsPerSample: 5 * N * H, forwardChunk: RNN_ROWS * 6 * H };
    }
    case 'flow': {
      const H = cfg.hidden ?? Math.max(16, 4 * N);
      const L = cfg.layers ?? 2;
      // MADE: hidden [N or H, H] + b [H] per layer, output [H, N], direct [N, N], b [N]
      const hiddenW = L > 0 ? N * H + (L - 1) * H * H : 0;
      const outW = L > 0 ? H * N : 0;
      let p = hiddenW + L * H + outW + N * N + N;
      if (cfg.phase) {
        const Lp = Math.max(1, L);
        p += N * H + (Lp - 1) * H * H + Lp * H + H + 1;
      }
      // masks of the same shapes as the masked weights (+ the S^z "before" matrix)
      const constants = hiddenW + outW + N * N + (cfg.magnetization !== null ? N * N : 0);
      return { parameters: p, constants, sizeFlags: ['--hidden', '--layers'], activationsPerSample: 3 * H * Math.max(1, L) + N, forwardChunk: 0 };
    }
    case 'rbm': {
      const c = cfg.real ? 1 : 2;
      if (cfg.symmetric) {
        // reduced a [1], b [α], w [α, N]; expansion matrix E [α·N, N·M] with M = α·N hidden units
        const a = Math.round(cfg.alpha);
        const M = a * N;
        return { parameters: c * (1 + a + a * N), constants: a * N * N * M + a * M, sizeFlags: ['--alpha'], activationsPerSample: c * M, forwardChunk: RBM_ROWS * c * M };
      }
      const M = Math.round(cfg.alpha * N);
      return { parameters: c * (N + M + N * M), constants: 0, sizeFlags: ['--alpha'], activationsPerSample: c * M, forwardChunk: RBM_ROWS * c * M };
    }
  }
}

/**
 * The estimate for a resolved experiment on `nSites` sites trained with `optimizer`; `groupOrder`:
 * the operations a symmetrised ansatz averages over (1 without --symmetry).
 */
export function estimateRunMemory(cfg: ExperimentConfig, nSites: number, optimizer: 'adam' | 'sr', groupOrder = 1): MemoryEstimate {
  const net = networkShape(cfg, nSites);
  const P = net.parameters;
  const F32 = 4;
  const F64 = 8;
  // distinct samples of a step are at most the samples; the final estimate draws slices of
  // min(eval-samples, max(samples, 1000)) (runner)
  const batch = Math.max(cfg.samples, Math.min(cfg['eval-samples'], Math.max(cfg.samples, 1000)));
  const sizeFlags = cfg.lattice === 'chain' ? ['--n'] : ['--lx', '--ly'];
  const parts: MemoryPart[] = [
    {
      what: `network weights and optimizer state (${P.toPrecision(3)} parameters)`,
      bytes: F32 * P * (optimizer === 'adam' ? 4 : 2),
      kind: 'tensor',
      perThread: true,
      lower: net.sizeFlags,
    },
    { what: 'constant tensors of the network', bytes: F32 * net.constants, kind: 'tensor', perThread: true, lower: net.sizeFlags },
    {
      what: `activations kept for the gradient (${cfg.samples} samples${groupOrder > 1 ? ` × ${groupOrder} symmetry images` : ''})`,
      bytes: F32 * cfg.samples * groupOrder * net.activationsPerSample,
      kind: 'tensor',
      perThread: false,
      lower: ['--samples', ...(groupOrder > 1 ? ['--symmetry'] : []), ...net.sizeFlags, ...sizeFlags],
    },
    { what: 'one forward pass over a chunk of configurations', bytes: F32 * net.forwardChunk, kind: 'tensor', perThread: true, lower: net.sizeFlags },
    { what: `configurations of a batch (${batch} samples)`, bytes: batch * nSites, kind: 'host', perThread: false, lower: ['--samples', '--eval-samples', ...sizeFlags] },
  ];
  if (optimizer === 'sr') {
    const rows = cfg.samples * ((cfg.ansatz === 'rbm' ? !cfg.real : cfg.phase) ? 2 : 1);
    const sample = srSpace(cfg, P) === 'sample';
    const system = sample ? (F64 + F32) * rows * rows + F32 * rows * P : P <= SR_CHOLESKY_MAX ? F64 * P * P : 0;
    parts.push({
      what: `stochastic reconfiguration: log-derivatives of ${cfg.samples} samples × ${P} parameters${sample ? ' and the sample-space matrix' : P <= SR_CHOLESKY_MAX ? ' and the S matrix' : ''}`,
      bytes: F64 * 2 * rows * P + system,
      kind: 'host',
      perThread: false,
      lower: ['--samples', ...net.sizeFlags, '--optimizer adam'],
    });
  }
  const checkpointChars = CHECKPOINT_CHARS * P * (optimizer === 'adam' ? 3 : 1);
  // the checkpoint text, the values as a JavaScript array and the parameters read back from tfjs
  parts.push({ what: 'checkpoint.json', bytes: 2 * checkpointChars + (F64 + F32) * P, kind: 'host', perThread: false, lower: net.sizeFlags });
  return { parameters: P, parts, checkpointChars };
}

export interface MemoryLimits {
  /** bytes of the machine (or of the cgroup limit) */
  host: number;
  /** largest tensor memory of one thread (the wasm heap), or null for no limit beyond host */
  tensorsPerThread: number | null;
  /** threads that each hold a copy of the per-thread parts (main thread + workers) */
  threads: number;
  /** longest string (checkpoint.json is one) */
  maxString: number;
  /** what `host` is, for messages (default "this machine's") */
  hostName?: string;
}

// The limits of this machine (Node) are read in ./memory-limits.ts.

/** 1536 → "1.5 KiB", 2.5e10 → "23.3 GiB", 6e18 → "5.3e9 GiB" (binary units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = v >= 1e5 ? v.toExponential(1) : u === 0 ? String(Math.round(v)) : v.toFixed(1);
  return `${text} ${units[u]}`;
}

function largest(parts: MemoryPart[]): MemoryPart {
  return parts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

function refuse(needed: number, where: string, parts: MemoryPart[]): never {
  const big = largest(parts);
  throw new InputError(
    `the run needs at least ${formatBytes(needed)} ${where}; the largest part is ${big.what}, ${formatBytes(big.bytes)}: lower ${big.lower.join(' or ')}`,
    big.lower[0]!.split(' ')[0],
  );
}

/**
 * Throws an InputError (naming the flag to lower) when the estimate cannot fit within `limits`;
 * returns the total bytes estimated otherwise.
 */
export function checkRunMemory(estimate: MemoryEstimate, limits: MemoryLimits): number {
  const { parts } = estimate;
  const tensors = parts.filter((p) => p.kind === 'tensor');
  const perThread = tensors.reduce((s, p) => s + p.bytes, 0);
  if (limits.tensorsPerThread !== null && perThread > limits.tensorsPerThread) {
    refuse(perThread, `of tensors per thread, more than the ${formatBytes(limits.tensorsPerThread)} the wasm backend can address`, tensors);
  }
  const total = parts.reduce((s, p) => s + p.bytes * (p.perThread ? limits.threads : 1), 0);
  if (total > limits.host) {
    const threads = limits.threads > 1 ? ` with ${limits.threads} threads` : '';
    refuse(total, `of memory${threads}, more than ${limits.hostName ?? "this machine's"} ${formatBytes(limits.host)}`, parts);
  }
  if (estimate.checkpointChars > limits.maxString) {
    const ck = parts.find((p) => p.what === 'checkpoint.json')!;
    throw new InputError(
      `${estimate.parameters.toPrecision(3)} parameters do not fit in one checkpoint.json (about ${estimate.checkpointChars.toPrecision(3)} characters; a string holds at most ${limits.maxString}): lower ${ck.lower.join(' or ')}`,
      ck.lower[0],
    );
  }
  return total;
}
