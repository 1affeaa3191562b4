/**
 * `vmc exact`: the exact ground-state energy of a model on a lattice.
 *
 * Before a solve estimated to take more than a couple of seconds, stderr gets the plan (sectors,
 * why, memory, time estimate from src/exact/estimate.ts); one line per sector as it finishes
 * and a Lanczos progress line every ~15 s follow. A solve whose memory estimate exceeds
 * --max-memory is refused before anything is allocated.
 */
import { totalmem } from 'node:os';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { buildModel, type ModelParts } from '../run/build.js';
import { resolveExperiment } from '../run/experiment.js';
import { exactOptions, referenceEnergy, type ReferenceEnergy, type ReferenceHooks } from '../run/reference.js';
import { formatBytes, formatSeconds, planExact, szLabel, type ExactPlan } from '../exact/index.js';
import { MAX_SAMPLED_SITES, sampleGroundState, uniqueGroundState } from '../exact/ground-samples.js';
import { formatSamples } from '../measure/sample-file.js';
import { writeFileAtomic } from '../run/run-dir.js';
import { Rng } from '../rng.js';
import { InputError } from '../errors.js';
import { flagsToSettings, MODEL_KEYS, seedFlag, sharedOptions, yargsOptions } from './options.js';

export const command = 'exact';
export const describe = 'exact ground-state energy (free fermions or Lanczos)';

/** default memory limit: three quarters of the machine's memory */
const DEFAULT_MAX_MEMORY_GIB = Math.floor((0.75 * totalmem()) / 2 ** 30);
/** plans estimated below this many seconds run without printing the plan */
const QUIET_SECONDS = 2;

export function builder(y: Argv): Argv {
  return y
    .options(yargsOptions(MODEL_KEYS))
    // --backend does not apply (no tfjs); --seed only draws --samples (the Lanczos start vector does not change E0)
    .options(
      sharedOptions(['quiet', 'json', 'seed', 'out'], {
        quiet: 'here: the result line only',
        json: 'here: one JSON object',
        seed: 'here: of the --samples draws [default: 1]',
        out: 'here: the CSV file of --samples, written atomically [default: stdout, the result line then on stderr]',
      }),
    )
    .option('samples', {
      type: 'number',
      requiresArg: true,
      describe:
        `draw this many exact Z-basis samples from |ψ0|² of the ground vector (N ≤ ${MAX_SAMPLED_SITES}; the ground state must be non-degenerate ` +
        'in its sector) as the CSV of vmc sample: config (character s = bit of site s, 1 = up), log_abs_psi, phase',
      group: 'Samples:',
    })
    .option('max-memory', {
      type: 'number',
      requiresArg: true,
      describe: `refuse solves whose memory estimate exceeds this many GiB [default: ${DEFAULT_MAX_MEMORY_GIB}, 3/4 of this machine]`,
      group: 'Run and output:',
    })
    .epilogue(
      'S^z sectors: with --magnetization only that sector is solved (and the gap is within it). Without it, a model ' +
        'that conserves S^z is solved sector by sector and the lowest energy is reported with its sector: one sector ' +
        '(S^z = 0, or -1/2 for odd N) when H commutes with the total spin S² (Heisenberg, J1-J2; checked on the ' +
        'compiled operator as [H, sum_j X_j] = 0), else every sector, only S^z <= 0 when H is symmetric under flipping ' +
        'all spins. The gap is to the next distinct level over the whole space (all sectors; for the TFIM chain both ' +
        'fermion-parity sectors); a degenerate ground level counts once. Solves expected to take more than a few ' +
        'seconds print their plan, memory and time estimate on stderr first.',
    )
    .example('$0 exact --model tfim --n 20 --param h=1', 'open TFIM chain by free fermions')
    .example('$0 exact --model xxz --n 8 --param Delta=-2', 'lowest of the S^z sectors (here the fully polarised ones)')
    .example('$0 exact --model heisenberg --lattice square --lx 4 --ly 4 --bc periodic --magnetization 0', 'Lanczos in the S^z = 0 sector')
    .example('$0 exact --model j1j2 --n 16 --bc periodic --param J2=0.5 --json', 'Majumdar–Ghosh point')
    .example('$0 exact --model tfim --n 10 --param h=1 --samples 10000 --out data.csv', 'exact measurements to learn from (vmc fit data.csv)');
}

function sectorName(nSites: number, nUp: number | null): string {
  return nUp === null ? 'full space' : szLabel(nSites, nUp);
}

function describePlan(plan: ExactPlan, nSites: number): string {
  if (plan.costs.length === 0) {
    return (
      `vmc exact: ${plan.method}, ${nSites.toLocaleString('en-US')} sites — ${plan.explanation}; ` +
      `memory ≈ ${formatBytes(plan.memoryBytes)}, estimated time ${formatSeconds(plan.seconds)} (rough)\n`
    );
  }
  const big = plan.costs.reduce((a, c) => (c.dimension > a.dimension ? c : a), plan.costs[0]);
  const b = big.bytes;
  const parts = [`${big.krylov + 1} Lanczos vectors ${formatBytes(b.vectors)}`];
  if (b.matrix > 0) parts.push(`sparse matrix ${formatBytes(b.matrix)}`);
  else if (big.method === 'lanczos') parts.push('matrix products on the fly (matrix above the storage budget)');
  if (b.dense > 0) parts.push(`dense matrix ${formatBytes(b.dense)}`);
  parts.push(`basis and diagonal ${formatBytes(b.basis + b.diagonal)}`);
  const sectors =
    plan.sectors.length === 1
      ? `${sectorName(nSites, plan.sectors[0].nUp)}, ${plan.dimension.toLocaleString('en-US')} states`
      : `${plan.sectors.length} sectors, ${plan.totalDimension.toLocaleString('en-US')} states in all, the largest ${plan.dimension.toLocaleString('en-US')}`;
  return (
    `vmc exact: ${plan.method} on ${sectors} — ${plan.explanation}.\n` +
    `vmc exact: memory ≈ ${formatBytes(plan.memoryBytes)} (${parts.join(', ')}); estimated time ${formatSeconds(plan.seconds)} (rough)\n`
  );
}

export function handler(argv: ArgumentsCamelCase): void {
  const cfg = resolveExperiment({}, flagsToSettings(argv, MODEL_KEYS));
  if (Array.isArray(argv.maxMemory)) throw new InputError('given more than once', '--max-memory');
  const maxGib = argv.maxMemory === undefined ? DEFAULT_MAX_MEMORY_GIB : Number(argv.maxMemory);
  if (!(maxGib > 0)) throw new InputError('expected a positive number of GiB', '--max-memory');
  const samples = sampleCount(argv);
  if (samples === null && argv.out !== undefined) throw new InputError('--out is where the samples of --samples go; give --samples K', '--out');
  const parts = buildModel(cfg);
  const n = parts.lattice.nSites;
  const t0 = performance.now();
  const hooks = solveHooks(n, maxGib, Boolean(argv.quiet), t0);
  let ref: ReferenceEnergy;
  if (samples === null) {
    ref = referenceEnergy(cfg, parts, hooks);
  } else {
    if (argv.json && argv.out === undefined) throw new InputError('--json prints the result on stdout; give --out for the samples', '--out');
    ref = writeGroundSamples(parts, samples, seedFlag(argv, 1), argv.out as string | undefined, hooks);
  }
  if (ref.energy === null) throw new InputError(ref.source ?? 'the system is too large for an exact solution');
  const nUp = ref.nUp ?? null;
  const result = {
    energy: ref.energy,
    energy_per_site: ref.energy / n,
    gap: ref.gap,
    method: ref.method,
    n_sites: n,
    sector_n_up: nUp,
    sector_sz: nUp === null ? null : (2 * nUp - n) / 2,
    ground_sectors_n_up: ref.groundSectors ?? null,
    sector_choice: ref.sectorChoice ?? null,
    seconds: (performance.now() - t0) / 1000,
    ...(samples === null ? {} : { samples, out: (argv.out as string | undefined) ?? null }),
  };
  // with samples on stdout the result line goes to stderr
  const stream = samples !== null && argv.out === undefined ? process.stderr : process.stdout;
  if (argv.json) {
    stream.write(JSON.stringify(result) + '\n');
  } else {
    const gap = ref.gap === null ? '' : `  gap ${ref.gap.toPrecision(10)}`;
    const others = (ref.groundSectors ?? []).filter((k) => k !== nUp).map((k) => szLabel(n, k));
    const sector = nUp === null ? '' : `  ${szLabel(n, nUp)}${others.length ? ` (degenerate with ${others.join(', ')})` : ''}`;
    const how = ref.sectorChoice === 'all-sectors' ? ', lowest of the S^z sectors' : ref.sectorChoice === 'total-spin' ? ', S² conserved: one sector' : '';
    const drawn = samples === null ? '' : `; ${samples} samples of |ψ0|² ${argv.out === undefined ? 'on stdout' : `written to ${String(argv.out)}`}`;
    stream.write(
      `${parts.definition.name} on ${parts.lattice.describe()}: E0 = ${ref.energy.toPrecision(14)}  ` +
        `E0/N = ${(ref.energy / n).toPrecision(12)}${gap}${sector}  (${ref.method}${how}, ${result.seconds.toFixed(2)} s)${drawn}\n`,
    );
  }
}

/** --samples K: a positive integer, or null when not given. */
function sampleCount(argv: ArgumentsCamelCase): number | null {
  const v = argv.samples;
  if (v === undefined) return null;
  if (Array.isArray(v)) throw new InputError('given more than once', '--samples');
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InputError(`expected a positive integer, got ${String(v)}`, '--samples');
  return v;
}

/** The plan check (memory) and the progress lines of a long solve. */
function solveHooks(n: number, maxGib: number, quiet: boolean, t0: number): Required<ReferenceHooks> {
  let verbose = false;
  let lastProgress = t0;
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  return {
    onPlan: (plan) => {
      if (plan.memoryBytes > maxGib * 2 ** 30) {
        throw new InputError(
          `the exact solve needs about ${formatBytes(plan.memoryBytes)} ` +
            `(largest sector ${plan.dimension.toLocaleString('en-US')} states), above the limit of ${maxGib} GiB: ` +
            `lower --n (or --lx/--ly), fix one sector with --magnetization, or raise --max-memory`,
          '--max-memory',
        );
      }
      verbose = plan.seconds > QUIET_SECONDS && !quiet;
      if (verbose) process.stderr.write(describePlan(plan, n));
    },
    onSector: (e) => {
      if (!verbose || e.phase !== 'done' || e.count === 1) return;
      process.stderr.write(
        `vmc exact: [${e.index + 1}/${e.count}] ${sectorName(n, e.nUp)} (${e.dimension.toLocaleString('en-US')} state${e.dimension === 1 ? '' : 's'}, ${e.method}): ` +
          `E0 = ${e.energy!.toPrecision(12)}  (${e.seconds!.toFixed(1)} s, ${elapsed()} in all)\n`,
      );
    },
    onProgress: (p) => {
      const now = performance.now();
      if (!verbose || now - lastProgress < 15000) return;
      lastProgress = now;
      const ritz = p.ritz.length > 0 ? `, E0 ≈ ${p.ritz[0].toPrecision(12)} (residual ${p.residuals[0].toExponential(1)})` : '';
      process.stderr.write(`vmc exact: ${sectorName(n, p.nUp)}: ${p.matvecs} Lanczos products${ritz}, ${elapsed()}\n`);
    },
  };
}

/**
 * --samples: the unique ground state (refused when degenerate), `count` draws from |ψ0|², written
 * as vmc sample's CSV to `out` (or stdout); returns the energy as a reference.
 */
function writeGroundSamples(parts: ModelParts, count: number, seed: number, out: string | undefined, hooks: Required<ReferenceHooks>): ReferenceEnergy {
  const opts = exactOptions(parts);
  const n = parts.lattice.nSites;
  if (n > MAX_SAMPLED_SITES) throw new InputError(`--samples draws from the ground vector, at most ${MAX_SAMPLED_SITES} sites; this lattice has ${n}`, '--samples');
  const plan = planExact(parts.hamiltonian, parts.lattice, { ...opts, wantVector: true });
  // a Lanczos vector is computed twice (the second start tells a degenerate level)
  hooks.onPlan(plan.method === 'lanczos' ? { ...plan, seconds: 2 * plan.seconds } : plan);
  const gs = uniqueGroundState(parts.hamiltonian, parts.lattice, { ...opts, onSector: hooks.onSector, onProgress: hooks.onProgress });
  const drawn = sampleGroundState(gs, count, new Rng(`${seed}:exact-samples`));
  const text = formatSamples(drawn.configs, count, n, drawn.logAbsPsi, drawn.phase, 'csv');
  if (out === undefined) process.stdout.write(text);
  else writeFileAtomic(out, text);
  const r = gs.result;
  return { energy: r.energy, method: r.method, gap: r.gap, nUp: r.nUp, sectorChoice: r.sectorChoice, groundSectors: r.groundSectors };
}
