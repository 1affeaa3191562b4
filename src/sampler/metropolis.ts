/**
 * Metropolis–Hastings sampling of |ψ(x)|² with many chains advanced together.
 *
 * - Moves: single-spin flips, or exchanges of two anti-parallel spins (conserve S^z). `auto`
 *   uses exchanges when a sector `nUp` is fixed, flips otherwise. Exchange proposals pick a site
 *   i uniformly, then a site j uniformly among those with the opposite spin: the proposal
 *   probability of a pair, (1/N)(1/n↑ + 1/n↓), is the same for every pair of a sector, so the
 *   proposal is symmetric. Optionally the exchange pairs are restricted to given bonds
 *   (`exchangeBonds`, e.g. nearest neighbours): a uniformly chosen bond whose spins are
 *   anti-parallel is exchanged, otherwise the move is a rejected no-op (symmetric too).
 * - Acceptance: min(1, |ψ(x')/ψ(x)|²) = min(1, exp(2·(logAmp' − logAmp))). The phase plays no
 *   role (a sign rule does not change the chain).
 * - One sweep = N proposals per chain. `burnIn` sweeps are run once, before the first sample;
 *   chains then persist across calls (and across parameter updates), `discard` sweeps are run at
 *   the start of every call, `sweepsPerSample` sweeps separate stored samples.
 * - Fast path: a wavefunction with `createWalkers` (the RBM's θ look-up tables) is advanced
 *   proposal by proposal in plain JS; any other wavefunction is evaluated with `wf.evaluate` on
 *   the proposals of all chains at once (one batched call per proposal step).
 *
 * Output layout: CHAIN-MAJOR. `sample(count)` returns chains·L configurations with
 * L = chainLength = ceil(count / chains); sample t (0 ≤ t < L) of chain c is row c·L + t.
 * The diagnostics (diagnostics.ts) take per-sample series in the same layout.
 *
 * Randomness: the sampler owns the generator it is given; `getState()` holds it together with
 * the chains, so a restored sampler continues the same stream.
 */
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { hasLocalUpdates } from '../ansatz/rbm.js';
import { Rng, type RngState } from '../rng.js';

export type MoveKind = 'flip' | 'exchange' | 'auto';

export interface MetropolisOptions {
  /** number of parallel chains (default 16) */
  chains?: number;
  /** sweeps run once before the first sample (default 100) */
  burnIn?: number;
  /** sweeps between stored samples (default 1) */
  sweepsPerSample?: number;
  /** sweeps discarded at the start of every `sample` call (default 0) */
  discard?: number;
  /** fixed number of up spins (S^z sector) or null; chains start inside the sector */
  nUp?: number | null;
  /** default 'auto': exchange when nUp is set, else flip */
  moves?: MoveKind;
  /** restrict exchange moves to these pairs of sites (e.g. lattice bonds); default: any pair */
  exchangeBonds?: ReadonlyArray<readonly [number, number]> | null;
  /** use the wavefunction's look-up-table fast path when it has one (default true) */
  fastPath?: boolean;
}

export interface MetropolisBatch {
  /** chains·chainLength·N bits, chain-major (row c·chainLength + t) */
  configs: Uint8Array;
  /** chains·chainLength */
  count: number;
  chains: number;
  chainLength: number;
  /** accepted / proposed moves during this call (burn-in excluded) */
  acceptance: number;
  diagnostics: Record<string, number>;
}

export interface MetropolisState {
  kind: 'metropolis';
  nSites: number;
  chains: number;
  /** chain configurations as 0/1 strings, one per chain */
  configs: string[];
  burnedIn: boolean;
  rng: RngState;
}

export class MetropolisSampler {
  readonly kind = 'metropolis';
  readonly chains: number;
  readonly burnIn: number;
  readonly sweepsPerSample: number;
  readonly discard: number;
  readonly nUp: number | null;
  readonly moves: 'flip' | 'exchange';
  private readonly N: number;
  private readonly bonds: Int32Array | null;
  private readonly fast: boolean;
  private configs: Uint8Array;
  private burnedIn = false;
  private accepted = 0;
  private proposed = 0;

  constructor(
    private readonly wf: Wavefunction,
    opts: MetropolisOptions,
    private rng: Rng,
  ) {
    const N = (this.N = wf.nSites);
    this.chains = opts.chains ?? 16;
    this.burnIn = opts.burnIn ?? 100;
    this.sweepsPerSample = opts.sweepsPerSample ?? 1;
    this.discard = opts.discard ?? 0;
    this.nUp = opts.nUp ?? null;
    for (const [k, v] of Object.entries({ chains: this.chains, burnIn: this.burnIn, sweepsPerSample: this.sweepsPerSample, discard: this.discard })) {
      if (!Number.isInteger(v) || v < (k === 'chains' || k === 'sweepsPerSample' ? 1 : 0)) {
        throw new Error(`metropolis: ${k} must be a ${k === 'chains' || k === 'sweepsPerSample' ? 'positive' : 'non-negative'} integer, got ${v}`);
      }
    }
    if (this.nUp !== null && (!Number.isInteger(this.nUp) || this.nUp < 0 || this.nUp > N)) {
      throw new Error(`metropolis: nUp must be an integer in [0, ${N}], got ${this.nUp}`);
    }
    const moves = opts.moves ?? 'auto';
    if (moves !== 'flip' && moves !== 'exchange' && moves !== 'auto') {
      throw new Error(`metropolis: unknown move kind "${String(moves)}" (expected flip, exchange or auto)`);
    }
    this.moves = moves === 'auto' ? (this.nUp === null ? 'flip' : 'exchange') : moves;
    if (this.moves === 'flip' && this.nUp !== null) {
      throw new Error('metropolis: single-spin flips leave the fixed-S^z sector; use exchange moves with nUp');
    }
    if (this.moves === 'exchange' && this.nUp === null) {
      throw new Error('metropolis: exchange moves need a fixed sector (nUp) to start the chains in');
    }
    if (opts.exchangeBonds && opts.exchangeBonds.length > 0) {
      this.bonds = new Int32Array(opts.exchangeBonds.length * 2);
      opts.exchangeBonds.forEach(([a, b], k) => {
        if (a === b || a < 0 || b < 0 || a >= N || b >= N) throw new Error(`metropolis: bad exchange bond (${a}, ${b})`);
        this.bonds![2 * k] = a;
        this.bonds![2 * k + 1] = b;
      });
    } else {
      this.bonds = null;
    }
    this.fast = (opts.fastPath ?? true) && hasLocalUpdates(wf);
    this.configs = this.initialConfigs();
  }

  private initialConfigs(): Uint8Array {
    const N = this.N;
    const x = new Uint8Array(this.chains * N);
    for (let c = 0; c < this.chains; c++) {
      if (this.nUp === null) {
        for (let i = 0; i < N; i++) x[c * N + i] = this.rng.uniform() < 0.5 ? 1 : 0;
      } else {
        // random subset of nUp sites (partial Fisher–Yates)
        const perm = Array.from({ length: N }, (_, i) => i);
        for (let k = 0; k < this.nUp; k++) {
          const r = k + this.rng.int(N - k);
          [perm[k], perm[r]] = [perm[r], perm[k]];
          x[c * N + perm[k]] = 1;
        }
      }
    }
    return x;
  }

  /** Draws ceil(count/chains) samples per chain; chain-major layout (see file header). */
  sample(count: number): MetropolisBatch {
    if (!Number.isInteger(count) || count < 1) throw new Error(`metropolis: count must be a positive integer, got ${count}`);
    const N = this.N;
    const L = Math.ceil(count / this.chains);
    const out = new Uint8Array(this.chains * L * N);
    const run = this.fast ? this.makeFastRunner() : this.makeGenericRunner();
    if (!this.burnedIn) {
      run(this.burnIn);
      this.burnedIn = true;
    }
    run(this.discard);
    this.accepted = 0;
    this.proposed = 0;
    for (let t = 0; t < L; t++) {
      run(this.sweepsPerSample);
      for (let c = 0; c < this.chains; c++) {
        out.set(this.configs.subarray(c * N, (c + 1) * N), (c * L + t) * N);
      }
    }
    const acceptance = this.proposed > 0 ? this.accepted / this.proposed : 0;
    return {
      configs: out,
      count: this.chains * L,
      chains: this.chains,
      chainLength: L,
      acceptance,
      diagnostics: { acceptance },
    };
  }

  /** Proposes a move for chain c: returns [s0, s1] (s1 = −1 for a flip), or null for a no-op. */
  private propose(c: number): [number, number] | null {
    return this.proposeSites(c) ? [this.s0, this.s1] : null;
  }

  /** The proposal's sites (s1 = −1 for a flip), set by `proposeSites` (no allocation per move). */
  private s0 = 0;
  private s1 = -1;

  /** Proposes a move for chain c into s0, s1; false for a no-op. */
  private proposeSites(c: number): boolean {
    const N = this.N;
    const x = this.configs;
    this.s1 = -1;
    if (this.moves === 'flip') {
      this.s0 = this.rng.int(N);
      return true;
    }
    if (this.nUp === 0 || this.nUp === N) return false;
    if (this.bonds) {
      const k = this.rng.int(this.bonds.length / 2);
      this.s0 = this.bonds[2 * k];
      this.s1 = this.bonds[2 * k + 1];
      return x[c * N + this.s0] !== x[c * N + this.s1];
    }
    const i = this.rng.int(N);
    const xi = x[c * N + i];
    for (;;) {
      const j = this.rng.int(N);
      if (x[c * N + j] !== xi) {
        this.s0 = i;
        this.s1 = j;
        return true;
      }
    }
  }

  private acceptRatio(logRatio: number): boolean {
    // min(1, |ψ'/ψ|²); NaN (e.g. ψ = 0 at both) is rejected
    if (logRatio >= 0) return true;
    return this.rng.uniform() < Math.exp(2 * logRatio);
  }

  private makeFastRunner(): (sweeps: number) => void {
    const wf = this.wf;
    if (!hasLocalUpdates(wf)) throw new Error('unreachable');
    const walkers = wf.createWalkers(this.configs, this.chains);
    return (sweeps: number) => {
      for (let sw = 0; sw < sweeps; sw++) {
        for (let step = 0; step < this.N; step++) {
          for (let c = 0; c < this.chains; c++) {
            this.proposed++;
            if (!this.proposeSites(c)) continue;
            const d = walkers.logAmpRatio(c, this.s0, this.s1);
            if (this.acceptRatio(d)) {
              walkers.accept(c, this.s0, this.s1);
              this.accepted++;
            }
          }
        }
      }
    };
  }

  private makeGenericRunner(): (sweeps: number) => void {
    const N = this.N;
    const C = this.chains;
    const logAmp = this.wf.evaluate(this.configs, C).logAmp;
    const prop = new Uint8Array(C * N);
    const moves: ([number, number] | null)[] = new Array(C);
    return (sweeps: number) => {
      for (let sw = 0; sw < sweeps; sw++) {
        for (let step = 0; step < N; step++) {
          prop.set(this.configs);
          for (let c = 0; c < C; c++) {
            const mv = this.propose(c);
            moves[c] = mv;
            if (mv) {
              prop[c * N + mv[0]] ^= 1;
              if (mv[1] >= 0) prop[c * N + mv[1]] ^= 1;
            }
          }
          const la = this.wf.evaluate(prop, C).logAmp;
          for (let c = 0; c < C; c++) {
            this.proposed++;
            const mv = moves[c];
            if (!mv) continue;
            if (this.acceptRatio(la[c] - logAmp[c])) {
              this.configs.set(prop.subarray(c * N, (c + 1) * N), c * N);
              logAmp[c] = la[c];
              this.accepted++;
            }
          }
        }
      }
    };
  }

  /** Current chain configurations (chains·N bits, copy). */
  current(): Uint8Array {
    return this.configs.slice();
  }

  getState(): MetropolisState {
    const N = this.N;
    const configs: string[] = [];
    for (let c = 0; c < this.chains; c++) configs.push(Array.from(this.configs.subarray(c * N, (c + 1) * N)).join(''));
    return { kind: 'metropolis', nSites: N, chains: this.chains, configs, burnedIn: this.burnedIn, rng: this.rng.state() };
  }

  setState(state: unknown): void {
    const s = state as MetropolisState;
    if (!s || s.kind !== 'metropolis' || s.nSites !== this.N || s.chains !== this.chains || s.configs.length !== this.chains) {
      throw new Error(`metropolis: checkpoint state does not match this sampler (N=${this.N}, chains=${this.chains})`);
    }
    const N = this.N;
    const x = new Uint8Array(this.chains * N);
    s.configs.forEach((row, c) => {
      if (row.length !== N || /[^01]/.test(row)) throw new Error('metropolis: malformed chain configuration in checkpoint');
      for (let i = 0; i < N; i++) x[c * N + i] = row.charCodeAt(i) - 48;
    });
    this.configs = x;
    this.burnedIn = s.burnedIn;
    this.rng = new Rng(0, s.rng);
  }
}
