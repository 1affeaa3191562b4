/**
 * Size schedules: stage directories under one schedule directory, each stage started from the
 * previous one's checkpoint; a schedule interrupted in a stage continues where it stopped (the
 * finished stage skipped, the interrupted one resumed) and ends with the numbers of an
 * uninterrupted one; a stage killed before its first checkpoint is started again; the
 * finite-size table agrees with every stage's summary.json; a stage may switch symmetry averaging
 * on or off, and the fit then takes the last stage of each size; the extrapolation fit recovers
 * known lines and agrees with numpy; bad schedules are refused before anything runs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import type { ExperimentConfig } from '../../src/run/experiment.js';
import { fitLine, parseExtrapolationVariable } from '../../src/run/extrapolate.js';
import type { FiniteSizeTable } from '../../src/run/finite-size.js';
import { readMetrics } from '../../src/run/metrics.js';
import type { RunSummary, StopSignal } from '../../src/run/runner.js';
import { openScheduleDir, planSchedule, readSchedulePlan, runSchedule, SCHEDULE_FILE_KEYS } from '../../src/run/schedule.js';
import { testBackend } from '../backend.js';
import { expectInputError } from '../input-error.js';

before(async () => {
  await initBackend(testBackend());
});

const root = mkdtempSync(join(tmpdir(), 'vmc-schedule-'));

/** An experiment file of a schedule, read as the CLI reads it. */
function scheduleFile(name: string, body: Record<string, unknown>) {
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify(body));
  return { path, file: readExperimentFile(path, SCHEDULE_FILE_KEYS) as Parameters<typeof planSchedule>[0]['file'] };
}

const demo = {
  model: 'tfim', param: { h: 1 }, hidden: 4, samples: 16, 'eval-samples': 64, 'checkpoint-every': 2, workers: 1, backend: testBackend(),
  schedule: [{ n: 4, steps: 4 }, { n: 6, steps: 4, hidden: 5 }],
  extrapolate: '1/N',
};

function open(name: string, out: string, flags: Partial<ExperimentConfig> = {}) {
  const { path, file } = scheduleFile(name, demo);
  return openScheduleDir(planSchedule({ file, flags: { ...flags, out }, source: path }));
}

const summaryOf = (dir: string): RunSummary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const tableOf = (dir: string): FiniteSizeTable => JSON.parse(readFileSync(join(dir, 'finite-size.json'), 'utf8'));

test('a schedule: stage directories, each from the previous stage; the table equals the stages\' summaries; interrupted and continued it ends as an uninterrupted one', async () => {
  // uninterrupted
  const whole = join(root, 'whole');
  const a = await runSchedule(open('demo', whole), { quiet: true });
  assert.equal(a.table.status, 'completed');
  assert.deepEqual(readdirSync(whole).sort(), ['finite-size.json', 'finite-size.md', 'finite-size.svg', 'schedule.json', 'stage1-n4', 'stage2-n6']);
  const stage2 = JSON.parse(readFileSync(join(whole, 'stage2-n6', 'config.json'), 'utf8'));
  assert.equal(stage2['init-from'], join(whole, 'stage1-n4'));
  assert.equal(stage2.resolved.init_from.checkpoint_step, 4);
  assert.equal(stage2.resolved.init_from.source_hidden, 4);
  assert.equal(stage2.resolved.init_from.hidden, 5);
  // the table: one row per stage, as its summary.json says
  const table = tableOf(whole);
  assert.deepEqual(table, JSON.parse(JSON.stringify(a.table)));
  table.rows.forEach((row, i) => {
    const s = summaryOf(join(whole, row.run_dir));
    assert.equal(row.stage, i + 1);
    assert.equal(row.size, `N=${[4, 6][i]}`);
    assert.deepEqual(
      [row.n_sites, row.energy, row.energy_per_site, row.energy_error, row.reference_energy, row.reference_method, row.relative_error, row.variance, row.steps, row.wall_seconds],
      [s.n_sites, s.energy, s.energy_per_site, s.energy_error, s.exact_energy, s.exact_method, s.relative_error, s.variance, s.steps, s.wall_seconds],
    );
    assert.equal(row.energy_per_site_error, s.energy_error / s.n_sites);
    assert.equal(s.exact_method, 'free-fermion');
  });
  const fit = table.extrapolation!;
  assert.deepEqual(fit.x, [1 / 4, 1 / 6]);
  const direct = fitLine(fit.x, table.rows.map((r) => r.energy_per_site), table.rows.map((r) => r.energy_per_site_error));
  assert.equal(fit.vmc.intercept, direct.intercept);
  const md = readFileSync(join(whole, 'finite-size.md'), 'utf8');
  assert.match(md, /\| 2 \| N=6 \| 6 \| /);
  assert.match(md, /E\/N = e∞ \+ a·1\/N, least squares: VMC e∞ = /);
  assert.match(readFileSync(join(whole, 'finite-size.svg'), 'utf8'), /^<svg/);

  // interrupted in stage 2 after 3 steps (checkpoint at step 2, and at 3 on stopping)
  const parts = join(root, 'parts');
  // stop as soon as stage 2 has its first checkpoint (read between steps)
  const signal: StopSignal = {
    get stop() {
      return existsSync(join(parts, 'stage2-n6', 'checkpoint.json'));
    },
  };
  const b = await runSchedule(open('demo', parts), { signal, quiet: true });
  assert.equal(b.table.status, 'interrupted');
  assert.deepEqual(b.table.rows.map((r) => r.stage), [1], 'the table of the finished stages');
  const stage1Summary = statSync(join(parts, 'stage1-n4', 'summary.json')).mtimeMs;
  const interruptedAt = readMetrics(join(parts, 'stage2-n6', 'metrics.csv')).rows.length;
  assert.equal(interruptedAt, 2, 'stage 2 stopped at its first checkpoint');
  // continued (as `vmc run --resume DIR` does): stage 1 skipped, stage 2 resumed
  const lines: string[] = [];
  const c = await runSchedule(readSchedulePlan(parts), { quiet: true, onMessage: (l) => lines.push(l) });
  assert.match(lines[0]!, /stage 1\/2\] stage1-n4: completed before \(4 steps\), skipped/);
  assert.match(lines[1]!, /stage 2\/2\] stage2-n6: resuming from its checkpoint/);
  assert.equal(statSync(join(parts, 'stage1-n4', 'summary.json')).mtimeMs, stage1Summary, 'stage 1 untouched');
  assert.deepEqual(readMetrics(join(parts, 'stage2-n6', 'metrics.csv')).rows.map((r) => r.step), [1, 2, 3, 4]);
  const numbers = (t: FiniteSizeTable) => t.rows.map((r) => [r.energy, r.energy_error, r.variance, r.steps]);
  assert.equal(c.table.status, 'completed');
  assert.deepEqual(numbers(c.table), numbers(a.table), 'the same numbers as the uninterrupted schedule');

  // a stage killed before its first checkpoint (only config.json and a few metrics): started again
  for (const f of ['checkpoint.json', 'checkpoint.prev.json', 'summary.json']) rmSync(join(whole, 'stage2-n6', f), { force: true });
  const again: string[] = [];
  const d = await runSchedule(open('demo', whole), { quiet: true, onMessage: (l) => again.push(l) });
  assert.match(again[1]!, /stage2-n6: starting again \(it stopped before its first checkpoint\)/);
  assert.deepEqual(numbers(d.table), numbers(a.table));

  // the directory refuses another schedule
  const changed = scheduleFile('changed', { ...demo, schedule: [{ n: 4, steps: 5 }, { n: 6, steps: 4, hidden: 5 }] });
  expectInputError(
    () => openScheduleDir(planSchedule({ file: changed.file, flags: { out: whole }, source: changed.path })),
    whole,
    /schedule started with other settings \(stage 1, completed: "steps" 4 there, 5 now\)/,
  );
});

test('symmetry per stage: a plain stage, the same size symmetrised from its weights, a larger plain one; the fit takes the last stage of each size', async () => {
  const body = { ...demo, schedule: [{ n: 4, steps: 3 }, { n: 4, steps: 3, symmetry: 'reflection,flip' }, { n: 6, steps: 3 }] };
  const { path, file } = scheduleFile('sym', body);
  const dir = join(root, 'sym');
  const r = await runSchedule(openScheduleDir(planSchedule({ file, flags: { out: dir }, source: path })), { quiet: true });
  assert.equal(r.table.status, 'completed');
  assert.deepEqual(r.table.rows.map((row) => [row.run_dir, row.size]), [['stage1-n4', 'N=4'], ['stage2-n4-reflection+flip', 'N=4, reflection,flip'], ['stage3-n6', 'N=6']]);
  const stage2 = JSON.parse(readFileSync(join(dir, 'stage2-n4-reflection+flip', 'config.json'), 'utf8'));
  assert.equal(stage2.symmetry, 'reflection,flip');
  assert.equal(stage2['init-from'], join(dir, 'stage1-n4'));
  assert.equal(stage2.resolved.init_from.checkpoint_step, 3);
  assert.equal(JSON.parse(readFileSync(join(dir, 'stage3-n6', 'config.json'), 'utf8')).symmetry, 'none');
  const fit = r.table.extrapolation!;
  assert.deepEqual(fit.x, [1 / 4, 1 / 4, 1 / 6], 'every row has its x');
  assert.deepEqual(fit.stages, [2, 3], 'N = 4 enters once, with its symmetrised stage');
  const last = r.table.rows.slice(1);
  const direct = fitLine([1 / 4, 1 / 6], last.map((row) => row.energy_per_site), last.map((row) => row.energy_per_site_error));
  assert.equal(fit.vmc.intercept, direct.intercept);
  assert.match(readFileSync(join(dir, 'finite-size.md'), 'utf8'), /fitted: stages 2, 3 \(the last stage of each size\)/);
});

test('bad schedules are refused before anything runs, naming the file and the stage', () => {
  const refuse = (body: Record<string, unknown>, where: string | ((path: string) => string), pattern: RegExp, flags: Partial<ExperimentConfig> = {}) => {
    const path = join(root, 'bad.json');
    writeFileSync(path, JSON.stringify(body));
    const w = typeof where === 'string' ? where : where(path);
    expectInputError(() => planSchedule({ file: readExperimentFile(path, SCHEDULE_FILE_KEYS) as never, flags, source: path }), w, pattern);
  };
  const base = { model: 'tfim', hidden: 4 };
  refuse({ ...base, schedule: [] }, (p) => `${p}: schedule`, /non-empty list of stages/);
  refuse({ ...base, schedule: [{ n: 4, ansatz: 'lru' }] }, (p) => `${p}: schedule[0]`, /"ansatz" cannot differ between stages/);
  refuse({ ...base, schedule: [{ n: 1.5 }] }, (p) => `${p}: schedule[0].n`, /an integer/);
  refuse({ ...base, schedule: [{ steps: 4 }] }, (p) => `${p}: schedule[0]`, /a stage on a chain needs "n"/);
  refuse({ ...base, n: 4, schedule: [{ n: 4 }] }, (p) => p, /"n" is given per stage/);
  refuse({ ...base, lattice: 'square', ansatz: 'rnn2d', schedule: [{ lx: 2 }] }, (p) => `${p}: schedule[0]`, /needs "lx" and "ly"/);
  refuse({ ...base, schedule: [{ n: 4, hidden: 6 }, { n: 6, hidden: 5 }] }, (p) => `${p}: schedule[1]`, /"hidden" 5 is smaller than the previous stage's 6/);
  refuse({ ...base, ansatz: 'flow', schedule: [{ n: 4 }, { n: 6 }] }, (p) => `${p}: schedule[1]`, /flow's MADE weights are indexed by site/);
  refuse({ model: 'heisenberg', magnetization: 0, schedule: [{ n: 4 }, { n: 5 }] }, (p) => `${p}: schedule[1]`, /impossible on 5 sites/);
  refuse({ ...base, reference: { energy: -5, source: 'x' }, schedule: [{ n: 4 }, { n: 6 }] }, (p) => p, /"reference" is the energy of one size: give it per stage/);
  refuse({ ...base, schedule: [{ n: 4, steps: 3 }] }, '--steps', /sets this per stage/, { steps: 9 });
  refuse({ ...base, schedule: [{ n: 4 }, { n: 4, symmetry: 'c4v' }] }, (p) => `${p}: schedule[1]`, /c4v/);
  refuse({ ...base, schedule: [{ n: 4 }, { n: 4, symmetry: 'mirror' }] }, (p) => `${p}: schedule[1]`, /expected none or a comma-separated subset/);
  refuse({ ...base, schedule: [{ n: 4 }] }, '--n', /gives the size of each stage/, { n: 9 });
  refuse({ ...base, schedule: [{ n: 4 }], extrapolate: '1/M^2' }, (p) => `${p}: extrapolate`, /a power of 1\/N or 1\/L/);
  refuse({ ...base, schedule: [{ n: 4 }], extrapolate: { x: '1/L', limit: { energy: 1 } } }, (p) => `${p}: extrapolate.limit`, /"energy_per_site"/);
});

test('extrapolation: 1/N, 1/L^p parsed; exact lines recovered; a weighted and an unweighted fit agree with numpy', () => {
  assert.deepEqual(parseExtrapolationVariable('1/L^3', 'x'), { text: '1/L^3', of: 'L', power: 3 });
  assert.deepEqual(parseExtrapolationVariable(' 1 / N ', 'x'), { text: '1/N', of: 'N', power: 1 });
  assert.deepEqual(parseExtrapolationVariable('1/N^1.5', 'x'), { text: '1/N^1.5', of: 'N', power: 1.5 });
  expectInputError(() => parseExtrapolationVariable('1/L^0', 'f: extrapolate'), 'f: extrapolate', /power of 1\/N or 1\/L/);
  // exact data on a line: intercept and slope exact, zero error from the residuals
  const L = [6, 8, 10, 12];
  const x = L.map((l) => l ** -3);
  const exact = fitLine(x, x.map((v) => -2.677748 - 3.1 * v));
  assert.ok(Math.abs(exact.intercept + 2.677748) < 1e-12 && Math.abs(exact.slope + 3.1) < 1e-9, JSON.stringify(exact));
  assert.ok(exact.interceptError! < 1e-12);
  // two points with error bars: the line through them, errors from the bars alone
  const two = fitLine([0.5, 0.25], [-1, -1.2], [0.01, 0.01]);
  assert.ok(Math.abs(two.intercept + 1.4) < 1e-12 && Math.abs(two.slope - 0.8) < 1e-12);
  assert.ok(Math.abs(two.interceptError! - Math.sqrt(0.01 ** 2 * 5)) < 1e-12, String(two.interceptError)); // var = σ²(1/2 + x̄²/Σ(x−x̄)²) = σ²·5
  assert.equal(fitLine([0.5, 0.25], [-1, -1.2]).interceptError, null, 'two points, no bars: no error estimate');
  // numpy.polyfit(x, y, 1, w=1/σ, cov='unscaled'), errors ×sqrt(max(1, χ²/dof)); and polyfit(x, y, 1, cov=True)
  const y = [-2.7155, -2.693, -2.687, -2.682];
  const sigma = [4e-4, 3e-4, 5e-4, 6e-4];
  const w = fitLine(x, y, sigma);
  const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);
  close(w.intercept, -2.67760004, 1e-8, 'intercept');
  close(w.slope, -8.13965529, 1e-8, 'slope');
  close(w.chi2, 9.667294272174045, 1e-8, 'χ²');
  close(w.interceptError!, 0.00085013, 1e-4, 'intercept error');
  close(w.slopeError!, 0.31022498, 1e-6, 'slope error');
  const u = fitLine(x, y);
  close(u.intercept, -2.67781926, 1e-8, 'unweighted intercept');
  close(u.interceptError!, 0.00078916, 1e-4, 'unweighted intercept error');
  close(u.slopeError!, 0.30612237, 1e-6, 'unweighted slope error');
});
