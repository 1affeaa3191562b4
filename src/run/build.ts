/**
 * From a resolved experiment to the objects the driver needs: lattice, compiled Hamiltonian,
 * wavefunction, sampler and optimizer. Randomness comes from named streams of the one seed, so
 * initialisation and sampling are reproducible independently.
 */
import { createFlow } from '../ansatz/flow.js';
import { createLru } from '../ansatz/lru.js';
import { chainTranslations, createRbm } from '../ansatz/rbm.js';
import { createRnn } from '../ansatz/rnn.js';
import { createRnn2d } from '../ansatz/rnn2d.js';
import { withSignRule } from '../ansatz/sign.js';
import { withSymmetry } from '../ansatz/symmetric.js';
import { parameterCount, type Wavefunction } from '../ansatz/wavefunction.js';
import { InputError, quote } from '../errors.js';
import { compileHamiltonian, loadModel, type ModelDefinition } from '../hamiltonian/index.js';
import type { CompiledHamiltonian } from '../hamiltonian/types.js';
import { Lattice } from '../lattice/lattice.js';
import { Rng } from '../rng.js';
import { MetropolisSampler } from '../sampler/metropolis.js';
import { ExactSampler, type Sampler } from '../sampler/sampler.js';
import { AdamOptimizer, type Optimizer } from '../vmc/optimizer.js';
import { StochasticReconfiguration, type SrSpace } from '../vmc/sr.js';
import type { ExperimentConfig } from './experiment.js';
import { resolveSymmetry } from './symmetry.js';

export function buildLattice(cfg: ExperimentConfig): Lattice {
  try {
    return cfg.lattice === 'chain'
      ? new Lattice({ kind: 'chain', size: [cfg.n!], bc: cfg.bc })
      : new Lattice({ kind: 'square', size: [cfg.lx!, cfg.ly!], bc: cfg.bc });
  } catch (e) {
    throw new InputError((e as Error).message, 'lattice');
  }
}

/** Sites of the lattice `cfg` asks for, without building it (for the memory check before it). */
export function latticeSites(cfg: ExperimentConfig): number {
  return cfg.lattice === 'chain' ? cfg.n! : cfg.lx! * cfg.ly!;
}

export interface ModelParts {
  lattice: Lattice;
  definition: ModelDefinition;
  hamiltonian: CompiledHamiltonian;
  /** number of up spins fixed by --magnetization, or null */
  nUp: number | null;
}

export function buildModel(cfg: ExperimentConfig): ModelParts {
  const lattice = buildLattice(cfg);
  const definition = loadModel(cfg.model, cfg.param);
  const hamiltonian = compileHamiltonian(definition, lattice);
  const nUp = upSpins(cfg.magnetization, lattice.nSites);
  if (nUp !== null && !hamiltonian.conservesSz) {
    throw new InputError(
      `model "${definition.name}" does not conserve S^z, so a fixed magnetisation does not describe its ground state`,
      'magnetization',
    );
  }
  return { lattice, definition, hamiltonian, nUp };
}

/** S^z = (N_up − N_down)/2 ⇒ N_up = N/2 + S^z; must be a whole number in [0, N]. */
export function upSpins(magnetization: number | null, nSites: number): number | null {
  if (magnetization === null || magnetization === undefined) return null;
  const nUp = nSites / 2 + magnetization;
  if (!Number.isInteger(nUp) || nUp < 0 || nUp > nSites) {
    const parity = nSites % 2 === 0 ? 'an integer' : 'a half-integer';
    throw new InputError(
      `S^z = ${magnetization} is impossible on ${nSites} sites (needs ${parity} between ${-nSites / 2} and ${nSites / 2})`,
      'magnetization',
    );
  }
  return nUp;
}

/** Site path for autoregressive ansätze: snake on square lattices unless told otherwise. */
export function sitePath(cfg: ExperimentConfig, lattice: Lattice): number[] {
  if (cfg.order === 'auto') return lattice.order(lattice.kind === 'square' ? 'snake' : 'raster');
  if (cfg.order === 'raster' || cfg.order === 'snake') return lattice.order(cfg.order);
  const sites = cfg.order.split(',').map((t) => Number(t.trim()));
  const n = lattice.nSites;
  const seen = new Set(sites);
  if (sites.length !== n || seen.size !== n || sites.some((s) => !Number.isInteger(s) || s < 0 || s >= n)) {
    throw new InputError(
      `expected auto, raster, snake, or a permutation of the ${n} sites 0..${n - 1} separated by commas, got ${quote(cfg.order)}`,
      'order',
    );
  }
  return sites;
}

/** Hidden width and depth: ansatz-specific defaults unless given. */
export function networkSize(cfg: ExperimentConfig, nSites: number): { hidden: number; layers: number } {
  if (cfg.ansatz === 'flow') return { hidden: cfg.hidden ?? Math.max(16, 4 * nSites), layers: cfg.layers ?? 2 };
  return { hidden: cfg.hidden ?? 50, layers: cfg.layers ?? 1 };
}

export function buildWavefunction(cfg: ExperimentConfig, parts: ModelParts, rng: Rng): Wavefunction {
  const { lattice, nUp } = parts;
  const nSites = lattice.nSites;
  const { hidden, layers } = networkSize(cfg, nSites);
  if (cfg.sign === 'marshall' && !lattice.bipartite) {
    throw new InputError(`the Marshall sign needs a bipartite lattice; ${lattice.describe()} is not`, 'sign');
  }
  const sublatticeA = [...lattice.sublattice.keys()].filter((s) => lattice.sublattice[s] === 0);
  const order = sitePath(cfg, lattice);
  // --symmetry: the sign wraps the symmetrised network, ψ = M·Sym(network) (run/symmetry.ts)
  const symmetry = resolveSymmetry(cfg, parts);
  const symmetrised = (wf: Wavefunction): Wavefunction => (symmetry ? withSymmetry(wf, symmetry.ops, { describe: symmetry.describe }) : wf);
  switch (cfg.ansatz) {
    case 'rnn':
      return withSignRule(symmetrised(createRnn({ nSites, hidden, layers, complex: cfg.phase, nUp, order }, rng)), cfg.sign, lattice);
    case 'lru':
      return withSignRule(symmetrised(createLru({ nSites, hidden, layers, complex: cfg.phase, nUp, order }, rng)), cfg.sign, lattice);
    case 'rnn2d': {
      // the 2D RNN walks its own zigzag path (the snake order) and has one recurrent layer
      if (lattice.kind !== 'square') throw new InputError('the rnn2d ansatz needs --lattice square (use rnn on chains)', 'ansatz');
      if (layers !== 1) throw new InputError('the rnn2d ansatz has a single recurrent layer (omit --layers)', 'layers');
      const [lx, ly] = lattice.size;
      return withSignRule(symmetrised(createRnn2d({ lx, ly, hidden, cell: cfg.cell, complex: cfg.phase, nUp }, rng)), cfg.sign, lattice);
    }
    case 'flow':
      if (symmetry) return withSignRule(symmetrised(createFlow({ nSites, hidden, layers, complex: cfg.phase, nUp, order, signSites: null }, rng)), cfg.sign, lattice);
      // The flow and the RBM carry the sign themselves (their fast paths need the bare ansatz).
      return createFlow(
        { nSites, hidden, layers, complex: cfg.phase, nUp, order, signSites: cfg.sign === 'marshall' ? sublatticeA : null },
        rng,
      );
    case 'rbm':
      return createRbm(
        {
          nSites,
          alpha: cfg.alpha,
          complex: !cfg.real,
          signSites: cfg.sign === 'marshall' ? sublatticeA : null,
          symmetries: cfg.symmetric ? translations(lattice) : null,
        },
        rng,
      );
    default:
      throw new InputError(`ansatz "${cfg.ansatz}" is not available in this build`, 'ansatz');
  }
}

/** Translations of a periodic chain, for the symmetric RBM. */
function translations(lattice: Lattice): number[][] {
  if (lattice.kind !== 'chain' || lattice.bc !== 'periodic') {
    throw new InputError(`translation symmetry needs a periodic chain (got ${lattice.describe()})`, 'symmetric');
  }
  return chainTranslations(lattice.nSites);
}

/** The sampler a run uses: auto = exact for the autoregressive ansätze, Metropolis for the RBM. */
export function samplerKind(cfg: ExperimentConfig): 'exact' | 'metropolis' {
  return cfg.sampler === 'auto' ? (cfg.ansatz === 'rbm' ? 'metropolis' : 'exact') : cfg.sampler;
}

export function buildSampler(cfg: ExperimentConfig, wf: Wavefunction, parts: ModelParts, rng: Rng): Sampler {
  const kind = samplerKind(cfg);
  if (kind === 'exact') {
    if (!wf.sample) throw new InputError(`the ${cfg.ansatz} ansatz has no exact sampler; use --sampler metropolis`, 'sampler');
    return new ExactSampler(wf, rng);
  }
  // Exchange moves (fixed S^z) swap nearest neighbours: adjacent swaps reach every configuration
  // of the sector and are accepted far more often than swaps of distant sites in an antiferromagnet.
  return new MetropolisSampler(
    wf,
    { chains: cfg.chains, burnIn: cfg['burn-in'], nUp: parts.nUp, exchangeBonds: parts.lattice.bonds('nearest') },
    rng,
  );
}

export function optimizerKind(cfg: ExperimentConfig): 'adam' | 'sr' {
  return cfg.optimizer === 'auto' ? (cfg.ansatz === 'rbm' ? 'sr' : 'adam') : cfg.optimizer;
}

/**
 * Where SR solves its system: --sr-space, or for auto by size: sample space (minSR) when the rows
 * of the sample-space system — the samples, twice that when the amplitudes are complex (a phase
 * head, or the complex RBM) — are fewer than the parameters.
 */
export function srSpace(cfg: ExperimentConfig, nParams: number): SrSpace {
  if (cfg['sr-space'] !== 'auto') return cfg['sr-space'];
  const complex = cfg.ansatz === 'rbm' ? !cfg.real : cfg.phase;
  return cfg.samples * (complex ? 2 : 1) < nParams ? 'sample' : 'parameter';
}

export function buildOptimizer(cfg: ExperimentConfig, wf: Wavefunction): Optimizer {
  const kind = optimizerKind(cfg);
  if (kind === 'adam') return new AdamOptimizer(wf, { lr: cfg.lr ?? 5e-3, decay: cfg['lr-decay'] });
  return new StochasticReconfiguration(wf, {
    space: srSpace(cfg, parameterCount(wf)),
    learningRate: cfg.lr ?? 0.05,
    diagShift: cfg['diag-shift'],
    diagShiftDecay: cfg['diag-shift-decay'],
    diagShiftMin: Math.min(cfg['diag-shift-min'], cfg['diag-shift']),
    maxStateStep: cfg['sr-max-step'] > 0 ? cfg['sr-max-step'] : undefined,
  });
}
