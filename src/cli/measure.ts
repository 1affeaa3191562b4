/** `vmc measure RUN_DIR`: observables of a trained state, with error bars, from fresh samples. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { BackendChoice } from '../backend.js';
import { InputError } from '../errors.js';
import type { Estimate } from '../measure/stats.js';
import { measureRun, OBSERVABLES, type MeasureResult, type ObservableName } from '../measure/measure.js';
import { XX_ALL_PAIRS_MAX, type DistanceMetric, type XXPairs } from '../measure/correlations.js';
import { seedFlag, sharedOptions } from './options.js';

export const command = 'measure <run>';
export const describe = 'measure observables of a trained state (energy, magnetisations, correlations, S(q), Rényi-2 entropy)';

const GROUP = 'Measurement:';

export function builder(y: Argv): Argv {
  return y
    .positional('run', { type: 'string', describe: 'run directory (with config.json and checkpoint.json)' })
    .option('samples', { type: 'number', requiresArg: true, group: GROUP, describe: 'fresh samples (per replica for the entropy) [default: 10000]' })
    .option('distance', { type: 'string', choices: ['manhattan', 'euclidean'], requiresArg: true, group: GROUP, describe: 'distance on square lattices (chains: |i − j|, minimum image if periodic) [default: manhattan]' })
    .option('xx-pairs', { type: 'string', requiresArg: true, group: GROUP, describe: `xx correlations: pairs per distance evaluated per sample, a random subset drawn for each sample, or "all" [default: all when the lattice has at most ${XX_ALL_PAIRS_MAX} pairs, else ${XX_ALL_PAIRS_MAX} / (number of distances)]` })
    .option('only', { type: 'string', requiresArg: true, group: GROUP, describe: `comma list of observables to measure (${OBSERVABLES.join(', ')}) [default: all]` })
    .options(
      sharedOptions(['quiet', 'json', 'backend', 'seed', 'out'], {
        quiet: 'here: the table, without the line naming the files written',
        json: 'here: measure.json',
        backend: "here [default: the run's]",
        seed: 'here: of the measurement samplers, independent of training [default: 1]',
        out: 'here: the directory for measure.json and the plots [default: the run directory]',
      }),
    )
    .example('$0 measure runs/20261128-101500-tfim-rnn', 'all observables from 10 000 fresh samples')
    .example('$0 measure runs/x --only energy,renyi --samples 20000', 'energy and the entropy of every cut');
}

function positiveInt(v: unknown, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InputError(`expected a positive integer, got ${String(v)}`, flag);
  return v;
}

export function parseOnly(v: unknown): ObservableName[] | undefined {
  if (v === undefined) return undefined;
  const names = String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!(OBSERVABLES as readonly string[]).includes(n)) throw new InputError(`unknown observable "${n}" (known: ${OBSERVABLES.join(', ')})`, '--only');
  }
  if (names.length === 0) throw new InputError('name at least one observable', '--only');
  return names as ObservableName[];
}

export function parseXXPairs(v: unknown): XXPairs | undefined {
  if (v === undefined) return undefined;
  if (String(v) === 'all') return 'all';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`expected a positive integer or "all", got ${String(v)}`, '--xx-pairs');
  return n;
}

/** Progress lines on stderr, at most one per 15 s, with the time left at the family's rate so far. */
function progressPrinter(): (family: string, done: number, total: number) => void {
  let t0 = performance.now();
  let last = t0;
  return (family, done, total) => {
    const now = performance.now();
    if (done === 0) t0 = now; // a family starts
    if (now - last < 15000 || done === 0 || done >= total) return;
    last = now;
    const s = (now - t0) / 1000;
    const left = (s * (total - done)) / done;
    const min = (x: number): string => (x < 120 ? `${x.toFixed(0)} s` : `${(x / 60).toFixed(1)} min`);
    process.stderr.write(`vmc measure: ${family}: ${done} of ${total} samples, ${min(s)} so far, about ${min(left)} left\n`);
  };
}

export async function handler(argv: ArgumentsCamelCase): Promise<void> {
  const seed = seedFlag(argv, 1);
  const { dir, step, result, files } = await measureRun(argv.run as string, {
    samples: positiveInt(argv.samples, '--samples', 10000),
    seed,
    metric: (argv.distance as DistanceMetric | undefined) ?? 'manhattan',
    observables: parseOnly(argv.only),
    xxPairs: parseXXPairs(argv.xxPairs),
    onProgress: argv.quiet || argv.json ? undefined : progressPrinter(),
    out: argv.out as string | undefined,
    backend: argv.backend as BackendChoice | undefined,
  });
  if (argv.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  process.stdout.write(measureReport(result, step));
  if (!argv.quiet) process.stdout.write(`wrote ${files.join(', ')} to ${dir}\n`);
}

function pm(e: Estimate, digits = 5): string {
  if (!Number.isFinite(e.mean)) return String(e.mean);
  const err = Number.isFinite(e.error) ? e.error.toExponential(1) : 'n/a';
  return `${e.mean.toFixed(digits)} ± ${err}`;
}

/** The human-readable report of a measurement. */
export function measureReport(r: MeasureResult, step: number): string {
  const total = Object.values(r.seconds).reduce((a, b) => a + b, 0);
  const out: string[] = [
    `${r.lattice}, checkpoint step ${step}: ${r.samples} fresh samples (${r.sampler}${r.chains ? `, ${r.chains} chains, binned errors` : ', independent'}; ${r.distinct_configurations} distinct), ${total.toFixed(1)} s`,
  ];
  if (r.energy) {
    const e = r.energy;
    const exact = e.exact === null ? '' : `; exact ${e.exact.toPrecision(10)}, relative error ${e.relative_error!.toExponential(2)}`;
    out.push(`energy           ${pm(e, 6)}  (E/N ${e.per_site.toFixed(6)}, Var(E_loc) ${e.variance.toExponential(2)}${exact})`);
  }
  if (r.magnetization) {
    const m = r.magnetization;
    out.push(`⟨σᶻ⟩             ${pm(m.sz)}`, `⟨|Σσᶻ|⟩/N        ${pm(m.abs_sz)}`, `⟨σˣ⟩             ${pm(m.sx)}`);
  }
  if (r.correlations) {
    const c = r.correlations;
    const sampled = c.xx_pairs_per_sample.some((k, i) => k < c.pairs[i]!);
    const how = sampled ? `; ⟨σˣσˣ⟩ from at most ${Math.max(...c.xx_pairs_per_sample)} random pairs per distance per sample (--xx-pairs)` : '';
    out.push(`correlations vs distance (${c.metric}; averaged over pairs${how}):`, '   r  pairs  ⟨σᶻσᶻ⟩                 ⟨σˣσˣ⟩');
    c.distance.forEach((d, i) => {
      out.push(`${(Number.isInteger(d) ? String(d) : d.toFixed(3)).padStart(4)}  ${String(c.pairs[i]).padStart(5)}  ${pm(c.zz[i]!).padEnd(22)} ${pm(c.xx[i]!)}`);
    });
  }
  if (r.structure_factor) {
    const s = r.structure_factor;
    const best = s.value.reduce((bi, v, i) => (v.mean > s.value[bi]!.mean ? i : bi), 0);
    const [qx, qy] = s.q[best]!;
    out.push(`S(q) peak        ${pm(s.value[best]!)} at q = (${(qx / Math.PI).toFixed(3)}π, ${(qy / Math.PI).toFixed(3)}π)`);
  }
  if (r.renyi2) {
    const q = r.renyi2;
    out.push(`Rényi-2 entropy of the first ℓ sites (${q.pairs} replica pairs):`, '   ℓ  S₂');
    q.cuts.forEach((l, i) => out.push(`${String(l).padStart(4)}  ${pm(q.s2[i]!, 4)}`));
  }
  return out.join('\n') + '\n';
}
