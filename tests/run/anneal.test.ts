/**
 * Annealed runs end to end: what is refused (and that nothing is written then), what they record
 * (T, F, S in metrics.csv and log.jsonl, anneal.svg), that T0 = 0 is the plain run bit for bit,
 * that an interrupted and resumed annealed run equals the uninterrupted one bit for bit, and that
 * --workers does not change a number.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { InputError } from '../../src/errors.js';
import { checkAnsatzEntries, type AnsatzEntry } from '../../src/compare/compare.js';
import { annealSchedule } from '../../src/run/anneal.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { readMetrics } from '../../src/run/metrics.js';
import { readRunConfig, runExperiment, type StopSignal } from '../../src/run/runner.js';

before(async () => {
  await initBackend('wasm');
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-anneal-'));

// J1-J2 ring at the Majumdar–Ghosh point, complex RNN, S^z = 0; 8 steps of schedule, then T = 0
const base = {
  backend: 'wasm', model: 'j1j2', param: { J2: 0.5 }, n: 6, bc: 'periodic', magnetization: 0, phase: true, hidden: 8,
  samples: 64, 'eval-samples': 256, steps: 12, 'checkpoint-every': 3, workers: 1,
  anneal: 0.5, 'anneal-warmup': 2, 'anneal-steps': 3, 'anneal-steps-per-t': 2,
} as const;
const config = (over: Partial<ExperimentConfig> = {}): ExperimentConfig => resolveExperiment({}, { ...base, out: join(tmp(), 'run'), ...over } as Partial<ExperimentConfig>);

/** metrics.csv without the wall-clock column: what must be identical. */
function rows(dir: string): Record<string, number | null>[] {
  return readMetrics(join(dir, 'metrics.csv')).rows.map(({ seconds: _, ...r }) => r);
}

async function refused(over: Partial<ExperimentConfig>, where: string, message: RegExp): Promise<void> {
  const cfg = config(over);
  await assert.rejects(runExperiment({ config: cfg, quiet: true }), (e: unknown) => e instanceof InputError && e.where === where && message.test(e.message) && !/\n/.test(e.message));
  assert.ok(!existsSync(cfg.out!), 'no run directory is made for refused settings');
}

test('refused, before anything is written: an unnormalised ansatz or symmetry sector, Markov-chain samples, a schedule longer than --steps, schedule settings without --anneal', async () => {
  await refused({ ansatz: 'rbm', phase: false }, 'anneal', /needs a normalised wavefunction .* this rbm state is not: use rnn, rnn2d, lru or flow/);
  await refused({ symmetry: 'translation', 'symmetry-sector': 'k=1' }, 'anneal', /needs a normalised wavefunction .* this rnn state is not: .*trivial sector/);
  await refused({ sampler: 'metropolis' }, 'anneal', /needs exact samples from \|ψ\|² .* the metropolis sampler is not exact/);
  await refused({ steps: 7 }, 'steps', /schedule takes 8 steps \(warm-up 2 \+ 3 temperatures × 2 steps\), more than the 7 steps of the run/);
  await refused({ anneal: undefined }, 'anneal-warmup', /annealing is off: give its starting temperature too \(--anneal T0\)/);
});

test('records T, F and S per step, plots anneal.svg; T0 = 0 is the plain run bit for bit; an interrupted and resumed run equals the uninterrupted one', async () => {
  const full = await runExperiment({ config: config(), quiet: true });
  assert.equal(full.summary.status, 'completed');
  const r = rows(full.dir);
  const [t0, t1, t2] = [0.5, 0.5 * (1 - 1 / 3), 0.5 * (1 - 2 / 3)];
  assert.deepEqual(r.map((x) => x.temperature), [t0, t0, t0, t0, t1, t1, t2, t2, 0, 0, 0, 0]);
  for (const x of r) {
    assert.ok(Math.abs(x.free_energy! - (x.energy! - x.temperature! * x.entropy!)) < 1e-9, 'F = ⟨H⟩ − T·S');
    assert.ok(x.entropy! > 0 && x.entropy! <= Math.log(20) + 1e-9, `0 < S ≤ log(dim of the sector) (${x.entropy})`);
  }
  const logged = readFileSync(join(full.dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.msg === 'step');
  assert.deepEqual(logged.map((l) => [l.temperature, l.free_energy, l.entropy]), r.map((x) => [x.temperature, x.free_energy, x.entropy]));
  const svg = readFileSync(join(full.dir, 'anneal.svg'), 'utf8');
  assert.match(svg, /T·S/);
  assert.match(svg, /temperature T/);

  // T0 = 0: the same numbers as a run without annealing (at T = 0, F_loc is E_loc itself)
  const plain = await runExperiment({ config: config({ anneal: undefined, 'anneal-warmup': undefined, 'anneal-steps': undefined, 'anneal-steps-per-t': undefined }), quiet: true });
  const cold = await runExperiment({ config: config({ anneal: 0 }), quiet: true });
  const energies = (d: string) => rows(d).map((x) => [x.energy, x.energy_error, x.variance]);
  assert.deepEqual(energies(cold.dir), energies(plain.dir));
  assert.equal(cold.summary.energy, plain.summary.energy);
  assert.notDeepEqual(energies(full.dir).slice(1), energies(plain.dir).slice(1), 'annealing changes the trajectory');
  assert.ok(!existsSync(join(plain.dir, 'anneal.svg')));
  assert.ok(!('temperature' in rows(plain.dir)[0]!), 'plain runs keep their columns');

  // stopped inside the schedule (after step 5, at T0·2/3), resumed to the end
  const signal: StopSignal = { stop: false };
  const cut = config();
  const first = await runExperiment({ config: cut, quiet: true, signal, onStep: (s) => (signal.stop = s.step >= 5) });
  assert.equal(first.summary.status, 'interrupted');
  const resumed = await runExperiment({ config: readRunConfig(first.dir), resumeDir: first.dir, quiet: true });
  assert.equal(resumed.summary.status, 'completed');
  assert.deepEqual(rows(first.dir), r);
  assert.equal(resumed.summary.energy, full.summary.energy);
  // (vega numbers its clip paths per process)
  const plot = (d: string) => readFileSync(join(d, 'anneal.svg'), 'utf8').replace(/clip\d+/g, 'clip');
  assert.equal(plot(first.dir), plot(full.dir), 'the plot of the resumed run is the uninterrupted one');
});

test('an annealed run with --workers 2 gives the numbers of --workers 1', async () => {
  const one = await runExperiment({ config: config({ steps: 9 }), quiet: true });
  const two = await runExperiment({ config: config({ steps: 9, workers: 2 }), quiet: true });
  assert.deepEqual(rows(two.dir), rows(one.dir));
  assert.equal(two.summary.energy, one.summary.energy);
});

test('experiments/anneal-j1j2-chain12.json: the plain entry does not anneal; the annealed one from T0 = 1, 100 + 80 × 5 of its 1000 steps', () => {
  const path = 'experiments/anneal-j1j2-chain12.json';
  const { ansatze, ...file } = readExperimentFile(path, { ansatze: checkAnsatzEntries });
  const [plain, annealed] = (ansatze as AnsatzEntry[]).map((e) => resolveExperiment({ ...file, ...e.settings, ansatz: e.ansatz }, {}, path));
  assert.equal(annealSchedule(plain!), null);
  assert.deepEqual(annealSchedule(annealed!), { t0: 1, warmup: 100, levels: 80, stepsPerT: 5 });
  const { anneal: _a, 'anneal-warmup': _w, 'anneal-steps': _s, 'anneal-steps-per-t': _k, ...rest } = annealed!;
  assert.deepEqual(rest, plain, 'the two entries differ only in annealing');
});
