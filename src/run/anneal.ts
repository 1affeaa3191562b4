/**
 * The annealing settings of a run (--anneal T0, --anneal-warmup W, --anneal-steps N,
 * --anneal-steps-per-t K, or the same keys in an experiment file) as a schedule
 * (vmc/anneal.ts).
 *
 * --steps stays the total number of optimisation steps: the schedule takes the first W + N·K of
 * them and the rest are convergence steps at T = 0, so an annealed run and a plain one with the
 * same --steps cost the same. A schedule longer than --steps is refused (the run would end at
 * T > 0, and its final energy would not be a ground-state estimate).
 */
import { InputError } from '../errors.js';
import { ANNEAL_DEFAULTS, annealLength, type AnnealSchedule } from '../vmc/anneal.js';
import type { StepRecord } from '../vmc/driver.js';
import type { ExperimentConfig } from './experiment.js';
import { plotAnnealing } from './plot.js';

const DETAIL_KEYS = ['anneal-warmup', 'anneal-steps', 'anneal-steps-per-t'] as const;

/** The run's schedule, or null without --anneal; InputError for settings that do not fit together. */
export function annealSchedule(cfg: ExperimentConfig): AnnealSchedule | null {
  if (cfg.anneal === undefined) {
    const stray = DETAIL_KEYS.find((k) => cfg[k] !== undefined);
    if (stray) throw new InputError('sets the annealing schedule, but annealing is off: give its starting temperature too (--anneal T0)', stray);
    return null;
  }
  const s: AnnealSchedule = {
    t0: cfg.anneal,
    warmup: cfg['anneal-warmup'] ?? ANNEAL_DEFAULTS.warmup,
    levels: cfg['anneal-steps'] ?? ANNEAL_DEFAULTS.levels,
    stepsPerT: cfg['anneal-steps-per-t'] ?? ANNEAL_DEFAULTS.stepsPerT,
  };
  const length = annealLength(s);
  if (cfg.steps < length) {
    throw new InputError(
      `the annealing schedule takes ${length} steps (warm-up ${s.warmup} + ${s.levels} temperatures × ${s.stepsPerT} steps), more than the ${cfg.steps} steps of the run, which would end at T > 0: raise --steps or shorten the schedule`,
      'steps',
    );
  }
  return s;
}

/** The columns an annealed step adds to metrics.csv and log.jsonl (none for a plain run). */
export function annealColumns(rec: StepRecord): Record<string, number> {
  if (!rec.anneal) return {};
  const a = rec.anneal;
  return { temperature: a.temperature, free_energy: a.freeEnergy, free_energy_error: a.freeEnergyError, entropy: a.entropy };
}

/** What the run's history (kept in checkpoints) holds of an annealed step, for the plot. */
export interface AnnealHistory {
  temperature: number;
  free_energy: number;
  free_energy_error: number;
}

export function annealHistory(rec: StepRecord): Partial<AnnealHistory> {
  if (!rec.anneal) return {};
  return { temperature: rec.anneal.temperature, free_energy: rec.anneal.freeEnergy, free_energy_error: rec.anneal.freeEnergyError };
}

/** The SVG of anneal.svg: ⟨H⟩ and F against the step, above the temperature schedule. */
export function annealPlot(
  title: string,
  history: ({ step: number; energy: number; error: number } & Partial<AnnealHistory>)[],
  exactEnergy: number | null,
): Promise<string> {
  const nan = (v: number | undefined): number => v ?? NaN;
  return plotAnnealing({
    title,
    step: history.map((r) => r.step),
    energy: history.map((r) => r.energy),
    energyError: history.map((r) => r.error),
    freeEnergy: history.map((r) => nan(r.free_energy)),
    freeEnergyError: history.map((r) => nan(r.free_energy_error)),
    temperature: history.map((r) => nan(r.temperature)),
    exactEnergy,
  });
}
