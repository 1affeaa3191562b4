/**
 * vmc-ts public API: `import { ... } from 'vmc-ts'`.
 *
 * Typical programmatic use:
 *   await initBackend('auto');
 *   const lattice = chain(20, 'open');
 *   const h = compileHamiltonian(loadModel('tfim', { h: 1 }), lattice);
 *   const exact = exactGroundState(h, lattice);
 *   const { summary } = await runExperiment({ config: resolveExperiment({}, { model: 'tfim', n: 20 }) });
 */
export { initBackend, BACKEND_CHOICES, type BackendChoice } from './backend.js';
export { Rng, type RngState } from './rng.js';
export { InputError } from './errors.js';

export { Lattice, chain, square, BOND_FAMILIES } from './lattice/lattice.js';
export type { Boundary, Bond, LatticeKind, LatticeSpec, SiteOrder } from './lattice/lattice.js';

export {
  loadModel,
  listModels,
  parseParamFlags,
  parseModel,
  compileHamiltonian,
  denseMatrix,
} from './hamiltonian/index.js';
export type { CompiledHamiltonian, Connections, FlipGroup, CompiledTerm, ModelDefinition } from './hamiltonian/index.js';

export { exactGroundState, canSolveExactly, lanczos, tfimChain } from './exact/index.js';
export type { ExactResult, ExactOptions } from './exact/index.js';

export type { Wavefunction, LogPsi, HostLogPsi } from './ansatz/wavefunction.js';
export { parameterCount } from './ansatz/wavefunction.js';
export { createRnn, type RnnOptions } from './ansatz/rnn.js';
export { createRnn2d, type Rnn2dOptions } from './ansatz/rnn2d.js';
export { createLru, type LruOptions } from './ansatz/lru.js';
export { createRbm, chainTranslations, type RbmOptions } from './ansatz/rbm.js';
export { createFlow, type FlowOptions } from './ansatz/flow.js';
export { withSignRule, type SignRule } from './ansatz/sign.js';
export { withSymmetry, type SymmetryOperation, type SymmetryOptions } from './ansatz/symmetric.js';
export { latticeGenerators, type LatticeSymmetry, type PermutationGenerator } from './lattice/symmetries.js';
export { generateGroup, type GroupElement, type GroupGenerator } from './lattice/group.js';

export { ExactSampler, type Sampler, type SampleBatch } from './sampler/sampler.js';
export { MetropolisSampler, type MetropolisOptions } from './sampler/metropolis.js';
export { chainStats, tauInt, splitRhat } from './sampler/diagnostics.js';

export { localEnergies, type LocalEnergies } from './vmc/local-energy.js';
export { connectedValues, type ConnectedValues } from './vmc/connected.js';
export { InThread, type StepThreads } from './vmc/threads.js';
export { energyStats, type EnergyStats } from './vmc/estimator.js';
export { energyGradient, gradientShards, shardGradient, sumShardGradients } from './vmc/gradient.js';
export { uniqueSamples } from './vmc/unique.js';
export { Adam } from './vmc/adam.js';
export { AdamOptimizer, type Optimizer, type StepContext } from './vmc/optimizer.js';
export { StochasticReconfiguration, srDirection, srSolve, logDerivatives, type SrSpace } from './vmc/sr.js';
export { hasAnalyticLogDerivatives, type LogDerivatives } from './ansatz/log-derivatives.js';
export { VmcDriver, estimateEnergy, NumericalError, type StepRecord, type DriverOptions } from './vmc/driver.js';
export { annealTemperature, annealLength, checkAnnealable, type AnnealSchedule } from './vmc/anneal.js';
export { freeEnergyLocal, objectiveValues, entropyEstimate, type FreeEnergyRecord } from './vmc/free-energy.js';

export { OPTIONS, resolveExperiment, type ExperimentConfig } from './run/experiment.js';
export { readExperimentFile } from './run/experiment-file.js';
export { buildModel, buildWavefunction, buildSampler, buildOptimizer } from './run/build.js';
export { resolveSymmetry, type ResolvedSymmetry } from './run/symmetry.js';
export { StepPool, defaultWorkers } from './run/step-pool.js';
export { runExperiment, readRunConfig, summaryLine, type RunSummary, type RunOptions } from './run/runner.js';
export { annealSchedule } from './run/anneal.js';
export { plotLines, plotEnergy, plotRelativeError, plotCorrelation, plotEntropy } from './run/plot.js';
export { plotAnnealing } from './run/plot.js';
export { prepareInitFrom, applyInitWeights, embedTopLeft, type InitRecord, type InitSource } from './run/init-from.js';
export { planSchedule, openScheduleDir, readSchedulePlan, runSchedule, SCHEDULE_FILE_KEYS, type SchedulePlan, type ScheduleResult } from './run/schedule.js';
export { fitLine, parseExtrapolationVariable, type LinearFit } from './run/extrapolate.js';
export { writeFiniteSize, type FiniteSizeTable, type FiniteSizeRow } from './run/finite-size.js';

export { uniqueGroundState, sampleGroundState, type GroundState, type GroundSamples } from './exact/ground-samples.js';
export { readConfigData, parseConfigData, splitData, type ConfigData } from './fit/data.js';
export { nllGradient, meanNll, logPartition, type WeightedConfigs } from './fit/nll.js';
export { MetropolisModelTerm, ExactModelTerm, type ModelTerm } from './fit/model-term.js';
export { NllTrainer, trainNll, type NllSettings, type EpochRecord } from './fit/trainer.js';
export { distanceToState, knownState, type KnownState } from './fit/known-state.js';
export { runFit, readFitConfig, type FitSettings, type FitSummary } from './fit/fit-run.js';
export { readSweepFile, parseSweep, expandSweep, type SweepSpec, type SweepPoint } from './sweep/spec.js';
export { runSweep, collectSweep, sweepStatusReport, runOnePoint, type SweepOptions, type SweepResult } from './sweep/sweep.js';
