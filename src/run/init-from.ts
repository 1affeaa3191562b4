/**
 * `--init-from RUN_DIR`: start a run from the weights of another run (finished or interrupted;
 * its newest valid checkpoint) — iterative retraining across sizes (Roth, arXiv 2003.06228;
 * Moss et al., arXiv 2502.17144) and growth of the hidden width (McNaughton & Hibat-Allah,
 * arXiv 2507.18700).
 *
 * Why the weights carry over: the recurrent ansätze apply one cell at every site of their path,
 * so none of their weights depends on the number of sites —
 * - rnn: GRU weights W [d_in, H], U [H, H], biases [H], head [H, 2];
 * - rnn2d: per gate σ_h, σ_v weights [2, H], U_h, U_v [H, H], bias [H], head [H, 2]; the cell
 *   reads the visited horizontal and vertical neighbours, so it fits any Lx × Ly;
 * - lru: embedding [3, H], per block ν, θ, D [H], B, C (re, im) [H, H], GLU [H, H], head [H, 2].
 * The flow is different: its MADE's input and output layers are indexed by site and masked by
 * the site's position on the path (made.ts), so its weights belong to one lattice. It may start
 * from a run on the same lattice (same size and path; e.g. to grow --hidden), never another size.
 *
 * A larger --hidden than the source's embeds every source tensor in the top-left block of the new
 * one (every dimension of size H_source becomes H, the others are equal). New entries are uniform
 * in ±init-noise from the seeded stream `${seed}:init-from`, except the LRU's eigenvalue
 * parameters ν and θ of the new state units, which keep the new network's own initialisation
 * (|λ| on the Orvieto ring: a "small random" ν would put every new |λ| near e^{−1}). With
 * init-noise 0 the grown network has exactly the source's amplitudes: a new unit gets no input
 * and no bias, so its state stays 0 (GRU: n = tanh(0) = 0 and h' = z·h + (1 − z)·n = 0; rnn2d:
 * ELU(0) = 0, or z·n + (1 − z)·(mixing of zero states) = 0; LRU: B's new columns are 0, so the new
 * h stays 0, and C's and the GLU's new columns give 0 on the new residual coordinates, whose
 * embedding is 0; flow: act(0) = 0, and the old hidden units keep their MADE degrees, which
 * depend only on the unit's index), and every weight reading it is 0 — but at exactly 0 the new
 * weights also get zero gradient (each new unit is a saddle), hence the small noise by default.
 *
 * Adam's moments (`init-adam`): `reset` (default) starts the optimizer afresh — zero moments,
 * step 0, so the lr schedule lr/(1 + t/decay) starts again at lr; `carry` takes the source's
 * moments (embedded like the weights, new entries 0) and step count. The README says which was
 * measured better and why.
 *
 * Refusals (InputError naming the source directory and the option): another ansatz, lattice
 * kind, --layers, --phase, --sign, --cell or site path; a smaller --hidden; the rbm; the flow on
 * another lattice; a checkpoint whose tensors do not fit. --hidden and --layers not given are the
 * source's. --symmetry may differ: the symmetrised state wraps the same network (its variables are
 * the network's), so a plainly trained network can be symmetrised and the other way round. A
 * resumed run never reads its source again: it continues from its own checkpoint.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Wavefunction } from '../ansatz/wavefunction.js';
import { InputError, shown } from '../errors.js';
import { Rng } from '../rng.js';
import type { Optimizer } from '../vmc/optimizer.js';
import type { AdamState } from '../vmc/adam.js';
import { buildLattice, networkSize, optimizerKind } from './build.js';
import { loadLatestCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ExperimentConfig } from './experiment.js';
import { readJson } from './run-dir.js';
import { readRunConfig } from './runner.js';

/** The ansätze whose weights can start another run. */
export const INIT_ANSATZE = ['rnn', 'rnn2d', 'lru', 'flow'] as const;

/** What config.json records (under resolved.init_from) about where the weights came from. */
export interface InitRecord {
  /** absolute path of the source run directory */
  run_dir: string;
  /** the checkpoint file read, its step and time */
  checkpoint: string;
  checkpoint_step: number;
  checkpoint_saved_at: string;
  /** the source run's summary status, or null when it has none (killed before writing one) */
  source_status: string | null;
  source_lattice: string;
  source_n_sites: number;
  source_hidden: number;
  hidden: number;
  /** new entries of a grown network: uniform in ±noise (0 when the width is unchanged) */
  noise: number;
  adam: 'reset' | 'carry';
}

/** A source run, read and checked against the settings of the run that starts from it. */
export interface InitSource {
  record: InitRecord;
  checkpoint: Checkpoint;
  sourceConfig: ExperimentConfig;
}

/** The path order an autoregressive ansatz walks, as a comparable name. */
function pathName(cfg: ExperimentConfig): string {
  if (cfg.order === 'auto') return cfg.lattice === 'square' ? 'snake' : 'raster';
  return cfg.order;
}

/**
 * Reads the source run of `cfg['init-from']` and checks it against `cfg`; returns the settings
 * with --hidden and --layers filled in from the source where not given, and the source. Throws an
 * InputError naming the source directory and the option at fault.
 */
export function prepareInitFrom(cfg: ExperimentConfig): { config: ExperimentConfig; source: InitSource } {
  const given = cfg['init-from']!;
  const where = shown(given, 200);
  const dir = resolve(given);
  if (!existsSync(dir)) throw new InputError('no such run directory (--init-from)', where);
  const src = readRunConfig(dir);
  const fail = (option: string, detail: string): never => {
    throw new InputError(`cannot start from this run: --${option} ${detail}`, where);
  };
  if (!(INIT_ANSATZE as readonly string[]).includes(cfg.ansatz)) {
    fail('ansatz', `${cfg.ansatz}: only ${INIT_ANSATZE.join(', ')} can start from another run's weights`);
  }
  if (src.ansatz !== cfg.ansatz) fail('ansatz', `is ${src.ansatz} there and ${cfg.ansatz} here (weights carry over within one ansatz only)`);
  if (src.lattice !== cfg.lattice) fail('lattice', `is ${src.lattice} there and ${cfg.lattice} here (same lattice kind only)`);
  const srcLattice = buildLattice(src);
  const hereLattice = buildLattice(cfg);
  if (cfg.ansatz === 'flow' && (srcLattice.nSites !== hereLattice.nSites || srcLattice.size.join('x') !== hereLattice.size.join('x'))) {
    fail(
      cfg.lattice === 'chain' ? 'n' : 'lx/--ly',
      `is ${srcLattice.size.join('x')} there and ${hereLattice.size.join('x')} here: the flow's MADE weights are indexed by site and masked by the path, so they fit only the lattice they were trained on (use rnn, rnn2d or lru across sizes)`,
    );
  }
  const srcSize = networkSize(src, srcLattice.nSites);
  const config: ExperimentConfig = { ...cfg, hidden: cfg.hidden ?? srcSize.hidden, layers: cfg.layers ?? src.layers };
  const here = networkSize(config, hereLattice.nSites);
  if (here.layers !== srcSize.layers) fail('layers', `is ${srcSize.layers} there and ${here.layers} here`);
  if (here.hidden < srcSize.hidden) fail('hidden', `is ${srcSize.hidden} there and ${here.hidden} here (a network can grow, not shrink)`);
  if (Boolean(src.phase) !== Boolean(cfg.phase)) fail('phase', `is ${Boolean(src.phase)} there and ${Boolean(cfg.phase)} here (the phase head is a set of weights)`);
  if ((src.sign ?? 'none') !== cfg.sign) fail('sign', `is ${src.sign ?? 'none'} there and ${cfg.sign} here (the amplitudes were learnt under another sign rule)`);
  if (cfg.ansatz === 'rnn2d' && (src.cell ?? 'gated') !== cfg.cell) fail('cell', `is ${src.cell ?? 'gated'} there and ${cfg.cell} here`);
  if (cfg.ansatz !== 'rnn2d' && pathName(src) !== pathName(config)) {
    fail('order', `is ${pathName(src)} there and ${pathName(config)} here (the weights learnt conditionals along that path)`);
  }
  if (cfg['init-adam'] === 'carry' && (optimizerKind(src) !== 'adam' || optimizerKind(cfg) !== 'adam')) {
    fail('init-adam', `carry needs Adam in both runs (there ${optimizerKind(src)}, here ${optimizerKind(cfg)})`);
  }
  const latest = loadLatestCheckpoint(dir);
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? (readJson(summaryPath, 'run summary') as { status?: string }) : null;
  const grown = here.hidden > srcSize.hidden;
  const record: InitRecord = {
    run_dir: dir,
    checkpoint: latest.path,
    checkpoint_step: latest.checkpoint.step,
    checkpoint_saved_at: latest.checkpoint.savedAt,
    source_status: summary?.status ?? null,
    source_lattice: srcLattice.describe(),
    source_n_sites: srcLattice.nSites,
    source_hidden: srcSize.hidden,
    hidden: here.hidden,
    noise: grown ? cfg['init-noise'] : 0,
    adam: cfg['init-adam'],
  };
  return { config, source: { record, checkpoint: latest.checkpoint, sourceConfig: src } };
}

/** Fill rule of a variable's new entries: noise, or the new network's own initial values. */
export type FillRule = 'noise' | 'fresh';

/**
 * Per-variable fill rules of an ansatz (variable order as in its constructor). The LRU's
 * variables are [E, then per block ν, θ, B_re, B_im, C_re, C_im, D, W_a, b_a, W_g, b_g, then the
 * head] (lru.ts): ν and θ keep the fresh initialisation.
 */
export function fillRules(wf: Wavefunction, layers: number): FillRule[] {
  const rules: FillRule[] = wf.variables.map(() => 'noise');
  if (wf.kind === 'lru') {
    for (let l = 0; l < layers; l++) {
      const nu = 1 + 11 * l;
      for (const k of [nu, nu + 1]) {
        if (wf.variables[k]?.rank !== 1) throw new Error(`lru variable ${k} is not ν or θ: the variable order of lru.ts changed`);
        rules[k] = 'fresh';
      }
    }
  }
  return rules;
}

/**
 * Embeds `source` (shape `from`) in the top-left block of a tensor of shape `to`: every dimension
 * either equal or grown from `hs` to `ht`. Entries outside the block come from `fill(i)` (i: flat
 * index in the new tensor). Throws an Error describing the mismatch otherwise.
 */
export function embedTopLeft(
  source: ArrayLike<number>, from: readonly number[], to: readonly number[], hs: number, ht: number, fill: (i: number) => number,
): Float32Array {
  const fits = from.length === to.length && from.every((d, i) => d === to[i] || (d === hs && to[i] === ht));
  if (!fits) throw new Error(`shape [${from.join(',')}] does not fit [${to.join(',')}] (hidden ${hs} → ${ht})`);
  const size = to.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const idx = new Array<number>(to.length).fill(0);
  for (let i = 0; i < size; i++) {
    // flat index i → multi-index idx (row-major); inside the block when every idx_d < from_d
    let inside = true;
    let j = 0;
    for (let d = 0; d < to.length; d++) {
      if (idx[d] >= from[d]) inside = false;
      j = j * from[d] + idx[d];
    }
    out[i] = inside ? source[j] : fill(i);
    for (let d = to.length - 1; d >= 0; d--) {
      if (++idx[d] < to[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The source checkpoint's tensors embedded in `wf`'s shapes (or an InputError naming the source). */
function embedAll(
  wf: Wavefunction, tensors: readonly { shape: number[]; values: ArrayLike<number> }[], src: InitSource,
  fillFor: (k: number, fresh: Float32Array) => (i: number) => number,
): Float32Array[] {
  const { record } = src;
  const where = shown(record.run_dir, 200);
  if (tensors.length !== wf.variables.length) {
    throw new InputError(`cannot start from this run: its checkpoint has ${tensors.length} tensors, this ${wf.kind} network ${wf.variables.length}`, where);
  }
  return wf.variables.map((v, k) => {
    const fresh = v.dataSync() as Float32Array;
    try {
      return embedTopLeft(tensors[k].values, tensors[k].shape, v.shape, record.source_hidden, record.hidden, fillFor(k, fresh));
    } catch (e) {
      throw new InputError(`cannot start from this run: checkpoint tensor ${k}: ${(e as Error).message}`, where);
    }
  });
}

/** Assigns the source's weights (grown where --hidden is larger) to `wf`; `seed` drives the new entries. */
export function applyInitWeights(wf: Wavefunction, src: InitSource, seed: number, layers: number): void {
  const rng = new Rng(`${seed}:init-from`);
  const rules = fillRules(wf, layers);
  const eps = src.record.noise;
  const values = embedAll(wf, src.checkpoint.variables, src, (k, fresh) =>
    rules[k] === 'fresh' ? (i) => fresh[i] : () => (eps === 0 ? 0 : eps * (2 * rng.uniform() - 1)),
  );
  tf.tidy(() => wf.variables.forEach((v, k) => v.assign(tf.tensor(values[k], v.shape, 'float32'))));
}

/** With init-adam carry: the source's Adam moments (new entries 0) and step count. */
export function applyInitOptimizer(wf: Wavefunction, optimizer: Optimizer, src: InitSource): void {
  if (src.record.adam !== 'carry') return;
  const state = src.checkpoint.optimizer as AdamState;
  const shapes = src.checkpoint.variables.map((v) => v.shape);
  const embed = (moments: number[][]) =>
    embedAll(wf, moments.map((m, k) => ({ shape: shapes[k], values: m })), src, () => () => 0).map((a) => Array.from(a));
  optimizer.setState({ t: state.t, m: embed(state.m), v: embed(state.v) } satisfies AdamState);
}
