/**
 * MADE masks (Germain, Gregor, Murray, Larochelle 2015) for an autoregressive network whose
 * inputs and outputs are indexed by lattice site in the natural order, with the autoregressive
 * path given by a site permutation `order` (order[k] is the k-th site visited).
 *
 * Degrees: input/output site s has degree d(s) = 1 + (position of s on the path), i.e. 1..N.
 * Hidden unit k of every layer has degree m_k ∈ 1..N−1, assigned deterministically by cycling
 * (m_k = 1 + k mod (N−1)), so every degree is represented when the width is at least N−1.
 * Connections:
 *   input s → hidden k      allowed iff d(s) ≤ m_k
 *   hidden k → hidden k'    allowed iff m_k ≤ m_k'
 *   hidden k → output s     allowed iff m_k < d(s)
 *   input t → output s      allowed iff d(t) < d(s)   (direct connection)
 * Hence output s depends only on inputs strictly before s on the path.
 *
 * Masks are row-major Float32Arrays of shape [fanIn, fanOut] (the weight layout of x·W).
 */

export interface MadeMasks {
  nSites: number;
  /** d(s) for each site s in natural order, 1..N */
  degrees: Int32Array;
  /** hidden degrees, one array per hidden layer */
  hiddenDegrees: Int32Array[];
  /** masks of the hidden layers: [N, H], then [H, H] for each further layer */
  hidden: Float32Array[];
  /** hidden → output mask [H, N] (or direct [N, N] when there are no hidden layers) */
  output: Float32Array;
  /** input → output direct mask [N, N] */
  direct: Float32Array;
  /** L[t, s] = 1 iff t comes strictly before s on the path: counts of x_<s are x·L */
  before: Float32Array;
}

/** Validates a site permutation (or builds the natural one) and returns it. */
export function checkOrder(nSites: number, order?: readonly number[] | null): number[] {
  if (order == null) return Array.from({ length: nSites }, (_, i) => i);
  if (order.length !== nSites) {
    throw new Error(`flow: order has ${order.length} entries, expected ${nSites}`);
  }
  const seen = new Uint8Array(nSites);
  for (const s of order) {
    if (!Number.isInteger(s) || s < 0 || s >= nSites || seen[s]) {
      throw new Error(`flow: order must be a permutation of 0..${nSites - 1}`);
    }
    seen[s] = 1;
  }
  return [...order];
}

export function buildMadeMasks(nSites: number, hidden: number, layers: number, order: readonly number[]): MadeMasks {
  const N = nSites;
  const degrees = new Int32Array(N);
  order.forEach((s, k) => {
    degrees[s] = k + 1;
  });
  const hiddenDegrees: Int32Array[] = [];
  for (let l = 0; l < layers; l++) {
    const m = new Int32Array(hidden);
    // N = 1: no hidden unit may see anything; degree 0 cuts it from inputs and outputs alike.
    for (let k = 0; k < hidden; k++) m[k] = N > 1 ? 1 + (k % (N - 1)) : 0;
    hiddenDegrees.push(m);
  }
  const masks: Float32Array[] = [];
  let prev: Int32Array = degrees;
  let prevIsInput = true;
  for (const m of hiddenDegrees) {
    const M = new Float32Array(prev.length * m.length);
    for (let i = 0; i < prev.length; i++) {
      for (let k = 0; k < m.length; k++) {
        // input → hidden: d ≤ m (and m ≥ 1); hidden → hidden: m ≤ m'
        const ok = prevIsInput ? prev[i] <= m[k] && m[k] >= 1 : prev[i] <= m[k] && prev[i] >= 1;
        M[i * m.length + k] = ok ? 1 : 0;
      }
    }
    masks.push(M);
    prev = m;
    prevIsInput = false;
  }
  const output = new Float32Array(prev.length * N);
  for (let i = 0; i < prev.length; i++) {
    for (let s = 0; s < N; s++) {
      output[i * N + s] = prevIsInput ? (prev[i] < degrees[s] ? 1 : 0) : prev[i] >= 1 && prev[i] < degrees[s] ? 1 : 0;
    }
  }
  const direct = new Float32Array(N * N);
  for (let t = 0; t < N; t++) {
    for (let s = 0; s < N; s++) direct[t * N + s] = degrees[t] < degrees[s] ? 1 : 0;
  }
  return { nSites: N, degrees, hiddenDegrees, hidden: masks, output, direct, before: direct.slice() };
}
