import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { column, MetricsWriter, readMetrics, type MetricsRow } from '../../src/run/metrics.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vmc-metrics-'));

function row(step: number, extra: Record<string, number | null> = {}): MetricsRow {
  return { step, energy: -10 - step / 3, energy_error: 0.01, variance: 0.5, energy_per_site: (-10 - step / 3) / 8, relative_error: null, lr: 5e-3, seconds: step * 0.1, ...extra };
}

test('header, rows flushed immediately, exact numbers, empty cells for null', () => {
  const p = join(tmp(), 'metrics.csv');
  const w = MetricsWriter.create(p, ['acceptance']);
  w.append(row(1, { acceptance: 0.25 }));
  // Visible to a reader before close: a killed run keeps its rows.
  let lines = readFileSync(p, 'utf8').split('\n');
  assert.equal(lines[0], 'step,energy,energy_error,variance,energy_per_site,relative_error,lr,seconds,acceptance');
  assert.equal(lines[1], `1,${-10 - 1 / 3},0.01,0.5,${(-10 - 1 / 3) / 8},,0.005,0.1,0.25`);
  w.append(row(2, { relative_error: NaN }));
  w.close();
  w.close();
  lines = readFileSync(p, 'utf8').split('\n');
  assert.equal(lines.length, 4); // header, 2 rows, trailing ''
  const t = readMetrics(p);
  assert.equal(t.rows.length, 2);
  assert.equal(t.rows[0]!.energy, -10 - 1 / 3, 'round-trips exactly');
  assert.equal(t.rows[0]!.relative_error, null);
  assert.ok(Number.isNaN(t.rows[1]!.relative_error));
  assert.equal(t.rows[1]!.acceptance, null);
  assert.deepEqual(column(t, 'step'), [1, 2]);
  assert.throws(() => w.append(row(3)), /closed/);
});

test('unknown columns and bad names are programming errors', () => {
  const p = join(tmp(), 'metrics.csv');
  assert.throws(() => MetricsWriter.create(p, ['energy']), /twice/);
  assert.throws(() => MetricsWriter.create(p, ['a,b']), /must be/);
  const w = MetricsWriter.create(p, []); // declared: no extra columns
  assert.throws(() => w.append(row(1, { acceptance: 1 })), /not in the header/);
  w.close();
});

test('resume truncates rows beyond the checkpointed step and drops a torn last line', () => {
  const p = join(tmp(), 'metrics.csv');
  const w = MetricsWriter.create(p, ['acceptance']);
  for (let s = 1; s <= 10; s++) w.append(row(s, { acceptance: s / 10 }));
  w.close();
  appendFileSync(p, '11,-13.6,0.0'); // killed mid-write
  const r = MetricsWriter.resume(p, 7);
  assert.deepEqual(r.columns!.slice(-1), ['acceptance'], 'columns come from the existing header');
  r.append(row(8, { acceptance: 0.8 }));
  r.close();
  const t = readMetrics(p);
  assert.deepEqual(column(t, 'step'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(t.rows[7]!.acceptance, 0.8);
  // The resumed file is byte-identical to one written without interruption.
  const q = join(tmp(), 'metrics.csv');
  const u = MetricsWriter.create(q, ['acceptance']);
  for (let s = 1; s <= 8; s++) u.append(row(s, { acceptance: s / 10 }));
  u.close();
  assert.equal(readFileSync(p, 'utf8'), readFileSync(q, 'utf8'));
});

test('readMetrics: missing file or header is an InputError naming the file', () => {
  const d = tmp();
  assert.throws(() => readMetrics(join(d, 'metrics.csv')), (e: unknown) => e instanceof InputError && e.message.includes('metrics.csv'));
  const p = join(d, 'bad.csv');
  appendFileSync(p, 'energy,step\n1,2\n');
  assert.throws(() => readMetrics(p), /no header/);
});

test('without declared extras the header comes from the first row; open() picks create or resume', () => {
  const p = join(tmp(), 'metrics.csv');
  const w = MetricsWriter.open(p);
  assert.equal(w.columns, null);
  w.append(row(1, { acceptance: 0.5, tau: 1.2 }));
  assert.deepEqual(w.columns!.slice(-2), ['acceptance', 'tau']);
  assert.throws(() => w.append(row(2, { other: 1 })), /not in the header/);
  w.append(row(2, { tau: 1.1 }));
  w.close();
  assert.equal(readFileSync(p, 'utf8').split('\n')[0], 'step,energy,energy_error,variance,energy_per_site,relative_error,lr,seconds,acceptance,tau');
  const r = MetricsWriter.open(p, { resumeStep: 1 });
  r.close();
  assert.deepEqual(column(readMetrics(p), 'step'), [1]);
  // A run stopped before its first row left an empty file: resuming starts afresh.
  const q = join(tmp(), 'metrics.csv');
  MetricsWriter.create(q).close();
  const e = MetricsWriter.resume(q, 5);
  e.append(row(6));
  e.close();
  assert.deepEqual(column(readMetrics(q), 'step'), [6]);
});
