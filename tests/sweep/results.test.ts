/**
 * The sweep's table: aggregation over seeds (mean, spread = sample standard deviation, best),
 * CSV cells that round-trip numbers exactly, the Markdown table, and the rows read from run
 * directories (summary.json, measure.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregatedCsv, aggregateSeeds, csvCell, pointRow, pointsCsv, sweepMarkdown, type PointRow } from '../../src/sweep/results.js';

function row(index: number, values: Record<string, unknown>, energy: number | null, status: PointRow['status'] = 'completed', extra: Partial<PointRow> = {}): PointRow {
  return {
    index,
    name: `00${index}`,
    values,
    status,
    message: status === 'failed' ? 'error: boom' : null,
    n_sites: 8,
    energy,
    energy_error: energy === null ? null : 0.01,
    energy_per_site: energy === null ? null : energy / 8,
    exact_energy: energy === null ? null : -12,
    exact_method: energy === null ? null : 'lanczos',
    relative_error: energy === null ? null : Math.abs(energy + 12) / 12,
    variance: energy === null ? null : 0.5,
    v_score: energy === null ? null : (8 * 0.5) / (energy * energy),
    steps: energy === null ? null : 100,
    wall_seconds: energy === null ? null : 2,
    sx: null,
    sx_error: null,
    abs_sz: null,
    abs_sz_error: null,
    renyi2_cut: null,
    renyi2_half: null,
    renyi2_half_error: null,
    ...extra,
  };
}

test('aggregation over seeds: mean, spread (sample standard deviation), best, relative errors, status counts', () => {
  const rows = [
    row(0, { 'param.h': 1, seed: 1 }, -10),
    row(1, { 'param.h': 1, seed: 2 }, -10.5),
    row(2, { 'param.h': 1, seed: 3 }, -11.5),
    row(3, { 'param.h': 2, seed: 1 }, -20),
    row(4, { 'param.h': 2, seed: 2 }, null, 'failed'),
    row(5, { 'param.h': 2, seed: 3 }, null, 'pending'),
  ];
  const agg = aggregateSeeds(rows, ['param.h', 'seed'])!;
  assert.equal(agg.length, 2);
  const [a, b] = agg as [NonNullable<typeof agg>[0], NonNullable<typeof agg>[0]];
  assert.deepEqual(a.values, { 'param.h': 1 });
  assert.deepEqual(a.seeds, [1, 2, 3]);
  assert.equal(a.completed, 3);
  const mean = (-10 - 10.5 - 11.5) / 3;
  assert.ok(Math.abs(a.energy_mean! - mean) < 1e-12);
  const sd = Math.sqrt(((-10 - mean) ** 2 + (-10.5 - mean) ** 2 + (-11.5 - mean) ** 2) / 2);
  assert.ok(Math.abs(a.energy_spread! - sd) < 1e-12, `${a.energy_spread} vs ${sd}`);
  assert.ok(Math.abs(a.energy_per_site_spread! - sd / 8) < 1e-12);
  assert.equal(a.best_energy, -11.5);
  assert.ok(Math.abs(a.relative_error_mean! - Math.abs(mean + 12) / 12) < 1e-12);
  assert.ok(Math.abs(a.best_relative_error! - 0.5 / 12) < 1e-12);
  assert.equal(a.wall_seconds_total, 6);
  assert.equal(a.status, '3/3 completed');
  // one completed seed: a mean but no spread; the other points counted by status
  assert.equal(b.completed, 1);
  assert.equal(b.energy_mean, -20);
  assert.equal(b.energy_spread, null);
  assert.equal(b.status, '1/3 completed, 1/3 failed, 1/3 pending');
  // no varying seed: nothing to aggregate
  assert.equal(aggregateSeeds(rows, ['param.h']), null);
});

test('CSV: numbers exactly as JavaScript prints them, text quoted when needed, steps done beside a varying steps', () => {
  assert.equal(csvCell(0.1 + 0.2), '0.30000000000000004');
  assert.equal(Number(csvCell(-25.107797111621)), -25.107797111621);
  assert.equal(csvCell(null), '');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "x"'), '"say ""x"""');
  assert.equal(csvCell({ energy: -1, source: 'DMRG' }), '"{""energy"":-1,""source"":""DMRG""}"');
  const rows = [row(0, { steps: 50, seed: 1 }, -11.25), row(1, { steps: 50, seed: 2 }, null, 'failed')];
  const csv = pointsCsv(rows, ['steps', 'seed'], false).split('\n');
  assert.equal(csv[0], 'index,name,steps,seed,status,energy,energy_error,energy_per_site,exact_energy,exact_method,relative_error,variance,v_score,steps_done,wall_seconds,message');
  assert.equal(csv[1], `0,000,50,1,completed,-11.25,0.01,-1.40625,-12,lanczos,${0.75 / 12},0.5,${4 / 11.25 ** 2},100,2,`);
  assert.equal(csv[2], '1,001,50,2,failed,,,,,,,,,,,error: boom');
  const agg = aggregatedCsv(aggregateSeeds(rows, ['steps', 'seed'])!, ['steps', 'seed'], true).split('\n');
  assert.match(agg[0]!, /^steps,seeds,completed,status,energy_mean,.*steps_done_mean,wall_seconds_total,sx_mean,sx_spread,abs_sz_mean,abs_sz_spread,renyi2_half_mean,renyi2_half_spread$/);
  assert.match(agg[1]!, /^50,1 2,1,"1\/2 completed, 1\/2 failed",-11.25,,/);
});

test('rows from run directories: summary.json, measure.json (⟨σˣ⟩, ⟨|Σσᶻ|⟩/N, S₂ at ℓ = N/2); no numbers for an unfinished run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-sweep-rows-'));
  mkdirSync(join(dir, '000-a'));
  writeFileSync(join(dir, '000-a', 'summary.json'), JSON.stringify({ status: 'completed', n_sites: 6, energy: -7.2, energy_error: 0.02, energy_per_site: -1.2, exact_energy: -7.3, exact_method: 'free-fermion', relative_error: 0.1 / 7.3, variance: 0.3, steps: 40, wall_seconds: 3.5 }));
  const est = (mean: number) => ({ mean, error: 0.001 });
  writeFileSync(join(dir, '000-a', 'measure.json'), JSON.stringify({ n_sites: 6, magnetization: { sx: est(0.7), abs_sz: est(0.4), sz: est(0) }, renyi2: { cuts: [1, 2, 3, 4, 5], s2: [est(0.1), est(0.2), est(0.3), est(0.2), est(0.1)] } }));
  mkdirSync(join(dir, '001-b'));
  writeFileSync(join(dir, '001-b', 'summary.json'), JSON.stringify({ status: 'interrupted', n_sites: 6, energy: -5, variance: 1, steps: 3 }));
  const a = pointRow(dir, { index: 0, name: '000-a', values: { n: 6 }, settings: {}, status: 'completed' });
  assert.equal(a.energy, -7.2);
  assert.ok(Math.abs(a.v_score! - (6 * 0.3) / 7.2 ** 2) < 1e-15);
  assert.deepEqual([a.sx, a.abs_sz, a.renyi2_cut, a.renyi2_half], [0.7, 0.4, 3, 0.3]);
  const b = pointRow(dir, { index: 1, name: '001-b', values: { n: 6 }, settings: {}, status: 'interrupted', message: 'stopped by SIGINT' });
  assert.equal(b.energy, null);
  assert.equal(b.message, 'stopped by SIGINT');
  const c = pointRow(dir, { index: 2, name: '002-c', values: { n: 6 }, settings: {}, status: 'pending' });
  assert.equal(c.energy, null);
});

test('Markdown: the aggregated table first, then one row per point linking its run directory, then the plots', () => {
  const rows = [row(0, { 'param.h': 1, seed: 1 }, -10), row(1, { 'param.h': 1, seed: 2 }, -11, 'failed')];
  const md = sweepMarkdown({
    title: 'test',
    dir: '/x',
    varying: ['param.h', 'seed'],
    rows,
    aggregated: aggregateSeeds(rows, ['param.h', 'seed']),
    measured: false,
    counts: { completed: 1, failed: 1 },
    plots: [{ file: 'sweep-energy.svg', caption: 'E/N against h' }],
    notes: [],
  });
  const over = md.indexOf('## Over seeds');
  const points = md.indexOf('## Points');
  assert.ok(over > 0 && points > over);
  assert.match(md, /\| h \| seeds \| E mean ± spread \|/);
  assert.match(md, /\| \[0\]\(000\/\) \| 1 \| 1 \| -10\.000000 ± 1\.0e-2 \|/);
  assert.match(md, /\| failed: error: boom \|/);
  assert.match(md, /!\[E\/N against h\]\(sweep-energy\.svg\)/);
});
