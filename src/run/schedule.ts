/**
 * Size schedules: an experiment file with
 *   "schedule": [{ "n": 10, "steps": 2000 }, { "n": 20, "steps": 500 }, …]   (or "lx"/"ly")
 * trains the first size, then starts every further stage from the weights of the one before
 * (init-from.ts), each in its own run directory (stage1-n10, stage2-n20, … or stage1-6x6) under
 * one schedule directory (--out), and ends with the finite-size table (finite-size.ts), with an
 * extrapolation to the thermodynamic limit when the file asks for one:
 *   "extrapolate": "1/L^3"     or     "extrapolate": { "x": "1/L^3", "limit": { "energy_per_site": e, "source": "…" } }
 *
 * A stage may also set (validated as the flags are): steps, samples, lr, lr-decay, hidden (a
 * wider network than the previous stage: the grown embedding), symmetry and symmetry-sector,
 * eval-samples, budget-seconds, checkpoint-every, seed, init-noise, reference (the published
 * energy of that size). Everything else is common to all stages; a base "init-from" starts the
 * first stage.
 *
 * Symmetry per stage: the averaged state ψ_G wraps the same network (ansatz/symmetric.ts), so a
 * stage with --symmetry starts from a stage without it (and back) like any other. It costs |G|
 * network evaluations per configuration (C4v: a step on the 6×6 torus, M = 500, one thread,
 * took 11–12.7 s against 1.4–2.2 s without it), so a schedule may train each size plainly and average only in a final stage of
 * that size. A stage that sets "symmetry" (other than none) has it in its directory name
 * (stage2-6x6-c4v); a size trained in several stages enters the extrapolation once, with its last.
 *
 * Resumable as a whole: schedule.json in the directory records the resolved stages; running the
 * same file with the same --out again (or `vmc run --resume DIR`) skips the completed stages,
 * resumes an interrupted one from its checkpoint (a stage killed before its first checkpoint is
 * started again), and starts the rest. The directory refuses a schedule with other settings.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, quote, shown } from '../errors.js';
import { buildLattice, buildModel, networkSize, sitePath } from './build.js';
import { hasCheckpoint } from './checkpoint.js';
import { checkValue, resolveExperiment, type ExperimentConfig, type OptionKey } from './experiment.js';
import { parseExtrapolationVariable } from './extrapolate.js';
import { extrapolate, finiteSizeRow, writeFiniteSize, type ExtrapolationRequest, type FiniteSizeTable } from './finite-size.js';
import { createRunDir, makeDirectory, readJson, writeJsonAtomic } from './run-dir.js';
import { readRunConfig, runExperiment, type RunSummary, type StopSignal } from './runner.js';
import { resolveSymmetry } from './symmetry.js';

/** Settings a stage may give; the size keys are required (n for chains, lx and ly for squares). */
export const STAGE_KEYS: OptionKey[] = [
  'n', 'lx', 'ly', 'steps', 'samples', 'lr', 'lr-decay', 'hidden', 'symmetry', 'symmetry-sector', 'eval-samples', 'budget-seconds', 'checkpoint-every', 'seed',
  'init-noise', 'reference',
];

/** Settings that may change when a schedule continues (how long and where it runs, not what it computes). */
const CONTINUE_CHANGEABLE = ['steps', 'budget-seconds', 'workers', 'backend'] as const;

export const MANIFEST_FILE = 'schedule.json';
const FORMAT = 'vmc-schedule';

/** Validator of the file key "schedule": a non-empty list of stage settings. */
export function checkSchedule(value: unknown, where: string): Partial<ExperimentConfig>[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InputError('expected a non-empty list of stages such as [{ "n": 10, "steps": 2000 }, { "n": 20, "steps": 500 }]', where);
  }
  return value.map((item, i) => {
    const at = `${where}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError('expected an object such as { "n": 10, "steps": 2000 }', at);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (!(STAGE_KEYS as string[]).includes(k)) throw new InputError(`${quote(k)} cannot differ between stages (a stage may set: ${STAGE_KEYS.join(', ')})`, at);
      out[k] = checkValue(k as OptionKey, v, `${at}.${k}`);
    }
    return out as Partial<ExperimentConfig>;
  });
}

/** Validator of the file key "extrapolate": "1/L^3", or { "x": "1/L^3", "limit": { "energy_per_site": e, "source": "…" } }. */
export function checkExtrapolate(value: unknown, where: string): ExtrapolationRequest {
  if (typeof value === 'string') return { variable: parseExtrapolationVariable(value, where), limit: null };
  const o = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('expected "1/N^p", "1/L^p" or { "x": "1/L^3", "limit": {…} }', where);
  const extra = Object.keys(o).find((k) => k !== 'x' && k !== 'limit');
  if (extra !== undefined) throw new InputError(`unknown field ${quote(extra)} (expected "x" and optionally "limit")`, where);
  const variable = parseExtrapolationVariable(o.x, `${where}.x`);
  if (o.limit === undefined) return { variable, limit: null };
  const l = o.limit as Record<string, unknown>;
  const ok = typeof l === 'object' && l !== null && !Array.isArray(l) && typeof l.energy_per_site === 'number' && Number.isFinite(l.energy_per_site) && typeof l.source === 'string'
    && Object.keys(l).every((k) => k === 'energy_per_site' || k === 'source');
  if (!ok) throw new InputError(`expected { "energy_per_site": number (Pauli units), "source": string }, got ${quote(o.limit)}`, `${where}.limit`);
  return { variable, limit: { energy_per_site: l.energy_per_site as number, source: l.source as string } };
}

/** The experiment-file keys of a schedule, for readExperimentFile. */
export const SCHEDULE_FILE_KEYS = { schedule: checkSchedule, extrapolate: checkExtrapolate };

export interface ScheduleStage {
  /** directory name under the schedule directory */
  label: string;
  /** resolved settings; out = the stage's run directory, init-from = the previous stage's (absolute) */
  config: ExperimentConfig;
}

export interface SchedulePlan {
  dir: string;
  stages: ScheduleStage[];
  extrapolate: ExtrapolationRequest | null;
  /** the experiment file (or "flags") */
  source: string;
}

/** "n10" or "6x6" */
function sizeText(cfg: ExperimentConfig): string {
  return cfg.lattice === 'chain' ? `n${cfg.n}` : `${cfg.lx}x${cfg.ly}`;
}

/**
 * Resolves and checks every stage before anything runs: each stage's settings (defaults ← file ←
 * flags ← the stage's own), its model and lattice, its site path, and that the stages can start
 * from one another (the flow keeps its lattice; --hidden never shrinks). `out`: the schedule
 * directory (absolute path returned in the plan; created by runSchedule).
 */
export function planSchedule(opts: {
  file: Partial<ExperimentConfig> & { schedule: Partial<ExperimentConfig>[]; extrapolate?: ExtrapolationRequest };
  flags: Partial<ExperimentConfig>;
  source: string;
  out?: string;
}): Omit<SchedulePlan, 'dir'> & { out?: string } {
  const { schedule, extrapolate: extra, ...base } = opts.file;
  const src = shown(opts.source, 200);
  for (const k of ['n', 'lx', 'ly'] as const) {
    if (base[k] !== undefined) throw new InputError(`"${k}" is given per stage in a schedule (remove it from the common settings)`, src);
    if (opts.flags[k] !== undefined) throw new InputError('a schedule gives the size of each stage (edit the file)', `--${k}`);
  }
  if (base.reference && schedule.length > 1) throw new InputError('"reference" is the energy of one size: give it per stage', src);
  for (const k of Object.keys(opts.flags)) {
    if (schedule.some((s) => k in s)) throw new InputError('the schedule sets this per stage (edit the file)', `--${k}`);
  }
  const { out: _out, ...flags } = opts.flags;
  const firstInit = flags['init-from'] ?? base['init-from'];
  const stages: ScheduleStage[] = [];
  let previousHidden: number | undefined;
  schedule.forEach((stage, i) => {
    const where = `${src}: schedule[${i}]`;
    const lattice = flags.lattice ?? base.lattice ?? 'chain';
    if (lattice === 'chain' ? stage.n === undefined : stage.lx === undefined || stage.ly === undefined) {
      throw new InputError(lattice === 'chain' ? 'a stage on a chain needs "n"' : 'a stage on a square lattice needs "lx" and "ly"', where);
    }
    if (lattice === 'chain' && (stage.lx !== undefined || stage.ly !== undefined)) throw new InputError('"lx"/"ly" are for square lattices; a chain stage gives "n"', where);
    if (lattice === 'square' && stage.n !== undefined) throw new InputError('"n" is for chains; a square stage gives "lx" and "ly"', where);
    const cfg = resolveExperiment({ ...base, ...flags, ...stage, 'init-from': undefined }, {}, where);
    let parts;
    try {
      parts = buildModel(cfg);
      sitePath(cfg, parts.lattice);
      resolveSymmetry(cfg, parts);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.message, where);
      throw e;
    }
    if (i > 0 && cfg.ansatz === 'flow' && buildLattice(stages[0].config).describe() !== parts.lattice.describe()) {
      throw new InputError("the flow's MADE weights are indexed by site, so a flow schedule cannot change the lattice size (use rnn, rnn2d or lru)", where);
    }
    if (cfg.hidden !== undefined) {
      if (previousHidden !== undefined && cfg.hidden < previousHidden) throw new InputError(`"hidden" ${cfg.hidden} is smaller than the previous stage's ${previousHidden} (a network can grow, not shrink)`, where);
      previousHidden = cfg.hidden;
    } else if (i === 0) {
      previousHidden = networkSize(cfg, parts.lattice.nSites).hidden;
    }
    const label = `stage${i + 1}-${sizeText(cfg)}${stage.symmetry !== undefined && cfg.symmetry !== 'none' ? `-${cfg.symmetry.replace(/,/g, '+')}` : ''}`;
    stages.push({ label, config: { ...cfg, ...(i === 0 && firstInit ? { 'init-from': resolve(firstInit) } : {}) } });
  });
  return { stages, extrapolate: extra ?? null, source: opts.source, out: opts.out ?? opts.flags.out ?? base.out };
}

interface Manifest {
  format: string;
  version: number;
  source: string;
  extrapolate: ExtrapolationRequest | null;
  stages: ScheduleStage[];
}

/** True when `dir` holds a schedule (its schedule.json). */
export function isScheduleDir(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE));
}

/** The plan recorded in a schedule directory (for `vmc run --resume DIR`); `change` sets workers/backend/… of every stage. */
export function readSchedulePlan(dir: string, change: Partial<ExperimentConfig> = {}): SchedulePlan {
  const path = join(dir, MANIFEST_FILE);
  const m = readJson(path, 'schedule manifest') as Partial<Manifest>;
  if (m.format !== FORMAT || !Array.isArray(m.stages) || m.stages.length === 0) throw new InputError(`not a schedule manifest (expected format "${FORMAT}" and stages)`, path);
  const root = resolve(dir);
  return {
    dir: root,
    // the stage directories move with the schedule directory
    stages: m.stages.map((s, i) => ({ label: s.label, config: withStageDirs({ ...s.config, ...change }, root, s.label, i === 0 ? s.config['init-from'] : join(root, m.stages![i - 1].label)) })),
    extrapolate: m.extrapolate ?? null,
    source: m.source ?? path,
  };
}

function withStageDirs(cfg: ExperimentConfig, root: string, label: string, initFrom: string | undefined): ExperimentConfig {
  const out: ExperimentConfig = { ...cfg, out: join(root, label) };
  if (initFrom === undefined) delete out['init-from'];
  else out['init-from'] = initFrom;
  return out;
}

/** Differences between the recorded and the new stage settings that a continued schedule refuses. */
function differences(old: ExperimentConfig, now: ExperimentConfig, completed: boolean): string[] {
  const ignore = new Set<string>(['out', 'init-from', 'description', ...(completed ? ['workers', 'backend'] : CONTINUE_CHANGEABLE)]);
  const keys = new Set([...Object.keys(old), ...Object.keys(now)]);
  const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  return [...keys]
    .filter((k) => !ignore.has(k) && JSON.stringify(old[k as keyof ExperimentConfig]) !== JSON.stringify(now[k as keyof ExperimentConfig]))
    .map((k) => `"${k}" ${show(old[k as keyof ExperimentConfig])} there, ${show(now[k as keyof ExperimentConfig])} now`);
}

/** How far a stage's run directory got. */
type StageState = { kind: 'new' } | { kind: 'done'; summary: RunSummary } | { kind: 'resume' } | { kind: 'restart'; reason: string } | { kind: 'diverged'; summary: RunSummary };

function stageState(dir: string): StageState {
  if (!existsSync(dir)) return { kind: 'new' };
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? (readJson(summaryPath, 'run summary') as RunSummary) : null;
  if (summary?.status === 'completed') return { kind: 'done', summary };
  if (summary?.status === 'diverged') return { kind: 'diverged', summary };
  if (hasCheckpoint(dir)) return { kind: 'resume' };
  return { kind: 'restart', reason: 'it stopped before its first checkpoint' };
}

/**
 * Opens (or creates) the schedule directory: a new one gets schedule.json; an existing one must
 * hold the same schedule (see `differences`), and takes the new steps/budget of unfinished stages.
 */
export function openScheduleDir(plan: Omit<SchedulePlan, 'dir'> & { out?: string }): SchedulePlan {
  const first = plan.stages[0].config;
  let dir: string;
  if (plan.out !== undefined && isScheduleDir(resolve(plan.out))) {
    dir = resolve(plan.out);
    const recorded = readSchedulePlan(dir);
    if (recorded.stages.length !== plan.stages.length) {
      throw new InputError(`this directory holds a schedule of ${recorded.stages.length} stages, the file has ${plan.stages.length}; use another --out`, dir);
    }
    plan.stages.forEach((s, i) => {
      const old = recorded.stages[i];
      const done = stageState(join(dir, old.label)).kind === 'done';
      const diff = [
        ...(old.label === s.label ? [] : [`stage directory ${old.label} there, ${s.label} now`]),
        ...(i === 0 && old.config['init-from'] !== s.config['init-from'] ? [`"init-from" ${old.config['init-from'] ?? 'unset'} there, ${s.config['init-from'] ?? 'unset'} now`] : []),
        ...differences(old.config, s.config, done),
      ];
      if (diff.length) throw new InputError(`this directory holds a schedule started with other settings (stage ${i + 1}${done ? ', completed' : ''}: ${diff.join('; ')}); use another --out`, dir);
    });
  } else {
    if (plan.out !== undefined && existsSync(plan.out) && statSync(plan.out).isDirectory() && readdirSync(plan.out).length > 0) {
      throw new InputError('output directory exists, is not empty and holds no schedule (no schedule.json); choose another --out', resolve(plan.out));
    }
    dir = plan.out !== undefined ? resolve(plan.out) : createRunDir(undefined, first.model.replace(/^.*[/\\]/, '').replace(/\.json$/, ''), `${first.ansatz}-schedule`);
    makeDirectory(dir);
  }
  const stages = plan.stages.map((s, i) => ({
    label: s.label,
    config: withStageDirs(s.config, dir, s.label, i === 0 ? s.config['init-from'] : join(dir, plan.stages[i - 1].label)),
  }));
  const manifest: Manifest = { format: FORMAT, version: 1, source: plan.source, extrapolate: plan.extrapolate, stages };
  writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
  return { dir, stages, extrapolate: plan.extrapolate, source: plan.source };
}

export interface ScheduleOptions {
  signal?: StopSignal;
  quiet?: boolean;
  silent?: boolean;
  tty?: boolean;
  /** a line of progress per stage */
  onMessage?: (line: string) => void;
}

export interface ScheduleResult {
  dir: string;
  table: FiniteSizeTable;
  /** the message of a stage that diverged */
  message?: string;
}

/** Runs (or continues) every stage in order, then writes the finite-size table; see the header. */
export async function runSchedule(plan: SchedulePlan, opts: ScheduleOptions = {}): Promise<ScheduleResult> {
  const summaries: { stage: number; label: string; cfg: ExperimentConfig; summary: RunSummary }[] = [];
  let status: FiniteSizeTable['status'] = 'completed';
  let message: string | undefined;
  const n = plan.stages.length;
  for (const [i, { label, config }] of plan.stages.entries()) {
    if (opts.signal?.stop) {
      status = 'interrupted';
      break;
    }
    const dir = config.out!;
    const state = stageState(dir);
    const head = `[stage ${i + 1}/${n}] ${label}`;
    let summary: RunSummary;
    if (state.kind === 'done') {
      opts.onMessage?.(`${head}: completed before (${state.summary.steps} steps), skipped`);
      summary = state.summary;
    } else if (state.kind === 'diverged') {
      status = 'diverged';
      message = `stage ${i + 1} (${dir}) diverged: ${state.summary.message ?? 'see its log.jsonl'}`;
      break;
    } else {
      let resumeDir: string | undefined;
      let cfg = config;
      if (state.kind === 'resume') {
        resumeDir = dir;
        const change = Object.fromEntries(CONTINUE_CHANGEABLE.map((k) => [k, config[k]]));
        cfg = { ...readRunConfig(dir), ...change } as ExperimentConfig;
        opts.onMessage?.(`${head}: resuming from its checkpoint, run directory ${dir}`);
      } else {
        if (state.kind === 'restart') {
          opts.onMessage?.(`${head}: starting again (${state.reason})`);
          rmSync(dir, { recursive: true, force: true });
        }
        opts.onMessage?.(`${head}: ${config['init-from'] ? `from the weights of ${config['init-from']}` : 'from scratch'}, run directory ${dir}`);
      }
      ({ summary } = await runExperiment({ config: cfg, resumeDir, signal: opts.signal, quiet: opts.quiet, silent: opts.silent, tty: opts.tty }));
    }
    summaries.push({ stage: i + 1, label, cfg: config, summary });
    if (summary.status !== 'completed') {
      status = summary.status;
      message = summary.status === 'diverged' ? `stage ${i + 1} (${dir}) diverged: ${summary.message}` : undefined;
      break;
    }
    if (i + 1 < n) await writeFiniteSize(plan.dir, tableOf(plan, summaries, 'running'));
  }
  const table = tableOf(plan, summaries, status);
  await writeFiniteSize(plan.dir, table);
  return { dir: plan.dir, table, ...(message ? { message } : {}) };
}

/** The table of the stages so far (rows of completed stages only, with the extrapolation). */
function tableOf(plan: SchedulePlan, done: { stage: number; label: string; cfg: ExperimentConfig; summary: RunSummary }[], status: FiniteSizeTable['status']): FiniteSizeTable {
  const first = plan.stages[0].config;
  const rows = done
    .filter((d) => d.summary.status === 'completed')
    .map((d) => {
      const c = d.cfg;
      const linear = c.lattice === 'chain' ? c.n! : c.lx === c.ly ? c.lx! : null;
      const size = `${c.lattice === 'chain' ? `N=${c.n}` : `${c.lx}x${c.ly}`}${c.symmetry && c.symmetry !== 'none' ? `, ${c.symmetry}` : ''}`;
      return finiteSizeRow(d.stage, d.label, size, linear, d.summary);
    });
  const table: FiniteSizeTable = {
    model: done[0]?.summary.model ?? first.model,
    lattice_kind: first.lattice,
    ansatz: first.ansatz,
    status,
    rows,
    extrapolation: null,
  };
  if (plan.extrapolate) {
    const { fit, note } = extrapolate(rows, plan.extrapolate);
    table.extrapolation = fit;
    if (note) table.extrapolation_note = note;
  }
  return table;
}
