/**
 * Sweep files: the deterministic expansion of grids and zip groups into points, their names and
 * settings, and one-line errors naming the key at fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { expandSweep, keyLabels, parseSweep, readSweepFile, varyingKeys, MAX_POINTS } from '../../src/sweep/spec.js';

const where = { file: 'S.json' };

function rejects(data: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(
    () => parseSweep(data, where),
    (e: unknown) => {
      assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

test('grid: cartesian product, first key outermost; param.NAME goes into param; names carry the values', () => {
  const spec = parseSweep({ base: { model: 'tfim', n: 8, param: { J: 2 } }, grid: { 'param.h': [0.5, 1.25], seed: [1, 2, 3] } }, where);
  const points = expandSweep(spec);
  assert.equal(points.length, 6);
  assert.deepEqual(points.map((p) => [p.values['param.h'], p.values.seed]), [[0.5, 1], [0.5, 2], [0.5, 3], [1.25, 1], [1.25, 2], [1.25, 3]]);
  assert.deepEqual(points.map((p) => p.index), [0, 1, 2, 3, 4, 5]);
  assert.equal(points[4]!.name, '004-h=1.25_seed=2');
  assert.deepEqual(points[4]!.settings, { model: 'tfim', n: 8, param: { J: 2, h: 1.25 }, seed: 2 });
  // the base is not changed by expanding
  assert.deepEqual(spec.base, { model: 'tfim', n: 8, param: { J: 2 } });
  // deterministic: the same file, the same points
  assert.deepEqual(expandSweep(parseSweep({ base: { model: 'tfim', n: 8, param: { J: 2 } }, grid: { 'param.h': [0.5, 1.25], seed: [1, 2, 3] } }, where)), points);
});

test('zip groups vary together; axes in file order (grid keys, then zip groups)', () => {
  const spec = parseSweep({ n: 4, grid: { ansatz: ['rnn', 'rbm'] }, zip: [{ n: [8, 12, 16], steps: [100, 200, 300] }] }, where);
  assert.deepEqual(varyingKeys(spec), ['ansatz', 'n', 'steps']);
  const points = expandSweep(spec);
  assert.equal(points.length, 6);
  assert.deepEqual(points.map((p) => [p.values.ansatz, p.values.n, p.values.steps]), [
    ['rnn', 8, 100], ['rnn', 12, 200], ['rnn', 16, 300], ['rbm', 8, 100], ['rbm', 12, 200], ['rbm', 16, 300],
  ]);
  assert.equal(points[5]!.name, '005-ansatz=rbm_n=16_steps=300');
  assert.equal(points[5]!.settings.n, 16, 'a varying value overrides the base');
  // a single zip object is one group; no grid at all is one point
  assert.equal(expandSweep(parseSweep({ n: 4, zip: { seed: [1, 2], lr: [0.01, 0.02] } }, where)).length, 2);
  const single = expandSweep(parseSweep({ n: 4 }, where));
  assert.deepEqual(single.map((p) => p.name), ['000-point']);
});

test('labels: param.NAME is shown as NAME unless another varying key has that name; names are path-safe', () => {
  assert.deepEqual(keyLabels(['param.h', 'seed']), ['h', 'seed']);
  assert.deepEqual(keyLabels(['param.n', 'n']), ['param.n', 'n']);
  const spec = parseSweep({ n: 4, grid: { model: ['tfim', './hamiltonians/heisenberg.json'], magnetization: [null, 0] } }, where);
  const names = expandSweep(spec).map((p) => p.name);
  assert.deepEqual(names, ['000-model=tfim_magnetization=none', '001-model=tfim_magnetization=0', '002-model=heisenberg_magnetization=none', '003-model=heisenberg_magnetization=0']);
  // a relative model path is made absolute (the runs may start elsewhere)
  assert.ok(String(expandSweep(spec)[2]!.settings.model).startsWith('/'));
});

test('a base experiment file is read relative to the sweep file, inline keys override it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmc-sweep-spec-'));
  writeFileSync(join(dir, 'base.json'), JSON.stringify({ model: 'tfim', n: 10, steps: 50, param: { h: 1 }, out: 'runs/x' }));
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ base: 'base.json', steps: 70, grid: { 'param.h': [0.5] } }));
  const spec = readSweepFile(join(dir, 'sweep.json'));
  assert.equal(spec.name, 'sweep');
  assert.equal(spec.baseFile, join(dir, 'base.json'));
  const [p] = expandSweep(spec);
  assert.deepEqual(p!.settings.param, { h: 0.5 });
  assert.equal(p!.settings.steps, 70);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ base: 'missing.json' }));
  assert.throws(() => readSweepFile(join(dir, 'bad.json')), /missing\.json: cannot read experiment file/);
  writeFileSync(join(dir, 'broken.json'), '{ "grid": { "n": [4, 6 }');
  assert.throws(() => readSweepFile(join(dir, 'broken.json')), /broken\.json: invalid JSON at line 1/);
});

test('validation errors name the key', () => {
  rejects({ grid: { 'param.h': [0.5, 'x'] } }, /^S\.json: grid\.param\.h\[1\]: expected a number, got "x"$/);
  rejects({ grid: { n: [4, 1] } }, /^S\.json: grid\.n\[1\]: expected a value ≥ 2, got 1$/);
  rejects({ grid: { ansatz: ['rnn', 'gru'] } }, /^S\.json: grid\.ansatz\[1\]: expected one of rnn, rnn2d, lru, rbm, flow/);
  rejects({ grid: { hiden: [4] } }, /^S\.json: grid\.hiden: unknown setting "hiden"/);
  rejects({ grid: { 'param.2h': [1] } }, /^S\.json: grid\.param\.2h: parameter name "2h" must start with a letter/);
  rejects({ grid: { out: ['a', 'b'] } }, /^S\.json: grid\.out: "out" cannot vary/);
  rejects({ grid: { param: [{ h: 1 }] } }, /^S\.json: grid\.param: "param" cannot vary \(vary a model parameter as "param\.NAME"/);
  rejects({ grid: { seed: [] } }, /^S\.json: grid\.seed: expected a non-empty list/);
  rejects({ grid: { seed: 3 } }, /^S\.json: grid\.seed: expected a non-empty list of values, got 3/);
  rejects({ grid: { seed: [1, 2, 1] } }, /^S\.json: grid\.seed\[2\]: value 1 appears twice/);
  rejects({ grid: [1] }, /^S\.json: grid: expected an object of lists/);
  rejects({ zip: [{ n: [8, 12], steps: [1] }] }, /^S\.json: zip\[0\]: lists of different lengths vary together \(n has 2 values, steps has 1\)/);
  rejects({ grid: { n: [8] }, zip: [{ n: [8, 12], steps: [1, 2] }] }, /^S\.json: zip\[0\]\.n: "n" varies twice \(also in grid\.n\)/);
  rejects({ zip: [{}] }, /^S\.json: zip\[0\]: expected an object of equally long lists/);
  rejects({ grd: { n: [4] } }, /^S\.json: unknown key "grd"/);
  rejects({ hidden: 0 }, /^S\.json: hidden: expected a value ≥ 1/);
  rejects({ base: 3 }, /^S\.json: base: expected the path of an experiment file or an object/);
  rejects({ base: { samplez: 3 } }, /^S\.json: base: unknown setting "samplez"/);
  rejects({ executor: 'pbs' }, /^S\.json: executor: expected "local" or "slurm"/);
  rejects({ slurm: { time: '1 hour' } }, /^S\.json: slurm\.time: expected a SLURM time limit/);
  rejects({ slurm: { mem: 'lots' } }, /^S\.json: slurm\.mem: expected a SLURM memory size/);
  rejects({ slurm: { partiton: 'x' } }, /^S\.json: slurm: unknown key "partiton"/);
  rejects({ slurm: { sbatch: ['account=abc'] } }, /^S\.json: slurm\.sbatch\[0\]: expected an sbatch option/);
  rejects({ slurm: { sbatch: ['--a\n--b'] } }, /^S\.json: slurm\.sbatch\[0\]: expected one non-empty line/);
  rejects({ measure: { only: ['entropy'] } }, /^S\.json: measure\.only\[0\]: expected one of energy, magnetization/);
  rejects({ measure: 'yes' }, /^S\.json: measure: expected true, false or an object/);
  rejects({ grid: { n: [4] }, plot: { x: 'seed' } }, /^S\.json: plot\.x: expected one of the varying keys \(n\)/);
  rejects({ grid: { seed: Array.from({ length: 101 }, (_, i) => i), 'param.h': Array.from({ length: 100 }, (_, i) => i) } }, new RegExp(`expands to 10100 points \\(at most ${MAX_POINTS}\\)`));
});

test('settings of the sweep itself: measure, slurm, local, executor', () => {
  const spec = parseSweep(
    {
      n: 4,
      executor: 'slurm',
      local: { jobs: 3 },
      measure: { samples: 500, only: ['magnetization', 'renyi'] },
      slurm: { partition: 'short', time: '1-00:30:00', mem: '4G', 'cpus-per-task': 2, sbatch: ['#SBATCH --account=abc', '--qos=low'], setup: ['module load nodejs'], 'max-parallel': 8 },
    },
    where,
  );
  assert.equal(spec.executor, 'slurm');
  assert.deepEqual(spec.local, { jobs: 3 });
  assert.deepEqual(spec.measure, { samples: 500, only: ['magnetization', 'renyi'] });
  assert.deepEqual(spec.slurm.sbatch, ['--account=abc', '--qos=low']);
  assert.equal(spec.slurm['max-parallel'], 8);
  assert.equal(parseSweep({ n: 4, measure: true }, where).measure !== null, true);
  assert.equal(parseSweep({ n: 4, measure: false }, where).measure, null);
});
